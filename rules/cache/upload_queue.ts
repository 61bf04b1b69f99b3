/**
 * Uploads to a remote cache that run beside the build, a few at a time, and
 * that the build waits for only at its end, for a bounded time.
 *
 * Blobs are queued once each (by hash); an action result waits for the
 * blobs it refers to and is not uploaded at all if one of them failed, so a
 * remote cache never holds an entry whose outputs it lacks because of this
 * client.
 *
 * @module
 */

import { Throttle } from "../../fiber/throttle.ts";
import type { Digest } from "../reapi/digest.ts";

/**
 * Options of {@linkcode UploadQueue}.
 *
 * @example Two uploads at a time, errors collected
 * ```ts
 * import { UploadQueue, type UploadQueueOptions } from "./upload_queue.ts";
 * import assert from "node:assert/strict";
 *
 * const errors: unknown[] = [];
 * const options: UploadQueueOptions = { concurrency: 2, onError: (e) => errors.push(e) };
 * const queue = new UploadQueue(options);
 * queue.run(() => Promise.reject(new Error("refused")));
 * assert.equal(await queue.flush(1_000), 0);
 * assert.equal(errors.length, 1);
 * ```
 */
export interface UploadQueueOptions {
  /**
   * How many uploads run at once.
   *
   * @default {4}
   */
  concurrency?: number;
  /**
   * Receives what an upload threw; the queue itself never rejects.
   *
   * @default {console.warn}
   */
  onError?: (error: unknown) => void;
}

/**
 * Background uploads with bounded concurrency.
 *
 * @example A result uploaded after its blob
 * ```ts
 * import { UploadQueue } from "./upload_queue.ts";
 * import assert from "node:assert/strict";
 *
 * const queue = new UploadQueue({ concurrency: 1 });
 * const log: string[] = [];
 * const blob = { hash: "a".repeat(64), sizeBytes: 3 };
 * queue.afterBlobs([blob], () => Promise.resolve(void log.push("result")));
 * queue.blob(blob, () => Promise.resolve(log.push("blob") > 0));
 * assert.equal(await queue.flush(1_000), 0);
 * assert.deepEqual(log, ["blob", "result"]);
 * ```
 */
export class UploadQueue {
  /** Aborted once the uploads are abandoned: uploads in flight should stop. */
  readonly signal: AbortSignal;
  #throttle: Throttle;
  #onError: (error: unknown) => void;
  #abandon = new AbortController();
  #pending = new Set<Promise<void>>();
  /** Each blob queued or known to be on the server: whether it is there. */
  #blobs = new Map<string, Promise<boolean>>();

  /**
   * Makes an empty queue.
   *
   * @param options Concurrency and where errors go.
   */
  constructor(options: UploadQueueOptions = {}) {
    this.#throttle = new Throttle(options.concurrency ?? 4);
    this.#onError = options.onError ?? ((error) => console.warn(error));
    this.signal = this.#abandon.signal;
  }

  /** Whether {@linkcode UploadQueue.abandon} ran: nothing starts any more. */
  get abandoned(): boolean {
    return this.#abandon.signal.aborted;
  }

  /**
   * Whether a blob is queued, uploaded, or known to be on the server.
   *
   * @param digest The blob.
   * @returns `true` when uploading it again would be wasted.
   */
  knows(digest: Digest): boolean {
    return this.#blobs.has(digest.hash);
  }

  /**
   * Records that the server holds a blob (found by a lookup).
   *
   * @param digest The blob.
   */
  present(digest: Digest): void {
    if (!this.#blobs.has(digest.hash)) this.#blobs.set(digest.hash, Promise.resolve(true));
  }

  /**
   * Queues a blob's upload, unless it is already known.
   *
   * @param digest The blob.
   * @param upload Uploads it when its turn comes; resolves whether the server
   * stored it.
   */
  blob(digest: Digest, upload: () => Promise<boolean>): void {
    if (this.#blobs.has(digest.hash)) return;
    const stored = Promise.withResolvers<boolean>();
    this.#blobs.set(digest.hash, stored.promise);
    this.#start(async () => {
      let ok = false;
      try {
        ok = await this.#throttle.run(() => this.abandoned ? false : upload());
      } finally {
        stored.resolve(ok);
      }
    });
  }

  /**
   * Queues an upload to run once the blobs it needs are stored: skipped if
   * one of them could not be. Blobs never queued here are taken as present.
   *
   * @param requires The blobs that must be on the server first.
   * @param upload The upload.
   */
  afterBlobs(requires: readonly Digest[], upload: () => Promise<unknown>): void {
    const required = requires.map((digest) => this.#blobs.get(digest.hash));
    this.#start(async () => {
      const present = await Promise.all(required);
      if (present.some((ok) => ok === false)) return;
      await this.#throttle.run(() => this.abandoned ? undefined : upload());
    });
  }

  /**
   * Queues an upload.
   *
   * @param upload The upload.
   */
  run(upload: () => Promise<unknown>): void {
    this.afterBlobs([], upload);
  }

  /**
   * Waits for the queued uploads, at most `timeoutMs`; those unfinished then
   * are abandoned ({@linkcode UploadQueue.signal} aborts) and awaited.
   *
   * @param timeoutMs The longest wait.
   * @returns How many uploads were abandoned: 0 when all finished in time.
   */
  async flush(timeoutMs: number): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      for (;;) {
        const pending = [...this.#pending];
        if (pending.length === 0) return 0;
        if (await Promise.race([Promise.all(pending), timedOut]) === "timeout") break;
      }
    } finally {
      clearTimeout(timer);
    }
    const unfinished = this.#pending.size;
    this.abandon();
    await Promise.all([...this.#pending]);
    return unfinished;
  }

  /** Abandons every upload: those in flight are signalled, no other starts. */
  abandon(): void {
    this.#abandon.abort();
  }

  #start(job: () => Promise<void>): void {
    if (this.abandoned) return;
    const running: Promise<void> = job().catch((error) => {
      if (!this.abandoned) this.#onError(error);
    }).finally(() => this.#pending.delete(running));
    this.#pending.add(running);
  }
}
