/**
 * A directory target as a command's output: read from disk as a REAPI
 * `Tree` (for the action cache, and for a replay's record of it), and
 * written back from one (a cache hit). Reading tracks nothing: the rule
 * records the tree it left once its action ends (dir_targets.ts
 * `recordTree`), whose digest is the `fast` one here.
 *
 * Regular files, directories and symbolic links (stored as links, their
 * targets as written) make a tree; any other kind of file (a socket, a
 * FIFO) keeps the command out of the action cache.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { readDigests } from "../command/file_sha256.ts";
import { buildTree, type BuiltTree, type Digest, type TreeEntry } from "../reapi/mod.ts";
import { removeOwned, treeDigestOf, treeLine } from "./dir_targets.ts";

/**
 * A directory target as a command left it.
 *
 * @example Its files are what a cache stores
 * ```ts
 * import { type DirOutput, readDirOutput } from "./dir_output.ts";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/d`);
 * await Deno.writeTextFile(`${root}/d/a`, "a");
 * const output = await readDirOutput(root, "d") as DirOutput;
 * assert.deepEqual(output.files.map((f) => f.path), [`${root}/d/a`]);
 * ```
 */
export interface DirOutput {
  /** Its digest as the rule's value records it (`dir:` and a digest). */
  readonly fast: string;
  /** Its REAPI `Tree`. */
  readonly tree: BuiltTree;
  /** Every regular file in it: absolute path, SHA-256 and whether executable. */
  readonly files: readonly { path: string; digest: Digest; executable: boolean }[];
}

/**
 * Reads a directory target's tree from disk.
 * @param root The project root.
 * @param dir The directory target, project-relative.
 * @returns The tree, or why it cannot be stored (a special file in it).
 *
 * @example The digest a rule records, and a REAPI Tree
 * ```ts
 * import { type DirOutput, readDirOutput } from "./dir_output.ts";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/d/bin`, { recursive: true });
 * await Deno.writeTextFile(`${root}/d/bin/run`, "#!/bin/sh\n", { mode: 0o755 });
 * const output = await readDirOutput(root, "d") as DirOutput;
 * assert.ok(output.fast.startsWith("dir:"));
 * assert.equal(output.tree.tree.children[0].files[0].isExecutable, true);
 * ```
 */
export async function readDirOutput(root: string, dir: string): Promise<DirOutput | string> {
  const top = join(root, dir);
  const lines: string[] = [];
  const entries: TreeEntry[] = [];
  const files: { path: string; digest: Digest; executable: boolean }[] = [];
  const walk = async (rel: string): Promise<string | undefined> => {
    const names: string[] = [];
    for (const entry of Deno.readDirSync(rel === "" ? top : join(top, rel))) {
      names.push(entry.isDirectory ? entry.name + "/" : entry.name);
    }
    for (const name of names.sort()) {
      const path = rel === "" ? name : `${rel}/${name}`;
      if (name.endsWith("/")) {
        lines.push(path);
        entries.push({ path: path.slice(0, -1), kind: "directory" });
        const why = await walk(path.slice(0, -1));
        if (why !== undefined) return why;
        continue;
      }
      const abs = join(top, path);
      const info = Deno.lstatSync(abs);
      if (info.isSymlink) {
        lines.push(treeLine(path, abs, info, "-"));
        entries.push({ path, kind: "symlink", target: Deno.readLinkSync(abs) });
      } else if (info.isFile) {
        const { fast, sha256 } = await readDigests(abs);
        const executable = ((info.mode ?? 0) & 0o111) !== 0;
        lines.push(treeLine(path, abs, info, fast));
        entries.push({ path, kind: "file", digest: sha256, isExecutable: executable });
        files.push({ path: abs, digest: sha256, executable });
      } else {
        return `"${join(dir, path)}" is neither a file, a directory nor a symbolic link`;
      }
    }
    return undefined;
  };
  const why = await walk("");
  if (why !== undefined) return why;
  return { fast: treeDigestOf(lines), tree: await buildTree(entries), files };
}

/**
 * What {@linkcode writeDirOutput} writes files with: a cache's restore,
 * checked, through a temporary file and a rename.
 */
export type RestoreFile = (
  digest: Digest,
  path: string,
  options: { executable: boolean },
) => Promise<boolean>;

/**
 * Writes a directory target afresh from a tree's entries: what was there is
 * removed, the directory made, then each entry written.
 * @param path The directory, absolute.
 * @param entries The tree's entries, parents first (`treeEntries`).
 * @param restoreFile Writes one file from a blob.
 * @returns Whether every file was written; when not, the directory is left
 * empty, as before an action runs.
 *
 * @example From entries
 * ```ts
 * import { writeDirOutput } from "./dir_output.ts";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * const digest = { hash: "e".repeat(64), sizeBytes: 0 };
 * const ok = await writeDirOutput(`${root}/d`, [
 *   { path: "sub", kind: "directory" },
 *   { path: "sub/a", kind: "file", digest, isExecutable: false },
 *   { path: "link", kind: "symlink", target: "sub/a" },
 * ], async (_, path) => (await Deno.writeFile(path, new Uint8Array()), true));
 * assert.ok(ok);
 * assert.equal(Deno.readLinkSync(`${root}/d/link`), "sub/a");
 * ```
 */
export async function writeDirOutput(
  path: string,
  entries: readonly TreeEntry[],
  restoreFile: RestoreFile,
): Promise<boolean> {
  removeOwned(path);
  await Deno.mkdir(path, { recursive: true });
  for (const entry of entries) {
    const at = join(path, entry.path);
    if (entry.kind === "directory") await Deno.mkdir(at, { recursive: true });
    else if (entry.kind === "symlink") {
      await Deno.mkdir(dirname(at), { recursive: true });
      await Deno.symlink(entry.target, at);
    } else if (!(await restoreFile(entry.digest, at, { executable: entry.isExecutable }))) {
      removeOwned(path);
      await Deno.mkdir(path, { recursive: true });
      return false;
    }
  }
  return true;
}
