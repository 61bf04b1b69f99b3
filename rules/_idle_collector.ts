// Full garbage collections for a watch session, once it has been idle for a
// while. V8 keeps the young generation a build grew (tens of megabytes at
// 10,000 rules) until its next full collection, which an idle process never
// reaches: a session started on a built tree held 158 MB, and 112 MB after
// one collection (about 50 ms). Deno offers no call to the collector; V8's
// `--expose-gc`, set while running, gives one to the contexts created
// afterwards (node:vm).

/** Runs a full collection once nothing has been scheduled for a while. */
export interface IdleCollector {
  /** Collects after the delay, unless scheduled again before. */
  schedule(): void;
  /** Cancels a scheduled collection. */
  stop(): void;
}

/**
 * An idle collector; one that does nothing when the runtime offers no way
 * to collect.
 * @param delayMs How long to wait after the last `schedule()`.
 * @returns The collector.
 */
export async function idleCollector(delayMs: number): Promise<IdleCollector> {
  let collect: (() => void) | undefined;
  try {
    const [{ setFlagsFromString }, { runInNewContext }] = await Promise.all([
      import("node:v8"),
      import("node:vm"),
    ]);
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("typeof gc === 'function' ? gc : undefined");
    if (typeof gc === "function") collect = () => gc();
  } catch {
    // No collector: scheduling does nothing.
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    schedule() {
      if (collect === undefined) return;
      clearTimeout(timer);
      timer = setTimeout(collect, delayMs);
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
