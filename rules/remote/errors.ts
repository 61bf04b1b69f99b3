/**
 * The error of a failed remote call, with its gRPC status code.
 *
 * @module
 */

/**
 * gRPC status code names, indexed by code (google.rpc.Code).
 *
 * @example A code's name
 * ```ts
 * import { GRPC_CODE_NAMES } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(GRPC_CODE_NAMES[14], "UNAVAILABLE");
 * ```
 */
export const GRPC_CODE_NAMES: readonly string[] = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

/**
 * gRPC status codes that callers test for by name.
 *
 * @example Testing a code
 * ```ts
 * import { GrpcCode } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(GrpcCode.NOT_FOUND, 5);
 * ```
 */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/**
 * What a {@linkcode RemoteError} is made from.
 *
 * @example A refused call
 * ```ts
 * import { RemoteError, type RemoteErrorInit } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const init: RemoteErrorInit = {
 *   code: 7,
 *   method: "ActionCache.UpdateActionResult",
 *   endpoint: "grpc://127.0.0.1:8980",
 *   details: "read-only cache",
 * };
 * assert.match(new RemoteError(init).message, /PERMISSION_DENIED: read-only cache/);
 * ```
 */
export interface RemoteErrorInit {
  /** gRPC status code (google.rpc.Code). */
  code: number;
  /** The service and method, as `ContentAddressableStorage.FindMissingBlobs`. */
  method: string;
  /** The endpoint called. */
  endpoint: string;
  /** The server's (or the channel's) message. */
  details: string;
}

/**
 * A remote call that failed: the gRPC status code, the method, the endpoint
 * and a hint on what to do. Also used for a failed `google.rpc.Status`
 * carried inside a response (an Execute's status, a batch entry's status).
 *
 * @example Inspecting a failure
 * ```ts
 * import { GrpcCode, RemoteError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new RemoteError({
 *   code: GrpcCode.UNAVAILABLE,
 *   method: "Capabilities.GetCapabilities",
 *   endpoint: "grpc://127.0.0.1:1",
 *   details: "connect ECONNREFUSED",
 * });
 * assert.equal(error.codeName, "UNAVAILABLE");
 * assert.match(error.message, /^Capabilities.GetCapabilities on grpc:\/\/127.0.0.1:1 failed/);
 * assert.match(error.message, /check that the server runs/);
 * ```
 */
export class RemoteError extends Error {
  /** `"RemoteError"`. */
  override name = "RemoteError";
  /** gRPC status code. */
  readonly code: number;
  /** The service and method called. */
  readonly method: string;
  /** The endpoint called. */
  readonly endpoint: string;
  /** The server's (or the channel's) message. */
  readonly details: string;

  /**
   * Builds the error and its message.
   *
   * @param init The code, method, endpoint and details.
   * @param options `cause`, the underlying error if any.
   */
  constructor(init: RemoteErrorInit, options?: ErrorOptions) {
    const name = GRPC_CODE_NAMES[init.code] ?? `code ${init.code}`;
    const details = init.details ? `: ${init.details}` : "";
    super(
      `${init.method} on ${init.endpoint} failed with ${name}${details}${_hint(init.code)}`,
      options,
    );
    this.code = init.code;
    this.method = init.method;
    this.endpoint = init.endpoint;
    this.details = init.details;
  }

  /** The name of {@linkcode RemoteError.code}, as `UNAVAILABLE`. */
  get codeName(): string {
    return GRPC_CODE_NAMES[this.code] ?? `code ${this.code}`;
  }
}

function _hint(code: number): string {
  switch (code) {
    case GrpcCode.UNAVAILABLE:
      return " (check that the server runs and that the endpoint's host and port are right)";
    case GrpcCode.DEADLINE_EXCEEDED:
      return " (the server did not answer in time: check it, or raise the deadline)";
    case GrpcCode.UNAUTHENTICATED:
    case GrpcCode.PERMISSION_DENIED:
      return " (check the credentials given in BARCHAN_REMOTE_HEADERS)";
    case GrpcCode.UNIMPLEMENTED:
      return " (the server does not offer this service: check the endpoint and instance name)";
    default:
      return "";
  }
}
