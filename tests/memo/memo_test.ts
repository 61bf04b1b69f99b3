import assert from "node:assert/strict";
import { defaultEngine, Engine, memo, Var } from "../../memo/mod.ts";
import { executed } from "./_util.ts";

const squareCalls: number[] = [];
const square = memo("memoSquare", (n: number) => {
  squareCalls.push(n);
  return n * n;
});

Deno.test("memo() caches one result per input and reuses it while nothing changed", async () => {
  squareCalls.length = 0;
  const engine = new Engine();
  assert.equal(await engine.run(() => square(3)), 9);
  assert.equal(await engine.run(() => square(3)), 9);
  assert.equal(await engine.run(() => square(4)), 16);
  assert.equal(await engine.run(() => square(3)), 9);
  assert.deepEqual(squareCalls, [3, 4]);
  const stats = engine.stats().get("memoSquare");
  assert.deepEqual(stats, { executed: 2, reused: 2, revalidated: 0, cutoff: 0 });
});

const pointCalls: unknown[] = [];
const pointLabel = memo("memoPoint", (p: { x: number; y: number[] }) => {
  pointCalls.push(p);
  return `${p.x}:${p.y.join(",")}`;
});

Deno.test("memo() keys plain-data inputs by value, whatever the order of object keys", async () => {
  const engine = new Engine();
  assert.equal(await engine.run(() => pointLabel({ x: 1, y: [2, 3] })), "1:2,3");
  const sameValue = JSON.parse('{"y":[2,3],"x":1}');
  assert.equal(await engine.run(() => pointLabel(sameValue)), "1:2,3");
  assert.equal(pointCalls.length, 1);
  assert.equal(await engine.run(() => pointLabel({ x: 1, y: [3, 2] })), "1:3,2");
  assert.equal(pointCalls.length, 2);
});

const perEngine = memo("memoPerEngine", (n: number) => n + 1);

Deno.test("each Engine owns its caches and its stats", async () => {
  const first = new Engine();
  const second = new Engine();
  await first.run(() => perEngine(1));
  await first.run(() => perEngine(1));
  await second.run(() => perEngine(1));
  assert.equal(executed(first, "memoPerEngine"), 1);
  assert.equal(executed(second, "memoPerEngine"), 1);
  assert.equal(first.stats().get("memoPerEngine")?.reused, 1);
  assert.equal(second.stats().get("memoPerEngine")?.reused, 0);
});

let outsideCount = 0;
const outside = memo("memoOutsideRun", (n: number) => {
  outsideCount++;
  return n * 10;
});

Deno.test("calls outside engine.run() use the default in-memory engine", async () => {
  assert.equal(await outside(2), 20);
  assert.equal(await outside(2), 20);
  assert.equal(outsideCount, 1);
  assert.equal(executed(defaultEngine(), "memoOutsideRun"), 1);
  assert.equal(defaultEngine(), defaultEngine());
  const engine = new Engine();
  assert.equal(await engine.run(() => outside(2)), 20);
  assert.equal(outsideCount, 2, "another engine does not see the default engine's cache");
  assert.equal(executed(defaultEngine(), "memoOutsideRun"), 1);
});

let gate = Promise.withResolvers<void>();
let sharedStarts = 0;
const shared = memo("memoShared", async (n: number) => {
  sharedStarts++;
  await gate.promise;
  return { n };
});
const sharedCaller = memo("memoSharedCaller", async (n: number) => (await shared(n)).n + 1);

Deno.test("concurrent calls with the same name and key share one execution", async () => {
  gate = Promise.withResolvers<void>();
  sharedStarts = 0;
  const engine = new Engine();
  const results = engine.run(() =>
    Promise.all([shared(1), shared(1), sharedCaller(1), sharedCaller(1), shared(1)])
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(sharedStarts, 1, "the body started once and is waiting");
  gate.resolve();
  const [a, b, c, d, e] = await results;
  assert.deepEqual([a, b, c, d, e], [{ n: 1 }, { n: 1 }, 2, 2, { n: 1 }]);
  assert.equal(a, b, "every caller gets the same value");
  assert.equal(sharedStarts, 1);
  assert.equal(executed(engine, "memoShared"), 1);
  assert.equal(executed(engine, "memoSharedCaller"), 1);
});

Deno.test("concurrent calls with different keys run separately", async () => {
  gate = Promise.withResolvers<void>();
  sharedStarts = 0;
  const engine = new Engine();
  const results = engine.run(() => Promise.all([shared(1), shared(2)]));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(sharedStarts, 2);
  gate.resolve();
  assert.deepEqual(await results, [{ n: 1 }, { n: 2 }]);
});

class Target {
  constructor(readonly path: string) {}
}
let plainRuns = 0;
const plain = memo("memoPlainInput", (_input: unknown) => ++plainRuns);

Deno.test("a function, symbol or class instance in the input is rejected with a clear error", async () => {
  const engine = new Engine();
  const cases: [unknown, RegExp][] = [
    [() => 1, /^Cannot use a function in the input of memo "memoPlainInput": .*"key" option/],
    [Symbol("s"), /^Cannot use a symbol in the input of memo "memoPlainInput"/],
    [new Target("a.c"), /^Cannot use a Target instance in the input of memo "memoPlainInput"/],
    [{ deps: [new Map()] }, /^Cannot use a Map instance in the input .* at \.deps\[0\]/],
    [[1, () => 2], /^Cannot use a function in the input of memo "memoPlainInput" at \[1\]/],
  ];
  for (const [input, message] of cases) {
    let pending: Promise<unknown> | undefined;
    await engine.run(async () => {
      assert.doesNotThrow(() => {
        pending = plain(input);
      }, "the memo function returns a rejected promise rather than throwing");
      await assert.rejects(pending!, (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
  assert.equal(plainRuns, 0, "no body ran for a rejected input");
});

let keyedRuns = 0;
const keyed = memo("memoKeyed", (t: Target) => {
  keyedRuns++;
  return t.path.toUpperCase();
}, { key: (t) => t.path });

Deno.test("the key option accepts inputs that are not plain data", async () => {
  const engine = new Engine();
  assert.equal(await engine.run(() => keyed(new Target("a.c"))), "A.C");
  assert.equal(await engine.run(() => keyed(new Target("a.c"))), "A.C");
  assert.equal(await engine.run(() => keyed(new Target("b.c"))), "B.C");
  assert.equal(keyedRuns, 2, "instances with equal keys share one result");
});

const statsVar = new Var("memoStatsVar", 2);
const statsOther = new Var("memoStatsOther", 0);
const statsParity = memo("memoStatsParity", () => statsVar.get() % 2);
const statsLabel = memo("memoStatsLabel", async () => (await statsParity(null)) ? "odd" : "even");

Deno.test("engine.stats() counts executed, reused, revalidated and cut-off bodies per name", async () => {
  const engine = new Engine();
  const label = () => engine.run(() => statsLabel(null));
  assert.equal(await label(), "even");
  assert.equal(await label(), "even");
  statsOther.set(1); // read by nothing: a new run, everything revalidates
  assert.equal(await label(), "even");
  statsVar.set(4); // same parity: the parity body runs, its value is cut off
  assert.equal(await label(), "even");
  statsVar.set(5);
  assert.equal(await label(), "odd");
  assert.deepEqual(Object.fromEntries(engine.stats()), {
    memoStatsLabel: { executed: 2, reused: 1, revalidated: 2, cutoff: 0 },
    memoStatsParity: { executed: 3, reused: 1, revalidated: 1, cutoff: 1 },
  });
  engine.resetStats();
  assert.deepEqual(engine.stats().get("memoStatsLabel"), {
    executed: 0,
    reused: 0,
    revalidated: 0,
    cutoff: 0,
  });
});

const described = memo("memoDescribed", (n: number): number => {
  throw new Error(`step ${n} failed`);
}, { description: "compile step" });
const describedBy = memo("memoDescribedBy", (n: number) => described(n), {
  description: (n) => `link of unit ${n}`,
});

Deno.test("a description names calls in place of the function's name", async () => {
  const error = await new Engine().run(() => describedBy(2)).catch((e) => e);
  assert.deepEqual(error.frames.map((f: { label: string }) => f.label), [
    "compile step(2)",
    "link of unit 2",
  ]);
  assert.deepEqual(error.frames.map((f: { name: string }) => f.name), [
    "memoDescribed",
    "memoDescribedBy",
  ]);
});
