// Helpers of the HTTP cache: a time-out that restarts on progress, the
// reading of response bodies under it, and the naming of failures.

import { DigestMismatchError } from "./errors.ts";
import { errorCode } from "./_files.ts";

/**
 * Aborts its signal when `ms` pass without a call to `kick()`: a bound on
 * waiting for a response and on each pause in a body, not on a whole transfer.
 */
export class Watchdog {
  readonly signal: AbortSignal;
  #controller = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ms: number;
  #fired = false;

  constructor(ms: number, parent: AbortSignal) {
    this.#ms = ms;
    this.signal = AbortSignal.any([parent, this.#controller.signal]);
    this.kick();
  }

  /** Whether the time ran out. */
  get fired(): boolean {
    return this.#fired;
  }

  kick(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#fired = true;
      this.#controller.abort(new Error(`no progress for ${this.#ms} ms`));
    }, this.#ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * Reads a response body chunk by chunk, kicking the watchdog; stops early
 * (cancelling the body) when `onChunk` returns false.
 */
export async function readBody(
  response: Response,
  watchdog: Watchdog,
  onChunk: (chunk: Uint8Array) => boolean | Promise<boolean>,
): Promise<void> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      watchdog.kick();
      if (!await onChunk(value)) {
        await reader.cancel().catch(() => {});
        return;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Reads a body into memory, or `undefined` if it passes `limit` bytes. */
export async function readBodyUpTo(
  response: Response,
  watchdog: Watchdog,
  limit: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  await readBody(response, watchdog, (chunk) => {
    size += chunk.length;
    chunks.push(chunk);
    return size <= limit;
  });
  if (size > limit) return undefined;
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Discards a body that will not be read. */
export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}

/**
 * The error of this process, not of the server, behind a failed request: a
 * file that could not be read or written, content that did not match its
 * digest. Such an error is not retried and says nothing about the server.
 */
export function localCause(error: unknown): Error | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof DigestMismatchError || errorCode(e) !== undefined) return e;
  }
  return undefined;
}

/** A network failure in a few words: the innermost cause's last clause. */
export function describeFailure(error: unknown): string {
  let e = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  const message = e instanceof Error ? e.message : String(e);
  const clause = message.slice(message.lastIndexOf(": ") + 1).trim();
  return clause === "" ? message : clause;
}

/** Waits `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Whether fetch goes through a proxy (then a direct connection proves nothing). */
export function usesProxy(): boolean {
  try {
    return ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"]
      .some((name) => Deno.env.get(name));
  } catch {
    return true;
  }
}

/**
 * Opens and closes a TCP connection, within `ms`: whether anything listens.
 *
 * @returns `undefined` on success, else why not.
 */
export async function probe(
  hostname: string,
  port: number,
  ms: number,
): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = Deno.connect({ hostname, port });
  const timedOut = new Promise<"timeout">((resolve) =>
    timer = setTimeout(() => resolve("timeout"), ms)
  );
  try {
    const result = await Promise.race([connecting, timedOut]);
    if (result === "timeout") {
      connecting.then((conn) => conn.close(), () => {});
      return `no connection within ${ms} ms`;
    }
    result.close();
    return undefined;
  } catch (error) {
    return describeFailure(error);
  } finally {
    clearTimeout(timer);
  }
}
