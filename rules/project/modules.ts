/**
 * The local files build.ts is made of: the modules it imports (directly or
 * not) and the configuration files that decide how imports resolve.
 *
 * @module
 */
import { dirname, join } from "node:path";

/** Files that change how imports resolve, looked for in each directory upward. */
const CONFIG_FILES = ["deno.json", "deno.jsonc", "deno.lock", "package.json", "import_map.json"];

/**
 * The `file:` modules build.ts imports, directly or not, itself included, as
 * the runtime resolves them (asked of `deno info`). Imports whose specifier
 * is computed at run time are not seen.
 *
 * @param file The build.ts path.
 * @returns Absolute paths, or undefined when the runtime could not tell.
 */
export async function importedModules(file: string): Promise<string[] | undefined> {
  try {
    const { stdout, success } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", file],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!success) return undefined;
    const info = JSON.parse(new TextDecoder().decode(stdout)) as {
      modules?: { specifier?: string }[];
    };
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
