// A FIFO of suspended callers, shared by Throttle, Mutex and Mvar.
//
// Entries live in an array read from a moving head index, so enqueue and
// dequeue are O(1) amortised without `Array.prototype.shift`. A caller whose
// AbortSignal fires is not spliced out: its entry is marked cancelled (a
// tombstone) and skipped when the head reaches it. `size` counts live entries
// only. Once an entry is dequeued it stops listening to its signal at once, so
// a signal that fires afterwards cannot reject a caller that was already
// served.
//
// A signal gets one abort listener per queue, however many callers wait with
// it: an AbortSignal keeps its listeners in a list that adding and removing
// one scan, so a listener per caller made a queue of 10,000 jobs sharing a
// build's signal quadratic (about 2 s of a cold build at N = 10,000).

import { CancelledError } from "./cancel.ts";

/** One suspended caller: the data it carries and how to resume it. */
export interface WaitEntry<T, D> {
  /** What the caller brought with it, e.g. the value an Mvar putter offers. */
  readonly data: D;
  /** Resumes the caller with `value`. */
  readonly resolve: (value: T) => void;
}

interface Entry<T, D> extends WaitEntry<T, D> {
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  // Invariant: true once the entry left the queue, by cancellation or dequeue.
  done: boolean;
}

/** Compact the backing array once this many dead slots precede the head. */
const COMPACT_AFTER = 1024;

/** The callers waiting with one signal, and the listener that cancels them. */
interface Watched<T, D> {
  readonly entries: Set<Entry<T, D>>;
  readonly onAbort: () => void;
}

/** A FIFO of waiting callers with O(1) enqueue, dequeue and cancellation. */
export class WaitQueue<T, D = undefined> {
  #items: (Entry<T, D> | undefined)[] = [];
  #bySignal = new Map<AbortSignal, Watched<T, D>>();
  #head = 0;
  #size = 0;

  /** The number of callers still waiting (cancelled ones excluded). */
  get size(): number {
    return this.#size;
  }

  /**
   * Suspends a caller until {@linkcode WaitQueue.shift} serves it; rejects
   * with a {@linkcode CancelledError} if `signal` aborts first (or already has).
   */
  wait(data: D, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new CancelledError(signal.reason));
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const entry: Entry<T, D> = {
      data,
      resolve,
      reject,
      signal,
      done: false,
    };
    if (signal !== undefined) this.#watch(entry, signal);
    this.#items.push(entry);
    this.#size++;
    return promise;
  }

  /** Removes the longest-waiting live caller, or returns undefined if none. */
  shift(): WaitEntry<T, D> | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const entry = items[this.#head]!;
      items[this.#head++] = undefined;
      if (entry.done) continue;
      entry.done = true;
      this.#size--;
      if (entry.signal !== undefined) this.#unwatch(entry, entry.signal);
      this.#compact();
      return entry;
    }
    this.#compact();
    return undefined;
  }

  #watch(entry: Entry<T, D>, signal: AbortSignal): void {
    let watched = this.#bySignal.get(signal);
    if (watched === undefined) {
      const entries = new Set<Entry<T, D>>();
      const onAbort = () => {
        this.#bySignal.delete(signal);
        for (const waiting of entries) this.#cancel(waiting);
      };
      watched = { entries, onAbort };
      this.#bySignal.set(signal, watched);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    watched.entries.add(entry);
  }

  #unwatch(entry: Entry<T, D>, signal: AbortSignal): void {
    const watched = this.#bySignal.get(signal);
    if (watched === undefined) return;
    watched.entries.delete(entry);
    if (watched.entries.size > 0) return;
    signal.removeEventListener("abort", watched.onAbort);
    this.#bySignal.delete(signal);
  }

  #cancel(entry: Entry<T, D>): void {
    if (entry.done) return;
    entry.done = true;
    this.#size--;
    if (this.#size === 0) {
      // Only tombstones remain: drop them all.
      this.#items = [];
      this.#head = 0;
    }
    entry.reject(new CancelledError(entry.signal!.reason));
  }

  #compact(): void {
    const items = this.#items;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
  }
}
