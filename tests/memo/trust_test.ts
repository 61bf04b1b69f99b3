// Engine#trustUnchanged: nodes vouched for by a caller that checked what
// they depend on (verifyRoot) are served from the store without their
// dependencies being checked, until the next invalidation; a node whose
// function's code changed is never taken on trust.

import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine, memo, readText, redefine } from "../../memo/mod.ts";
import { executed, withTempDir } from "./_util.ts";

const chars = memo("trustChars", async (path: string) => (await readText(path)).length);
const total = memo("trustTotal", async (paths: string[]) => {
  let sum = 0;
  for (const path of paths) sum += await chars(path);
  return sum;
});

const IDS = (a: string, b: string) =>
  new Set([
    `trustTotal\u0000${JSON.stringify([a, b])}`,
    `trustChars\u0000${JSON.stringify(a)}`,
    `trustChars\u0000${JSON.stringify(b)}`,
  ]);

Deno.test("a trusted node is served from the store unchecked, until the next invalidation", async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, "a.txt");
    const b = join(dir, "b.txt");
    await Deno.writeTextFile(a, "aaa");
    await Deno.writeTextFile(b, "bb");
    const store = join(dir, "store");
    const first = new Engine({ dir: store, root: dir });
    assert.equal(await first.run(() => total([a, b])), 5);
    first.close();

    await Deno.writeTextFile(a, "aaaaaaa");
    const second = new Engine({ dir: store, root: dir });
    // Everything vouched for: the change to a.txt is not looked at.
    second.trustUnchanged(IDS(a, b));
    assert.equal(await second.run(() => total([a, b])), 5);
    assert.equal(executed(second, "trustChars") + executed(second, "trustTotal"), 0);
    // An invalidation ends the trust.
    second.invalidateAll();
    assert.equal(await second.run(() => total([a, b])), 9);
    assert.equal(executed(second, "trustChars"), 1);
    second.close();
  });
});

Deno.test("a trusted node whose code changed executes anyway", async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, "a.txt");
    const b = join(dir, "b.txt");
    await Deno.writeTextFile(a, "aaa");
    await Deno.writeTextFile(b, "bb");
    const engine = new Engine({ root: dir });
    assert.equal(await engine.run(() => total([a, b])), 5);
    engine.trustUnchanged(IDS(a, b));
    await redefine(() =>
      memo("trustChars", async (path: string) => (await readText(path)).length * 10)
    );
    assert.equal(await engine.run(() => total([a, b])), 50);
  });
});
