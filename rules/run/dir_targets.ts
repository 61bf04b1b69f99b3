/**
 * Directory targets (`dir()`): the digest of the tree an action left, with
 * every file and listing in it recorded as the rule's dependencies (so a
 * file edited, added or deleted by hand reruns the rule), the files of a
 * tree as a dependent's command inputs, and removing a tree barchan owns.
 *
 * A directory's digest, in a rule's value and in `outputs.log`, is `dir:`
 * followed by the digest of one line per entry, in the order of the sorted
 * listing of each directory: `PATH/` for a directory, `PATH\tf\tDIGEST`
 * for a file (`x` in place of `f` when executable), `PATH\tl\tTARGET` for a
 * symbolic link, PATH relative to the directory target.
 *
 * @module
 */
import { join } from "node:path";
import { digestOf, recordListing, recordWrite } from "../../memo/mod.ts";

/** What starts the digest of a directory target. */
export const DIR_DIGEST_PREFIX = "dir:";

/**
 * Whether a recorded digest is a directory target's.
 * @param digest The digest.
 * @returns True for a tree's digest.
 *
 * @example
 * ```ts
 * import { isDirDigest } from "./dir_targets.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isDirDigest("dir:0123"), true);
 * assert.equal(isDirDigest("0123"), false);
 * ```
 */
export function isDirDigest(digest: string | undefined): boolean {
  return digest !== undefined && digest.startsWith(DIR_DIGEST_PREFIX);
}

/**
 * The digest of a tree, each file and each directory's listing recorded as
 * a dependency of the running computation (the rule that wrote it).
 * @param root The project root.
 * @param dir The directory target, project-relative.
 * @returns `dir:` and the digest.
 */
export function recordTree(root: string, dir: string): string {
  const lines: string[] = [];
  const top = join(root, dir);
  const walk = (rel: string) => {
    for (const name of recordListing(rel === "" ? top : join(top, rel))) {
      const isDir = name.endsWith("/");
      const path = rel === "" ? name : `${rel}/${name}`;
      if (isDir) {
        lines.push(path);
        walk(path.slice(0, -1));
        continue;
      }
      const abs = join(top, path);
      const info = Deno.lstatSync(abs);
      const digest = recordWrite(abs) ?? "-";
      lines.push(treeLine(path, abs, info, digest));
    }
  };
  walk("");
  return treeDigestOf(lines);
}

/**
 * The line of a file or link in a tree's digest (a directory's line is its
 * path and a `/`).
 * @param path The entry's path in the tree.
 * @param abs Its absolute path (a link is read there).
 * @param info Its `lstat`.
 * @param digest The fast digest of its content (of a file).
 * @returns The line.
 *
 * @example
 * ```ts
 * import { treeLine } from "./dir_targets.ts";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.chmod(file, 0o755);
 * assert.equal(treeLine("bin/run", file, Deno.lstatSync(file), "d1"), "bin/run\tx\td1");
 * ```
 */
export function treeLine(
  path: string,
  abs: string,
  info: Deno.FileInfo,
  digest: string,
): string {
  if (info.isSymlink) return `${path}\tl\t${Deno.readLinkSync(abs)}`;
  return `${path}\t${((info.mode ?? 0) & 0o111) !== 0 ? "x" : "f"}\t${digest}`;
}

/**
 * A tree's digest from its lines, in the order of the sorted listings.
 * @param lines One per entry.
 * @returns `dir:` and the digest.
 *
 * @example
 * ```ts
 * import { isDirDigest, treeDigestOf } from "./dir_targets.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isDirDigest(treeDigestOf(["a/", "a/b\tf\td1"])));
 * ```
 */
export function treeDigestOf(lines: readonly string[]): string {
  return DIR_DIGEST_PREFIX + digestOf(lines.join("\n"));
}

/**
 * The files of a tree (links followed), untracked: a dependent's command
 * inputs, whose changes its dependency on the tree's rule already covers.
 * @param root The project root.
 * @param dir The directory, project-relative.
 * @returns Project-relative paths, sorted.
 *
 * @example
 * ```ts
 * import { treeFiles } from "./dir_targets.ts";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/d/sub`, { recursive: true });
 * await Deno.writeTextFile(`${root}/d/sub/a`, "");
 * await Deno.writeTextFile(`${root}/d/b`, "");
 * assert.deepEqual(treeFiles(root, "d"), ["d/b", "d/sub/a"]);
 * ```
 */
export function treeFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  walkTree(root, dir, (_rel, entries) => {
    for (const { path, entry } of entries) if (!entry.isDirectory) out.push(path);
  });
  return out.sort();
}

/**
 * The empty directories of a tree (links not followed), untracked: what a
 * dependent's input root holds beside its files, so that a remote command
 * sees the tree as a local one does.
 * @param root The project root.
 * @param dir The directory, project-relative.
 * @returns Project-relative paths, sorted.
 *
 * @example
 * ```ts
 * import { treeEmptyDirs } from "./dir_targets.ts";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/d/sub/empty`, { recursive: true });
 * await Deno.writeTextFile(`${root}/d/sub/a`, "");
 * assert.deepEqual(treeEmptyDirs(root, "d"), ["d/sub/empty"]);
 * ```
 */
export function treeEmptyDirs(root: string, dir: string): string[] {
  const out: string[] = [];
  walkTree(root, dir, (rel, entries) => {
    if (entries.length === 0 && rel !== dir) out.push(rel);
  });
  return out.sort();
}

/** Calls `visit` with each directory of the tree under `dir` and its entries; unreadable ones are skipped. */
function walkTree(
  root: string,
  dir: string,
  visit: (rel: string, entries: { path: string; entry: Deno.DirEntry }[]) => void,
): void {
  const walk = (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(join(root, rel))];
    } catch {
      return;
    }
    const named = entries.map((entry) => ({ path: `${rel}/${entry.name}`, entry }));
    visit(rel, named);
    for (const { path, entry } of named) if (entry.isDirectory) walk(path);
  };
  walk(dir);
}

/**
 * Removes a path barchan owns: a whole tree for a directory (a link is
 * removed, never followed); nothing when absent.
 * @param path The absolute path.
 *
 * @example
 * ```ts
 * import { removeOwned } from "./dir_targets.ts";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/d/sub`, { recursive: true });
 * removeOwned(`${root}/d`);
 * removeOwned(`${root}/d`);
 * assert.deepEqual([...Deno.readDirSync(root)], []);
 * ```
 */
export function removeOwned(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  Deno.removeSync(path, { recursive: info.isDirectory });
}

/**
 * Whether a path is a directory of its own (not a link to one).
 * @param path The absolute path.
 * @returns True for a directory.
 *
 * @example
 * ```ts
 * import { isRealDirectory } from "./dir_targets.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isRealDirectory(await Deno.makeTempDir()), true);
 * assert.equal(isRealDirectory("/no/such/path"), false);
 * ```
 */
export function isRealDirectory(path: string): boolean {
  try {
    return Deno.lstatSync(path).isDirectory;
  } catch {
    return false;
  }
}
