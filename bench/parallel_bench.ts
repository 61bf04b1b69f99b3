// parallelMap against Promise.all over 100k trivial async tasks. The
// combinator must stay within 2x of Promise.all: it does the same work plus
// error bookkeeping that only costs anything when a branch fails.

import { parallelIter, parallelMap, withErrorHandler } from "../fiber/mod.ts";

const items: number[] = Array.from({ length: 100_000 }, (_, i) => i);

function increment(n: number): Promise<number> {
  return Promise.resolve(n + 1);
}

Deno.bench({
  group: "parallel-100k",
  name: "Promise.all(items.map(f))",
  baseline: true,
  async fn() {
    await Promise.all(items.map(increment));
  },
});

Deno.bench({
  group: "parallel-100k",
  name: "parallelMap(items, f)",
  async fn() {
    await parallelMap(items, increment);
  },
});

Deno.bench({
  group: "parallel-100k",
  name: "parallelIter(items, f)",
  async fn() {
    await parallelIter(items, increment);
  },
});

Deno.bench({
  group: "parallel-100k-handled",
  name: "Promise.all(items.map(f)) inside withErrorHandler",
  baseline: true,
  async fn() {
    await withErrorHandler(() => Promise.all(items.map(increment)), ignore);
  },
});

Deno.bench({
  group: "parallel-100k-handled",
  name: "parallelMap(items, f) inside withErrorHandler",
  async fn() {
    await withErrorHandler(() => parallelMap(items, increment), ignore);
  },
});

function ignore(): void {}
