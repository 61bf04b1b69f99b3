/**
 * The configuration Deno uses in a directory: `deno.json` (or
 * `deno.jsonc`, `package.json`) found from there upward, the import map it
 * names, and the lock file in force. Deno looks for its configuration from
 * the working directory, which for barchan's commands is the project root.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { readText, stat } from "../../memo/mod.ts";
import { parseJsonc } from "./_jsonc.ts";

/** Files looked for in each directory upward. */
const CANDIDATES = ["deno.json", "deno.jsonc", "package.json", "deno.lock"];

/** The configuration in force in a directory. */
export interface DenoConfig {
  /** Every configuration file that exists: config files upward, the import map, the lock. */
  readonly files: readonly string[];
  /** The lock file in force, if any. */
  readonly lock: string | undefined;
}

/**
 * Finds Deno's configuration for commands run in `dir`, reading through
 * memo's tracked reads: inside a memo body, creating, deleting or editing
 * any of these files (or one that could be found first) is a change.
 * @param dir The directory commands run in, absolute.
 * @returns The files, absolute, and the lock file.
 * @throws {Error} When the `deno.json` in force is not valid JSON.
 *
 * @example A deno.json with an import map, and the lock beside it
 * ```ts
 * import { denoConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/deno.json`, `{ "importMap": "./map.json" } // a comment`);
 * await Deno.writeTextFile(`${dir}/map.json`, "{}");
 * await Deno.writeTextFile(`${dir}/deno.lock`, "{}");
 * const config = await denoConfig(dir);
 * assert.equal(config.lock, `${dir}/deno.lock`);
 * assert.ok(config.files.includes(`${dir}/map.json`));
 * ```
 */
export async function denoConfig(dir: string): Promise<DenoConfig> {
  const files: string[] = [];
  let nearest: string | undefined;
  let lockDir: string | undefined;
  for (let current = resolve(dir);;) {
    for (const name of CANDIDATES) {
      const path = join(current, name);
      if ((await stat(path))?.isFile !== true) continue;
      files.push(path);
      if (nearest === undefined && (name === "deno.json" || name === "deno.jsonc")) {
        nearest = path;
      }
      if (name === "deno.lock" && lockDir === undefined && nearest !== undefined) {
        lockDir = current;
      }
    }
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  let lock = lockDir === undefined ? undefined : join(lockDir, "deno.lock");
  if (nearest !== undefined) {
    const config = parseConfig(nearest, await readText(nearest));
    const base = dirname(nearest);
    if (typeof config.importMap === "string" && !/^[a-z]+:/.test(config.importMap)) {
      const map = resolve(base, config.importMap);
      if ((await stat(map))?.isFile === true) files.push(map);
    }
    const configured = config.lock;
    if (configured === false) lock = undefined;
    else if (typeof configured === "string") lock = resolve(base, configured);
    else if (typeof configured === "object" && configured !== null) {
      const path = (configured as { path?: unknown }).path;
      if (typeof path === "string") lock = resolve(base, path);
    }
    if (lock !== undefined && !files.includes(lock)) {
      if ((await stat(lock))?.isFile === true) files.push(lock);
      else lock = undefined;
    }
  }
  return { files: [...new Set(files)].sort(), lock };
}

function parseConfig(path: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonc(text);
  } catch (error) {
    throw new Error(
      `Cannot read ${path}: ${error instanceof Error ? error.message : error}; fix its syntax`,
    );
  }
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
}
