/**
 * What running an action produced, in the Remote Execution API v2:
 * `ActionResult` with its `OutputFile`, `OutputSymlink` and `OutputDirectory`
 * entries, and `ExecutedActionMetadata`. An action cache maps an action's
 * digest to its encoded `ActionResult`.
 *
 * Decoders leave optional fields out when they hold the default; bytes
 * fields are views into the decoded input. Node properties are not modelled:
 * decoding skips them.
 *
 * @module
 */

import {
  type Any,
  decodeAny,
  decodeDuration,
  decodeTimestamp,
  type Duration,
  encodeAny,
  encodeDuration,
  encodeTimestamp,
  type Timestamp,
} from "./google.ts";
import { type Digest, readDigest, writeDigest } from "./messages.ts";
import { ProtoReader, ProtoWriter } from "./proto.ts";

/**
 * An output file of an action.
 *
 * @example A small output, its contents inlined
 * ```ts
 * import type { OutputFile } from "./action_result.ts";
 * import assert from "node:assert/strict";
 *
 * const out: OutputFile = {
 *   path: "out/a.txt",
 *   digest: { hash: "a".repeat(64), sizeBytes: 2 },
 *   isExecutable: false,
 *   contents: new TextEncoder().encode("hi"),
 * };
 * assert.equal(out.contents?.length, out.digest.sizeBytes);
 * ```
 */
export interface OutputFile {
  /** The path, relative to the working directory, with `/` separators. */
  path: string;
  /** The digest of its contents. */
  digest: Digest;
  /** Whether it is executable. */
  isExecutable: boolean;
  /** The contents, when the server inlined them (new in v2.1). @default empty */
  contents?: Uint8Array;
}

/**
 * An output symbolic link of an action.
 *
 * @example A link
 * ```ts
 * import type { OutputSymlink } from "./action_result.ts";
 * import assert from "node:assert/strict";
 *
 * const link: OutputSymlink = { path: "lib/libz.so", target: "libz.so.1" };
 * assert.equal(link.target, "libz.so.1");
 * ```
 */
export interface OutputSymlink {
  /** The link's path, relative to the working directory. */
  path: string;
  /** What it points to. */
  target: string;
}

/**
 * An output directory of an action, as the digest of its `Tree`.
 *
 * @example A directory
 * ```ts
 * import type { OutputDirectory } from "./action_result.ts";
 * import assert from "node:assert/strict";
 *
 * const dir: OutputDirectory = { path: "dist", treeDigest: { hash: "b".repeat(64), sizeBytes: 120 } };
 * assert.equal(dir.path, "dist");
 * ```
 */
export interface OutputDirectory {
  /** The directory's path, relative to the working directory. */
  path: string;
  /** The digest of its encoded `Tree`. */
  treeDigest: Digest;
  /** Whether the `Tree`'s children are sorted topologically (new in v2.3). @default false */
  isTopologicallySorted?: boolean;
  /** The digest of its top `Directory`, when the server stores directories (v2.3). */
  rootDirectoryDigest?: Digest;
}

/**
 * `ExecutedActionMetadata`: where and when an action ran, and extra data in
 * `auxiliaryMetadata` (where barchan keeps a result's signature).
 *
 * @example A worker's name and a finish time
 * ```ts
 * import {
 *   decodeExecutedActionMetadata,
 *   encodeExecutedActionMetadata,
 *   type ExecutedActionMetadata,
 * } from "./action_result.ts";
 * import assert from "node:assert/strict";
 *
 * const meta: ExecutedActionMetadata = {
 *   worker: "ci-7",
 *   executionCompletedTimestamp: { seconds: 1_700_000_000, nanos: 0 },
 * };
 * assert.deepEqual(decodeExecutedActionMetadata(encodeExecutedActionMetadata(meta)), meta);
 * ```
 */
export interface ExecutedActionMetadata {
  /** The worker that ran the action. @default "" */
  worker?: string;
  /** When the action was queued. */
  queuedTimestamp?: Timestamp;
  /** When a worker took it. */
  workerStartTimestamp?: Timestamp;
  /** When the worker was done with it. */
  workerCompletedTimestamp?: Timestamp;
  /** When fetching inputs started. */
  inputFetchStartTimestamp?: Timestamp;
  /** When fetching inputs finished. */
  inputFetchCompletedTimestamp?: Timestamp;
  /** When the command started. */
  executionStartTimestamp?: Timestamp;
  /** When the command finished. */
  executionCompletedTimestamp?: Timestamp;
  /** How long the command ran, as the worker measured it (new in v2.3). */
  virtualExecutionDuration?: Duration;
  /** When uploading outputs started. */
  outputUploadStartTimestamp?: Timestamp;
  /** When uploading outputs finished. */
  outputUploadCompletedTimestamp?: Timestamp;
  /** More data about the execution, of any type (new in v2.1). @default [] */
  auxiliaryMetadata?: Any[];
}

/**
 * `ActionResult`: an action's outputs, exit code, stdout and stderr.
 *
 * @example A compile that succeeded and wrote a warning
 * ```ts
 * import { type ActionResult, decodeActionResult, encodeActionResult } from "./action_result.ts";
 * import assert from "node:assert/strict";
 *
 * const result: ActionResult = {
 *   outputFiles: [{ path: "a.o", digest: { hash: "c".repeat(64), sizeBytes: 900 }, isExecutable: false }],
 *   outputDirectories: [],
 *   exitCode: 0,
 *   stderrDigest: { hash: "d".repeat(64), sizeBytes: 31 },
 * };
 * assert.deepEqual(decodeActionResult(encodeActionResult(result)), result);
 * ```
 */
export interface ActionResult {
  /** Output files, in any order. */
  outputFiles: OutputFile[];
  /** Output directories, in any order. */
  outputDirectories: OutputDirectory[];
  /** The command's exit code. */
  exitCode: number;
  /** Output symbolic links (new in v2.1). @default [] */
  outputSymlinks?: OutputSymlink[];
  /** Symbolic links to files, from servers older than v2.1. @default [] */
  outputFileSymlinks?: OutputSymlink[];
  /** Symbolic links to directories, from servers older than v2.1. @default [] */
  outputDirectorySymlinks?: OutputSymlink[];
  /** stdout, when inlined. @default empty */
  stdoutRaw?: Uint8Array;
  /** The digest of stdout, when it is in the CAS. */
  stdoutDigest?: Digest;
  /** stderr, when inlined. @default empty */
  stderrRaw?: Uint8Array;
  /** The digest of stderr, when it is in the CAS. */
  stderrDigest?: Digest;
  /** Where and when it ran; signatures go in its `auxiliaryMetadata`. */
  executionMetadata?: ExecutedActionMetadata;
}

/**
 * Encodes an `ActionResult`, the value an action cache stores.
 *
 * @example A failed command with no outputs is its exit code alone
 * ```ts
 * import { encodeActionResult } from "./action_result.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeActionResult({ outputFiles: [], outputDirectories: [], exitCode: 2 });
 * assert.deepEqual(bytes, new Uint8Array([0x20, 2]));
 * ```
 */
export function encodeActionResult(result: ActionResult): Uint8Array {
  const w = new ProtoWriter(256 + 100 * result.outputFiles.length);
  w.repeatedMessage(2, result.outputFiles, _writeOutputFile);
  w.repeatedMessage(3, result.outputDirectories, _writeOutputDirectory);
  w.int32(4, result.exitCode);
  w.bytes(5, result.stdoutRaw);
  w.message(6, result.stdoutDigest, writeDigest);
  w.bytes(7, result.stderrRaw);
  w.message(8, result.stderrDigest, writeDigest);
  w.encodedMessage(
    9,
    result.executionMetadata && encodeExecutedActionMetadata(result.executionMetadata),
  );
  w.repeatedMessage(10, result.outputFileSymlinks, _writeOutputSymlink);
  w.repeatedMessage(11, result.outputDirectorySymlinks, _writeOutputSymlink);
  w.repeatedMessage(12, result.outputSymlinks, _writeOutputSymlink);
  return w.finish();
}

/**
 * Decodes an `ActionResult`.
 *
 * @example A negative exit code survives
 * ```ts
 * import { decodeActionResult, encodeActionResult } from "./action_result.ts";
 * import assert from "node:assert/strict";
 *
 * const result = {
 *   outputFiles: [],
 *   outputDirectories: [],
 *   exitCode: -1,
 *   stdoutRaw: new TextEncoder().encode("ok\n"),
 * };
 * assert.deepEqual(decodeActionResult(encodeActionResult(result)), result);
 * ```
 */
export function decodeActionResult(bytes: Uint8Array): ActionResult {
  const r = new ProtoReader(bytes);
  const result: ActionResult = { outputFiles: [], outputDirectories: [], exitCode: 0 };
  const outputFileSymlinks: OutputSymlink[] = [];
  const outputDirectorySymlinks: OutputSymlink[] = [];
  const outputSymlinks: OutputSymlink[] = [];
  while (r.next()) {
    switch (r.field) {
      case 2:
        result.outputFiles.push(r.message(_readOutputFile));
        break;
      case 3:
        result.outputDirectories.push(r.message(_readOutputDirectory));
        break;
      case 4:
        result.exitCode = r.int32();
        break;
      case 5:
        result.stdoutRaw = r.bytes();
        break;
      case 6:
        result.stdoutDigest = r.message(readDigest);
        break;
      case 7:
        result.stderrRaw = r.bytes();
        break;
      case 8:
        result.stderrDigest = r.message(readDigest);
        break;
      case 9:
        result.executionMetadata = decodeExecutedActionMetadata(r.bytes());
        break;
      case 10:
        outputFileSymlinks.push(r.message(_readOutputSymlink));
        break;
      case 11:
        outputDirectorySymlinks.push(r.message(_readOutputSymlink));
        break;
      case 12:
        outputSymlinks.push(r.message(_readOutputSymlink));
        break;
      default:
        r.skip();
    }
  }
  if (result.stdoutRaw?.length === 0) delete result.stdoutRaw;
  if (result.stderrRaw?.length === 0) delete result.stderrRaw;
  if (outputSymlinks.length > 0) result.outputSymlinks = outputSymlinks;
  if (outputFileSymlinks.length > 0) result.outputFileSymlinks = outputFileSymlinks;
  if (outputDirectorySymlinks.length > 0) result.outputDirectorySymlinks = outputDirectorySymlinks;
  return result;
}

const _TIMESTAMP_FIELDS = [
  [2, "queuedTimestamp"],
  [3, "workerStartTimestamp"],
  [4, "workerCompletedTimestamp"],
  [5, "inputFetchStartTimestamp"],
  [6, "inputFetchCompletedTimestamp"],
  [7, "executionStartTimestamp"],
  [8, "executionCompletedTimestamp"],
  [9, "outputUploadStartTimestamp"],
  [10, "outputUploadCompletedTimestamp"],
] as const;

type _TimestampField = typeof _TIMESTAMP_FIELDS[number][1];

const _TIMESTAMP_BY_NUMBER: ReadonlyMap<number, _TimestampField> = new Map(_TIMESTAMP_FIELDS);

/**
 * Encodes an `ExecutedActionMetadata`.
 *
 * @example All defaults: no bytes
 * ```ts
 * import { encodeExecutedActionMetadata } from "./action_result.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeExecutedActionMetadata({ worker: "", auxiliaryMetadata: [] }).length, 0);
 * ```
 */
export function encodeExecutedActionMetadata(metadata: ExecutedActionMetadata): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, metadata.worker);
  for (const [field, key] of _TIMESTAMP_FIELDS) {
    const timestamp = metadata[key];
    w.encodedMessage(field, timestamp && encodeTimestamp(timestamp));
  }
  for (const any of metadata.auxiliaryMetadata ?? []) w.encodedMessage(11, encodeAny(any));
  w.encodedMessage(
    12,
    metadata.virtualExecutionDuration && encodeDuration(metadata.virtualExecutionDuration),
  );
  return w.finish();
}

/**
 * Decodes an `ExecutedActionMetadata`.
 *
 * @example Auxiliary metadata
 * ```ts
 * import { decodeExecutedActionMetadata, encodeExecutedActionMetadata } from "./action_result.ts";
 * import assert from "node:assert/strict";
 *
 * const meta = {
 *   auxiliaryMetadata: [{ typeUrl: "type.googleapis.com/x.Stats", value: new Uint8Array([8, 3]) }],
 *   virtualExecutionDuration: { seconds: 2, nanos: 0 },
 * };
 * assert.deepEqual(decodeExecutedActionMetadata(encodeExecutedActionMetadata(meta)), meta);
 * ```
 */
export function decodeExecutedActionMetadata(bytes: Uint8Array): ExecutedActionMetadata {
  const r = new ProtoReader(bytes);
  const metadata: ExecutedActionMetadata = {};
  const auxiliaryMetadata: Any[] = [];
  while (r.next()) {
    const timestampKey = _TIMESTAMP_BY_NUMBER.get(r.field);
    if (timestampKey !== undefined) {
      metadata[timestampKey] = decodeTimestamp(r.bytes());
    } else if (r.field === 1) {
      metadata.worker = r.string();
    } else if (r.field === 11) {
      auxiliaryMetadata.push(decodeAny(r.bytes()));
    } else if (r.field === 12) {
      metadata.virtualExecutionDuration = decodeDuration(r.bytes());
    } else {
      r.skip();
    }
  }
  if (metadata.worker === "") delete metadata.worker;
  if (auxiliaryMetadata.length > 0) metadata.auxiliaryMetadata = auxiliaryMetadata;
  return metadata;
}

function _writeOutputFile(w: ProtoWriter, file: OutputFile): void {
  w.string(1, file.path);
  w.message(2, file.digest, writeDigest);
  w.bool(4, file.isExecutable);
  w.bytes(5, file.contents);
}

function _readOutputFile(r: ProtoReader): OutputFile {
  const file: OutputFile = { path: "", digest: { hash: "", sizeBytes: 0 }, isExecutable: false };
  while (r.next()) {
    switch (r.field) {
      case 1:
        file.path = r.string();
        break;
      case 2:
        file.digest = r.message(readDigest);
        break;
      case 4:
        file.isExecutable = r.bool();
        break;
      case 5:
        file.contents = r.bytes();
        break;
      default:
        r.skip();
    }
  }
  if (file.contents?.length === 0) delete file.contents;
  return file;
}

function _writeOutputDirectory(w: ProtoWriter, directory: OutputDirectory): void {
  w.string(1, directory.path);
  w.message(3, directory.treeDigest, writeDigest);
  w.bool(4, directory.isTopologicallySorted);
  w.message(5, directory.rootDirectoryDigest, writeDigest);
}

function _readOutputDirectory(r: ProtoReader): OutputDirectory {
  const directory: OutputDirectory = { path: "", treeDigest: { hash: "", sizeBytes: 0 } };
  while (r.next()) {
    switch (r.field) {
      case 1:
        directory.path = r.string();
        break;
      case 3:
        directory.treeDigest = r.message(readDigest);
        break;
      case 4:
        if (r.bool()) directory.isTopologicallySorted = true;
        else delete directory.isTopologicallySorted;
        break;
      case 5:
        directory.rootDirectoryDigest = r.message(readDigest);
        break;
      default:
        r.skip();
    }
  }
  return directory;
}

function _writeOutputSymlink(w: ProtoWriter, link: OutputSymlink): void {
  w.string(1, link.path);
  w.string(2, link.target);
}

function _readOutputSymlink(r: ProtoReader): OutputSymlink {
  const link: OutputSymlink = { path: "", target: "" };
  while (r.next()) {
    if (r.field === 1) link.path = r.string();
    else if (r.field === 2) link.target = r.string();
    else r.skip();
  }
  return link;
}
