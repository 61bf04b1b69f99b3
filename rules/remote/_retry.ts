// Retries of remote calls the server may accept a moment later: UNAVAILABLE
// (a server restarting, a dropped connection) and RESOURCE_EXHAUSTED (a
// server shedding load), with exponential backoff and jitter.

import { GrpcCode, RemoteError } from "./errors.ts";

/** Whether a failed call is worth trying again. */
export function isRetryable(error: unknown): boolean {
  return error instanceof RemoteError &&
    (error.code === GrpcCode.UNAVAILABLE || error.code === GrpcCode.RESOURCE_EXHAUSTED);
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not
 * retryable, or has been retried `retries` times; waits `backoffMs`,
 * doubling, with jitter, between tries.
 */
export async function withRetries<T>(
  attempt: (index: number) => Promise<T>,
  retries: number,
  backoffMs: number,
): Promise<T> {
  for (let index = 0;; index++) {
    try {
      return await attempt(index);
    } catch (error) {
      if (index >= retries || !isRetryable(error)) throw error;
      const delay = backoffMs * 2 ** index * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
