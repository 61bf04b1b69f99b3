import assert from "node:assert/strict";
import {
  errorsOf,
  forkAndJoin,
  ParallelError,
  parallelIter,
  parallelMap,
  sequentialMap,
} from "../../fiber/mod.ts";

// Resolves after every queued microtask and one macrotask turn.
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("parallelMap() returns results in item order whatever the finishing order", async () => {
  const gates = [0, 1, 2].map(() => Promise.withResolvers<void>());
  const mapped = parallelMap(["a", "b", "c"], async (item, index) => {
    await gates[index].promise;
    return `${item}${index}`;
  });
  gates[2].resolve();
  gates[0].resolve();
  gates[1].resolve();
  assert.deepEqual(await mapped, ["a0", "b1", "c2"]);
});

Deno.test("parallelMap() starts every branch before any finishes", async () => {
  const gate = Promise.withResolvers<void>();
  let started = 0;
  const mapped = parallelMap([1, 2, 3], async () => {
    started++;
    await gate.promise;
  });
  assert.equal(started, 3);
  gate.resolve();
  await mapped;
});

Deno.test("parallelMap() accepts any iterable, sync results and an empty input", async () => {
  assert.deepEqual(await parallelMap(new Set([1, 2]), (n) => n * 10), [10, 20]);
  assert.deepEqual(await parallelMap([], (n: number) => n), []);
  await parallelIter([], () => {});
});

Deno.test("parallelMap() rejects with the error itself when exactly one branch fails", async () => {
  const boom = new Error("boom");
  await assert.rejects(
    parallelMap([1, 2, 3], async (n) => {
      await tick();
      if (n === 2) throw boom;
      return n;
    }),
    (error) => error === boom,
  );
});

Deno.test("three failing branches give a ParallelError with three errors in branch order", async () => {
  const gates = [0, 1, 2, 3].map(() => Promise.withResolvers<void>());
  const mapped = parallelMap([0, 1, 2, 3], async (n) => {
    await gates[n].promise;
    if (n !== 1) throw new Error(`branch ${n} failed`);
    return n;
  });
  for (const n of [3, 1, 0, 2]) gates[n].resolve();
  const error = await mapped.catch((e) => e);
  assert.ok(error instanceof ParallelError);
  assert.ok(error instanceof AggregateError);
  assert.equal(error.name, "ParallelError");
  assert.deepEqual(
    error.errors.map((e) => (e as Error).message),
    ["branch 0 failed", "branch 2 failed", "branch 3 failed"],
  );
  assert.match(error.message, /^3 errors:\n {2}Error: branch 0 failed\n/);
});

Deno.test("no branch is still running after parallelMap() rejects", async () => {
  const running = new Set<number>();
  const finished: number[] = [];
  const mapped = parallelMap([0, 1, 2, 3], async (n) => {
    running.add(n);
    if (n === 0) throw new Error("fails first");
    for (let i = 0; i < n * 3; i++) await tick();
    running.delete(n);
    finished.push(n);
  });
  await assert.rejects(mapped, { message: "fails first" });
  running.delete(0);
  assert.equal(running.size, 0);
  assert.deepEqual(finished.sort(), [1, 2, 3]);
});

Deno.test("a branch that throws synchronously is a failure like any other", async () => {
  let ran = 0;
  const error = await parallelIter([1, 2, 3], (n) => {
    ran++;
    if (n !== 2) throw new Error(`sync ${n}`);
  }).catch((e) => e);
  assert.equal(ran, 3);
  assert.deepEqual(errorsOf(error).map((e) => (e as Error).message), ["sync 1", "sync 3"]);
});

Deno.test("the same error reached through two branches is reported once", async () => {
  const shared = new Error("shared dependency failed");
  const other = new Error("other");
  const error = await parallelIter([0, 1, 2], (n) => Promise.reject(n === 1 ? other : shared))
    .catch((e) => e);
  assert.ok(error instanceof ParallelError);
  assert.deepEqual(error.errors, [shared, other]);
});

Deno.test("a single distinct error reached through two branches rejects as itself", async () => {
  const shared = new Error("shared");
  await assert.rejects(
    forkAndJoin(() => Promise.reject(shared), () => Promise.reject(shared)),
    (error) => error === shared,
  );
});

Deno.test("nested ParallelErrors are flattened and de-duplicated", async () => {
  const a = new Error("a");
  const b = new Error("b");
  const c = new Error("c");
  const error = await forkAndJoin(
    () => parallelIter([a, b], (e) => Promise.reject(e)),
    () => parallelIter([b, c], (e) => Promise.reject(e)),
  ).catch((e) => e);
  assert.ok(error instanceof ParallelError);
  assert.deepEqual(error.errors, [a, b, c]);
});

Deno.test("errorsOf() flattens a ParallelError and wraps anything else", () => {
  const a = new Error("a");
  assert.deepEqual(errorsOf(new ParallelError([a, new ParallelError(["x", a])])), [a, "x"]);
  assert.deepEqual(errorsOf("plain"), ["plain"]);
  assert.deepEqual(errorsOf(undefined), [undefined]);
});

Deno.test("a ParallelError message lists at most ten errors", () => {
  const error = new ParallelError(Array.from({ length: 12 }, (_, i) => new Error(`e${i}`)));
  assert.equal(error.errors.length, 12);
  assert.match(error.message, /^12 errors:\n/);
  assert.match(error.message, /Error: e9\n {2}\.\.\.and 2 more$/);
  assert.doesNotMatch(error.message, /e10/);
});

Deno.test("forkAndJoin() waits for the other branch after one fails", async () => {
  let slowFinished = false;
  const error = await forkAndJoin(
    () => Promise.reject(new Error("fast failure")),
    async () => {
      await tick();
      slowFinished = true;
      return "slow";
    },
  ).catch((e) => e);
  assert.equal((error as Error).message, "fast failure");
  assert.ok(slowFinished);
});

Deno.test("forkAndJoin() returns both results as a pair", async () => {
  const pair: [number, string] = await forkAndJoin(() => 1, () => Promise.resolve("b"));
  assert.deepEqual(pair, [1, "b"]);
});

Deno.test("sequentialMap() runs one call at a time and stops at the first failure", async () => {
  let active = 0;
  const calls: number[] = [];
  const error = await sequentialMap([0, 1, 2, 3], async (n, index) => {
    assert.equal(n, index);
    active++;
    assert.equal(active, 1);
    calls.push(n);
    await tick();
    active--;
    if (n === 1) throw new Error("stop");
    return n;
  }).catch((e) => e);
  assert.equal((error as Error).message, "stop");
  assert.deepEqual(calls, [0, 1]);
  assert.deepEqual(await sequentialMap([1, 2], (n) => Promise.resolve(n * 2)), [2, 4]);
});

Deno.test("parallelMap() handles 100k tasks", async () => {
  const items = Array.from({ length: 100_000 }, (_, i) => i);
  const results = await parallelMap(items, (n) => Promise.resolve(n * 2));
  assert.equal(results.length, 100_000);
  assert.equal(results[99_999], 199_998);
});

Deno.test("parallelIter() with a limit runs at most that many calls at once, in item order", async () => {
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  await parallelIter(Array.from({ length: 20 }, (_, i) => i), async (item) => {
    started.push(item);
    peak = Math.max(peak, ++running);
    await new Promise((resolve) => setTimeout(resolve, item % 3));
    running--;
  }, { limit: 3 });
  assert.equal(peak, 3);
  assert.deepEqual(started, Array.from({ length: 20 }, (_, i) => i));
});

Deno.test("parallelIter() with a limit still runs every item and reports every failure", async () => {
  const ran: number[] = [];
  const failure = await parallelIter([0, 1, 2, 3, 4], async (item) => {
    ran.push(item);
    await Promise.resolve();
    if (item % 2 === 0) throw new Error(`item ${item}`);
  }, { limit: 1 }).catch((error) => error);
  assert.deepEqual(ran, [0, 1, 2, 3, 4]);
  assert.ok(failure instanceof ParallelError);
  assert.deepEqual(failure.errors.map((e: unknown) => (e as Error).message), [
    "item 0",
    "item 2",
    "item 4",
  ]);
});

Deno.test("parallelMap() with a limit keeps results in item order, and 100,000 synchronous calls do not nest", async () => {
  const items = Array.from({ length: 100_000 }, (_, i) => i);
  const doubled = await parallelMap(items, (item) => item * 2, { limit: 4 });
  assert.equal(doubled.length, items.length);
  assert.equal(doubled[99_999], 199_998);
  const mixed = await parallelMap([3, 1, 2], async (item) => {
    await new Promise((resolve) => setTimeout(resolve, item));
    return item;
  }, { limit: 2 });
  assert.deepEqual(mixed, [3, 1, 2]);
});

Deno.test("parallelIter() refuses a limit that is not a positive integer", () => {
  for (const limit of [0, -1, 1.5, NaN]) {
    assert.throws(() => parallelIter([1], () => {}, { limit }), RangeError);
  }
});
