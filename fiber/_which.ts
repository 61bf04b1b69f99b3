// Program lookup on PATH, done once per (PATH, name) before spawning, so that a
// missing program is reported in one line and nothing is queued for it.
//
// Only hits are cached: a program that appears later (built by the build,
// installed meanwhile) is found on the next lookup, and a miss is the error
// path anyway. A name containing a separator is a path relative to the
// command's cwd and is checked on every call, since build outputs come and go.

import { delimiter, isAbsolute, join, resolve } from "node:path";
import { MissingProgramError } from "./missing_program.ts";

const isWindows = Deno.build.os === "windows";

/** Resolved programs, keyed by PATH then by name. */
const cache = new Map<string, Map<string, string>>();

/**
 * Returns the absolute path of `program`, or throws a
 * {@linkcode MissingProgramError}.
 *
 * @param program The command's program: a bare name or a path.
 * @param path The PATH to search; undefined searches nothing.
 * @param cwd The command's working directory; undefined is the current one.
 */
export function findProgram(program: string, path: string | undefined, cwd?: string): string {
  if (program.includes("/") || (isWindows && program.includes("\\"))) {
    const absolute = isAbsolute(program) ? program : resolve(cwd ?? Deno.cwd(), program);
    const found = executableVariant(absolute);
    if (found === undefined) throw new MissingProgramError(program, absolute);
    return found;
  }
  const key = path ?? "";
  let byName = cache.get(key);
  const hit = byName?.get(program);
  if (hit !== undefined) return hit;
  for (const dir of key.split(delimiter)) {
    const found = executableVariant(join(dir === "" ? "." : dir, program));
    if (found === undefined) continue;
    const absolute = resolve(found);
    if (byName === undefined) cache.set(key, byName = new Map());
    byName.set(program, absolute);
    return absolute;
  }
  throw new MissingProgramError(program);
}

/** Forgets a cached hit, e.g. after the file vanished between lookup and spawn. */
export function forgetProgram(program: string, path: string | undefined): void {
  cache.get(path ?? "")?.delete(program);
}

function executableVariant(file: string): string | undefined {
  if (!isWindows) return isExecutable(file) ? file : undefined;
  if (isExecutable(file)) return file;
  const extensions = (Deno.env.get("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD").split(";");
  return extensions.map((ext) => file + ext).find(isExecutable);
}

function isExecutable(file: string): boolean {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(file);
  } catch (error) {
    if (
      error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotADirectory ||
      error instanceof Deno.errors.PermissionDenied
    ) {
      return false;
    }
    throw error;
  }
  if (!info.isFile) return false;
  return info.mode === null || (info.mode & 0o111) !== 0;
}
