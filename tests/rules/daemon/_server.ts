// Helpers for the tests of the build server: the CLI with a build server
// allowed (also where CI is set), projects whose server is stopped when the
// test ends, and waiting on processes.

import { join } from "node:path";
import { serverStatus } from "../../../rules/daemon/client.ts";
import { stopServer } from "../../../rules/daemon/start.ts";
import { SERVER_PID, STATE_DIR } from "../../../rules/state.ts";
import { CLI, type CliResult, type Files, withProject } from "../_util.ts";
import { ownCacheEnv } from "../../_own_cache.ts";

/** Bound on waiting for a process to start or stop; generous for a loaded machine, never an assertion. */
export const WAIT_MS = 30_000;

/** The environment of a CLI that may use a build server, even where CI is set. */
export const SERVER_ON: Readonly<Record<string, string>> = {
  NO_COLOR: "1",
  BARCHAN_SERVER: "on",
};

/**
 * Runs `cli.ts ARGS` in `cwd` with a build server allowed, `env` added, and
 * the running test's own action cache.
 */
export async function serverCli(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { ...SERVER_ON, ...ownCacheEnv(), ...env },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Runs a build with a server allowed and fails, showing its output, unless it exits with 0. */
export async function serverBuild(
  root: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const result = await serverCli(root, ["build", ...args], env);
  if (result.code !== 0) {
    throw new Error(`build ${args.join(" ")} exited with ${result.code}:\n${result.stderr}`);
  }
  return result;
}

/**
 * Runs `fn` in a new project holding `files`; then stops the project's
 * build server, if one runs, and fails if it had to be killed.
 */
export async function withServerProject<T>(
  files: Files,
  fn: (root: string) => Promise<T>,
): Promise<T> {
  return await withProject(files, async (root) => {
    root = await Deno.realPath(root);
    let result: T;
    try {
      result = await fn(root);
    } finally {
      await stopProjectServer(root);
    }
    return result;
  });
}

/** Stops the project's build server, if one runs, and waits for it to exit; fails if it had to be killed. */
async function stopProjectServer(root: string): Promise<void> {
  const pid = recordedPid(root);
  const stop = await stopServer(root);
  if (pid !== undefined) await waitGone(pid);
  if (stop.kind === "stopped" && stop.killed) {
    throw new Error(`The build server ${stop.pid} did not answer a stop`);
  }
}

/** The pid of the project's build server, as it says itself; undefined when none answers. */
export async function serverPid(root: string): Promise<number | undefined> {
  return (await serverStatus(root))?.pid;
}

/** The pid in the project's pid file, if there is one. */
export function recordedPid(root: string): number | undefined {
  try {
    return Number(Deno.readTextFileSync(join(root, STATE_DIR, SERVER_PID)).trim());
  } catch {
    return undefined;
  }
}

/** Whether a process runs (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

/** Waits until a process has exited; fails after {@linkcode WAIT_MS}. */
export async function waitGone(pid: number): Promise<void> {
  await waitFor(`process ${pid} to exit`, () => Promise.resolve(!isAlive(pid)));
}

/** Waits until `condition` holds, checking every 20 ms; fails after {@linkcode WAIT_MS}. */
export async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
