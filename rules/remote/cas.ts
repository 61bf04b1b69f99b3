/**
 * The ContentAddressableStorage service: which blobs a remote lacks, and
 * small blobs uploaded and downloaded in batches no larger than the server
 * allows. Larger blobs go through {@linkcode ByteStreamClient}.
 *
 * @module
 */

import type { RemoteChannel } from "./channel.ts";
import { RemoteError } from "./errors.ts";
import {
  decodeBatchReadBlobsResponse,
  decodeBatchUpdateBlobsResponse,
  decodeFindMissingBlobsResponse,
  encodeBatchReadBlobsRequest,
  encodeBatchUpdateBlobsRequest,
  encodeFindMissingBlobsRequest,
} from "../reapi/cas.ts";
import type { Digest } from "../reapi/messages.ts";
import { batchLimit, fitsInBatch, splitIntoBatches } from "./_batches.ts";
import { mapBounded } from "./_bounded.ts";
import { sha256Digest } from "../reapi/digest.ts";
import { blobMismatch } from "./_verify.ts";

const _SERVICE = "build.bazel.remote.execution.v2.ContentAddressableStorage";

/** Digests per FindMissingBlobs request: about 300 KB of request. */
const _FIND_MISSING_CHUNK = 4096;

/**
 * A blob and its content.
 *
 * @example The empty blob
 * ```ts
 * import type { Blob } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const empty: Blob = {
 *   digest: { hash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sizeBytes: 0 },
 *   data: new Uint8Array(),
 * };
 * assert.equal(empty.data.byteLength, empty.digest.sizeBytes);
 * ```
 */
export interface Blob {
  /** The content's digest. */
  digest: Digest;
  /** The content. */
  data: Uint8Array;
}

/**
 * Options of {@linkcode CasClient}.
 *
 * @example BuildStream's limits
 * ```ts
 * import type { CasClientOptions } from "./cas.ts";
 * import assert from "node:assert/strict";
 *
 * const options: CasClientOptions = { maxBatchTotalSizeBytes: 1 << 20, concurrency: 2 };
 * assert.equal(options.instanceName ?? "", "");
 * ```
 */
export interface CasClientOptions {
  /** The instance name. @default "" */
  instanceName?: string;
  /**
   * The server's `max_batch_total_size_bytes` (0: no limit advertised).
   * @default 0
   */
  maxBatchTotalSizeBytes?: number;
  /**
   * How many requests are in flight at once.
   * @default 4
   */
  concurrency?: number;
}

/** `key` of a digest: `hash/size`. */
function _key(digest: Digest): string {
  return `${digest.hash}/${digest.sizeBytes}`;
}

/**
 * A client of the ContentAddressableStorage service. Batches are split by
 * the server's limit; downloads are checked against their digests.
 *
 * @example Splitting a batch by the server's limit
 * ```ts
 * import { CasClient } from "./cas.ts";
 * import { RemoteChannel } from "./channel.ts";
 * import assert from "node:assert/strict";
 *
 * // Opening a channel connects nothing yet.
 * const channel = await RemoteChannel.open("grpc://127.0.0.1:8980");
 * const cas = new CasClient(channel, { maxBatchTotalSizeBytes: 1 << 20 });
 * assert.equal(cas.fitsInBatch(100_000), true);
 * assert.equal(cas.fitsInBatch(1 << 20), false);
 * channel.close();
 * ```
 */
export class CasClient {
  #channel: RemoteChannel;
  #instanceName: string;
  #limit: number;
  #concurrency: number;

  /**
   * Makes a client on an open channel.
   *
   * @param channel An open channel.
   * @param options Instance name, batch limit and concurrency.
   */
  constructor(channel: RemoteChannel, options: CasClientOptions = {}) {
    this.#channel = channel;
    this.#instanceName = options.instanceName ?? "";
    this.#limit = batchLimit(options.maxBatchTotalSizeBytes ?? 0);
    this.#concurrency = options.concurrency ?? 4;
  }

  /**
   * Whether a blob of this size goes in a batch request; larger ones go
   * through ByteStream.
   *
   * @param sizeBytes The blob's size.
   * @returns `true` when it fits in a batch with room for its framing.
   */
  fitsInBatch(sizeBytes: number): boolean {
    return fitsInBatch(sizeBytes, this.#limit);
  }

  /**
   * Which of these blobs the server does not hold. Duplicates are asked
   * once; the empty blob is never missing.
   *
   * @param digests The blobs to look for.
   * @returns The missing ones, in the order given, each once.
   * @throws {RemoteError} When a call fails.
   */
  async findMissing(digests: readonly Digest[]): Promise<Digest[]> {
    const unique = new Map<string, Digest>();
    for (const digest of digests) {
      if (digest.sizeBytes > 0) unique.set(_key(digest), digest);
    }
    const asked = [...unique.values()];
    const chunks: Digest[][] = [];
    for (let at = 0; at < asked.length; at += _FIND_MISSING_CHUNK) {
      chunks.push(asked.slice(at, at + _FIND_MISSING_CHUNK));
    }
    const missing = new Set<string>();
    await mapBounded(chunks, this.#concurrency, async (chunk) => {
      const response = decodeFindMissingBlobsResponse(
        await this.#channel.unary(
          `${_SERVICE}.FindMissingBlobs`,
          encodeFindMissingBlobsRequest({
            instanceName: this.#instanceName,
            blobDigests: chunk,
          }),
        ),
      );
      for (const digest of response.missingBlobDigests ?? []) missing.add(_key(digest));
    });
    return asked.filter((digest) => missing.has(_key(digest)));
  }

  /**
   * Uploads small blobs in as few batches as the server's limit allows.
   *
   * @param blobs Blobs each of which {@linkcode CasClient.fitsInBatch}.
   * @throws {RangeError} When a blob is too large for a batch.
   * @throws {RemoteError} When a call fails, or the server refuses a blob.
   */
  async batchUpdate(blobs: readonly Blob[]): Promise<void> {
    for (const blob of blobs) {
      if (!this.fitsInBatch(blob.data.byteLength)) {
        throw new RangeError(
          `Cannot upload blob ${_key(blob.digest)} in a batch: it is larger than the server's ` +
            `batch limit (${this.#limit} bytes); upload it through ByteStream`,
        );
      }
    }
    const batches = splitIntoBatches(blobs, (blob) => blob.data.byteLength, this.#limit);
    await mapBounded(batches, this.#concurrency, async (batch) => {
      const response = decodeBatchUpdateBlobsResponse(
        await this.#channel.unary(
          `${_SERVICE}.BatchUpdateBlobs`,
          encodeBatchUpdateBlobsRequest({
            instanceName: this.#instanceName,
            requests: batch.map((blob) => ({ digest: blob.digest, data: blob.data })),
          }),
        ),
      );
      for (const entry of response.responses ?? []) {
        const code = entry.status?.code ?? 0;
        if (code !== 0) {
          throw new RemoteError({
            code,
            method: "ContentAddressableStorage.BatchUpdateBlobs",
            endpoint: this.#channel.endpoint.url,
            details: `blob ${entry.digest ? _key(entry.digest) : "?"}: ${
              entry.status?.message ?? ""
            }`,
          });
        }
      }
    });
  }

  /**
   * Downloads small blobs in batches and checks each against its digest.
   *
   * @param digests Blobs each of which {@linkcode CasClient.fitsInBatch}.
   * @returns Their contents by `hash/size`; a blob the server lacks is absent.
   * @throws {RangeError} When a blob is too large for a batch.
   * @throws {RemoteError} When a call fails, or a blob arrives damaged
   * (DATA_LOSS).
   */
  async batchRead(digests: readonly Digest[]): Promise<Map<string, Uint8Array>> {
    const blobs = new Map<string, Uint8Array>();
    const wanted = new Map<string, Digest>();
    for (const digest of digests) {
      if (!this.fitsInBatch(digest.sizeBytes)) {
        throw new RangeError(
          `Cannot download blob ${_key(digest)} in a batch: it is larger than the server's ` +
            `batch limit (${this.#limit} bytes); download it through ByteStream`,
        );
      }
      if (digest.sizeBytes === 0) blobs.set(_key(digest), new Uint8Array());
      else wanted.set(_key(digest), digest);
    }
    const batches = splitIntoBatches([...wanted.values()], (d) => d.sizeBytes, this.#limit);
    await mapBounded(batches, this.#concurrency, async (batch) => {
      const response = decodeBatchReadBlobsResponse(
        await this.#channel.unary(
          `${_SERVICE}.BatchReadBlobs`,
          encodeBatchReadBlobsRequest({ instanceName: this.#instanceName, digests: batch }),
        ),
      );
      for (const entry of response.responses ?? []) {
        const code = entry.status?.code ?? 0;
        const digest = entry.digest && wanted.get(_key(entry.digest));
        if (!digest || code === 5) continue;
        if (code !== 0) {
          throw new RemoteError({
            code,
            method: "ContentAddressableStorage.BatchReadBlobs",
            endpoint: this.#channel.endpoint.url,
            details: `blob ${_key(digest)}: ${entry.status?.message ?? ""}`,
          });
        }
        const data = entry.data ?? new Uint8Array();
        const got = await sha256Digest(data);
        if (got.sizeBytes !== digest.sizeBytes || got.hash !== digest.hash) {
          throw blobMismatch(
            "ContentAddressableStorage.BatchReadBlobs",
            this.#channel.endpoint.url,
            digest,
            got,
          );
        }
        blobs.set(_key(digest), data);
      }
    });
    return blobs;
  }
}
