/**
 * Structured concurrency on promises: parallel combinators that never leave
 * work running behind them and report every error, synchronisation
 * primitives, cancellation, a process scheduler and a file watcher.
 *
 * @example Run two computations in parallel
 * ```ts
 * import { forkAndJoin } from "@barchan/barchan/fiber";
 * import { assertEquals } from "node:assert/strict";
 *
 * const [a, b] = await forkAndJoin(async () => 1, async () => "two");
 * assertEquals([a, b], [1, "two"]);
 * ```
 *
 * @module
 */
