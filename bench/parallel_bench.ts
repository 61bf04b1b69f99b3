// parallelMap against Promise.all over 100k trivial async tasks. The
// combinator must stay within 2x of Promise.all: it does the same work plus
// error bookkeeping that only costs anything when a branch fails.

import { parallelIter, parallelMap } from "../fiber/mod.ts";

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
