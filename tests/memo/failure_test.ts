// A failure keeps the success before it: a node that failed only because a
// dependency failed takes its old value back, without executing, once the
// dependency is back to what it was (Shake's persisted failures).

import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine, memo, readText, Var } from "../../memo/mod.ts";
import { executed, withTempDir } from "./_util.ts";

const spec = new Var("failSpec", "good");
const generate = memo("failGenerate", () => {
  const text = spec.get();
  if (text === "broken") throw new Error("cannot generate from a broken spec");
  return `generated from ${text === "good again" ? "good" : text}`;
});
const compile = memo("failCompile", async (name: string) => `${name}: ${await generate(null)}`);
const link = memo("failLink", async (names: string[]) => {
  const objects = await Promise.all(names.map((n) => compile(n)));
  return objects.join("; ");
});

Deno.test("dependents of a failure come back without executing when the failure is mended", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => link(["a", "b", "c"])).catch((e) => e);
  assert.equal(
    await run(),
    "a: generated from good; b: generated from good; c: generated from good",
  );
  spec.set("broken");
  assert.match(String(await run()), /cannot generate from a broken spec/);
  assert.equal(executed(engine, "failCompile"), 6, "each dependent saw the failure");
  spec.set("good again"); // generates the same value as before the failure
  assert.equal(
    await run(),
    "a: generated from good; b: generated from good; c: generated from good",
  );
  assert.equal(executed(engine, "failGenerate"), 3);
  assert.equal(executed(engine, "failCompile"), 6, "restored, not executed again");
  assert.equal(executed(engine, "failLink"), 2);
});

Deno.test("a mended failure whose value changed reruns its dependents", async () => {
  const engine = new Engine();
  spec.set("first");
  const run = () => engine.run(() => link(["a"])).catch((e) => e);
  assert.equal(await run(), "a: generated from first");
  spec.set("broken");
  assert.ok(await run() instanceof Error);
  spec.set("second");
  assert.equal(await run(), "a: generated from second");
  assert.equal(executed(engine, "failCompile"), 3);
});

let reads = 0;
const flaky = memo("failFlaky", async (path: string) => {
  reads++;
  const text = await readText(path);
  if (text.includes("fail")) throw new Error(`${path} says fail`);
  return text.length;
});
const flakyUser = memo("failFlakyUser", async (path: string) => await flaky(path) * 2);

Deno.test("across processes, a failure of the body's own is retried and a dependent's restored", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store");
    const file = join(dir, "in.txt");
    const open = () => new Engine({ dir: store, root: dir });
    await Deno.writeTextFile(file, "four");
    let engine = open();
    assert.equal(await engine.run(() => flakyUser("in.txt")), 8);
    engine.close();
    await Deno.writeTextFile(file, "fail");
    engine = open();
    await assert.rejects(engine.run(() => flakyUser("in.txt")), /in\.txt says fail/);
    engine.close();
    // Nothing changed: the body's own failure is tried again, its dependent waits for it.
    reads = 0;
    engine = open();
    await assert.rejects(engine.run(() => flakyUser("in.txt")), /in\.txt says fail/);
    assert.equal(reads, 1, "the failed body ran again");
    engine.close();
    await Deno.writeTextFile(file, "four");
    engine = open();
    assert.equal(await engine.run(() => flakyUser("in.txt")), 8);
    assert.equal(executed(engine, "failFlaky"), 1);
    assert.equal(executed(engine, "failFlakyUser"), 0, "the dependent took its old value back");
    engine.close();
  });
});
