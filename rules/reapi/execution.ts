/**
 * Messages of the `Execution` service of the Remote Execution API v2:
 * `ExecuteRequest` and `WaitExecutionRequest`, each answered with a stream of
 * `google.longrunning.Operation`s whose metadata is an
 * `ExecuteOperationMetadata` and whose final response is an
 * `ExecuteResponse`, both packed in `Any`s with the type URLs below.
 *
 * Decoders leave optional fields out when they hold the default.
 *
 * @module
 */

import {
  type ActionResult,
  decodeActionResult,
  decodeExecutedActionMetadata,
  encodeActionResult,
  encodeExecutedActionMetadata,
  type ExecutedActionMetadata,
} from "./action_result.ts";
import type { ResultsCachePolicy } from "./action_cache.ts";
import { decodeStatus, encodeStatus, type Status } from "./google.ts";
import { type Digest, readDigest, writeDigest } from "./messages.ts";
import { ProtoReader, ProtoWriter } from "./proto.ts";
import { compareCodePoints } from "./_compare.ts";
import { readPriority, setOptional, writePriority } from "./_fields.ts";

/**
 * The type URL of an `ExecuteResponse` in an `Operation`'s `response`.
 *
 * @example Unpacking a finished operation
 * ```ts
 * import { decodeExecuteResponse, encodeExecuteResponse, EXECUTE_RESPONSE_TYPE_URL } from "./execution.ts";
 * import type { Operation } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const op: Operation = {
 *   name: "op",
 *   done: true,
 *   response: { typeUrl: EXECUTE_RESPONSE_TYPE_URL, value: encodeExecuteResponse({ cachedResult: true }) },
 * };
 * assert.equal(op.response?.typeUrl, EXECUTE_RESPONSE_TYPE_URL);
 * assert.equal(decodeExecuteResponse(op.response.value).cachedResult, true);
 * ```
 */
export const EXECUTE_RESPONSE_TYPE_URL =
  "type.googleapis.com/build.bazel.remote.execution.v2.ExecuteResponse";

/**
 * The type URL of an `ExecuteOperationMetadata` in an `Operation`'s `metadata`.
 *
 * @example Reading an operation's stage
 * ```ts
 * import {
 *   decodeExecuteOperationMetadata,
 *   encodeExecuteOperationMetadata,
 *   EXECUTE_OPERATION_METADATA_TYPE_URL,
 *   ExecutionStage,
 * } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const metadata = {
 *   typeUrl: EXECUTE_OPERATION_METADATA_TYPE_URL,
 *   value: encodeExecuteOperationMetadata({ stage: ExecutionStage.QUEUED }),
 * };
 * assert.equal(decodeExecuteOperationMetadata(metadata.value).stage, ExecutionStage.QUEUED);
 * ```
 */
export const EXECUTE_OPERATION_METADATA_TYPE_URL =
  "type.googleapis.com/build.bazel.remote.execution.v2.ExecuteOperationMetadata";

/**
 * The stages of an execution (`ExecutionStage.Value`).
 *
 * @example Done or not
 * ```ts
 * import { ExecutionStage } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const stage: number = ExecutionStage.EXECUTING;
 * assert.notEqual(stage, ExecutionStage.COMPLETED);
 * ```
 */
export const ExecutionStage = {
  /** Not known. */
  UNKNOWN: 0,
  /** Looking in the action cache. */
  CACHE_CHECK: 1,
  /** Waiting for a worker. */
  QUEUED: 2,
  /** Running. */
  EXECUTING: 3,
  /** Done; the operation holds the response. */
  COMPLETED: 4,
} as const;

/**
 * `ExecutionPolicy`: how urgently to run, as a priority whose meaning the
 * server defines (0 is its default).
 *
 * @example A high priority
 * ```ts
 * import type { ExecutionPolicy } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const policy: ExecutionPolicy = { priority: -5 };
 * assert.equal(policy.priority, -5);
 * ```
 */
export interface ExecutionPolicy {
  /** The priority. */
  priority: number;
}

/**
 * `ExecuteRequest`: run an action (whose blobs are in the CAS).
 *
 * @example Skipping the cache
 * ```ts
 * import { decodeExecuteRequest, encodeExecuteRequest, type ExecuteRequest } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const request: ExecuteRequest = {
 *   actionDigest: { hash: "a".repeat(64), sizeBytes: 140 },
 *   skipCacheLookup: true,
 * };
 * assert.deepEqual(decodeExecuteRequest(encodeExecuteRequest(request)), request);
 * ```
 */
export interface ExecuteRequest {
  /** The server's instance name. @default "" */
  instanceName?: string;
  /** Whether to run even if the action cache has a result. @default false */
  skipCacheLookup?: boolean;
  /** The action's digest. */
  actionDigest: Digest;
  /** How urgently to run. */
  executionPolicy?: ExecutionPolicy;
  /** How to keep the result. */
  resultsCachePolicy?: ResultsCachePolicy;
  /** A `DigestFunction` value. @default 0 */
  digestFunction?: number;
  /** Whether to inline stdout in the result. @default false */
  inlineStdout?: boolean;
  /** Whether to inline stderr in the result. @default false */
  inlineStderr?: boolean;
  /** Output files whose contents to inline. @default [] */
  inlineOutputFiles?: string[];
}

/**
 * `WaitExecutionRequest`: follow an execution again after the stream
 * dropped.
 *
 * @example By the operation's name
 * ```ts
 * import { decodeWaitExecutionRequest, encodeWaitExecutionRequest } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { name: "operations/42" };
 * assert.deepEqual(decodeWaitExecutionRequest(encodeWaitExecutionRequest(request)), request);
 * ```
 */
export interface WaitExecutionRequest {
  /** The `Operation`'s name. */
  name: string;
}

/**
 * `LogFile`: a log the server kept about an execution.
 *
 * @example A readable log
 * ```ts
 * import type { LogFile } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const log: LogFile = { digest: { hash: "b".repeat(64), sizeBytes: 300 }, humanReadable: true };
 * assert.equal(log.humanReadable, true);
 * ```
 */
export interface LogFile {
  /** The log's digest in the CAS. */
  digest: Digest;
  /** Whether a person can read it as text. @default false */
  humanReadable?: boolean;
}

/**
 * `ExecuteResponse`: how an execution ended.
 *
 * @example A result from the cache
 * ```ts
 * import { decodeExecuteResponse, encodeExecuteResponse, type ExecuteResponse } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const response: ExecuteResponse = {
 *   result: { outputFiles: [], outputDirectories: [], exitCode: 0 },
 *   cachedResult: true,
 *   status: { code: 0 },
 * };
 * assert.deepEqual(decodeExecuteResponse(encodeExecuteResponse(response)), response);
 * ```
 */
export interface ExecuteResponse {
  /** The result, when the action ran (even if it failed). */
  result?: ActionResult;
  /** Whether the result came from the action cache. @default false */
  cachedResult?: boolean;
  /** Whether the execution itself failed (not the command: see `result.exitCode`). */
  status?: Status;
  /** Logs the server kept, by name. @default {} */
  serverLogs?: Record<string, LogFile>;
  /** A message for the user (new in v2.1). @default "" */
  message?: string;
}

/**
 * `ExecuteOperationMetadata`: an execution's progress.
 *
 * @example Executing
 * ```ts
 * import {
 *   decodeExecuteOperationMetadata,
 *   encodeExecuteOperationMetadata,
 *   ExecutionStage,
 * } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const metadata = { stage: ExecutionStage.EXECUTING, actionDigest: { hash: "ab", sizeBytes: 1 } };
 * assert.deepEqual(decodeExecuteOperationMetadata(encodeExecuteOperationMetadata(metadata)), metadata);
 * ```
 */
export interface ExecuteOperationMetadata {
  /** An {@linkcode ExecutionStage} value. */
  stage: number;
  /** The action's digest. */
  actionDigest?: Digest;
  /** A ByteStream resource streaming stdout, if the server offers one. @default "" */
  stdoutStreamName?: string;
  /** A ByteStream resource streaming stderr, if the server offers one. @default "" */
  stderrStreamName?: string;
  /** What is known of the execution so far (new in v2.3). */
  partialExecutionMetadata?: ExecutedActionMetadata;
  /** A `DigestFunction` value. @default 0 */
  digestFunction?: number;
}

/**
 * Encodes an `ExecuteRequest`.
 *
 * @example The digest is field 6, after `skipCacheLookup` (3)
 * ```ts
 * import { encodeExecuteRequest } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeExecuteRequest({ skipCacheLookup: true, actionDigest: { hash: "", sizeBytes: 0 } });
 * assert.deepEqual(bytes, new Uint8Array([0x18, 1, 0x32, 0]));
 * ```
 */
export function encodeExecuteRequest(request: ExecuteRequest): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, request.instanceName);
  w.bool(3, request.skipCacheLookup);
  w.message(6, request.actionDigest, writeDigest);
  w.message(7, request.executionPolicy, writePriority);
  w.message(8, request.resultsCachePolicy, writePriority);
  w.int32(9, request.digestFunction);
  w.bool(10, request.inlineStdout);
  w.bool(11, request.inlineStderr);
  w.repeatedString(12, request.inlineOutputFiles);
  return w.finish();
}

/**
 * Decodes an `ExecuteRequest`; a missing digest decodes as the empty digest.
 *
 * @example Every field
 * ```ts
 * import { decodeExecuteRequest, encodeExecuteRequest } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const request = {
 *   instanceName: "main",
 *   skipCacheLookup: true,
 *   actionDigest: { hash: "ab", sizeBytes: 1 },
 *   executionPolicy: { priority: 1 },
 *   resultsCachePolicy: { priority: 2 },
 *   digestFunction: 1,
 *   inlineStdout: true,
 *   inlineStderr: true,
 *   inlineOutputFiles: ["out"],
 * };
 * assert.deepEqual(decodeExecuteRequest(encodeExecuteRequest(request)), request);
 * ```
 */
export function decodeExecuteRequest(bytes: Uint8Array): ExecuteRequest {
  const r = new ProtoReader(bytes);
  const request: ExecuteRequest = { actionDigest: { hash: "", sizeBytes: 0 } };
  const inlineOutputFiles: string[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        setOptional(request, "instanceName", r.string());
        break;
      case 3:
        setOptional(request, "skipCacheLookup", r.bool());
        break;
      case 6:
        request.actionDigest = r.message(readDigest);
        break;
      case 7:
        request.executionPolicy = r.message(readPriority);
        break;
      case 8:
        request.resultsCachePolicy = r.message(readPriority);
        break;
      case 9:
        setOptional(request, "digestFunction", r.int32());
        break;
      case 10:
        setOptional(request, "inlineStdout", r.bool());
        break;
      case 11:
        setOptional(request, "inlineStderr", r.bool());
        break;
      case 12:
        inlineOutputFiles.push(r.string());
        break;
      default:
        r.skip();
    }
  }
  if (inlineOutputFiles.length > 0) request.inlineOutputFiles = inlineOutputFiles;
  return request;
}

/**
 * Encodes a `WaitExecutionRequest`.
 *
 * @example One string field
 * ```ts
 * import { encodeWaitExecutionRequest } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeWaitExecutionRequest({ name: "o" }), new Uint8Array([0x0a, 1, 0x6f]));
 * ```
 */
export function encodeWaitExecutionRequest(request: WaitExecutionRequest): Uint8Array {
  const w = new ProtoWriter(64);
  w.string(1, request.name);
  return w.finish();
}

/**
 * Decodes a `WaitExecutionRequest`.
 *
 * @example Empty bytes, empty name
 * ```ts
 * import { decodeWaitExecutionRequest } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeWaitExecutionRequest(new Uint8Array()), { name: "" });
 * ```
 */
export function decodeWaitExecutionRequest(bytes: Uint8Array): WaitExecutionRequest {
  const r = new ProtoReader(bytes);
  let name = "";
  while (r.next()) {
    if (r.field === 1) name = r.string();
    else r.skip();
  }
  return { name };
}

/**
 * Encodes an `ExecuteResponse`. Server logs are written sorted by name, as
 * protobuf's deterministic encoding of a map does.
 *
 * @example A map entry always holds its key and value
 * ```ts
 * import { encodeExecuteResponse } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeExecuteResponse({ serverLogs: { l: { digest: { hash: "", sizeBytes: 0 } } } });
 * assert.deepEqual(bytes, new Uint8Array([0x22, 7, 0x0a, 1, 0x6c, 0x12, 2, 0x0a, 0]));
 * ```
 */
export function encodeExecuteResponse(response: ExecuteResponse): Uint8Array {
  const w = new ProtoWriter();
  w.encodedMessage(1, response.result && encodeActionResult(response.result));
  w.bool(2, response.cachedResult);
  w.encodedMessage(3, response.status && encodeStatus(response.status));
  const logs = Object.entries(response.serverLogs ?? {});
  logs.sort(([a], [b]) => compareCodePoints(a, b));
  w.repeatedMessage(4, logs, (w, [name, log]) => {
    // A map entry writes its key and value even when they hold defaults.
    w.encodedMessage(1, new TextEncoder().encode(name));
    w.message(2, log, _writeLogFile);
  });
  w.string(5, response.message);
  return w.finish();
}

/**
 * Decodes an `ExecuteResponse`.
 *
 * @example Server logs
 * ```ts
 * import { decodeExecuteResponse, encodeExecuteResponse } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const response = {
 *   status: { code: 4, message: "Timed out" },
 *   serverLogs: { "worker.log": { digest: { hash: "ab", sizeBytes: 10 }, humanReadable: true } },
 *   message: "The action timed out after 60 s",
 * };
 * assert.deepEqual(decodeExecuteResponse(encodeExecuteResponse(response)), response);
 * ```
 */
export function decodeExecuteResponse(bytes: Uint8Array): ExecuteResponse {
  const r = new ProtoReader(bytes);
  const response: ExecuteResponse = {};
  const serverLogs: Record<string, LogFile> = {};
  let hasLogs = false;
  while (r.next()) {
    switch (r.field) {
      case 1:
        response.result = decodeActionResult(r.bytes());
        break;
      case 2:
        setOptional(response, "cachedResult", r.bool());
        break;
      case 3:
        response.status = decodeStatus(r.bytes());
        break;
      case 4: {
        const [name, log] = r.message(_readLogEntry);
        serverLogs[name] = log;
        hasLogs = true;
        break;
      }
      case 5:
        setOptional(response, "message", r.string());
        break;
      default:
        r.skip();
    }
  }
  if (hasLogs) response.serverLogs = serverLogs;
  return response;
}

/**
 * Encodes an `ExecuteOperationMetadata`.
 *
 * @example Queued
 * ```ts
 * import { encodeExecuteOperationMetadata, ExecutionStage } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeExecuteOperationMetadata({ stage: ExecutionStage.QUEUED });
 * assert.deepEqual(bytes, new Uint8Array([0x08, 2]));
 * ```
 */
export function encodeExecuteOperationMetadata(metadata: ExecuteOperationMetadata): Uint8Array {
  const w = new ProtoWriter();
  w.int32(1, metadata.stage);
  w.message(2, metadata.actionDigest, writeDigest);
  w.string(3, metadata.stdoutStreamName);
  w.string(4, metadata.stderrStreamName);
  w.encodedMessage(
    5,
    metadata.partialExecutionMetadata &&
      encodeExecutedActionMetadata(metadata.partialExecutionMetadata),
  );
  w.int32(6, metadata.digestFunction);
  return w.finish();
}

/**
 * Decodes an `ExecuteOperationMetadata`.
 *
 * @example Partial metadata
 * ```ts
 * import { decodeExecuteOperationMetadata, encodeExecuteOperationMetadata } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const metadata = {
 *   stage: 3,
 *   stdoutStreamName: "logs/stdout",
 *   partialExecutionMetadata: { worker: "w1" },
 *   digestFunction: 1,
 * };
 * assert.deepEqual(decodeExecuteOperationMetadata(encodeExecuteOperationMetadata(metadata)), metadata);
 * ```
 */
export function decodeExecuteOperationMetadata(bytes: Uint8Array): ExecuteOperationMetadata {
  const r = new ProtoReader(bytes);
  const metadata: ExecuteOperationMetadata = { stage: 0 };
  while (r.next()) {
    switch (r.field) {
      case 1:
        metadata.stage = r.int32();
        break;
      case 2:
        metadata.actionDigest = r.message(readDigest);
        break;
      case 3:
        setOptional(metadata, "stdoutStreamName", r.string());
        break;
      case 4:
        setOptional(metadata, "stderrStreamName", r.string());
        break;
      case 5:
        metadata.partialExecutionMetadata = decodeExecutedActionMetadata(r.bytes());
        break;
      case 6:
        setOptional(metadata, "digestFunction", r.int32());
        break;
      default:
        r.skip();
    }
  }
  return metadata;
}

function _writeLogFile(w: ProtoWriter, log: LogFile): void {
  w.message(1, log.digest, writeDigest);
  w.bool(2, log.humanReadable);
}

function _readLogEntry(r: ProtoReader): [string, LogFile] {
  let name = "";
  let log: LogFile = { digest: { hash: "", sizeBytes: 0 } };
  while (r.next()) {
    if (r.field === 1) {
      name = r.string();
    } else if (r.field === 2) {
      log = r.message((r) => {
        const log: LogFile = { digest: { hash: "", sizeBytes: 0 } };
        while (r.next()) {
          if (r.field === 1) log.digest = r.message(readDigest);
          else if (r.field === 2) setOptional(log, "humanReadable", r.bool());
          else r.skip();
        }
        return log;
      });
    } else {
      r.skip();
    }
  }
  return [name, log];
}
