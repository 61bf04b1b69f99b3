import assert from "node:assert/strict";
import { CycleError, Engine, memo, MemoError, Var } from "../../memo/mod.ts";
import { executed } from "./_util.ts";

/** Resolves after pending timers and I/O callbacks: lets concurrent branches start. */
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Asserts that `labels` is `expected` rotated: the same cycle, read from any frame. */
function assertSameCycle(labels: string[], expected: string[]): void {
  assert.equal(labels.length, expected.length, `cycle ${labels.join(" -> ")}`);
  const start = expected.indexOf(labels[0]);
  assert.notEqual(start, -1, `cycle ${labels.join(" -> ")}`);
  const rotated = [...expected.slice(start), ...expected.slice(0, start)];
  assert.deepEqual(labels, rotated);
}

const selfLoop = memo("cycSelf", async (n: number): Promise<number> => await selfLoop(n) + 1);

Deno.test("a memo call that depends on itself fails with a CycleError naming the call", async () => {
  const error = await new Engine().run(() => selfLoop(7)).catch((e) => e);
  assert.ok(error instanceof CycleError, String(error));
  assert.deepEqual(error.frames.map((f) => f.label), ["cycSelf(7)"]);
  assert.deepEqual(error.frames.map((f) => [f.name, f.input]), [["cycSelf", 7]]);
  assert.equal(error.message, "Dependency cycle:\n  cycSelf(7)\n  -> cycSelf(7)");
});

const chainA = memo("cycChainA", async (n: number): Promise<number> => await chainB(n));
const chainB = memo("cycChainB", async (n: number): Promise<number> => await chainC(String(n)));
const chainC = memo("cycChainC", async (s: string): Promise<number> => await chainA(Number(s)));
const chainTop = memo("cycChainTop", async (n: number) => await chainA(n));

Deno.test("a cycle through a chain of calls lists every frame of the cycle, in order", async () => {
  const error = await new Engine().run(() => chainTop(1)).catch((e) => e);
  assert.ok(error instanceof CycleError, String(error));
  const labels: string[] = error.frames.map((f: { label: string }) => f.label);
  assertSameCycle(labels, ["cycChainA(1)", "cycChainB(1)", 'cycChainC("1")']);
  assert.ok(!labels.includes("cycChainTop(1)"), "the caller outside the cycle is not part of it");
});

const left = memo("cycLeft", async (n: number): Promise<number> => {
  await tick();
  return await right(n) + 1;
});
const right = memo("cycRight", async (n: number): Promise<number> => {
  await tick();
  return await left(n) + 1;
});
const both = memo("cycBoth", async (n: number) => {
  const [l, r] = await Promise.all([left(n), right(n)]);
  return l + r;
});

Deno.test("a cycle through two concurrent branches is reported with all its frames, not a hang", async () => {
  const engine = new Engine();
  const error = await engine.run(() => both(3)).catch((e) => e);
  assert.ok(error instanceof CycleError, String(error));
  assertSameCycle(error.frames.map((f: { label: string }) => f.label), [
    "cycLeft(3)",
    "cycRight(3)",
  ]);
  // Each branch failed with the cycle, and the failure is the node's outcome.
  for (const branch of [left, right]) {
    const e = await engine.run(() => branch(3)).catch((e) => e);
    assert.ok(e instanceof CycleError);
  }
});

Deno.test("a cycle between two top-level computations running at once is detected", async () => {
  const engine = new Engine();
  const results = await Promise.allSettled([
    engine.run(() => left(4)),
    engine.run(() => right(4)),
  ]);
  for (const result of results) {
    assert.equal(result.status, "rejected");
    assert.ok(result.reason instanceof CycleError);
    assertSameCycle(result.reason.frames.map((f: { label: string }) => f.label), [
      "cycLeft(4)",
      "cycRight(4)",
    ]);
  }
});

const ringGate = { open: Promise.withResolvers<void>() };
const ring = memo("cycRing", async (i: number): Promise<number> => {
  await ringGate.open.promise; // all three are in flight before any calls the next
  return await ring((i + 1) % 3);
}, { description: (i) => `step ${i} of the ring` });
const ringAll = memo("cycRingAll", (_: null) => Promise.all([ring(0), ring(1), ring(2)]));

Deno.test("a cycle across three concurrent branches names each frame by its description", async () => {
  ringGate.open = Promise.withResolvers<void>();
  const pending = new Engine().run(() => ringAll(null)).catch((e) => e);
  await tick();
  ringGate.open.resolve();
  const error = await pending;
  assert.ok(error instanceof CycleError, String(error));
  assertSameCycle(error.frames.map((f: { label: string }) => f.label), [
    "step 0 of the ring",
    "step 1 of the ring",
    "step 2 of the ring",
  ]);
});

const shareGate = { open: Promise.withResolvers<void>() };
const sharedLeaf = memo("cycSharedLeaf", async (_: null) => {
  await shareGate.open.promise;
  return 1;
});
const viaA = memo("cycViaA", async (_: null) => await sharedLeaf(null) + 1);
const viaB = memo("cycViaB", async (_: null) => await sharedLeaf(null) + await viaA(null));
const viaTop = memo("cycViaTop", async (_: null) => {
  const [a, b] = await Promise.all([viaA(null), viaB(null)]);
  return a + b;
});

Deno.test("branches waiting for the same computation are not mistaken for a cycle", async () => {
  shareGate.open = Promise.withResolvers<void>();
  const engine = new Engine();
  const pending = engine.run(() => viaTop(null));
  await tick();
  shareGate.open.resolve();
  assert.equal(await pending, 5);
  assert.equal(executed(engine, "cycSharedLeaf"), 1);
});

const loopSwitch = new Var("cycSwitch", true);
const ping = memo("cycPing", async (_: null): Promise<string> => {
  return loopSwitch.get() ? `ping ${await pong(null)}` : "ping";
});
const pong = memo("cycPong", async (_: null): Promise<string> => `pong ${await ping(null)}`);
const pingTop = memo("cycPingTop", async (_: null) => await pong(null));

Deno.test("a cycle is the outcome of its calls until a change breaks it", async () => {
  const engine = new Engine();
  const first = await engine.run(() => pingTop(null)).catch((e) => e);
  assert.ok(first instanceof CycleError, String(first));
  const runs = executed(engine, "cycPing") + executed(engine, "cycPong");
  const again = await engine.run(() => pingTop(null)).catch((e) => e);
  assert.equal(again, first, "served from the cache");
  assert.equal(executed(engine, "cycPing") + executed(engine, "cycPong"), runs);
  engine.invalidateAll();
  const checked = await engine.run(() => pingTop(null)).catch((e) => e);
  assert.ok(checked instanceof CycleError, "still a cycle after re-checking");
  loopSwitch.set(false);
  assert.equal(await engine.run(() => pingTop(null)), "pong ping");
});

const failingStep = memo("cycFailingStep", (n: number): number => {
  throw new Error(`step ${n} failed`);
});
const notACycle = memo("cycNotACycle", async (n: number) => {
  const a = await failingStep(n).catch(() => 0);
  const b = await failingStep(n).catch(() => 0);
  return a + b;
});

Deno.test("calling a failed computation twice is not a cycle", async () => {
  const engine = new Engine();
  assert.equal(await engine.run(() => notACycle(1)), 0);
  const error = await engine.run(() => failingStep(1)).catch((e) => e);
  assert.ok(error instanceof MemoError);
  assert.ok(!(error instanceof CycleError));
});
