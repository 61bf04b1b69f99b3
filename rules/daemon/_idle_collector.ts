// Giving memory back, for a watch session that has been idle for a while.
//
// - V8 keeps the young generation a build grew (tens of megabytes at 10,000
//   rules) until its next full collection, which an idle process never
//   reaches: a session started on a built tree held 158 MB, and 112 MB after
//   one collection (about 50 ms). Deno offers no call to the collector; V8's
//   `--expose-gc`, set while running, gives one to the contexts created
//   afterwards (node:vm).
// - glibc keeps memory the runtime freed (thousands of commands' worth after a
//   cold build) for reuse; `malloc_trim` gives it back to the system: after a
//   cold build of 3,000 rules, a session went from 155 MB to 81 MB.

/** Collects once nothing has been scheduled for a while. */
export interface IdleCollector {
  /** Collects after the delay, unless scheduled again before. */
  schedule(): void;
  /** Cancels a scheduled collection. */
  stop(): void;
}

/**
 * An idle collector: a full garbage collection, then native memory trimmed;
 * one that does nothing when the runtime offers neither.
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
    // No collector.
  }
  const trim = nativeTrimmer();
  if (collect === undefined && trim === undefined) {
    return { schedule() {}, stop() {} };
  }
  const collectAll = () => {
    collect?.();
    trim?.();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(collectAll, delayMs);
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

/**
 * Gives the memory the C library keeps for reuse back to the system, where
 * it says how (glibc's `malloc_trim`); undefined elsewhere.
 * @returns The trimming function, if there is one.
 */
export function nativeTrimmer(): (() => void) | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
    });
    return () => void libc.symbols.malloc_trim(0n);
  } catch {
    return undefined;
  }
}
