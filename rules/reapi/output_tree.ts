/**
 * An output directory as REAPI v2 stores it: a `Tree` message (its top
 * `Directory` and every directory below it) built from a list of entries,
 * and the entries read back from a `Tree`, checked.
 *
 * What {@linkcode buildTree} writes is canonical: each list of a
 * `Directory` sorted by name (by code point), each child directory once (by
 * digest), parents before their children, so that equal trees give the
 * same `Tree` digest on every machine.
 *
 * @module
 */

import {
  type Directory,
  type DirectoryNode,
  encodeDirectory,
  encodeTree,
  type FileNode,
  type SymlinkNode,
  type Tree,
} from "./directory.ts";
import { digestKey, sha256Digest } from "./digest.ts";
import type { Digest } from "./messages.ts";
import { compareCodePoints } from "./_compare.ts";
import { splitRelativePath } from "./_paths.ts";

/**
 * One entry of an output directory, by its path inside it.
 *
 * @example An executable file, a directory and a link
 * ```ts
 * import type { TreeEntry } from "./output_tree.ts";
 * import assert from "node:assert/strict";
 *
 * const entries: TreeEntry[] = [
 *   { path: "bin", kind: "directory" },
 *   { path: "bin/run", kind: "file", digest: { hash: "a".repeat(64), sizeBytes: 9 }, isExecutable: true },
 *   { path: "current", kind: "symlink", target: "bin" },
 * ];
 * assert.equal(entries.length, 3);
 * ```
 */
export type TreeEntry =
  | { readonly path: string; readonly kind: "directory" }
  | {
    readonly path: string;
    readonly kind: "file";
    readonly digest: Digest;
    readonly isExecutable: boolean;
  }
  | { readonly path: string; readonly kind: "symlink"; readonly target: string };

/**
 * A `Tree`, encoded, with its digest (an `OutputDirectory`'s `tree_digest`).
 *
 * @example The empty directory
 * ```ts
 * import { buildTree, type BuiltTree } from "./output_tree.ts";
 * import assert from "node:assert/strict";
 *
 * const built: BuiltTree = await buildTree([]);
 * assert.equal(built.digest.sizeBytes, built.bytes.length);
 * ```
 */
export interface BuiltTree {
  /** The message. */
  readonly tree: Tree;
  /** Its encoding: the blob to store. */
  readonly bytes: Uint8Array;
  /** The SHA-256 of the encoding. */
  readonly digest: Digest;
}

interface _Node {
  files: FileNode[];
  symlinks: SymlinkNode[];
  directories: Map<string, _Node>;
}

/**
 * Builds the `Tree` of an output directory. Parent directories of an entry
 * need not be listed; a directory listed alone is kept, empty.
 *
 * @param entries The entries, in any order, each path relative to the
 * output directory.
 * @returns The tree, its encoding and digest.
 * @throws {Error} When a path is not a normalised relative path, is listed
 * twice, or lies below a file or link.
 *
 * @example A file in a subdirectory
 * ```ts
 * import { buildTree, treeEntries } from "./output_tree.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = { hash: "b".repeat(64), sizeBytes: 3 };
 * const built = await buildTree([{ path: "a/b.txt", kind: "file", digest, isExecutable: false }]);
 * assert.equal(built.tree.root.directories[0].name, "a");
 * assert.equal(built.tree.children.length, 1);
 * assert.deepEqual(await treeEntries(built.tree), [
 *   { path: "a", kind: "directory" },
 *   { path: "a/b.txt", kind: "file", digest, isExecutable: false },
 * ]);
 * ```
 */
export async function buildTree(entries: readonly TreeEntry[]): Promise<BuiltTree> {
  const top: _Node = { files: [], symlinks: [], directories: new Map() };
  const taken = new Set<string>();
  for (const entry of entries) {
    const parts = splitRelativePath(entry.path, "output directory entry");
    if (taken.has(entry.path)) {
      throw new Error(`Cannot build an output directory's Tree: "${entry.path}" is listed twice`);
    }
    taken.add(entry.path);
    const name = parts.pop()!;
    const parent = _below(top, parts, entry.path);
    if (entry.kind !== "directory" && parent.directories.has(name)) {
      throw new Error(
        `Cannot build an output directory's Tree: "${entry.path}" is a directory with entries below it`,
      );
    }
    if (entry.kind === "directory") _below(parent, [name], entry.path);
    else if (entry.kind === "file") {
      parent.files.push({ name, digest: entry.digest, isExecutable: entry.isExecutable });
    } else parent.symlinks.push({ name, target: entry.target });
  }
  const root = await _encode(top);
  const children: Directory[] = [];
  const seen = new Set<string>();
  const preorder = (node: _Encoded) => {
    for (const child of node.below) {
      if (seen.has(child.key)) continue;
      seen.add(child.key);
      children.push(child.directory);
      preorder(child);
    }
  };
  preorder(root);
  const tree: Tree = { root: root.directory, children };
  const bytes = encodeTree(tree);
  return { tree, bytes, digest: await sha256Digest(bytes) };
}

/**
 * The entries of a `Tree`, parents before children, each path relative to
 * the output directory: what restoring it writes. Each child directory is
 * found by the digest of its encoding.
 *
 * @param tree The tree, as a server or cache gave it.
 * @returns The entries.
 * @throws {Error} When a directory it names is not among its children, a
 * name is not one path segment, or a name repeats in a directory.
 *
 * @example A tree that names a directory it does not hold
 * ```ts
 * import { treeEntries } from "./output_tree.ts";
 * import assert from "node:assert/strict";
 *
 * const lost = { name: "sub", digest: { hash: "c".repeat(64), sizeBytes: 5 } };
 * const tree = { root: { files: [], directories: [lost], symlinks: [] }, children: [] };
 * await assert.rejects(treeEntries(tree), /not among its children/);
 * ```
 */
export async function treeEntries(tree: Tree): Promise<TreeEntry[]> {
  const byDigest = new Map<string, Directory>();
  for (const child of tree.children) {
    byDigest.set(digestKey(await sha256Digest(encodeDirectory(child))), child);
  }
  const out: TreeEntry[] = [];
  const walk = (directory: Directory, prefix: string, depth: number) => {
    if (depth > _MAX_DEPTH) throw new Error(`Cannot read a Tree: deeper than ${_MAX_DEPTH} levels`);
    const names = new Set<string>();
    const name = (n: string) => {
      if (n === "" || n === "." || n === ".." || n.includes("/") || n.includes("\0")) {
        throw new Error(`Cannot read a Tree: "${n}" in "${prefix}" is not a file name`);
      }
      if (names.has(n)) throw new Error(`Cannot read a Tree: "${prefix}${n}" appears twice`);
      names.add(n);
      return prefix + n;
    };
    for (const file of directory.files) {
      out.push({
        path: name(file.name),
        kind: "file",
        digest: file.digest,
        isExecutable: file.isExecutable,
      });
    }
    for (const link of directory.symlinks) {
      out.push({ path: name(link.name), kind: "symlink", target: link.target });
    }
    for (const node of directory.directories) {
      const path = name(node.name);
      const child = byDigest.get(digestKey(node.digest));
      if (child === undefined) {
        throw new Error(
          `Cannot read a Tree: directory "${path}" (${
            digestKey(node.digest)
          }) is not among its children`,
        );
      }
      out.push({ path, kind: "directory" });
      walk(child, path + "/", depth + 1);
    }
  };
  walk(tree.root, "", 0);
  return out;
}

/** How deep a tree read back may go. */
const _MAX_DEPTH = 1000;

/** The node at `parts` below `node`, created as needed. */
function _below(node: _Node, parts: readonly string[], path: string): _Node {
  for (const part of parts) {
    if (node.files.some((f) => f.name === part) || node.symlinks.some((s) => s.name === part)) {
      throw new Error(
        `Cannot build an output directory's Tree: "${path}" lies below a file or link "${part}"`,
      );
    }
    let child = node.directories.get(part);
    if (child === undefined) {
      child = { files: [], symlinks: [], directories: new Map() };
      node.directories.set(part, child);
    }
    node = child;
  }
  return node;
}

/** A directory encoded, with its subdirectories'. */
interface _Encoded {
  directory: Directory;
  digest: Digest;
  key: string;
  below: _Encoded[];
}

/** Encodes a node and its subtree bottom-up. */
async function _encode(node: _Node): Promise<_Encoded> {
  const byName = (a: { name: string }, b: { name: string }) => compareCodePoints(a.name, b.name);
  const below: _Encoded[] = [];
  const subdirectories: DirectoryNode[] = [];
  for (const [name, child] of [...node.directories].sort((a, b) => compareCodePoints(a[0], b[0]))) {
    const encoded = await _encode(child);
    below.push(encoded);
    subdirectories.push({ name, digest: encoded.digest });
  }
  const directory: Directory = {
    files: node.files.sort(byName),
    directories: subdirectories,
    symlinks: node.symlinks.sort(byName),
  };
  const digest = await sha256Digest(encodeDirectory(directory));
  return { directory, digest, key: digestKey(digest), below };
}
