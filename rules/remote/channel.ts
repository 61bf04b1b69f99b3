/**
 * A gRPC channel to one endpoint that sends and receives raw message bytes:
 * messages are encoded by `rules/reapi`, so the channel knows no schema.
 * Every call carries the configured headers and a deadline; unary calls are
 * retried on UNAVAILABLE and RESOURCE_EXHAUSTED.
 *
 * @module
 */

import { type Endpoint, parseEndpoint } from "./endpoint.ts";
import { GrpcCode, RemoteError } from "./errors.ts";
import { remoteHeadersFromEnv } from "./headers.ts";
import { type GrpcClient, type GrpcMetadata, type GrpcWritable, loadGrpc } from "./_grpc.ts";
import { withRetries } from "./_retry.ts";

/**
 * Options of {@linkcode RemoteChannel.open}.
 *
 * @example A token and a short deadline
 * ```ts
 * import type { ChannelOptions } from "./channel.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ChannelOptions = {
 *   headers: [["authorization", "Bearer token"]],
 *   deadlineMs: 5_000,
 *   retries: 1,
 * };
 * assert.equal(options.headers?.length, 1);
 * ```
 */
export interface ChannelOptions {
  /**
   * Metadata sent with every call (names lowercase).
   * @default the headers of `BARCHAN_REMOTE_HEADERS`
   */
  headers?: [string, string][];
  /**
   * PEM file of the certificate authorities trusted for `grpcs://`.
   * @default the system's roots
   */
  caFile?: string;
  /**
   * Deadline of each unary call, in milliseconds.
   * @default 60_000
   */
  deadlineMs?: number;
  /**
   * How many times a call failing with UNAVAILABLE or RESOURCE_EXHAUSTED is
   * tried again.
   * @default 3
   */
  retries?: number;
  /**
   * Wait before the first retry, doubled for each next one.
   * @default 200
   */
  backoffMs?: number;
  /**
   * Largest message received.
   * @default 64 MiB
   */
  maxMessageBytes?: number;
}

/**
 * Options of one call.
 *
 * @example A stream that must keep moving
 * ```ts
 * import type { CallOptions } from "./channel.ts";
 * import assert from "node:assert/strict";
 *
 * const options: CallOptions = { idleTimeoutMs: 30_000 };
 * assert.equal(options.deadlineMs, undefined);
 * ```
 */
export interface CallOptions {
  /** Absolute deadline of the call, in milliseconds; overrides the channel's. */
  deadlineMs?: number;
  /**
   * For streams: fail with DEADLINE_EXCEEDED when no message arrives for this
   * long.
   */
  idleTimeoutMs?: number;
  /** For server streams: cancels the call (it then fails with CANCELLED). */
  signal?: AbortSignal;
}

// grpc-js frames messages with Node's Buffer methods, so what it is handed
// is a Buffer over the encoded bytes; node:buffer is loaded with grpc-js.
let _bufferFrom: (bytes: Uint8Array) => Uint8Array;

function _serialize(bytes: Uint8Array): Uint8Array {
  return _bufferFrom(bytes);
}

function _deserialize(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * A channel to one gRPC endpoint. Methods are named `Service.Method` with
 * the service's full package (`build.bazel.remote.execution.v2.Capabilities.
 * GetCapabilities`); errors are {@linkcode RemoteError}s naming the short
 * `Service.Method`.
 *
 * @example An endpoint where nothing listens fails fast
 * ```ts
 * import { RemoteChannel } from "./channel.ts";
 * import { RemoteError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * listener.close();
 * const channel = await RemoteChannel.open(`grpc://127.0.0.1:${port}`, { retries: 1 });
 * try {
 *   await assert.rejects(
 *     channel.unary("build.bazel.remote.execution.v2.Capabilities.GetCapabilities", new Uint8Array()),
 *     (error) => error instanceof RemoteError && error.codeName === "UNAVAILABLE",
 *   );
 * } finally {
 *   channel.close();
 * }
 * ```
 */
export class RemoteChannel {
  /** The endpoint this channel talks to. */
  readonly endpoint: Endpoint;
  #client: GrpcClient;
  #metadata: GrpcMetadata;
  #deadlineMs: number;
  #retries: number;
  #backoffMs: number;

  private constructor(
    endpoint: Endpoint,
    client: GrpcClient,
    metadata: GrpcMetadata,
    options: ChannelOptions,
  ) {
    this.endpoint = endpoint;
    this.#client = client;
    this.#metadata = metadata;
    this.#deadlineMs = options.deadlineMs ?? 60_000;
    this.#retries = options.retries ?? 3;
    this.#backoffMs = options.backoffMs ?? 200;
  }

  /**
   * Loads the gRPC library (once per process) and opens a channel. The
   * connection itself is made by the first call.
   *
   * @param endpoint `grpc://HOST:PORT` or `grpcs://HOST:PORT`.
   * @param options Headers, TLS roots, deadline, retries.
   * @returns The channel; {@linkcode RemoteChannel.close} it when done.
   * @throws {TypeError} For a `grpcs://` endpoint named by IP address.
   */
  static async open(
    endpoint: string | Endpoint,
    options: ChannelOptions = {},
  ): Promise<RemoteChannel> {
    const parsed = typeof endpoint === "string" ? parseEndpoint(endpoint) : endpoint;
    if (parsed.tls && _isIpAddress(parsed.host)) {
      // grpc-js sends the host as the TLS server name, which Deno's node:tls
      // refuses for an address (RFC 6066 allows only host names there).
      throw new TypeError(
        `Cannot use ${parsed.url}: TLS needs a host name, not an IP address; ` +
          "use a name that the server's certificate lists (an /etc/hosts entry will do)",
      );
    }
    const headers = options.headers ?? remoteHeadersFromEnv();
    let roots: Uint8Array | undefined;
    if (parsed.tls && options.caFile !== undefined) {
      try {
        roots = await Deno.readFile(options.caFile);
      } catch (error) {
        throw new Error(
          `Cannot read the CA file "${options.caFile}" for ${parsed.url}: ${
            (error as Error).message
          }`,
          { cause: error },
        );
      }
    }
    const grpc = await loadGrpc();
    if (!_bufferFrom) {
      const { Buffer } = await import("node:buffer");
      _bufferFrom = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    const credentials = parsed.tls
      ? grpc.credentials.createSsl(roots ? _bufferFrom(roots) : null)
      : grpc.credentials.createInsecure();
    const client = new grpc.Client(parsed.address, credentials, {
      "grpc.max_receive_message_length": options.maxMessageBytes ?? 64 * 1024 * 1024,
      "grpc.max_send_message_length": options.maxMessageBytes ?? 64 * 1024 * 1024,
      "grpc.keepalive_time_ms": 60_000,
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 5_000,
    });
    const metadata = new grpc.Metadata();
    for (const [name, value] of headers) {
      if (name.endsWith("-bin")) metadata.add(name, _bufferFrom(_fromBase64(value)));
      else metadata.add(name, value);
    }
    return new RemoteChannel(parsed, client, metadata, options);
  }

  /**
   * Adds a header to every later call (a binary one when `value` is bytes and
   * `name` ends in `-bin`).
   *
   * @param name Lowercase metadata key.
   * @param value Its value.
   */
  setHeader(name: string, value: string | Uint8Array): void {
    this.#metadata.set(name, typeof value === "string" ? value : _bufferFrom(value));
  }

  /**
   * A unary call, retried on UNAVAILABLE and RESOURCE_EXHAUSTED.
   *
   * @param method Full method name, as `package.Service.Method`.
   * @param request The encoded request.
   * @param options Deadline.
   * @returns The encoded response.
   * @throws {RemoteError} When the call fails.
   */
  unary(method: string, request: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    return withRetries(
      () =>
        new Promise<Uint8Array>((resolve, reject) => {
          this.#client.makeUnaryRequest(
            _path(method),
            _serialize,
            _deserialize,
            request,
            this.#metadata.clone(),
            { deadline: this.#deadline(options) },
            (error, value) => {
              if (error) reject(this.#wrap(method, error));
              else resolve(value ?? new Uint8Array());
            },
          );
        }),
      this.#retries,
      this.#backoffMs,
    );
  }

  /**
   * A server-streaming call, not retried (the caller knows how to resume).
   * Leaving the loop early cancels the call.
   *
   * @param method Full method name.
   * @param request The encoded request.
   * @param options Deadline (none unless given), idle time-out, a signal.
   * @returns The encoded responses, in order.
   * @throws {RemoteError} When the call fails, also midway.
   */
  async *serverStream(
    method: string,
    request: Uint8Array,
    options: CallOptions = {},
  ): AsyncGenerator<Uint8Array> {
    const call = this.#client.makeServerStreamRequest(
      _path(method),
      _serialize,
      _deserialize,
      request,
      this.#metadata.clone(),
      { deadline: options.deadlineMs ?? Infinity },
    );
    const idle = new _IdleTimer(options.idleTimeoutMs, () => call.cancel());
    const cancel = () => call.cancel();
    options.signal?.addEventListener("abort", cancel, { once: true });
    if (options.signal?.aborted) cancel();
    let finished = false;
    try {
      for await (const message of call) {
        idle.reset();
        yield message as Uint8Array;
      }
      finished = true;
    } catch (error) {
      if (idle.fired) throw this.#idleError(method, options.idleTimeoutMs!);
      throw this.#wrap(method, error);
    } finally {
      idle.stop();
      options.signal?.removeEventListener("abort", cancel);
      if (!finished) call.cancel();
    }
  }

  /**
   * A client-streaming call, not retried (the requests may not be
   * replayable). Writes wait for the channel to drain, so a large upload
   * never sits whole in memory.
   *
   * @param method Full method name.
   * @param requests The encoded requests, produced as they are sent.
   * @param options Deadline (none unless given) and idle time-out.
   * @returns The encoded response.
   * @throws {RemoteError} When the call fails.
   */
  async clientStream(
    method: string,
    requests: AsyncIterable<Uint8Array>,
    options: CallOptions = {},
  ): Promise<Uint8Array> {
    let call!: GrpcWritable;
    let settled = false;
    const result = new Promise<Uint8Array>((resolve, reject) => {
      call = this.#client.makeClientStreamRequest(
        _path(method),
        _serialize,
        _deserialize,
        this.#metadata.clone(),
        { deadline: options.deadlineMs ?? Infinity },
        (error, value) => {
          settled = true;
          if (error) {
            reject(
              idle.fired
                ? this.#idleError(method, options.idleTimeoutMs!)
                : this.#wrap(method, error),
            );
          } else resolve(value ?? new Uint8Array());
        },
      );
    });
    const idle = new _IdleTimer(options.idleTimeoutMs, () => call.cancel());
    const done = result.then(() => {}, () => {});
    try {
      for await (const request of requests) {
        if (settled) break;
        idle.reset();
        if (!call.write(request)) {
          await Promise.race([new Promise<void>((resolve) => call.once("drain", resolve)), done]);
        }
      }
      if (!settled) call.end();
    } catch (error) {
      call.cancel();
      await done;
      throw error;
    } finally {
      idle.stop();
    }
    return await result;
  }

  /** Closes the channel; calls in flight fail with CANCELLED. */
  close(): void {
    this.#client.close();
  }

  #deadline(options: CallOptions): number {
    return options.deadlineMs ?? Date.now() + this.#deadlineMs;
  }

  #wrap(method: string, error: unknown): RemoteError {
    if (error instanceof RemoteError) return error;
    const status = error as { code?: number; details?: string; message?: string };
    return new RemoteError({
      code: typeof status.code === "number" ? status.code : GrpcCode.UNKNOWN,
      method: _shortName(method),
      endpoint: this.endpoint.url,
      details: status.details ?? status.message ?? String(error),
    }, { cause: error });
  }

  #idleError(method: string, ms: number): RemoteError {
    return new RemoteError({
      code: GrpcCode.DEADLINE_EXCEEDED,
      method: _shortName(method),
      endpoint: this.endpoint.url,
      details: `no message for ${ms} ms`,
    });
  }
}

class _IdleTimer {
  fired = false;
  #ms: number | undefined;
  #onFire: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number | undefined, onFire: () => void) {
    this.#ms = ms;
    this.#onFire = onFire;
    this.reset();
  }

  reset(): void {
    if (this.#ms === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.#onFire();
    }, this.#ms);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

function _fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function _isIpAddress(host: string): boolean {
  return host.startsWith("[") || /^\d+\.\d+\.\d+\.\d+$/.test(host);
}

function _path(method: string): string {
  const dot = method.lastIndexOf(".");
  return `/${method.slice(0, dot)}/${method.slice(dot + 1)}`;
}

function _shortName(method: string): string {
  return method.split(".").slice(-2).join(".");
}
