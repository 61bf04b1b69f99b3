// How blobs are grouped into BatchUpdateBlobs and BatchReadBlobs requests.
// A server limits a batch's total size (max_batch_total_size_bytes); some
// count the whole request, some only the blobs' data, so each blob is
// counted with room for its digest and framing, and the request with room
// for the instance name.

/** Bytes counted for each blob besides its data: a digest and framing. */
export const BATCH_ENTRY_OVERHEAD = 128;

/** Room kept for the request's own fields. */
const _REQUEST_OVERHEAD = 1024;

/** Used when the server advertises no limit: gRPC's default message size. */
const _DEFAULT_LIMIT = 4 * 1024 * 1024;

/** The bytes a batch may hold, from the server's advertised limit (0 is none). */
export function batchLimit(maxBatchTotalSizeBytes: number): number {
  const advertised = maxBatchTotalSizeBytes > 0 ? maxBatchTotalSizeBytes : _DEFAULT_LIMIT;
  return Math.min(advertised, _DEFAULT_LIMIT) - _REQUEST_OVERHEAD;
}

/** Whether a blob of `sizeBytes` goes in a batch (else through ByteStream). */
export function fitsInBatch(sizeBytes: number, limit: number): boolean {
  return sizeBytes + BATCH_ENTRY_OVERHEAD <= limit;
}

/** Groups items, in order, into batches of at most `limit` counted bytes. */
export function splitIntoBatches<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limit: number,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = sizeOf(item) + BATCH_ENTRY_OVERHEAD;
    if (current.length > 0 && used + size > limit) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
