/**
 * Requests of the `ActionCache` service of the Remote Execution API v2:
 * `GetActionResult` (answered with an `ActionResult`, or NOT_FOUND) and
 * `UpdateActionResult` (answered with the `ActionResult` stored).
 *
 * Decoders leave optional fields out when they hold the default.
 *
 * @module
 */

import { type ActionResult, decodeActionResult, encodeActionResult } from "./action_result.ts";
import { type Digest, readDigest, writeDigest } from "./messages.ts";
import { ProtoReader, ProtoWriter } from "./proto.ts";
import { readPriority, setOptional, writePriority } from "./_fields.ts";

/**
 * `GetActionResultRequest`: the cached result of an action, by its digest.
 *
 * @example Asking for stdout inline
 * ```ts
 * import {
 *   decodeGetActionResultRequest,
 *   encodeGetActionResultRequest,
 *   type GetActionResultRequest,
 * } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const request: GetActionResultRequest = {
 *   actionDigest: { hash: "a".repeat(64), sizeBytes: 140 },
 *   inlineStdout: true,
 * };
 * assert.deepEqual(decodeGetActionResultRequest(encodeGetActionResultRequest(request)), request);
 * ```
 */
export interface GetActionResultRequest {
  /** The server's instance name. @default "" */
  instanceName?: string;
  /** The action's digest: the cache key. */
  actionDigest: Digest;
  /** Whether to inline stdout in `stdoutRaw`. @default false */
  inlineStdout?: boolean;
  /** Whether to inline stderr in `stderrRaw`. @default false */
  inlineStderr?: boolean;
  /** Output files whose contents to inline. @default [] */
  inlineOutputFiles?: string[];
  /** A `DigestFunction` value. @default 0 */
  digestFunction?: number;
}

/**
 * `ResultsCachePolicy`: how the server should keep a result, as a priority
 * whose meaning the server defines (0 is its default).
 *
 * @example A low priority
 * ```ts
 * import type { ResultsCachePolicy } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const policy: ResultsCachePolicy = { priority: 10 };
 * assert.equal(policy.priority, 10);
 * ```
 */
export interface ResultsCachePolicy {
  /** The priority. */
  priority: number;
}

/**
 * `UpdateActionResultRequest`: store an action's result.
 *
 * @example Storing a result
 * ```ts
 * import {
 *   decodeUpdateActionResultRequest,
 *   encodeUpdateActionResultRequest,
 *   type UpdateActionResultRequest,
 * } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const request: UpdateActionResultRequest = {
 *   actionDigest: { hash: "a".repeat(64), sizeBytes: 140 },
 *   actionResult: { outputFiles: [], outputDirectories: [], exitCode: 0 },
 * };
 * assert.deepEqual(decodeUpdateActionResultRequest(encodeUpdateActionResultRequest(request)), request);
 * ```
 */
export interface UpdateActionResultRequest {
  /** The server's instance name. @default "" */
  instanceName?: string;
  /** The action's digest: the cache key. */
  actionDigest: Digest;
  /** The result to store. */
  actionResult: ActionResult;
  /** How long to keep the result; absent means the server's default. */
  resultsCachePolicy?: ResultsCachePolicy;
  /** A `DigestFunction` value. @default 0 */
  digestFunction?: number;
}

/**
 * Encodes a `GetActionResultRequest`.
 *
 * @example Instance name and digest
 * ```ts
 * import { encodeGetActionResultRequest } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeGetActionResultRequest({ instanceName: "i", actionDigest: { hash: "", sizeBytes: 1 } });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 1, 0x69, 0x12, 2, 0x10, 1]));
 * ```
 */
export function encodeGetActionResultRequest(request: GetActionResultRequest): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, request.instanceName);
  w.message(2, request.actionDigest, writeDigest);
  w.bool(3, request.inlineStdout);
  w.bool(4, request.inlineStderr);
  w.repeatedString(5, request.inlineOutputFiles);
  w.int32(6, request.digestFunction);
  return w.finish();
}

/**
 * Decodes a `GetActionResultRequest`; a missing digest decodes as the empty
 * digest.
 *
 * @example Every field
 * ```ts
 * import { decodeGetActionResultRequest, encodeGetActionResultRequest } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const request = {
 *   instanceName: "main",
 *   actionDigest: { hash: "ab", sizeBytes: 1 },
 *   inlineStdout: true,
 *   inlineStderr: true,
 *   inlineOutputFiles: ["a.o"],
 *   digestFunction: 1,
 * };
 * assert.deepEqual(decodeGetActionResultRequest(encodeGetActionResultRequest(request)), request);
 * ```
 */
export function decodeGetActionResultRequest(bytes: Uint8Array): GetActionResultRequest {
  const r = new ProtoReader(bytes);
  const request: GetActionResultRequest = { actionDigest: { hash: "", sizeBytes: 0 } };
  const inlineOutputFiles: string[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        setOptional(request, "instanceName", r.string());
        break;
      case 2:
        request.actionDigest = r.message(readDigest);
        break;
      case 3:
        setOptional(request, "inlineStdout", r.bool());
        break;
      case 4:
        setOptional(request, "inlineStderr", r.bool());
        break;
      case 5:
        inlineOutputFiles.push(r.string());
        break;
      case 6:
        setOptional(request, "digestFunction", r.int32());
        break;
      default:
        r.skip();
    }
  }
  if (inlineOutputFiles.length > 0) request.inlineOutputFiles = inlineOutputFiles;
  return request;
}

/**
 * Encodes an `UpdateActionResultRequest`.
 *
 * @example The result is field 3
 * ```ts
 * import { encodeUpdateActionResultRequest } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeUpdateActionResultRequest({
 *   actionDigest: { hash: "", sizeBytes: 0 },
 *   actionResult: { outputFiles: [], outputDirectories: [], exitCode: 1 },
 * });
 * assert.deepEqual(bytes, new Uint8Array([0x12, 0, 0x1a, 2, 0x20, 1]));
 * ```
 */
export function encodeUpdateActionResultRequest(request: UpdateActionResultRequest): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, request.instanceName);
  w.message(2, request.actionDigest, writeDigest);
  w.encodedMessage(3, encodeActionResult(request.actionResult));
  w.message(4, request.resultsCachePolicy, writePriority);
  w.int32(5, request.digestFunction);
  return w.finish();
}

/**
 * Decodes an `UpdateActionResultRequest`; a missing digest or result decodes
 * as the empty one.
 *
 * @example With a cache priority
 * ```ts
 * import { decodeUpdateActionResultRequest, encodeUpdateActionResultRequest } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const request = {
 *   instanceName: "main",
 *   actionDigest: { hash: "ab", sizeBytes: 1 },
 *   actionResult: { outputFiles: [], outputDirectories: [], exitCode: 0 },
 *   resultsCachePolicy: { priority: 3 },
 * };
 * assert.deepEqual(decodeUpdateActionResultRequest(encodeUpdateActionResultRequest(request)), request);
 * ```
 */
export function decodeUpdateActionResultRequest(bytes: Uint8Array): UpdateActionResultRequest {
  const r = new ProtoReader(bytes);
  const request: UpdateActionResultRequest = {
    actionDigest: { hash: "", sizeBytes: 0 },
    actionResult: { outputFiles: [], outputDirectories: [], exitCode: 0 },
  };
  while (r.next()) {
    switch (r.field) {
      case 1:
        setOptional(request, "instanceName", r.string());
        break;
      case 2:
        request.actionDigest = r.message(readDigest);
        break;
      case 3:
        request.actionResult = decodeActionResult(r.bytes());
        break;
      case 4:
        request.resultsCachePolicy = r.message(readPriority);
        break;
      case 5:
        setOptional(request, "digestFunction", r.int32());
        break;
      default:
        r.skip();
    }
  }
  return request;
}
