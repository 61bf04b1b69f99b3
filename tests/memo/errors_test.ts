import assert from "node:assert/strict";
import { join } from "node:path";
import { CancelledError } from "../../fiber/mod.ts";
import { Engine, memo, MemoError, readText, Var } from "../../memo/mod.ts";
import { executed, withTempDir } from "./_util.ts";

let linesRuns = 0;
const lines = memo("lines", async (path: string) => {
  linesRuns++;
  return (await readText(path)).split("\n").length;
});
const total = memo("total", async (paths: string[]) => {
  let sum = 0;
  for (const path of paths) sum += await lines(path);
  return sum;
});
const report = memo("errReport", async (paths: string[]) => `${await total(paths)} lines`, {
  description: (paths) => `the report on ${paths.length} files`,
});

Deno.test("a failure carries the chain of memo frames that led to it", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "b.txt"), "1\n2");
    const engine = new Engine({ root: dir });
    const error = await engine.run(() => report(["b.txt", "a.txt"])).catch((e) => e);
    assert.ok(error instanceof MemoError, String(error));
    assert.ok(error.cause instanceof Deno.errors.NotFound, "the cause is what the body threw");
    assert.deepEqual(error.frames.map((f) => f.label), [
      'lines("a.txt")',
      'total(["b.txt","a.txt"])',
      "the report on 2 files",
    ]);
    assert.deepEqual(error.frames.map((f) => f.name), ["lines", "total", "errReport"]);
    assert.deepEqual(error.frames[0].input, "a.txt");
    const [first, ...chain] = error.message.split("\n");
    assert.equal(first, (error.cause as Error).message);
    assert.deepEqual(chain, [
      '  in lines("a.txt")',
      '  required by total(["b.txt","a.txt"])',
      "  required by the report on 2 files",
    ]);
    assert.match(error.message, /\n {2}in lines\("a\.txt"\)\n {2}required by total\(\[/);
  });
});

Deno.test("a failed body is not re-run until one of its dependencies changes", async () => {
  await withTempDir(async (dir) => {
    linesRuns = 0;
    const engine = new Engine({ root: dir });
    const run = () => engine.run(() => total(["gone.txt"])).catch((e) => e);
    const first = await run();
    assert.ok(first instanceof MemoError);
    assert.equal(await run(), first, "the same error, from the cache");
    engine.invalidateAll();
    assert.ok(await run() instanceof MemoError);
    assert.equal(linesRuns, 1, "nothing changed: the failure is not retried");
    assert.equal(executed(engine, "total"), 1);
    await Deno.writeTextFile(join(dir, "gone.txt"), "back\nagain");
    engine.invalidatePaths(["gone.txt"]);
    assert.equal(await run(), 2);
    assert.equal(linesRuns, 2);
  });
});

const failMode = new Var("errFailMode", "ok");
let flipRuns = 0;
const flip = memo("errFlip", () => {
  flipRuns++;
  if (failMode.get() === "fail") throw "a plain string was thrown";
  return flipRuns;
});
const flipUser = memo("errFlipUser", async () => `got ${await flip(null)}`);

Deno.test("a body that starts or stops failing re-runs its dependents", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => flipUser(null)).catch((e) => e);
  assert.equal(await run(), "got 1");
  failMode.set("fail");
  const error = await run();
  assert.ok(error instanceof MemoError);
  assert.equal(error.cause, "a plain string was thrown");
  assert.equal(error.message.split("\n")[0], "a plain string was thrown");
  assert.deepEqual(error.frames.map((f) => f.name), ["errFlip", "errFlipUser"]);
  failMode.set("ok");
  assert.equal(await run(), "got 3");
  assert.equal(executed(engine, "errFlipUser"), 3);
});

let cancelNext = 0;
let cancellableRuns = 0;
const cancellable = memo("errCancellable", async (n: number) => {
  cancellableRuns++;
  await Promise.resolve();
  if (cancelNext > 0) {
    cancelNext--;
    throw new CancelledError("file changed");
  }
  return n * 2;
});
const cancellableUser = memo("errCancellableUser", async (n: number) => await cancellable(n) + 1);

Deno.test("a cancelled body is not cached: the next call executes it again", async () => {
  const engine = new Engine();
  cancellableRuns = 0;
  cancelNext = 1;
  const error = await engine.run(() => cancellableUser(5)).catch((e) => e);
  assert.ok(error instanceof CancelledError, "cancellation passes through, not as a failure");
  assert.equal(error.reason, "file changed");
  assert.equal(await engine.run(() => cancellableUser(5)), 11);
  assert.equal(cancellableRuns, 2);
  assert.equal(executed(engine, "errCancellableUser"), 1, "the cancelled run is not counted");
});

const aborting = memo("errAborting", (n: number) => {
  if (n < 0) throw AbortSignal.abort().reason;
  return n;
});

Deno.test("an AbortError counts as cancellation too and is not cached", async () => {
  const engine = new Engine();
  for (let i = 0; i < 2; i++) {
    const error = await engine.run(() => aborting(-1)).catch((e) => e);
    assert.ok(error instanceof DOMException && error.name === "AbortError");
  }
  assert.equal(executed(engine, "errAborting"), 0);
});

const slowInput = new Var("errSlowInput", 1);
const recompute = memo("errRecompute", async (_: null) => {
  const value = slowInput.get();
  await Promise.resolve();
  if (cancelNext > 0) {
    cancelNext--;
    throw new CancelledError("stop");
  }
  return value;
});

Deno.test("a cancelled re-execution never lets the old value pass for current", async () => {
  const engine = new Engine();
  assert.equal(await engine.run(() => recompute(null)), 1);
  slowInput.set(2);
  cancelNext = 1;
  await assert.rejects(engine.run(() => recompute(null)), CancelledError);
  assert.equal(await engine.run(() => recompute(null)), 2);
});
