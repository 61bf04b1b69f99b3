/**
 * The ByteStream service, for blobs over the batch limit: read into a file
 * and written from a file in chunks, never whole in memory. Resource names
 * are REAPI's `{instance}/blobs/{hash}/{size}` and
 * `{instance}/uploads/{uuid}/blobs/{hash}/{size}`.
 *
 * @module
 */

import type { RemoteChannel } from "./channel.ts";
import { GrpcCode, RemoteError } from "./errors.ts";
import {
  blobResourceName,
  decodeReadResponse,
  decodeWriteResponse,
  encodeReadRequest,
  encodeWriteRequest,
  uploadResourceName,
} from "../reapi/bytestream.ts";
import type { Digest } from "../reapi/messages.ts";
import { isRetryable } from "./_retry.ts";
import { createDigester, type Digester } from "../reapi/digest.ts";
import { blobMismatch } from "./_verify.ts";
import { parentDir, tempBeside } from "./_files.ts";

const _SERVICE = "google.bytestream.ByteStream";

/**
 * Options of {@linkcode ByteStreamClient}.
 *
 * @example Smaller chunks
 * ```ts
 * import type { ByteStreamClientOptions } from "./bytestream.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ByteStreamClientOptions = { chunkBytes: 64 * 1024, retries: 5 };
 * assert.equal(options.chunkBytes, 65536);
 * ```
 */
export interface ByteStreamClientOptions {
  /** The instance name. @default "" */
  instanceName?: string;
  /**
   * Bytes per written message.
   * @default 1 MiB
   */
  chunkBytes?: number;
  /**
   * A read or write fails when no message moves for this long.
   * @default 60_000
   */
  idleTimeoutMs?: number;
  /**
   * Times a transfer cut by UNAVAILABLE or RESOURCE_EXHAUSTED is resumed
   * (reads, from where they stopped) or restarted (writes).
   * @default 3
   */
  retries?: number;
}

/**
 * A client of the ByteStream service for CAS blobs.
 *
 * @example Resource names follow the instance
 * ```ts
 * import { ByteStreamClient } from "./bytestream.ts";
 * import { RemoteChannel } from "./channel.ts";
 * import assert from "node:assert/strict";
 *
 * const channel = await RemoteChannel.open("grpc://127.0.0.1:8980");
 * const stream = new ByteStreamClient(channel, { instanceName: "main" });
 * assert.equal(stream.instanceName, "main");
 * channel.close();
 * ```
 */
export class ByteStreamClient {
  /** The instance name in resource names. */
  readonly instanceName: string;
  #channel: RemoteChannel;
  #chunkBytes: number;
  #idleTimeoutMs: number;
  #retries: number;

  /**
   * Makes a client on an open channel.
   *
   * @param channel An open channel.
   * @param options Instance name, chunk size, idle time-out, retries.
   */
  constructor(channel: RemoteChannel, options: ByteStreamClientOptions = {}) {
    this.#channel = channel;
    this.instanceName = options.instanceName ?? "";
    this.#chunkBytes = options.chunkBytes ?? 1024 * 1024;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.#retries = options.retries ?? 3;
  }

  /**
   * Downloads a blob into a file: written to a temporary file beside it,
   * hashed on the way, and renamed over `path` only when its size and
   * SHA-256 match the digest. Creates the parent directories.
   *
   * @param digest The blob.
   * @param path Where to write it.
   * @returns `false` when the server does not hold the blob.
   * @throws {RemoteError} When the call fails, or the blob arrives damaged
   * (DATA_LOSS; nothing is left at `path`).
   */
  async readToFile(digest: Digest, path: string): Promise<boolean> {
    await Deno.mkdir(parentDir(path), { recursive: true });
    const temp = tempBeside(path);
    const file = await Deno.open(temp, { write: true, createNew: true });
    let open = true;
    let found = false;
    try {
      const hash = await createDigester();
      found = await this.#read(digest, hash, async (data) => {
        for (let at = 0; at < data.byteLength;) at += await file.write(data.subarray(at));
      });
      file.close();
      open = false;
      if (found) await Deno.rename(temp, path);
      return found;
    } finally {
      if (open) file.close();
      if (!found) await Deno.remove(temp).catch(() => {});
    }
  }

  /**
   * Downloads a blob into memory, checked against its digest. For blobs
   * that fit in memory; prefer {@linkcode ByteStreamClient.readToFile}.
   *
   * @param digest The blob.
   * @returns The content, or `undefined` when the server does not hold it.
   * @throws {RemoteError} When the call fails or the blob arrives damaged.
   */
  async read(digest: Digest): Promise<Uint8Array | undefined> {
    const content = new Uint8Array(digest.sizeBytes);
    let at = 0;
    const found = await this.#read(digest, await createDigester(), (data) => {
      if (at + data.byteLength <= content.byteLength) content.set(data, at);
      at += data.byteLength;
      return Promise.resolve();
    });
    return found ? content : undefined;
  }

  async #read(
    digest: Digest,
    hash: Digester,
    sink: (data: Uint8Array) => Promise<void>,
  ): Promise<boolean> {
    let offset = 0;
    for (let attempt = 0; digest.sizeBytes > 0; attempt++) {
      try {
        const stream = this.#channel.serverStream(
          `${_SERVICE}.Read`,
          encodeReadRequest({
            resourceName: blobResourceName(digest, this.instanceName),
            readOffset: offset,
            readLimit: 0,
          }),
          { idleTimeoutMs: this.#idleTimeoutMs },
        );
        for await (const message of stream) {
          const data = decodeReadResponse(message).data ?? new Uint8Array();
          if (offset + data.byteLength > digest.sizeBytes) {
            offset += data.byteLength;
            break;
          }
          hash.update(data);
          await sink(data);
          offset += data.byteLength;
        }
        break;
      } catch (error) {
        if (error instanceof RemoteError && error.code === GrpcCode.NOT_FOUND) return false;
        if (attempt >= this.#retries || !isRetryable(error)) throw error;
        await _pause(attempt);
      }
    }
    const got = hash.digest();
    if (got.sizeBytes !== digest.sizeBytes || got.hash !== digest.hash) {
      throw blobMismatch("ByteStream.Read", this.#channel.endpoint.url, digest, got);
    }
    return true;
  }

  /**
   * Uploads a file as a blob, read in chunks as they are sent. A server that
   * already holds the blob may end the upload early.
   *
   * @param digest The file's digest (not checked here: the server checks it).
   * @param path The file.
   * @throws {RemoteError} When the call fails or the server refuses the data.
   */
  async writeFromFile(digest: Digest, path: string): Promise<void> {
    await this.#write(digest, async function* (chunkBytes) {
      const file = await Deno.open(path, { read: true });
      try {
        const buffer = new Uint8Array(chunkBytes);
        for (;;) {
          let filled = 0;
          while (filled < chunkBytes) {
            const read = await file.read(buffer.subarray(filled));
            if (read === null) break;
            filled += read;
          }
          if (filled === 0) return;
          yield buffer.slice(0, filled);
          if (filled < chunkBytes) return;
        }
      } finally {
        file.close();
      }
    });
  }

  /**
   * Uploads bytes as a blob, in chunks.
   *
   * @param digest The content's digest.
   * @param data The content.
   * @throws {RemoteError} When the call fails or the server refuses the data.
   */
  async write(digest: Digest, data: Uint8Array): Promise<void> {
    await this.#write(digest, async function* (chunkBytes) {
      for (let at = 0; at < data.byteLength; at += chunkBytes) {
        yield data.subarray(at, at + chunkBytes);
      }
    });
  }

  async #write(
    digest: Digest,
    chunks: (chunkBytes: number) => AsyncGenerator<Uint8Array>,
  ): Promise<void> {
    if (digest.sizeBytes === 0) return;
    for (let attempt = 0;; attempt++) {
      const resourceName = uploadResourceName(digest, crypto.randomUUID(), this.instanceName);
      const sizeBytes = digest.sizeBytes;
      try {
        const response = decodeWriteResponse(
          await this.#channel.clientStream(
            `${_SERVICE}.Write`,
            _writeRequests(resourceName, sizeBytes, chunks(this.#chunkBytes)),
            {
              idleTimeoutMs: this.#idleTimeoutMs,
            },
          ),
        );
        const committed = response.committedSize ?? 0;
        if (committed !== sizeBytes && committed !== -1) {
          throw new RemoteError({
            code: GrpcCode.DATA_LOSS,
            method: "ByteStream.Write",
            endpoint: this.#channel.endpoint.url,
            details: `${resourceName}: the server committed ${committed} of ${sizeBytes} bytes`,
          });
        }
        return;
      } catch (error) {
        if (attempt >= this.#retries || !isRetryable(error)) throw error;
        await _pause(attempt);
      }
    }
  }
}

/**
 * The WriteRequests of one upload: the resource name in the first, offsets
 * counted, `finishWrite` on the last, whose total must be the digest's size.
 */
async function* _writeRequests(
  resourceName: string,
  sizeBytes: number,
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let offset = 0;
  let pending: Uint8Array | undefined;
  for await (const chunk of chunks) {
    if (pending) {
      yield encodeWriteRequest({
        resourceName: offset === 0 ? resourceName : "",
        writeOffset: offset,
        finishWrite: false,
        data: pending,
      });
      offset += pending.byteLength;
    }
    pending = chunk;
  }
  const last = pending ?? new Uint8Array();
  if (offset + last.byteLength !== sizeBytes) {
    throw new Error(
      `Cannot upload ${resourceName}: the content has ${
        offset + last.byteLength
      } bytes, its digest says ${sizeBytes}`,
    );
  }
  yield encodeWriteRequest({
    resourceName: offset === 0 ? resourceName : "",
    writeOffset: offset,
    finishWrite: true,
    data: last,
  });
}

function _pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
}
