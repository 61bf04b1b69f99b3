import assert from "node:assert/strict";
import { Engine, memo, MemoError, redefine, Var } from "../../memo/mod.ts";
import { executed } from "./_util.ts";

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

const original = memo("defUnique", (n: number) => `original ${n}`);
const duplicateError = errorOf(() => memo("defUnique", (n: number) => `impostor ${n}`));

Deno.test("a second memo() with the same name errors naming both definition sites", async () => {
  const sites = [...duplicateError.message.matchAll(/definition_test\.ts:(\d+):\d+/g)];
  assert.match(duplicateError.message, /^Memo function "defUnique" is defined twice: at /);
  assert.match(duplicateError.message, /Give each memo function a unique name$/);
  assert.equal(sites.length, 2, duplicateError.message);
  assert.notEqual(sites[0][1], sites[1][1], "the two sites are the two lines");
  assert.equal(await new Engine().run(() => original(1)), "original 1", "the first one stays");
});

const duplicateVarError = errorOf(() => {
  new Var("defVar", 1);
  new Var("defVar", 2);
});

Deno.test("a second Var with the same name errors naming both definition sites", () => {
  assert.match(
    duplicateVarError.message,
    /^Var "defVar" is defined twice: at .*definition_test\.ts/,
  );
});

const creator = memo("defCreator", (n: number) => {
  const inner = memo(`defCreated${n}`, (m: number) => m);
  return inner(n);
});

Deno.test("creating a memo function inside a memo body errors and says so", async () => {
  const error = await new Engine().run(() => creator(1)).catch((e) => e);
  assert.ok(error instanceof MemoError);
  assert.match(
    (error.cause as Error).message,
    /^Cannot create memo function "defCreated1" at .* inside a memo computation: .*module top level/,
  );
});

const early = memo("defEarly", (n: number) => n + 1);

Deno.test("creating a memo function after evaluation has started errors and says so", async () => {
  assert.equal(await new Engine().run(() => early(1)), 2);
  const error = errorOf(() => memo("defLate", (n: number) => n));
  assert.match(
    error.message,
    /^Cannot create memo function "defLate" at .*definition_test\.ts:\d+:\d+ after evaluation has started: create memo functions at module top level/,
  );
  // Not registered either: a later redefinition of the name is a new function.
  const late = await redefine(() => memo("defLate", (n: number) => n * 3));
  assert.equal(await new Engine().run(() => late(2)), 6);
});

const reloaded = memo("defReloaded", (n: number) => `v1 ${n}`);
const reloadedUser = memo("defReloadedUser", async (n: number) => `[${await reloaded(n)}]`);

Deno.test("redefine() replaces a definition and an engine re-executes only when the code changed", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => reloadedUser(1));
  assert.equal(await run(), "[v1 1]");
  // The same source text: results stay valid.
  await redefine(() => memo("defReloaded", (n: number) => `v1 ${n}`));
  assert.equal(await run(), "[v1 1]");
  assert.equal(executed(engine, "defReloaded"), 1);
  // Another body under the same name: its results are recomputed, and so
  // are the results that used them.
  const v2 = await redefine(() => memo("defReloaded", (n: number) => `v2 ${n}`));
  assert.equal(await run(), "[v2 1]");
  assert.equal(await engine.run(() => v2(1)), "v2 1");
  assert.equal(await engine.run(() => reloaded(1)), "v2 1", "old handles call the new body");
  assert.equal(await engine.run(() => reloaded(7)), "v2 7", "for new inputs too");
  assert.equal(executed(engine, "defReloaded"), 3);
  assert.equal(executed(engine, "defReloadedUser"), 2);
});

Deno.test("redefine() still rejects a name defined twice within one reload", async () => {
  await assert.rejects(
    redefine(() => {
      memo("defTwiceInReload", () => 1);
      memo("defTwiceInReload", () => 2);
    }),
    /Memo function "defTwiceInReload" is defined twice: at .* and at .*/,
  );
});
