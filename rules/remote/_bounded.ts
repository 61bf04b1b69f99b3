// Runs calls `limit` at a time; after the first failure no new call starts,
// and that failure is thrown once the calls in flight have settled.

export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  f: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  async function worker() {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        results[index] = await f(items[index]);
      } catch (error) {
        failure ??= { error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
