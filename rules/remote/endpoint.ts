/**
 * Where a remote service listens: `grpc://HOST:PORT` or `grpcs://HOST:PORT`.
 *
 * @module
 */

/**
 * A parsed `grpc://` or `grpcs://` endpoint.
 *
 * @example The parts of a TLS endpoint
 * ```ts
 * import { type Endpoint, parseEndpoint } from "./endpoint.ts";
 * import assert from "node:assert/strict";
 *
 * const endpoint: Endpoint = parseEndpoint("grpcs://cache.example.com:8443");
 * assert.deepEqual([endpoint.tls, endpoint.host, endpoint.port], [true, "cache.example.com", 8443]);
 * ```
 */
export interface Endpoint {
  /** The endpoint as written, without a trailing slash. */
  url: string;
  /** Whether the channel uses TLS (`grpcs://`). */
  tls: boolean;
  /** Host name or address; an IPv6 address keeps its brackets. */
  host: string;
  /** TCP port. */
  port: number;
  /** `host:port`, the target handed to the gRPC channel. */
  address: string;
}

/**
 * Whether `url` names a gRPC endpoint (`grpc://` or `grpcs://`), the only
 * kind for which the gRPC library is loaded.
 *
 * @param url An endpoint as given on the command line.
 * @returns `true` for `grpc://...` and `grpcs://...`.
 *
 * @example Telling gRPC endpoints from HTTP caches
 * ```ts
 * import { isGrpcEndpoint } from "./endpoint.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isGrpcEndpoint("grpcs://remote.example.com:443"), true);
 * assert.equal(isGrpcEndpoint("https://cache.example.com/bazel"), false);
 * ```
 */
export function isGrpcEndpoint(url: string): boolean {
  return /^grpcs?:\/\//i.test(url.trim());
}

/**
 * Parses `grpc://HOST:PORT` or `grpcs://HOST:PORT`. The port may be left out
 * only for `grpcs://`, where it is 443.
 *
 * @param url The endpoint.
 * @returns Its parts.
 * @throws {TypeError} When `url` is not a gRPC endpoint, has no host, a path,
 * or a port out of range.
 *
 * @example Parsing an endpoint
 * ```ts
 * import { parseEndpoint } from "./endpoint.ts";
 * import assert from "node:assert/strict";
 *
 * const endpoint = parseEndpoint("grpc://127.0.0.1:8980");
 * assert.equal(endpoint.tls, false);
 * assert.equal(endpoint.address, "127.0.0.1:8980");
 * assert.equal(parseEndpoint("grpcs://remote.example.com").port, 443);
 * assert.throws(() => parseEndpoint("http://127.0.0.1:8980"), /grpc:\/\//);
 * ```
 */
export function parseEndpoint(url: string): Endpoint {
  const text = url.trim().replace(/\/+$/, "");
  const match = /^(grpcs?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:\[\]]+)(?::(\d+))?$/i.exec(text);
  if (!match) {
    throw new TypeError(
      `Cannot use remote endpoint "${url}": expected grpc://HOST:PORT or grpcs://HOST:PORT`,
    );
  }
  const tls = match[1].toLowerCase() === "grpcs";
  const host = match[2];
  if (match[3] === undefined && !tls) {
    throw new TypeError(
      `Cannot use remote endpoint "${url}": a grpc:// endpoint needs a port, as in grpc://${host}:8980`,
    );
  }
  const port = match[3] === undefined ? 443 : Number(match[3]);
  if (port < 1 || port > 65535) {
    throw new TypeError(`Cannot use remote endpoint "${url}": port ${port} is out of range`);
  }
  return { url: text, tls, host, port, address: `${host}:${port}` };
}
