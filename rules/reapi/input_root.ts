/**
 * An action's input root: the Merkle tree of `Directory` messages over the
 * files it may read, in the canonical form REAPI requires (files and
 * subdirectories each sorted by name, by code point; default fields left
 * out), so that equal inputs give the same root digest on every machine.
 *
 * @module
 */

import type { Directory, DirectoryNode, FileNode } from "./directory.ts";
import { encodeDirectory } from "./directory.ts";
import { loadDigests, sha256DigestSync } from "./digest.ts";
import type { Digest } from "./messages.ts";
import { compareCodePoints } from "./_compare.ts";
import { splitRelativePath } from "./_paths.ts";

/**
 * A file of an input root.
 *
 * @example A source file
 * ```ts
 * import type { InputFile } from "./input_root.ts";
 * import assert from "node:assert/strict";
 *
 * const file: InputFile = { path: "src/main.c", digest: { hash: "a".repeat(64), sizeBytes: 120 } };
 * assert.equal(file.isExecutable, undefined);
 * ```
 */
export interface InputFile {
  /** The path in the tree: relative, `/`-separated, no `.` or `..` segments. */
  path: string;
  /** The digest of the file's contents. */
  digest: Digest;
  /** Whether the file is executable. @default false */
  isExecutable?: boolean;
}

/**
 * An input root: its digest, and every encoded `Directory` of the tree by
 * the hex SHA-256 of its bytes, ready to upload.
 *
 * @example Uploading the directories
 * ```ts
 * import { buildInputRoot, type InputRoot } from "./input_root.ts";
 * import assert from "node:assert/strict";
 *
 * const root: InputRoot = await buildInputRoot([]);
 * for (const [hash, bytes] of root.directories) {
 *   assert.equal(hash.length, 64);
 *   assert.ok(bytes instanceof Uint8Array);
 * }
 * ```
 */
export interface InputRoot {
  /** The digest of the top `Directory`: `Action.inputRootDigest`. */
  root: Digest;
  /** Each `Directory` of the tree, encoded, by hash; each blob's size is its length. */
  directories: Map<string, Uint8Array>;
}

/**
 * Options of {@linkcode buildInputRoot}.
 *
 * @example An empty directory
 * ```ts
 * import { buildInputRoot, type InputRootOptions } from "./input_root.ts";
 * import assert from "node:assert/strict";
 *
 * const options: InputRootOptions = { directories: ["out"] };
 * assert.equal((await buildInputRoot([], options)).directories.size, 2);
 * ```
 */
export interface InputRootOptions {
  /**
   * Directories to include even if no file is in them (the working
   * directory, for one), with the same path rules as files.
   *
   * @default {[]}
   */
  directories?: readonly string[];
}

interface _Node {
  files: Map<string, FileNode>;
  directories: Map<string, _Node>;
}

/**
 * Builds the Merkle tree of `Directory` messages over a list of files.
 *
 * A file listed twice with the same digest and executable bit counts once;
 * listed with different ones, or a path that is both a file and a
 * directory, throws.
 *
 * @param files The files, in any order.
 * @param options Empty directories to include.
 * @returns The root's digest and the encoded directories.
 *
 * @example Two files in two directories
 * ```ts
 * import { buildInputRoot, decodeDirectory } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = { hash: "a".repeat(64), sizeBytes: 3 };
 * const root = await buildInputRoot([
 *   { path: "src/b.c", digest },
 *   { path: "configure", digest, isExecutable: true },
 * ]);
 * assert.equal(root.directories.size, 2);
 * const top = decodeDirectory(root.directories.get(root.root.hash)!);
 * assert.deepEqual(top.files.map((f) => f.name), ["configure"]);
 * assert.deepEqual(top.directories.map((d) => d.name), ["src"]);
 * ```
 */
export async function buildInputRoot(
  files: readonly InputFile[],
  options?: InputRootOptions,
): Promise<InputRoot> {
  const top: _Node = { files: new Map(), directories: new Map() };
  for (const path of options?.directories ?? []) {
    _directory(top, splitRelativePath(path, "input root directory"), path);
  }
  for (const file of files) {
    const parts = splitRelativePath(file.path, "input file");
    const name = parts.pop()!;
    const parent = _directory(top, parts, file.path);
    if (parent.directories.has(name)) {
      throw new Error(
        `Cannot build the input root: "${file.path}" is a file and a directory; a path cannot be both`,
      );
    }
    const node: FileNode = {
      name,
      digest: { hash: file.digest.hash, sizeBytes: file.digest.sizeBytes },
      isExecutable: file.isExecutable ?? false,
    };
    const seen = parent.files.get(name);
    if (
      seen !== undefined &&
      (seen.digest.hash !== node.digest.hash || seen.digest.sizeBytes !== node.digest.sizeBytes ||
        seen.isExecutable !== node.isExecutable)
    ) {
      throw new Error(
        `Cannot build the input root: "${file.path}" is listed twice with different contents or modes; list it once`,
      );
    }
    parent.files.set(name, node);
  }
  await loadDigests();
  const directories = new Map<string, Uint8Array>();
  const root = _encode(top, directories);
  return { root, directories };
}

/** The node at `parts` below `top`, created as needed. */
function _directory(top: _Node, parts: string[], path: string): _Node {
  let node = top;
  for (const [i, part] of parts.entries()) {
    if (node.files.has(part)) {
      const file = parts.slice(0, i + 1).join("/");
      throw new Error(
        `Cannot build the input root: "${path}" is below "${file}", which is a file; a path cannot be both`,
      );
    }
    let child = node.directories.get(part);
    if (child === undefined) {
      child = { files: new Map(), directories: new Map() };
      node.directories.set(part, child);
    }
    node = child;
  }
  return node;
}

/** Encodes a node and its subtree bottom-up, storing every directory; returns its digest. */
function _encode(node: _Node, directories: Map<string, Uint8Array>): Digest {
  const subdirectories: DirectoryNode[] = [];
  for (const [name, child] of node.directories) {
    subdirectories.push({ name, digest: _encode(child, directories) });
  }
  const directory: Directory = {
    files: [...node.files.values()].sort((a, b) => compareCodePoints(a.name, b.name)),
    directories: subdirectories.sort((a, b) => compareCodePoints(a.name, b.name)),
    symlinks: [],
  };
  const bytes = encodeDirectory(directory);
  const digest = sha256DigestSync(bytes)!;
  directories.set(digest.hash, bytes);
  return digest;
}
