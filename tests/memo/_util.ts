// Helpers shared by the memo tests: temporary directories, counters read from
// engine stats, and running fixture scripts in a separate Deno process.

import type { Engine } from "../../memo/mod.ts";

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "barchan_memo_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** How many bodies of the named memo function this engine executed. */
export function executed(engine: Engine, name: string): number {
  return engine.stats().get(name)?.executed ?? 0;
}

/** The absolute path of a fixture script under tests/fixtures/memo/. */
export function fixture(name: string): string {
  return new URL(`../fixtures/memo/${name}`, import.meta.url).pathname;
}

/** What a fixture script prints: its results and the engine's stats. */
export interface ScriptReport {
  result: unknown;
  stats: Record<string, { executed: number; reused: number; revalidated: number; cutoff: number }>;
  warnings: string[];
}

/**
 * Runs a fixture script in a new Deno process and parses the JSON it prints.
 * @param script The fixture's file name.
 * @param args Arguments after the script.
 * @param env Extra environment variables.
 */
export async function runScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ScriptReport> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", fixture(script), ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  if (!output.success) {
    throw new Error(`${script} ${args.join(" ")} failed (${output.code}):\n${stderr}${stdout}`);
  }
  return JSON.parse(stdout);
}

/** The number of bodies a fixture run executed, over all memo functions. */
export function totalExecuted(report: ScriptReport): number {
  return Object.values(report.stats).reduce((n, s) => n + s.executed, 0);
}
