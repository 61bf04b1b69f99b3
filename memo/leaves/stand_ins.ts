/**
 * Stand-ins: files the build knows by content alone. A layer above memo
 * (rules/) may know a file's content without the file being on disk, as an
 * output left on a remote server is known by its REAPI digest. The file leaf
 * (`file.ts`) asks the stand-ins installed here: an absent file they name
 * counts as present with the digest they give, and a file on disk may keep
 * a digest they vouch for, so that fetching a file the build knew by digest
 * changes nothing the build recorded.
 *
 * A leaf found absent but stood in for is never trusted by its stat fields
 * alone: every check (the engine's, and `verify_root.ts`'s) asks the
 * stand-ins again, so a stand-in withdrawn (forgotten, damaged, lost) is a
 * missing file at the next check, never a file taken as still there.
 *
 * Without stand-ins installed, files are what the disk says, as always.
 *
 * @module
 */

/**
 * What the file leaf asks about files the build may know by content alone.
 * @internal For barchan's own layers.
 *
 * @example One file known by content, which keeps its digest once fetched
 * ```ts
 * import { digestOf, type FileStandIns } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const standIns: FileStandIns = {
 *   absent: (path) => path === "/p/out.bin" ? "r:ab/2" : undefined,
 *   present: (path, digest) => path === "/p/out.bin" && digest === digestOf("hi") ? "r:ab/2" : digest,
 * };
 * assert.equal(standIns.present("/p/out.bin", digestOf("hi")), "r:ab/2");
 * assert.equal(standIns.present("/p/out.bin", digestOf("edited")), digestOf("edited"));
 * ```
 */
export interface FileStandIns {
  /**
   * The digest of an absent file the build knows by content alone.
   * @param path The absolute path.
   * @returns Its digest (never `-` or `/`), or undefined: the file is missing.
   */
  absent(path: string): string | undefined;
  /**
   * The digest to record for a file on disk whose fast digest is `digest`:
   * a file fetched from where the build knew it by another digest keeps
   * that one while it holds what was fetched.
   * @param path The absolute path.
   * @param digest Its fast digest, as read.
   * @returns The digest to record: `digest`, or the one it stands for.
   */
  present(path: string, digest: string): string;
  /**
   * Brings an absent file it stands in for onto disk, so that it can be
   * read (a tracked read of it does this first).
   * @param path The absolute path.
   */
  fetch?(path: string): Promise<void>;
}

let installed: FileStandIns | undefined;

/**
 * Installs the stand-ins every file leaf of this process asks, or removes
 * them (undefined).
 * @internal For barchan's own layers.
 * @param standIns The stand-ins.
 *
 * @example An absent file known by its content
 * ```ts
 * import { FileLeaf, setFileStandIns } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * setFileStandIns({
 *   absent: (path) => path === "/nowhere/out.bin" ? "r:ab/2" : undefined,
 *   present: (_path, digest) => digest,
 * });
 * const leaf = new FileLeaf("", "/nowhere/out.bin");
 * leaf.refresh(1);
 * assert.equal(leaf.digest, "r:ab/2");
 * assert.equal(leaf.exists, true);
 * assert.equal(leaf.standsIn, true);
 * setFileStandIns(undefined);
 * ```
 */
export function setFileStandIns(standIns: FileStandIns | undefined): void {
  installed = standIns;
}

/**
 * The stand-ins installed, if any.
 * @internal For barchan's own layers.
 * @returns They, or undefined.
 *
 * @example None by default
 * ```ts
 * import { fileStandIns } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fileStandIns(), undefined);
 * ```
 */
export function fileStandIns(): FileStandIns | undefined {
  return installed;
}
