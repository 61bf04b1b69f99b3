/**
 * The Google messages the Remote Execution API embeds: `google.protobuf.Any`,
 * `Duration` and `Timestamp`, `google.rpc.Status` and
 * `google.longrunning.Operation`.
 *
 * Decoders leave optional fields out when they hold the default; bytes
 * fields are views into the decoded input.
 *
 * @module
 */

import { ProtoReader, ProtoWriter } from "./proto.ts";

/**
 * `google.protobuf.Any`: a message of any type, as its type URL and encoded
 * bytes.
 *
 * @example An Any holding a Digest
 * ```ts
 * import { type Any, encodeAny } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const any: Any = {
 *   typeUrl: "type.googleapis.com/build.bazel.remote.execution.v2.Digest",
 *   value: new Uint8Array([0x10, 1]),
 * };
 * assert.equal(encodeAny(any).length, 2 + any.typeUrl.length + 4);
 * ```
 */
export interface Any {
  /** `type.googleapis.com/` followed by the message's full name. */
  typeUrl: string;
  /** The encoded message. */
  value: Uint8Array;
}

/**
 * `google.protobuf.Duration`: a signed span of time.
 *
 * @example Ninety seconds and a half
 * ```ts
 * import { decodeDuration, type Duration, encodeDuration } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const d: Duration = { seconds: 90, nanos: 500_000_000 };
 * assert.deepEqual(decodeDuration(encodeDuration(d)), d);
 * ```
 */
export interface Duration {
  /** Whole seconds. */
  seconds: number;
  /** Nanoseconds, in [0, 1e9) for positive durations (same sign as `seconds`). */
  nanos: number;
}

/**
 * `google.protobuf.Timestamp`: a point in time, from the Unix epoch.
 *
 * @example 2024-01-01T00:00:00.25Z
 * ```ts
 * import { decodeTimestamp, encodeTimestamp, type Timestamp } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const t: Timestamp = { seconds: Date.UTC(2024, 0, 1) / 1000, nanos: 250_000_000 };
 * assert.deepEqual(decodeTimestamp(encodeTimestamp(t)), t);
 * ```
 */
export interface Timestamp {
  /** Seconds since 1970-01-01T00:00:00Z. */
  seconds: number;
  /** Nanoseconds, in [0, 1e9). */
  nanos: number;
}

/**
 * `google.rpc.Status`: a gRPC status code, a message and details.
 *
 * @example NOT_FOUND
 * ```ts
 * import { decodeStatus, encodeStatus, type Status } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const status: Status = { code: 5, message: "Blob not found" };
 * assert.deepEqual(decodeStatus(encodeStatus(status)), status);
 * ```
 */
export interface Status {
  /** A `google.rpc.Code`: 0 is OK, 5 NOT_FOUND, 14 UNAVAILABLE... */
  code: number;
  /** A message for developers, in English. @default "" */
  message?: string;
  /** Messages with more detail. @default [] */
  details?: Any[];
}

/**
 * `google.longrunning.Operation`: the state of a remote execution. When
 * `done`, either `error` or `response` is set (a oneof; `error` wins if both
 * are given).
 *
 * @example A finished operation
 * ```ts
 * import { decodeOperation, encodeOperation, type Operation } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const op: Operation = {
 *   name: "operations/1",
 *   done: true,
 *   response: { typeUrl: "type.googleapis.com/x.Y", value: new Uint8Array() },
 * };
 * assert.deepEqual(decodeOperation(encodeOperation(op)), op);
 * ```
 */
export interface Operation {
  /** The name the server gave, for `WaitExecution`. */
  name: string;
  /** Progress, for executions an `ExecuteOperationMetadata`. */
  metadata?: Any;
  /** Whether the operation finished. */
  done: boolean;
  /** Why the operation failed. */
  error?: Status;
  /** The result, for executions an `ExecuteResponse`. */
  response?: Any;
}

/**
 * Encodes a `google.protobuf.Any`.
 *
 * @example Round trip
 * ```ts
 * import { decodeAny, encodeAny } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const any = { typeUrl: "type.googleapis.com/a.B", value: new Uint8Array([8, 1]) };
 * assert.deepEqual(decodeAny(encodeAny(any)), any);
 * ```
 */
export function encodeAny(any: Any): Uint8Array {
  const w = new ProtoWriter();
  _writeAny(w, any);
  return w.finish();
}

/**
 * Decodes a `google.protobuf.Any`.
 *
 * @example An empty message decodes to empty fields
 * ```ts
 * import { decodeAny } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeAny(new Uint8Array()), { typeUrl: "", value: new Uint8Array() });
 * ```
 */
export function decodeAny(bytes: Uint8Array): Any {
  return _readAny(new ProtoReader(bytes));
}

/**
 * Encodes a `google.protobuf.Duration`.
 *
 * @example One second is field 1 = 1
 * ```ts
 * import { encodeDuration } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeDuration({ seconds: 1, nanos: 0 }), new Uint8Array([8, 1]));
 * ```
 */
export function encodeDuration(duration: Duration): Uint8Array {
  const w = new ProtoWriter(16);
  _writeSecondsNanos(w, duration);
  return w.finish();
}

/**
 * Decodes a `google.protobuf.Duration`.
 *
 * @example Nanoseconds only
 * ```ts
 * import { decodeDuration } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeDuration(new Uint8Array([0x10, 5])), { seconds: 0, nanos: 5 });
 * ```
 */
export function decodeDuration(bytes: Uint8Array): Duration {
  return _readSecondsNanos(new ProtoReader(bytes));
}

/**
 * Encodes a `google.protobuf.Timestamp`.
 *
 * @example The epoch is empty
 * ```ts
 * import { encodeTimestamp } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeTimestamp({ seconds: 0, nanos: 0 }).length, 0);
 * ```
 */
export function encodeTimestamp(timestamp: Timestamp): Uint8Array {
  const w = new ProtoWriter(16);
  _writeSecondsNanos(w, timestamp);
  return w.finish();
}

/**
 * Decodes a `google.protobuf.Timestamp`.
 *
 * @example From a JavaScript date
 * ```ts
 * import { decodeTimestamp, encodeTimestamp } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const ms = Date.UTC(2025, 5, 1, 12, 0, 0, 125);
 * const t = decodeTimestamp(encodeTimestamp({ seconds: Math.floor(ms / 1000), nanos: 125e6 }));
 * assert.equal(t.seconds * 1000 + t.nanos / 1e6, ms);
 * ```
 */
export function decodeTimestamp(bytes: Uint8Array): Timestamp {
  return _readSecondsNanos(new ProtoReader(bytes));
}

/**
 * Encodes a `google.rpc.Status`.
 *
 * @example OK is empty
 * ```ts
 * import { encodeStatus } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeStatus({ code: 0 }).length, 0);
 * ```
 */
export function encodeStatus(status: Status): Uint8Array {
  const w = new ProtoWriter();
  _writeStatus(w, status);
  return w.finish();
}

/**
 * Decodes a `google.rpc.Status`.
 *
 * @example Code and details
 * ```ts
 * import { decodeStatus, encodeStatus } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const status = {
 *   code: 3,
 *   message: "Bad digest",
 *   details: [{ typeUrl: "type.googleapis.com/google.rpc.BadRequest", value: new Uint8Array([1]) }],
 * };
 * assert.deepEqual(decodeStatus(encodeStatus(status)), status);
 * ```
 */
export function decodeStatus(bytes: Uint8Array): Status {
  return _readStatus(new ProtoReader(bytes));
}

/**
 * Encodes a `google.longrunning.Operation`.
 *
 * @example A running operation names itself
 * ```ts
 * import { encodeOperation } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeOperation({ name: "op", done: false });
 * assert.deepEqual(bytes, new Uint8Array([0x0a, 2, 0x6f, 0x70]));
 * ```
 */
export function encodeOperation(operation: Operation): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, operation.name);
  w.message(2, operation.metadata, _writeAny);
  w.bool(3, operation.done);
  if (operation.error !== undefined) {
    w.message(4, operation.error, _writeStatus);
  } else {
    w.message(5, operation.response, _writeAny);
  }
  return w.finish();
}

/**
 * Decodes a `google.longrunning.Operation`. Of `error` and `response`, the
 * one that comes last on the wire is kept, as for any oneof.
 *
 * @example A failed operation
 * ```ts
 * import { decodeOperation, encodeOperation } from "./google.ts";
 * import assert from "node:assert/strict";
 *
 * const op = { name: "op", done: true, error: { code: 14, message: "Worker lost" } };
 * assert.deepEqual(decodeOperation(encodeOperation(op)), op);
 * ```
 */
export function decodeOperation(bytes: Uint8Array): Operation {
  const r = new ProtoReader(bytes);
  const operation: Operation = { name: "", done: false };
  while (r.next()) {
    switch (r.field) {
      case 1:
        operation.name = r.string();
        break;
      case 2:
        operation.metadata = r.message(_readAny);
        break;
      case 3:
        operation.done = r.bool();
        break;
      case 4:
        operation.error = r.message(_readStatus);
        delete operation.response;
        break;
      case 5:
        operation.response = r.message(_readAny);
        delete operation.error;
        break;
      default:
        r.skip();
    }
  }
  return operation;
}

function _writeAny(w: ProtoWriter, any: Any): void {
  w.string(1, any.typeUrl);
  w.bytes(2, any.value);
}

function _readAny(r: ProtoReader): Any {
  let typeUrl = "";
  let value: Uint8Array = new Uint8Array();
  while (r.next()) {
    if (r.field === 1) typeUrl = r.string();
    else if (r.field === 2) value = r.bytes();
    else r.skip();
  }
  return { typeUrl, value };
}

function _writeSecondsNanos(w: ProtoWriter, value: Duration | Timestamp): void {
  w.int64(1, value.seconds);
  w.int32(2, value.nanos);
}

function _readSecondsNanos(r: ProtoReader): Duration {
  let seconds = 0;
  let nanos = 0;
  while (r.next()) {
    if (r.field === 1) seconds = r.int64();
    else if (r.field === 2) nanos = r.int32();
    else r.skip();
  }
  return { seconds, nanos };
}

function _writeStatus(w: ProtoWriter, status: Status): void {
  w.int32(1, status.code);
  w.string(2, status.message);
  w.repeatedMessage(3, status.details, _writeAny);
}

function _readStatus(r: ProtoReader): Status {
  const status: Status = { code: 0 };
  const details: Any[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        status.code = r.int32();
        break;
      case 2:
        status.message = r.string();
        break;
      case 3:
        details.push(r.message(_readAny));
        break;
      default:
        r.skip();
    }
  }
  if (status.message === "") delete status.message;
  if (details.length > 0) status.details = details;
  return status;
}
