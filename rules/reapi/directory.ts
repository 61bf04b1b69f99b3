/**
 * Directory trees in the Remote Execution API v2: `Directory` with its
 * `FileNode`, `DirectoryNode` and `SymlinkNode` entries, and `Tree`, a
 * directory with all its descendants in one message (an output directory).
 *
 * The encoders write entries in the order given; REAPI requires each list
 * sorted by name (by code point), which `buildInputRoot` in input_root.ts
 * does. Node properties (`node_properties`, new in v2.1) are not modelled:
 * decoding skips them.
 *
 * @module
 */

import { type Digest, readDigest, writeDigest } from "./messages.ts";
import { ProtoReader, ProtoWriter } from "./proto.ts";

/**
 * A file in a `Directory`.
 *
 * @example An executable script
 * ```ts
 * import type { FileNode } from "./directory.ts";
 * import assert from "node:assert/strict";
 *
 * const node: FileNode = {
 *   name: "run.sh",
 *   digest: { hash: "a".repeat(64), sizeBytes: 20 },
 *   isExecutable: true,
 * };
 * assert.equal(node.isExecutable, true);
 * ```
 */
export interface FileNode {
  /** The file's name: one path segment. */
  name: string;
  /** The digest of its contents. */
  digest: Digest;
  /** Whether it is executable. */
  isExecutable: boolean;
}

/**
 * A subdirectory in a `Directory`, by the digest of its encoded `Directory`.
 *
 * @example A subdirectory
 * ```ts
 * import type { DirectoryNode } from "./directory.ts";
 * import assert from "node:assert/strict";
 *
 * const node: DirectoryNode = { name: "src", digest: { hash: "b".repeat(64), sizeBytes: 84 } };
 * assert.equal(node.name, "src");
 * ```
 */
export interface DirectoryNode {
  /** The subdirectory's name: one path segment. */
  name: string;
  /** The digest of its encoded `Directory`. */
  digest: Digest;
}

/**
 * A symbolic link in a `Directory`.
 *
 * @example A link to a sibling
 * ```ts
 * import type { SymlinkNode } from "./directory.ts";
 * import assert from "node:assert/strict";
 *
 * const node: SymlinkNode = { name: "libz.so", target: "libz.so.1" };
 * assert.equal(node.target, "libz.so.1");
 * ```
 */
export interface SymlinkNode {
  /** The link's name: one path segment. */
  name: string;
  /** What it points to, as stored in the link. */
  target: string;
}

/**
 * `Directory`: one level of a tree. Each list is sorted by name and names
 * are unique across the three.
 *
 * @example One file
 * ```ts
 * import { decodeDirectory, type Directory, encodeDirectory } from "./directory.ts";
 * import assert from "node:assert/strict";
 *
 * const dir: Directory = {
 *   files: [{ name: "a.c", digest: { hash: "c".repeat(64), sizeBytes: 9 }, isExecutable: false }],
 *   directories: [],
 *   symlinks: [],
 * };
 * assert.deepEqual(decodeDirectory(encodeDirectory(dir)), dir);
 * ```
 */
export interface Directory {
  /** Files, sorted by name. */
  files: FileNode[];
  /** Subdirectories, sorted by name. */
  directories: DirectoryNode[];
  /** Symbolic links, sorted by name. */
  symlinks: SymlinkNode[];
}

/**
 * `Tree`: a directory and every directory below it, as an action's output
 * directory is stored.
 *
 * @example An empty tree
 * ```ts
 * import { decodeTree, encodeTree, type Tree } from "./directory.ts";
 * import assert from "node:assert/strict";
 *
 * const tree: Tree = { root: { files: [], directories: [], symlinks: [] }, children: [] };
 * assert.deepEqual(decodeTree(encodeTree(tree)), tree);
 * ```
 */
export interface Tree {
  /** The top directory. */
  root: Directory;
  /** Every directory below it, each once, in any order. */
  children: Directory[];
}

/**
 * Encodes a `Directory`. Its SHA-256 is the digest a `DirectoryNode` or an
 * `Action`'s input root refers to.
 *
 * @example The empty directory is empty bytes
 * ```ts
 * import { encodeDirectory } from "./directory.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeDirectory({ files: [], directories: [], symlinks: [] }).length, 0);
 * ```
 */
export function encodeDirectory(directory: Directory): Uint8Array {
  const w = new ProtoWriter(64 + 100 * directory.files.length);
  _writeDirectory(w, directory);
  return w.finish();
}

/**
 * Decodes a `Directory`.
 *
 * @example A subdirectory and a link
 * ```ts
 * import { decodeDirectory, encodeDirectory } from "./directory.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = {
 *   files: [],
 *   directories: [{ name: "lib", digest: { hash: "d".repeat(64), sizeBytes: 0 } }],
 *   symlinks: [{ name: "current", target: "lib" }],
 * };
 * assert.deepEqual(decodeDirectory(encodeDirectory(dir)), dir);
 * ```
 */
export function decodeDirectory(bytes: Uint8Array): Directory {
  return _readDirectory(new ProtoReader(bytes));
}

/**
 * Encodes a `Tree`.
 *
 * @example A tree with one child
 * ```ts
 * import { encodeDirectory, encodeTree } from "./directory.ts";
 * import assert from "node:assert/strict";
 *
 * const empty = { files: [], directories: [], symlinks: [] };
 * const bytes = encodeTree({ root: empty, children: [empty] });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 0, 0x12, 0]));
 * assert.equal(encodeDirectory(empty).length, 0);
 * ```
 */
export function encodeTree(tree: Tree): Uint8Array {
  const w = new ProtoWriter();
  w.message(1, tree.root, _writeDirectory);
  w.repeatedMessage(2, tree.children, _writeDirectory);
  return w.finish();
}

/**
 * Decodes a `Tree`; a missing root decodes as the empty directory.
 *
 * @example Round trip
 * ```ts
 * import { decodeTree, encodeTree } from "./directory.ts";
 * import assert from "node:assert/strict";
 *
 * const child = {
 *   files: [{ name: "x", digest: { hash: "e".repeat(64), sizeBytes: 1 }, isExecutable: true }],
 *   directories: [],
 *   symlinks: [],
 * };
 * const tree = {
 *   root: {
 *     files: [],
 *     directories: [{ name: "bin", digest: { hash: "f".repeat(64), sizeBytes: 80 } }],
 *     symlinks: [],
 *   },
 *   children: [child],
 * };
 * assert.deepEqual(decodeTree(encodeTree(tree)), tree);
 * ```
 */
export function decodeTree(bytes: Uint8Array): Tree {
  const r = new ProtoReader(bytes);
  const tree: Tree = { root: { files: [], directories: [], symlinks: [] }, children: [] };
  while (r.next()) {
    if (r.field === 1) tree.root = r.message(_readDirectory);
    else if (r.field === 2) tree.children.push(r.message(_readDirectory));
    else r.skip();
  }
  return tree;
}

function _writeDirectory(w: ProtoWriter, directory: Directory): void {
  w.repeatedMessage(1, directory.files, _writeFileNode);
  w.repeatedMessage(2, directory.directories, _writeDirectoryNode);
  w.repeatedMessage(3, directory.symlinks, _writeSymlinkNode);
}

function _readDirectory(r: ProtoReader): Directory {
  const directory: Directory = { files: [], directories: [], symlinks: [] };
  while (r.next()) {
    switch (r.field) {
      case 1:
        directory.files.push(r.message(_readFileNode));
        break;
      case 2:
        directory.directories.push(r.message(_readDirectoryNode));
        break;
      case 3:
        directory.symlinks.push(r.message(_readSymlinkNode));
        break;
      default:
        r.skip();
    }
  }
  return directory;
}

function _writeFileNode(w: ProtoWriter, node: FileNode): void {
  w.string(1, node.name);
  w.message(2, node.digest, writeDigest);
  w.bool(4, node.isExecutable);
}

function _readFileNode(r: ProtoReader): FileNode {
  const node: FileNode = { name: "", digest: { hash: "", sizeBytes: 0 }, isExecutable: false };
  while (r.next()) {
    switch (r.field) {
      case 1:
        node.name = r.string();
        break;
      case 2:
        node.digest = r.message(readDigest);
        break;
      case 4:
        node.isExecutable = r.bool();
        break;
      default:
        r.skip();
    }
  }
  return node;
}

function _writeDirectoryNode(w: ProtoWriter, node: DirectoryNode): void {
  w.string(1, node.name);
  w.message(2, node.digest, writeDigest);
}

function _readDirectoryNode(r: ProtoReader): DirectoryNode {
  const node: DirectoryNode = { name: "", digest: { hash: "", sizeBytes: 0 } };
  while (r.next()) {
    if (r.field === 1) node.name = r.string();
    else if (r.field === 2) node.digest = r.message(readDigest);
    else r.skip();
  }
  return node;
}

function _writeSymlinkNode(w: ProtoWriter, node: SymlinkNode): void {
  w.string(1, node.name);
  w.string(2, node.target);
}

function _readSymlinkNode(r: ProtoReader): SymlinkNode {
  const node: SymlinkNode = { name: "", target: "" };
  while (r.next()) {
    if (r.field === 1) node.name = r.string();
    else if (r.field === 2) node.target = r.string();
    else r.skip();
  }
  return node;
}
