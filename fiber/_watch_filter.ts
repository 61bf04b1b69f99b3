// Path filters for the file watcher: ignore rules and editor temp files.

import { basename, isAbsolute, resolve, sep } from "node:path";

/** A compiled ignore rule: returns true when the absolute path is ignored. */
export type IgnoreTest = (path: string) => boolean;

/** Ignore rules applied by every watcher, in addition to the caller's own. */
export const BUILTIN_IGNORE: readonly (string | RegExp)[] = [
  ".git",
  // Vim swap files live as long as the buffer is open and change while typing.
  /(^|[\\/])\.[^\\/]*\.sw[a-p]$/,
];

/**
 * Compiles ignore rules against the watched roots.
 *
 * - A string without an inner separator (`.git`, `_build/`) matches any path
 *   segment equal to it, below any root.
 * - A string with an inner separator (`out/gen`) is a path prefix relative to
 *   each root; an absolute string is a path prefix as is.
 * - A regular expression is tested against the absolute path.
 */
export function compileIgnore(
  rules: readonly (string | RegExp)[],
  roots: readonly string[],
): IgnoreTest {
  const segments = new Set<string>();
  const prefixes: string[] = [];
  const patterns: RegExp[] = [];
  for (const rule of rules) {
    if (rule instanceof RegExp) {
      patterns.push(rule);
      continue;
    }
    const trimmed = rule.replace(/[\\/]+$/, "");
    if (trimmed === "") continue;
    if (isAbsolute(trimmed)) {
      prefixes.push(resolve(trimmed));
    } else if (/[\\/]/.test(trimmed)) {
      for (const root of roots) prefixes.push(resolve(root, trimmed));
    } else {
      segments.add(trimmed);
    }
  }
  return function isIgnored(path: string): boolean {
    for (const prefix of prefixes) {
      if (path === prefix || path.startsWith(prefix + sep)) return true;
    }
    if (segments.size > 0) {
      const root = roots.find((r) => path === r || path.startsWith(r + sep));
      const relative = root === undefined ? path : path.slice(root.length);
      for (const segment of relative.split(/[\\/]/)) {
        if (segments.has(segment)) return true;
      }
    }
    for (const pattern of patterns) {
      pattern.lastIndex = 0;
      if (pattern.test(path)) return true;
    }
    return false;
  };
}

// Names editors and tools give to files they write before renaming them over
// the destination, or to probe a directory:
//   vim: `4913` (writability probe), `file~` (backup), `.file.swp` (swap)
//   emacs: `.#file` (lock), `#file#` (auto-save)
//   generic: `file.tmp`, `file.tmp123`, `file.tmp.4f2a`, `.file.tmp`
//   JetBrains: `file___jb_tmp___`, `file___jb_old___`
//   GNOME: `.goutputstream-XXXXXX`; Chromium: `file.crswap`; `file.part`
const TEMP_NAME =
  /^(?:.*~|\.[^/]*\.sw[a-p]x?|\.#.*|#.*#|.*\.tmp(?:[.\-_]?[0-9a-z]+)?|.*___jb_(?:tmp|old)___|\.goutputstream-.*|.*\.crswap|.*\.part)$/i;

/** Returns true when the base name of `path` looks like an editor temp file. */
export function isTempName(path: string): boolean {
  const name = basename(path);
  // Vim probes with `4913`, then adds 123 while that name is taken.
  if (/^\d+$/.test(name)) return Number(name) >= 4913 && (Number(name) - 4913) % 123 === 0;
  return TEMP_NAME.test(name);
}
