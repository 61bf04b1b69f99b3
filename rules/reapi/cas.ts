/**
 * Requests and responses of the `ContentAddressableStorage` service of the
 * Remote Execution API v2: `FindMissingBlobs`, `BatchUpdateBlobs`,
 * `BatchReadBlobs` and `GetTree`.
 *
 * Decoders leave optional fields out when they hold the default; bytes
 * fields are views into the decoded input.
 *
 * @module
 */

import { decodeDirectory, type Directory, encodeDirectory } from "./directory.ts";
import { decodeStatus, encodeStatus, type Status } from "./google.ts";
import { type Digest, readDigest, writeDigest } from "./messages.ts";
import { ProtoReader, ProtoWriter } from "./proto.ts";
import { setOptional } from "./_fields.ts";

/**
 * `FindMissingBlobsRequest`: which of these blobs does the CAS lack?
 *
 * @example Asking about one blob
 * ```ts
 * import { encodeFindMissingBlobsRequest, type FindMissingBlobsRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const request: FindMissingBlobsRequest = { blobDigests: [{ hash: "ab", sizeBytes: 1 }] };
 * assert.deepEqual(encodeFindMissingBlobsRequest(request), new Uint8Array([0x12, 6, 0x0a, 2, 0x61, 0x62, 0x10, 1]));
 * ```
 */
export interface FindMissingBlobsRequest {
  /** The server's instance name. @default "" */
  instanceName?: string;
  /** The blobs to look for. */
  blobDigests: Digest[];
  /** A `DigestFunction` value; 0 means SHA-256 known from the hash length. @default 0 */
  digestFunction?: number;
}

/**
 * `FindMissingBlobsResponse`: the blobs the CAS lacks.
 *
 * @example Nothing missing
 * ```ts
 * import { decodeFindMissingBlobsResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeFindMissingBlobsResponse(new Uint8Array()), { missingBlobDigests: [] });
 * ```
 */
export interface FindMissingBlobsResponse {
  /** The missing ones, to upload. */
  missingBlobDigests: Digest[];
}

/**
 * One blob to upload in a `BatchUpdateBlobsRequest`.
 *
 * @example A blob
 * ```ts
 * import type { BatchUpdateBlobsEntry } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const entry: BatchUpdateBlobsEntry = { digest: { hash: "ab", sizeBytes: 2 }, data: new Uint8Array(2) };
 * assert.equal(entry.data.length, entry.digest.sizeBytes);
 * ```
 */
export interface BatchUpdateBlobsEntry {
  /** The blob's digest. */
  digest: Digest;
  /** Its bytes (compressed when `compressor` is set). */
  data: Uint8Array;
  /** A `Compressor` value. @default 0 (identity) */
  compressor?: number;
}

/**
 * `BatchUpdateBlobsRequest`: upload small blobs, up to the server's
 * `maxBatchTotalSizeBytes` in all.
 *
 * @example Round trip
 * ```ts
 * import { decodeBatchUpdateBlobsRequest, encodeBatchUpdateBlobsRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const request = {
 *   instanceName: "main",
 *   requests: [{ digest: { hash: "ab", sizeBytes: 1 }, data: new Uint8Array([7]) }],
 * };
 * assert.deepEqual(decodeBatchUpdateBlobsRequest(encodeBatchUpdateBlobsRequest(request)), request);
 * ```
 */
export interface BatchUpdateBlobsRequest {
  /** The server's instance name. @default "" */
  instanceName?: string;
  /** The blobs. */
  requests: BatchUpdateBlobsEntry[];
  /** A `DigestFunction` value. @default 0 */
  digestFunction?: number;
}

/**
 * One blob's outcome in a `BatchUpdateBlobsResponse`.
 *
 * @example Stored
 * ```ts
 * import type { BatchUpdateBlobsOutcome } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const outcome: BatchUpdateBlobsOutcome = { digest: { hash: "ab", sizeBytes: 1 }, status: { code: 0 } };
 * assert.equal(outcome.status?.code, 0);
 * ```
 */
export interface BatchUpdateBlobsOutcome {
  /** The blob's digest. */
  digest: Digest;
  /** Whether it was stored; absent means OK. */
  status?: Status;
}

/**
 * `BatchUpdateBlobsResponse`: one outcome per uploaded blob.
 *
 * @example A refused blob
 * ```ts
 * import { decodeBatchUpdateBlobsResponse, encodeBatchUpdateBlobsResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const response = {
 *   responses: [{ digest: { hash: "ab", sizeBytes: 1 }, status: { code: 3, message: "Digest mismatch" } }],
 * };
 * assert.deepEqual(decodeBatchUpdateBlobsResponse(encodeBatchUpdateBlobsResponse(response)), response);
 * ```
 */
export interface BatchUpdateBlobsResponse {
  /** The outcomes. */
  responses: BatchUpdateBlobsOutcome[];
}

/**
 * `BatchReadBlobsRequest`: download small blobs.
 *
 * @example Round trip
 * ```ts
 * import { decodeBatchReadBlobsRequest, encodeBatchReadBlobsRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { digests: [{ hash: "ab", sizeBytes: 1 }], acceptableCompressors: [1] };
 * assert.deepEqual(decodeBatchReadBlobsRequest(encodeBatchReadBlobsRequest(request)), request);
 * ```
 */
export interface BatchReadBlobsRequest {
  /** The server's instance name. @default "" */
  instanceName?: string;
  /** The blobs to read. */
  digests: Digest[];
  /** `Compressor` values the client accepts besides identity. @default [] */
  acceptableCompressors?: number[];
  /** A `DigestFunction` value. @default 0 */
  digestFunction?: number;
}

/**
 * One blob in a `BatchReadBlobsResponse`.
 *
 * @example A blob that was found
 * ```ts
 * import type { BatchReadBlobsEntry } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const entry: BatchReadBlobsEntry = { digest: { hash: "ab", sizeBytes: 1 }, data: new Uint8Array([7]) };
 * assert.equal(entry.status, undefined);
 * ```
 */
export interface BatchReadBlobsEntry {
  /** The blob's digest. */
  digest: Digest;
  /** Its bytes, when found. */
  data: Uint8Array;
  /** A `Compressor` value. @default 0 (identity) */
  compressor?: number;
  /** Whether it was found (NOT_FOUND is 5); absent means OK. */
  status?: Status;
}

/**
 * `BatchReadBlobsResponse`: the blobs read.
 *
 * @example One found, one not
 * ```ts
 * import { decodeBatchReadBlobsResponse, encodeBatchReadBlobsResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const response = {
 *   responses: [
 *     { digest: { hash: "ab", sizeBytes: 1 }, data: new Uint8Array([7]), status: { code: 0 } },
 *     { digest: { hash: "cd", sizeBytes: 1 }, data: new Uint8Array(), status: { code: 5 } },
 *   ],
 * };
 * assert.deepEqual(decodeBatchReadBlobsResponse(encodeBatchReadBlobsResponse(response)), response);
 * ```
 */
export interface BatchReadBlobsResponse {
  /** The blobs, one per requested digest. */
  responses: BatchReadBlobsEntry[];
}

/**
 * `GetTreeRequest`: every directory below a root, page by page.
 *
 * @example Round trip
 * ```ts
 * import { decodeGetTreeRequest, encodeGetTreeRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { rootDigest: { hash: "ab", sizeBytes: 80 }, pageSize: 100, pageToken: "p2" };
 * assert.deepEqual(decodeGetTreeRequest(encodeGetTreeRequest(request)), request);
 * ```
 */
export interface GetTreeRequest {
  /** The server's instance name. @default "" */
  instanceName?: string;
  /** The digest of the root `Directory`. */
  rootDigest: Digest;
  /** The most directories per page; 0 lets the server choose. @default 0 */
  pageSize?: number;
  /** The previous response's `nextPageToken`. @default "" */
  pageToken?: string;
  /** A `DigestFunction` value. @default 0 */
  digestFunction?: number;
}

/**
 * `GetTreeResponse`: one page of directories.
 *
 * @example The last page
 * ```ts
 * import { decodeGetTreeResponse, encodeGetTreeResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const response = { directories: [{ files: [], directories: [], symlinks: [] }] };
 * assert.deepEqual(decodeGetTreeResponse(encodeGetTreeResponse(response)), response);
 * ```
 */
export interface GetTreeResponse {
  /** Directories, in any order. */
  directories: Directory[];
  /** Where the next page starts; absent on the last page. @default "" */
  nextPageToken?: string;
}

/**
 * Encodes a `FindMissingBlobsRequest`.
 *
 * @example The instance name comes first
 * ```ts
 * import { encodeFindMissingBlobsRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeFindMissingBlobsRequest({ instanceName: "i", blobDigests: [] });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 1, 0x69]));
 * ```
 */
export function encodeFindMissingBlobsRequest(request: FindMissingBlobsRequest): Uint8Array {
  const w = new ProtoWriter(64 + 80 * request.blobDigests.length);
  w.string(1, request.instanceName);
  w.repeatedMessage(2, request.blobDigests, writeDigest);
  w.int32(3, request.digestFunction);
  return w.finish();
}

/**
 * Decodes a `FindMissingBlobsRequest`.
 *
 * @example Round trip
 * ```ts
 * import { decodeFindMissingBlobsRequest, encodeFindMissingBlobsRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { instanceName: "main", blobDigests: [{ hash: "ab", sizeBytes: 9 }], digestFunction: 1 };
 * assert.deepEqual(decodeFindMissingBlobsRequest(encodeFindMissingBlobsRequest(request)), request);
 * ```
 */
export function decodeFindMissingBlobsRequest(bytes: Uint8Array): FindMissingBlobsRequest {
  const r = new ProtoReader(bytes);
  const request: FindMissingBlobsRequest = { blobDigests: [] };
  while (r.next()) {
    switch (r.field) {
      case 1:
        setOptional(request, "instanceName", r.string());
        break;
      case 2:
        request.blobDigests.push(r.message(readDigest));
        break;
      case 3:
        setOptional(request, "digestFunction", r.int32());
        break;
      default:
        r.skip();
    }
  }
  return request;
}

/**
 * Encodes a `FindMissingBlobsResponse`.
 *
 * @example Field 2 holds the digests
 * ```ts
 * import { encodeFindMissingBlobsResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeFindMissingBlobsResponse({ missingBlobDigests: [{ hash: "", sizeBytes: 0 }] });
 * assert.deepEqual(bytes, new Uint8Array([0x12, 0]));
 * ```
 */
export function encodeFindMissingBlobsResponse(response: FindMissingBlobsResponse): Uint8Array {
  const w = new ProtoWriter(16 + 80 * response.missingBlobDigests.length);
  w.repeatedMessage(2, response.missingBlobDigests, writeDigest);
  return w.finish();
}

/**
 * Decodes a `FindMissingBlobsResponse`.
 *
 * @example Round trip
 * ```ts
 * import { decodeFindMissingBlobsResponse, encodeFindMissingBlobsResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const response = { missingBlobDigests: [{ hash: "ab", sizeBytes: 1 }, { hash: "cd", sizeBytes: 2 }] };
 * assert.deepEqual(decodeFindMissingBlobsResponse(encodeFindMissingBlobsResponse(response)), response);
 * ```
 */
export function decodeFindMissingBlobsResponse(bytes: Uint8Array): FindMissingBlobsResponse {
  const r = new ProtoReader(bytes);
  const response: FindMissingBlobsResponse = { missingBlobDigests: [] };
  while (r.next()) {
    if (r.field === 2) response.missingBlobDigests.push(r.message(readDigest));
    else r.skip();
  }
  return response;
}

/**
 * Encodes a `BatchUpdateBlobsRequest`.
 *
 * @example The data follows its digest
 * ```ts
 * import { encodeBatchUpdateBlobsRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeBatchUpdateBlobsRequest({
 *   requests: [{ digest: { hash: "", sizeBytes: 1 }, data: new Uint8Array([7]) }],
 * });
 * assert.deepEqual(bytes, new Uint8Array([0x12, 7, 0x0a, 2, 0x10, 1, 0x12, 1, 7]));
 * ```
 */
export function encodeBatchUpdateBlobsRequest(request: BatchUpdateBlobsRequest): Uint8Array {
  let size = 64;
  for (const entry of request.requests) size += 96 + entry.data.length;
  const w = new ProtoWriter(size);
  w.string(1, request.instanceName);
  w.repeatedMessage(2, request.requests, (w, entry) => {
    w.message(1, entry.digest, writeDigest);
    w.bytes(2, entry.data);
    w.int32(3, entry.compressor);
  });
  w.int32(5, request.digestFunction);
  return w.finish();
}

/**
 * Decodes a `BatchUpdateBlobsRequest`.
 *
 * @example A compressed blob
 * ```ts
 * import { decodeBatchUpdateBlobsRequest, encodeBatchUpdateBlobsRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const request = {
 *   requests: [{ digest: { hash: "ab", sizeBytes: 100 }, data: new Uint8Array([1, 2]), compressor: 1 }],
 *   digestFunction: 1,
 * };
 * assert.deepEqual(decodeBatchUpdateBlobsRequest(encodeBatchUpdateBlobsRequest(request)), request);
 * ```
 */
export function decodeBatchUpdateBlobsRequest(bytes: Uint8Array): BatchUpdateBlobsRequest {
  const r = new ProtoReader(bytes);
  const request: BatchUpdateBlobsRequest = { requests: [] };
  while (r.next()) {
    switch (r.field) {
      case 1:
        setOptional(request, "instanceName", r.string());
        break;
      case 2:
        request.requests.push(r.message(_readUpdateEntry));
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

/**
 * Encodes a `BatchUpdateBlobsResponse`.
 *
 * @example An OK status is written as an empty message
 * ```ts
 * import { encodeBatchUpdateBlobsResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeBatchUpdateBlobsResponse({
 *   responses: [{ digest: { hash: "", sizeBytes: 0 }, status: { code: 0 } }],
 * });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 4, 0x0a, 0, 0x12, 0]));
 * ```
 */
export function encodeBatchUpdateBlobsResponse(response: BatchUpdateBlobsResponse): Uint8Array {
  const w = new ProtoWriter(16 + 96 * response.responses.length);
  w.repeatedMessage(1, response.responses, (w, outcome) => {
    w.message(1, outcome.digest, writeDigest);
    w.encodedMessage(2, outcome.status && encodeStatus(outcome.status));
  });
  return w.finish();
}

/**
 * Decodes a `BatchUpdateBlobsResponse`.
 *
 * @example Round trip
 * ```ts
 * import { decodeBatchUpdateBlobsResponse, encodeBatchUpdateBlobsResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const response = { responses: [{ digest: { hash: "ab", sizeBytes: 1 }, status: { code: 0 } }] };
 * assert.deepEqual(decodeBatchUpdateBlobsResponse(encodeBatchUpdateBlobsResponse(response)), response);
 * ```
 */
export function decodeBatchUpdateBlobsResponse(bytes: Uint8Array): BatchUpdateBlobsResponse {
  const r = new ProtoReader(bytes);
  const response: BatchUpdateBlobsResponse = { responses: [] };
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    response.responses.push(r.message((r) => {
      const outcome: BatchUpdateBlobsOutcome = { digest: { hash: "", sizeBytes: 0 } };
      while (r.next()) {
        if (r.field === 1) outcome.digest = r.message(readDigest);
        else if (r.field === 2) outcome.status = decodeStatus(r.bytes());
        else r.skip();
      }
      return outcome;
    }));
  }
  return response;
}

/**
 * Encodes a `BatchReadBlobsRequest`.
 *
 * @example Acceptable compressors are packed
 * ```ts
 * import { encodeBatchReadBlobsRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeBatchReadBlobsRequest({ digests: [], acceptableCompressors: [1, 2] });
 * assert.deepEqual(bytes, new Uint8Array([0x1a, 2, 1, 2]));
 * ```
 */
export function encodeBatchReadBlobsRequest(request: BatchReadBlobsRequest): Uint8Array {
  const w = new ProtoWriter(64 + 80 * request.digests.length);
  w.string(1, request.instanceName);
  w.repeatedMessage(2, request.digests, writeDigest);
  w.packedInt32(3, request.acceptableCompressors);
  w.int32(4, request.digestFunction);
  return w.finish();
}

/**
 * Decodes a `BatchReadBlobsRequest`.
 *
 * @example Round trip
 * ```ts
 * import { decodeBatchReadBlobsRequest, encodeBatchReadBlobsRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { instanceName: "main", digests: [{ hash: "ab", sizeBytes: 1 }], digestFunction: 1 };
 * assert.deepEqual(decodeBatchReadBlobsRequest(encodeBatchReadBlobsRequest(request)), request);
 * ```
 */
export function decodeBatchReadBlobsRequest(bytes: Uint8Array): BatchReadBlobsRequest {
  const r = new ProtoReader(bytes);
  const request: BatchReadBlobsRequest = { digests: [] };
  const compressors: number[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        setOptional(request, "instanceName", r.string());
        break;
      case 2:
        request.digests.push(r.message(readDigest));
        break;
      case 3:
        r.repeatedInt32(compressors);
        break;
      case 4:
        setOptional(request, "digestFunction", r.int32());
        break;
      default:
        r.skip();
    }
  }
  if (compressors.length > 0) request.acceptableCompressors = compressors;
  return request;
}

/**
 * Encodes a `BatchReadBlobsResponse`.
 *
 * @example Field order puts the status (3) before the compressor (4)
 * ```ts
 * import { encodeBatchReadBlobsResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeBatchReadBlobsResponse({
 *   responses: [{ digest: { hash: "", sizeBytes: 0 }, data: new Uint8Array(), compressor: 1, status: { code: 0 } }],
 * });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 6, 0x0a, 0, 0x1a, 0, 0x20, 1]));
 * ```
 */
export function encodeBatchReadBlobsResponse(response: BatchReadBlobsResponse): Uint8Array {
  let size = 16;
  for (const entry of response.responses) size += 96 + entry.data.length;
  const w = new ProtoWriter(size);
  w.repeatedMessage(1, response.responses, (w, entry) => {
    w.message(1, entry.digest, writeDigest);
    w.bytes(2, entry.data);
    w.encodedMessage(3, entry.status && encodeStatus(entry.status));
    w.int32(4, entry.compressor);
  });
  return w.finish();
}

/**
 * Decodes a `BatchReadBlobsResponse`.
 *
 * @example Round trip
 * ```ts
 * import { decodeBatchReadBlobsResponse, encodeBatchReadBlobsResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const response = { responses: [{ digest: { hash: "ab", sizeBytes: 2 }, data: new Uint8Array([1, 2]) }] };
 * assert.deepEqual(decodeBatchReadBlobsResponse(encodeBatchReadBlobsResponse(response)), response);
 * ```
 */
export function decodeBatchReadBlobsResponse(bytes: Uint8Array): BatchReadBlobsResponse {
  const r = new ProtoReader(bytes);
  const response: BatchReadBlobsResponse = { responses: [] };
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    response.responses.push(r.message(_readReadEntry));
  }
  return response;
}

/**
 * Encodes a `GetTreeRequest`.
 *
 * @example The root digest is field 2
 * ```ts
 * import { encodeGetTreeRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeGetTreeRequest({ rootDigest: { hash: "", sizeBytes: 0 } }), new Uint8Array([0x12, 0]));
 * ```
 */
export function encodeGetTreeRequest(request: GetTreeRequest): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, request.instanceName);
  w.message(2, request.rootDigest, writeDigest);
  w.int32(3, request.pageSize);
  w.string(4, request.pageToken);
  w.int32(5, request.digestFunction);
  return w.finish();
}

/**
 * Decodes a `GetTreeRequest`; a missing root digest decodes as the empty
 * digest.
 *
 * @example Round trip
 * ```ts
 * import { decodeGetTreeRequest, encodeGetTreeRequest } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { instanceName: "main", rootDigest: { hash: "ab", sizeBytes: 1 }, digestFunction: 1 };
 * assert.deepEqual(decodeGetTreeRequest(encodeGetTreeRequest(request)), request);
 * ```
 */
export function decodeGetTreeRequest(bytes: Uint8Array): GetTreeRequest {
  const r = new ProtoReader(bytes);
  const request: GetTreeRequest = { rootDigest: { hash: "", sizeBytes: 0 } };
  while (r.next()) {
    switch (r.field) {
      case 1:
        setOptional(request, "instanceName", r.string());
        break;
      case 2:
        request.rootDigest = r.message(readDigest);
        break;
      case 3:
        setOptional(request, "pageSize", r.int32());
        break;
      case 4:
        setOptional(request, "pageToken", r.string());
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

/**
 * Encodes a `GetTreeResponse`.
 *
 * @example An empty directory and a page token
 * ```ts
 * import { encodeGetTreeResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeGetTreeResponse({
 *   directories: [{ files: [], directories: [], symlinks: [] }],
 *   nextPageToken: "n",
 * });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 0, 0x12, 1, 0x6e]));
 * ```
 */
export function encodeGetTreeResponse(response: GetTreeResponse): Uint8Array {
  const w = new ProtoWriter();
  for (const directory of response.directories) w.encodedMessage(1, encodeDirectory(directory));
  w.string(2, response.nextPageToken);
  return w.finish();
}

/**
 * Decodes a `GetTreeResponse`.
 *
 * @example Round trip
 * ```ts
 * import { decodeGetTreeResponse, encodeGetTreeResponse } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const response = { directories: [], nextPageToken: "page-2" };
 * assert.deepEqual(decodeGetTreeResponse(encodeGetTreeResponse(response)), response);
 * ```
 */
export function decodeGetTreeResponse(bytes: Uint8Array): GetTreeResponse {
  const r = new ProtoReader(bytes);
  const response: GetTreeResponse = { directories: [] };
  while (r.next()) {
    if (r.field === 1) response.directories.push(decodeDirectory(r.bytes()));
    else if (r.field === 2) setOptional(response, "nextPageToken", r.string());
    else r.skip();
  }
  return response;
}

function _readUpdateEntry(r: ProtoReader): BatchUpdateBlobsEntry {
  const entry: BatchUpdateBlobsEntry = {
    digest: { hash: "", sizeBytes: 0 },
    data: new Uint8Array(),
  };
  while (r.next()) {
    if (r.field === 1) entry.digest = r.message(readDigest);
    else if (r.field === 2) entry.data = r.bytes();
    else if (r.field === 3) setOptional(entry, "compressor", r.int32());
    else r.skip();
  }
  return entry;
}

function _readReadEntry(r: ProtoReader): BatchReadBlobsEntry {
  const entry: BatchReadBlobsEntry = { digest: { hash: "", sizeBytes: 0 }, data: new Uint8Array() };
  while (r.next()) {
    if (r.field === 1) entry.digest = r.message(readDigest);
    else if (r.field === 2) entry.data = r.bytes();
    else if (r.field === 3) entry.status = decodeStatus(r.bytes());
    else if (r.field === 4) setOptional(entry, "compressor", r.int32());
    else r.skip();
  }
  return entry;
}
