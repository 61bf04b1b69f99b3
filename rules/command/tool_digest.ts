/**
 * The program a command runs, found as the system would find it (a path as
 * given, else the first executable of that name on `PATH`), and the SHA-256
 * digest of its file: part of a command's key, so that a new compiler
 * misses the cache while a different `PATH` leading to the same binary
 * does not. Digests are kept per file while its size, inode and times stay
 * the same.
 *
 * @module
 */
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { type Digest, fileDigest } from "../reapi/mod.ts";

/** A program found, and its digest. */
export interface Tool {
  /** The file that runs. */
  readonly path: string;
  /** Its content's digest. */
  readonly digest: Digest;
}

interface Known {
  readonly stamp: string;
  readonly digest: Digest;
}

const known = new Map<string, Known>();

/**
 * Finds a command's program and digests it.
 * @param program The program as the command names it.
 * @param cwd The absolute directory the command runs in (for a relative path).
 * @param path The `PATH` it runs with.
 * @returns The program and its digest, or null when there is none.
 *
 * @example
 * ```ts
 * import { toolDigest } from "./tool_digest.ts";
 * import assert from "node:assert/strict";
 *
 * const sh = await toolDigest("sh", "/", Deno.env.get("PATH") ?? "/usr/bin:/bin");
 * assert.equal(sh?.digest.hash.length, 64);
 * assert.equal(await toolDigest("no-such-program-here", "/", "/usr/bin"), null);
 * ```
 */
export async function toolDigest(
  program: string,
  cwd: string,
  path: string,
): Promise<Tool | null> {
  const file = findProgram(program, cwd, path);
  if (file === null) return null;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(file);
  } catch {
    return null;
  }
  const stamp = `${info.size} ${info.ino} ${info.mtime?.getTime()} ${info.ctime?.getTime()}`;
  const cached = known.get(file);
  if (cached?.stamp === stamp) return { path: file, digest: cached.digest };
  const digest = await fileDigest(file);
  known.set(file, { stamp, digest });
  return { path: file, digest };
}

/**
 * Where a program is: a name with a slash is a path (relative to `cwd`),
 * any other is looked up in each directory of `PATH`.
 * @param program The program.
 * @param cwd The absolute working directory.
 * @param path The `PATH`.
 * @returns The executable file, or null.
 *
 * @example
 * ```ts
 * import { findProgram } from "./tool_digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(findProgram("sh", "/", Deno.env.get("PATH") ?? "/bin")?.endsWith("/sh"));
 * assert.equal(findProgram("./nothing", "/", ""), null);
 * ```
 */
export function findProgram(program: string, cwd: string, path: string): string | null {
  if (program.includes("/")) {
    const file = isAbsolute(program) ? program : resolve(cwd, program);
    return isExecutable(file) ? file : null;
  }
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const file = join(isAbsolute(dir) ? dir : resolve(cwd, dir), program);
    if (isExecutable(file)) return file;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    const info = Deno.statSync(file);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}
