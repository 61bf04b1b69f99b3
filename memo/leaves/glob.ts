/**
 * Glob patterns: `*` (within a path segment), `**` (any number of
 * segments), `?`, `[abc]` and `{a,b}`; a listing walks only the directory
 * the pattern's fixed prefix names.
 *
 * @module
 */
import { joinPath } from "../stat/paths.ts";

/**
 * Converts a glob pattern to a regular expression over `/`-separated paths.
 * @param pattern The pattern, e.g. `src/**\/*.c`.
 * @returns A regular expression matching the whole path.
 *
 * @example Matching paths
 * ```ts
 * import { globToRegExp } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const re = globToRegExp("src/**\/*.{c,h}");
 * assert.ok(re.test("src/a.c") && re.test("src/x/y/b.h"));
 * assert.ok(!re.test("src/a.o"));
 * ```
 */
export function globToRegExp(pattern: string): RegExp {
  let out = "^";
  let inGroup = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        const atStart = i === 0 || pattern[i - 1] === "/";
        const atEnd = i + 2 === pattern.length || pattern[i + 2] === "/";
        if (atStart && atEnd) {
          i += 2; // skip "**" and the following "/"
          out += i >= pattern.length ? ".*" : "(?:[^/]*/)*";
          continue;
        }
      }
      out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) out += "\\[";
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        out += `[${body}]`;
        i = end;
      }
    } else if (c === "{") {
      inGroup++;
      out += "(?:";
    } else if (c === "}" && inGroup > 0) {
      inGroup--;
      out += ")";
    } else if (c === "," && inGroup > 0) out += "|";
    else out += c.replace(/[.+^$()|\\\]]/g, "\\$&");
  }
  return new RegExp(out + "$");
}

/**
 * Returns the directory part of a pattern before its first wildcard.
 * @param pattern The pattern.
 * @returns The fixed prefix directory, `.` when there is none.
 */
export function globBase(pattern: string): string {
  const parts = pattern.split("/");
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (/[*?[{]/.test(part)) break;
    fixed.push(part);
  }
  return fixed.length === 0 ? "." : fixed.join("/") || "/";
}

/**
 * Lists the files under `root` whose path relative to `root` matches the
 * pattern, sorted. Directories whose name starts with `.` are not entered
 * unless the pattern names them.
 *
 * @param root The directory patterns are relative to.
 * @param pattern The glob pattern.
 * @param skip Directories (relative to root) not to enter.
 * @returns Matching paths relative to root, sorted.
 */
export function listGlob(root: string, pattern: string, skip: readonly string[] = []): string[] {
  const re = globToRegExp(pattern);
  const base = globBase(pattern);
  const out: string[] = [];
  const enterDot = /(^|\/)\./.test(pattern);
  const walk = (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(rel === "." ? root : joinPath(root, rel))];
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        return;
      }
      throw error;
    }
    for (const entry of entries) {
      const path = rel === "." ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) {
        if (entry.name.startsWith(".") && !enterDot) continue;
        if (skip.includes(path)) continue;
        walk(path);
      } else if (re.test(path)) out.push(path);
    }
  };
  walk(base);
  return out.sort();
}
