/**
 * The `google.bytestream.ByteStream` service as the Remote Execution API
 * uses it, for blobs too large for a batch: `Read`, `Write` and
 * `QueryWriteStatus` messages, and the resource names REAPI gives blobs.
 *
 * Decoders leave optional fields out when they hold the default; `data` is a
 * view into the decoded input.
 *
 * @module
 */

import type { Digest } from "./messages.ts";
import { ProtoReader, ProtoWriter } from "./proto.ts";
import { setOptional } from "./_fields.ts";

/**
 * `ReadRequest`: stream a blob's bytes, from an offset.
 *
 * @example Reading from byte 100
 * ```ts
 * import { blobResourceName, type ReadRequest } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const request: ReadRequest = {
 *   resourceName: blobResourceName({ hash: "ab", sizeBytes: 1000 }),
 *   readOffset: 100,
 * };
 * assert.equal(request.resourceName, "blobs/ab/1000");
 * ```
 */
export interface ReadRequest {
  /** The blob's resource name, from {@linkcode blobResourceName}. */
  resourceName: string;
  /** Where to start. @default 0 */
  readOffset?: number;
  /** The most bytes to read; 0 means to the end. @default 0 */
  readLimit?: number;
}

/**
 * `ReadResponse`: one chunk of a read.
 *
 * @example A chunk
 * ```ts
 * import type { ReadResponse } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const chunk: ReadResponse = { data: new Uint8Array(3) };
 * assert.equal(chunk.data.length, 3);
 * ```
 */
export interface ReadResponse {
  /** The bytes. */
  data: Uint8Array;
}

/**
 * `WriteRequest`: one chunk of an upload. The first names the resource; the
 * last sets `finishWrite`.
 *
 * @example The last chunk
 * ```ts
 * import type { WriteRequest } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const last: WriteRequest = { writeOffset: 1 << 20, finishWrite: true, data: new Uint8Array(5) };
 * assert.equal(last.resourceName, undefined);
 * ```
 */
export interface WriteRequest {
  /** The upload's resource name, from {@linkcode uploadResourceName}; first chunk only. @default "" */
  resourceName?: string;
  /** Where this chunk goes. @default 0 */
  writeOffset?: number;
  /** Whether this is the last chunk. @default false */
  finishWrite?: boolean;
  /** The bytes. */
  data: Uint8Array;
}

/**
 * `WriteResponse`: how many bytes the server has.
 *
 * @example All of a 1000-byte blob
 * ```ts
 * import type { WriteResponse } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const response: WriteResponse = { committedSize: 1000 };
 * assert.equal(response.committedSize, 1000);
 * ```
 */
export interface WriteResponse {
  /** Bytes committed. */
  committedSize: number;
}

/**
 * `QueryWriteStatusRequest`: how far did an upload get?
 *
 * @example By resource name
 * ```ts
 * import type { QueryWriteStatusRequest } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const request: QueryWriteStatusRequest = { resourceName: "uploads/u/blobs/ab/1" };
 * assert.ok(request.resourceName.startsWith("uploads/"));
 * ```
 */
export interface QueryWriteStatusRequest {
  /** The upload's resource name. */
  resourceName: string;
}

/**
 * `QueryWriteStatusResponse`: the bytes committed, and whether the upload is
 * complete.
 *
 * @example Half done
 * ```ts
 * import type { QueryWriteStatusResponse } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const status: QueryWriteStatusResponse = { committedSize: 512, complete: false };
 * assert.equal(status.complete, false);
 * ```
 */
export interface QueryWriteStatusResponse {
  /** Bytes committed. */
  committedSize: number;
  /** Whether the upload finished. */
  complete: boolean;
}

/**
 * The ByteStream resource name to read a blob:
 * `{instanceName}/blobs/{hash}/{size}`.
 *
 * @param digest The blob's digest.
 * @param instanceName The server's instance name; `""` for none.
 * @returns The resource name.
 *
 * @example With and without an instance name
 * ```ts
 * import { blobResourceName } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(blobResourceName({ hash: "ab", sizeBytes: 3 }), "blobs/ab/3");
 * assert.equal(blobResourceName({ hash: "ab", sizeBytes: 3 }, "main"), "main/blobs/ab/3");
 * ```
 */
export function blobResourceName(digest: Digest, instanceName = ""): string {
  return `${_prefix(instanceName)}blobs/${digest.hash}/${digest.sizeBytes}`;
}

/**
 * The ByteStream resource name to upload a blob:
 * `{instanceName}/uploads/{uuid}/blobs/{hash}/{size}`.
 *
 * @param digest The blob's digest.
 * @param uuid A fresh identifier of this upload.
 * @param instanceName The server's instance name; `""` for none.
 * @returns The resource name.
 *
 * @example A fresh upload
 * ```ts
 * import { uploadResourceName } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const uuid = crypto.randomUUID();
 * assert.equal(uploadResourceName({ hash: "ab", sizeBytes: 3 }, uuid), `uploads/${uuid}/blobs/ab/3`);
 * ```
 */
export function uploadResourceName(digest: Digest, uuid: string, instanceName = ""): string {
  return `${_prefix(instanceName)}uploads/${uuid}/blobs/${digest.hash}/${digest.sizeBytes}`;
}

/**
 * Encodes a `ReadRequest`.
 *
 * @example Offset and limit
 * ```ts
 * import { encodeReadRequest } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeReadRequest({ resourceName: "r", readOffset: 1, readLimit: 2 });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 1, 0x72, 0x10, 1, 0x18, 2]));
 * ```
 */
export function encodeReadRequest(request: ReadRequest): Uint8Array {
  const w = new ProtoWriter(128);
  w.string(1, request.resourceName);
  w.int64(2, request.readOffset);
  w.int64(3, request.readLimit);
  return w.finish();
}

/**
 * Decodes a `ReadRequest`.
 *
 * @example Round trip
 * ```ts
 * import { decodeReadRequest, encodeReadRequest } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { resourceName: "blobs/ab/9000000000", readOffset: 4294967296 };
 * assert.deepEqual(decodeReadRequest(encodeReadRequest(request)), request);
 * ```
 */
export function decodeReadRequest(bytes: Uint8Array): ReadRequest {
  const r = new ProtoReader(bytes);
  const request: ReadRequest = { resourceName: "" };
  while (r.next()) {
    switch (r.field) {
      case 1:
        request.resourceName = r.string();
        break;
      case 2:
        setOptional(request, "readOffset", r.int64());
        break;
      case 3:
        setOptional(request, "readLimit", r.int64());
        break;
      default:
        r.skip();
    }
  }
  return request;
}

/**
 * Encodes a `ReadResponse`.
 *
 * @example Data is field 10
 * ```ts
 * import { encodeReadResponse } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeReadResponse({ data: new Uint8Array([9]) }), new Uint8Array([0x52, 1, 9]));
 * ```
 */
export function encodeReadResponse(response: ReadResponse): Uint8Array {
  const w = new ProtoWriter(response.data.length + 8);
  w.bytes(10, response.data);
  return w.finish();
}

/**
 * Decodes a `ReadResponse`.
 *
 * @example Round trip
 * ```ts
 * import { decodeReadResponse, encodeReadResponse } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const response = { data: new Uint8Array(70_000).fill(1) };
 * assert.deepEqual(decodeReadResponse(encodeReadResponse(response)), response);
 * ```
 */
export function decodeReadResponse(bytes: Uint8Array): ReadResponse {
  const r = new ProtoReader(bytes);
  let data: Uint8Array = new Uint8Array();
  while (r.next()) {
    if (r.field === 10) data = r.bytes();
    else r.skip();
  }
  return { data };
}

/**
 * Encodes a `WriteRequest`.
 *
 * @example A first and only chunk
 * ```ts
 * import { encodeWriteRequest } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeWriteRequest({ resourceName: "u", finishWrite: true, data: new Uint8Array([7]) });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 1, 0x75, 0x18, 1, 0x52, 1, 7]));
 * ```
 */
export function encodeWriteRequest(request: WriteRequest): Uint8Array {
  const w = new ProtoWriter(request.data.length + 256);
  w.string(1, request.resourceName);
  w.int64(2, request.writeOffset);
  w.bool(3, request.finishWrite);
  w.bytes(10, request.data);
  return w.finish();
}

/**
 * Decodes a `WriteRequest`.
 *
 * @example Round trip
 * ```ts
 * import { decodeWriteRequest, encodeWriteRequest } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { writeOffset: 65536, data: new Uint8Array([1, 2, 3]) };
 * assert.deepEqual(decodeWriteRequest(encodeWriteRequest(request)), request);
 * ```
 */
export function decodeWriteRequest(bytes: Uint8Array): WriteRequest {
  const r = new ProtoReader(bytes);
  const request: WriteRequest = { data: new Uint8Array() };
  while (r.next()) {
    switch (r.field) {
      case 1:
        setOptional(request, "resourceName", r.string());
        break;
      case 2:
        setOptional(request, "writeOffset", r.int64());
        break;
      case 3:
        setOptional(request, "finishWrite", r.bool());
        break;
      case 10:
        request.data = r.bytes();
        break;
      default:
        r.skip();
    }
  }
  return request;
}

/**
 * Encodes a `WriteResponse`.
 *
 * @example 300 bytes
 * ```ts
 * import { encodeWriteResponse } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeWriteResponse({ committedSize: 300 }), new Uint8Array([0x08, 0xac, 0x02]));
 * ```
 */
export function encodeWriteResponse(response: WriteResponse): Uint8Array {
  const w = new ProtoWriter(16);
  w.int64(1, response.committedSize);
  return w.finish();
}

/**
 * Decodes a `WriteResponse`.
 *
 * @example A 2.5 GiB blob
 * ```ts
 * import { decodeWriteResponse, encodeWriteResponse } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const response = { committedSize: 2.5 * 2 ** 30 };
 * assert.deepEqual(decodeWriteResponse(encodeWriteResponse(response)), response);
 * ```
 */
export function decodeWriteResponse(bytes: Uint8Array): WriteResponse {
  const r = new ProtoReader(bytes);
  let committedSize = 0;
  while (r.next()) {
    if (r.field === 1) committedSize = r.int64();
    else r.skip();
  }
  return { committedSize };
}

/**
 * Encodes a `QueryWriteStatusRequest`.
 *
 * @example One string
 * ```ts
 * import { encodeQueryWriteStatusRequest } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeQueryWriteStatusRequest({ resourceName: "u" }), new Uint8Array([0x0a, 1, 0x75]));
 * ```
 */
export function encodeQueryWriteStatusRequest(request: QueryWriteStatusRequest): Uint8Array {
  const w = new ProtoWriter(128);
  w.string(1, request.resourceName);
  return w.finish();
}

/**
 * Decodes a `QueryWriteStatusRequest`.
 *
 * @example Round trip
 * ```ts
 * import { decodeQueryWriteStatusRequest, encodeQueryWriteStatusRequest } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { resourceName: "uploads/u/blobs/ab/1" };
 * assert.deepEqual(decodeQueryWriteStatusRequest(encodeQueryWriteStatusRequest(request)), request);
 * ```
 */
export function decodeQueryWriteStatusRequest(bytes: Uint8Array): QueryWriteStatusRequest {
  const r = new ProtoReader(bytes);
  let resourceName = "";
  while (r.next()) {
    if (r.field === 1) resourceName = r.string();
    else r.skip();
  }
  return { resourceName };
}

/**
 * Encodes a `QueryWriteStatusResponse`.
 *
 * @example Complete
 * ```ts
 * import { encodeQueryWriteStatusResponse } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeQueryWriteStatusResponse({ committedSize: 1, complete: true });
 * assert.deepEqual(bytes, new Uint8Array([0x08, 1, 0x10, 1]));
 * ```
 */
export function encodeQueryWriteStatusResponse(response: QueryWriteStatusResponse): Uint8Array {
  const w = new ProtoWriter(16);
  w.int64(1, response.committedSize);
  w.bool(2, response.complete);
  return w.finish();
}

/**
 * Decodes a `QueryWriteStatusResponse`.
 *
 * @example Round trip
 * ```ts
 * import { decodeQueryWriteStatusResponse, encodeQueryWriteStatusResponse } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const response = { committedSize: 10, complete: false };
 * assert.deepEqual(decodeQueryWriteStatusResponse(encodeQueryWriteStatusResponse(response)), response);
 * ```
 */
export function decodeQueryWriteStatusResponse(bytes: Uint8Array): QueryWriteStatusResponse {
  const r = new ProtoReader(bytes);
  const response: QueryWriteStatusResponse = { committedSize: 0, complete: false };
  while (r.next()) {
    if (r.field === 1) response.committedSize = r.int64();
    else if (r.field === 2) response.complete = r.bool();
    else r.skip();
  }
  return response;
}

function _prefix(instanceName: string): string {
  return instanceName === "" ? "" : `${instanceName}/`;
}
