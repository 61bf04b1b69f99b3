/**
 * `dir()`: a directory target, a tree of files its rule's action fills.
 *
 * @module
 */

/**
 * A directory as a rule's target or a dependency: `dir("_build/docs")`.
 * Made by {@linkcode dir}.
 */
export class DirTarget {
  /** The directory, relative to build.ts. */
  readonly path: string;

  /**
   * Names a directory; {@linkcode dir} is the usual way.
   * @param path The directory, relative to build.ts.
   */
  constructor(path: string) {
    this.path = path;
  }

  /** The path. */
  toString(): string {
    return this.path;
  }
}

/**
 * Names a directory target: a directory its rule's action fills with files
 * it need not list (`deno doc --html` writes thousands). Give it in a rule's
 * `targets`, alone or among files. The directory is barchan's: created empty
 * before the action runs (a directory already there that barchan did not
 * create is refused), emptied before each rerun, deleted by `clean` and when
 * its rule leaves build.ts. Its value is a digest of the tree (paths,
 * contents, executable bits, symbolic links' targets): a rerun that leaves
 * the same tree does not rerun its dependents, and a file edited, added or
 * deleted in it by hand reruns its rule. In `deps` (or as its plain path),
 * it depends on the whole tree.
 *
 * @param path The directory, relative to build.ts.
 * @returns The directory target.
 *
 * @example A rule writing a directory, and one reading it
 * ```ts
 * import { dir, rule, sh } from "@barchan/barchan";
 * import assert from "node:assert/strict";
 *
 * const docs = dir("_build/docs");
 * assert.equal(docs.path, "_build/docs");
 * // In build.ts:
 * const write = () => rule({ targets: docs, action: sh("echo hi > _build/docs/index.html") });
 * const read = () => rule({ targets: "n.txt", deps: docs, action: sh("ls _build/docs | wc -l > n.txt") });
 * assert.throws(write, /outside a build description/);
 * assert.throws(read, /outside a build description/);
 * ```
 */
export function dir(path: string): DirTarget {
  if (typeof path !== "string") throw new TypeError(`dir() takes a path, not ${String(path)}`);
  return new DirTarget(path);
}
