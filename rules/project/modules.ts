/**
 * The local files build.ts is made of: the modules it imports (directly or
 * not) and the configuration files that decide how imports resolve.
 *
 * @module
 */
import { dirname, join } from "node:path";

/** Files that change how imports resolve, looked for in each directory upward. */
const CONFIG_FILES = ["deno.json", "deno.jsonc", "deno.lock", "package.json", "import_map.json"];

/** Runs `deno info` (a scheduler, so that it takes a job slot and Ctrl-C stops it). */
export interface InfoRunner {
  /** Spawns a program and captures its output. */
  spawn(
    cmd: string,
    args: string[],
    options: { stdout: "capture"; stderr: "null"; successExitCodes: number[]; label: string },
  ): Promise<{ code: number; stdout: string }>;
}

/**
 * The `file:` modules build.ts imports, directly or not, itself included, as
 * the runtime resolves them (asked of `deno info`). Imports whose specifier
 * is computed at run time are not seen.
 *
 * @param file The build.ts path.
 * @param runner Where `deno info` runs.
 * @returns Absolute paths, or undefined when the runtime could not tell.
 */
export async function importedModules(
  file: string,
  runner: InfoRunner,
): Promise<string[] | undefined> {
  let stdout: string;
  try {
    const result = await runner.spawn(Deno.execPath(), ["info", "--json", file], {
      stdout: "capture",
      stderr: "null",
      successExitCodes: [],
      label: "deno info",
    });
    if (result.code !== 0) return undefined;
    stdout = result.stdout;
  } catch {
    return undefined;
  }
  try {
    const info = JSON.parse(stdout) as { modules?: { specifier?: string }[] };
    const out = new Set<string>([file]);
    for (const m of info.modules ?? []) {
      if (!m.specifier?.startsWith("file://")) continue;
      out.add(decodeURIComponent(new URL(m.specifier).pathname));
    }
    return [...out];
  } catch {
    return undefined;
  }
}

/**
 * The places a configuration file that changes how build.ts's imports
 * resolve could be: `deno.json` and its kin in each directory from `dirs`
 * upward, present or not (creating one is a change too).
 *
 * @param dirs Where the runtime looks: the working directory and the project root.
 * @returns Absolute paths.
 */
export function configFiles(dirs: readonly string[]): string[] {
  const out = new Set<string>();
  for (let dir of dirs) {
    for (;;) {
      for (const name of CONFIG_FILES) out.add(join(dir, name));
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return [...out];
}
