// Dependencies read together are re-checked together: the members of a group
// in parallel, groups one after another in the order they were read.

import assert from "node:assert/strict";
import { Engine, memo, readTogether, Var } from "../../memo/mod.ts";
import { executed } from "./_util.ts";

const version = new Var("togetherVersion", 1);
let running = 0;
let mostAtOnce = 0;
const slow = memo("togetherSlow", async (n: number) => {
  running++;
  mostAtOnce = Math.max(mostAtOnce, running);
  await new Promise((resolve) => setTimeout(resolve, 5));
  running--;
  return n + version.get() * 0;
});
const order: string[] = [];
const first = memo("togetherFirst", () => {
  order.push("first");
  return version.get() > 0;
});
const grouped = memo("togetherGrouped", async (n: number) => {
  await first(null);
  const parts = await readTogether(() => Promise.all(Array.from({ length: n }, (_, i) => slow(i))));
  return parts.reduce((a, b) => a + b, 0);
});
const oneByOne = memo("togetherOneByOne", async (n: number) => {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await slow(100 + i);
  return sum;
});

Deno.test("dependencies read together are re-checked in parallel, after the group before them", async () => {
  const engine = new Engine();
  assert.equal(await engine.run(() => grouped(4)), 6);
  version.set(2);
  mostAtOnce = 0;
  assert.equal(await engine.run(() => grouped(4)), 6);
  assert.equal(mostAtOnce, 4, "the four re-executed at once");
  assert.deepEqual(order, ["first", "first"], "the earlier group was checked first");
  assert.equal(executed(engine, "togetherSlow"), 8);
  assert.equal(executed(engine, "togetherGrouped"), 1, "equal values: verified without executing");
});

Deno.test("dependencies read one by one are re-checked one by one", async () => {
  const engine = new Engine();
  assert.equal(await engine.run(() => oneByOne(3)), 303);
  version.set(3);
  mostAtOnce = 0;
  assert.equal(await engine.run(() => oneByOne(3)), 303);
  assert.equal(mostAtOnce, 1);
  assert.equal(executed(engine, "togetherOneByOne"), 1, "equal values: cut off");
});
