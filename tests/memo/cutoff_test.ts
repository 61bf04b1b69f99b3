import assert from "node:assert/strict";
import { Engine, memo, redefine, Var } from "../../memo/mod.ts";
import { executed } from "./_util.ts";

const numbers = new Var("cutoffNumbers", [2, 4]);
const summary = memo("cutoffSummary", () => {
  const ns = numbers.get();
  return { evens: ns.filter((n) => n % 2 === 0).length, total: [ns.length] };
});
const report = memo("cutoffReport", async () => {
  const s = await summary(null);
  return `${s.evens} of ${s.total[0]} even`;
});

Deno.test("memo() does not rerun dependents when a re-executed value is deeply equal", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => report(null));
  assert.equal(await run(), "2 of 2 even");
  numbers.set([6, 8]); // a new object, deeply equal to the old one
  assert.equal(await run(), "2 of 2 even");
  assert.equal(executed(engine, "cutoffSummary"), 2);
  assert.equal(executed(engine, "cutoffReport"), 1);
  assert.equal(engine.stats().get("cutoffSummary")?.cutoff, 1);
  numbers.set([6, 7]);
  assert.equal(await run(), "1 of 2 even");
  assert.equal(executed(engine, "cutoffReport"), 2);
});

const word = new Var("cutoffWord", "abc");
const sameLength = memo("cutoffSameLength", () => word.get().toUpperCase(), {
  cutoff: (a, b) => a.length === b.length,
});
const wordUser = memo("cutoffWordUser", async () => `<${await sameLength(null)}>`);

Deno.test("a custom cutoff decides when a new value counts as unchanged", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => wordUser(null));
  assert.equal(await run(), "<ABC>");
  word.set("xyz");
  assert.equal(await run(), "<ABC>", "equal under the cutoff: the old value stays");
  assert.equal(executed(engine, "cutoffSameLength"), 2);
  assert.equal(executed(engine, "cutoffWordUser"), 1);
  word.set("wxyz");
  assert.equal(await run(), "<WXYZ>");
  assert.equal(executed(engine, "cutoffWordUser"), 2);
});

const flaky = new Var("cutoffThrowingVar", 1);
const throwingCutoff = memo("cutoffThrowing", () => flaky.get() * 0, {
  cutoff: () => {
    throw new Error("cannot compare");
  },
});
const throwingUser = memo("cutoffThrowingUser", async () => await throwingCutoff(null) + 1);

Deno.test("a cutoff that throws counts the value as changed", async () => {
  const engine = new Engine();
  assert.equal(await engine.run(() => throwingUser(null)), 1);
  flaky.set(2);
  assert.equal(await engine.run(() => throwingUser(null)), 1);
  assert.equal(executed(engine, "cutoffThrowingUser"), 2);
});

const chainInput = new Var("cutoffChainInput", 10);
const chainLog: string[] = [];
const chainA = memo("cutoffChainA", () => {
  chainLog.push("a");
  return chainInput.get();
});
const chainB = memo("cutoffChainB", async () => {
  chainLog.push("b");
  return (await chainA(null)) >= 10;
});
const chainC = memo("cutoffChainC", async () => {
  chainLog.push("c");
  return (await chainB(null)) ? "big" : "small";
});
const chainD = memo("cutoffChainD", async () => {
  chainLog.push("d");
  return (await chainC(null)).length;
});

Deno.test("early cutoff stops propagation in the middle of a chain", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => chainD(null));
  assert.equal(await run(), 3);
  chainLog.length = 0;
  chainInput.set(11);
  assert.equal(await run(), 3);
  assert.deepEqual(chainLog, ["a", "b"], "c and d are not executed: b's value is the same");
  chainLog.length = 0;
  chainInput.set(1);
  assert.equal(await run(), 5);
  assert.deepEqual(chainLog, ["a", "b", "c", "d"]);
});

const diamondInput = new Var("cutoffDiamondInput", 1);
const diamondLog: string[] = [];
const diamondBottom = memo("cutoffDiamondBottom", () => {
  diamondLog.push("bottom");
  return diamondInput.get();
});
const diamondLeft = memo("cutoffDiamondLeft", async () => {
  diamondLog.push("left");
  return (await diamondBottom(null)) + 1;
});
const diamondRight = memo("cutoffDiamondRight", async () => {
  diamondLog.push("right");
  return (await diamondBottom(null)) * 2;
});
const diamondTop = memo("cutoffDiamondTop", async () => {
  diamondLog.push("top");
  const [l, r] = await Promise.all([diamondLeft(null), diamondRight(null)]);
  return l + r;
});

Deno.test("in a diamond every affected body executes exactly once", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => Promise.all([diamondTop(null), diamondRight(null)]));
  assert.deepEqual(await run(), [4, 2]);
  assert.deepEqual(diamondLog.sort(), ["bottom", "left", "right", "top"]);
  diamondLog.length = 0;
  diamondInput.set(5);
  assert.deepEqual(await run(), [16, 10]);
  assert.deepEqual(diamondLog.sort(), ["bottom", "left", "right", "top"]);
});

const pick = new Var("cutoffPick", "left");
const leftInput = new Var("cutoffLeftInput", 1);
const rightInput = new Var("cutoffRightInput", 1);
const orderLog: string[] = [];
const choice = memo("cutoffChoice", () => {
  orderLog.push("choice");
  return pick.get();
});
const leftSide = memo("cutoffLeftSide", () => {
  orderLog.push("left");
  return leftInput.get();
});
const rightSide = memo("cutoffRightSide", () => {
  orderLog.push("right");
  return rightInput.get();
});
const chosen = memo("cutoffChosen", async () => {
  orderLog.push("chosen");
  return (await choice(null)) === "left" ? await leftSide(null) : await rightSide(null);
});

Deno.test("dependencies are re-checked in the order first read, stopping at the first change", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => chosen(null));
  assert.equal(await run(), 1);
  orderLog.length = 0;
  // Both the choice and the side read so far change. Checking `choice` first
  // finds the change, so `chosen` executes and never needs the left side:
  // checking `leftSide` would have executed it for nothing.
  pick.set("right");
  leftInput.set(2);
  rightInput.set(3);
  assert.equal(await run(), 3);
  assert.deepEqual(orderLog, ["choice", "chosen", "right"]);
  assert.equal(executed(engine, "cutoffLeftSide"), 1);
});

Deno.test("checking a memo dependency recomputes it, and an unchanged result verifies the caller", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => chosen(null));
  pick.set("left");
  leftInput.set(5);
  assert.equal(await run(), 5);
  orderLog.length = 0;
  pick.set("left"); // no cutoff on the var: every set is a change
  assert.equal(await run(), 5);
  assert.deepEqual(orderLog, ["choice"], "choice re-executes; equal value; chosen is verified");
  assert.equal(engine.stats().get("cutoffChosen")?.revalidated, 1);
});

const stepInput = new Var("cutoffStepInput", 1);
const stepLog: string[] = [];
const stepBottom = memo("cutoffStepBottom", () => {
  stepLog.push("bottom");
  return stepInput.get();
});
const stepMiddle = memo("cutoffStepMiddle", async () => {
  stepLog.push("middle");
  return (await stepBottom(null)) * 10;
});
const stepTop = memo("cutoffStepTop", async () => {
  stepLog.push("top");
  return (await stepMiddle(null)) + 1;
});

Deno.test("a caller checked after its dependency was recomputed in the same run executes", async () => {
  const engine = new Engine();
  assert.equal(await engine.run(() => stepTop(null)), 11);
  stepLog.length = 0;
  stepInput.set(2);
  const [bottom, top] = await engine.run(async () => [await stepBottom(null), await stepTop(null)]);
  assert.deepEqual([bottom, top], [2, 21]);
  assert.deepEqual(stepLog, ["bottom", "middle", "top"]);
});

const counted = memo("cutoffCounted", (text: string) => text.length);
const countedUser = memo(
  "cutoffCountedUser",
  async (text: string) => `${await counted(text)} chars`,
);

Deno.test("a body whose code changed but gives the same value does not rerun its dependents", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => countedUser("abc"));
  assert.equal(await run(), "3 chars");
  await redefine(() => memo("cutoffCounted", (text: string) => text.length + 0));
  assert.equal(await run(), "3 chars");
  assert.equal(executed(engine, "cutoffCounted"), 2, "the new code ran");
  assert.equal(executed(engine, "cutoffCountedUser"), 1, "its equal value stopped there");
  assert.equal(engine.stats().get("cutoffCounted")?.cutoff, 1);
  await redefine(() => memo("cutoffCounted", (text: string) => text.length * 2));
  assert.equal(await run(), "6 chars");
  assert.equal(executed(engine, "cutoffCountedUser"), 2);
});
