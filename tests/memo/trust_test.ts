// Engine#trustUnchanged: nodes vouched for by a caller are served from the
// store without their dependencies being checked, for one run only; and
// Engine#graphUnder, the graph such a caller records.

import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine, memo, readText } from "../../memo/mod.ts";
import { currentFrame } from "../../memo/context.ts";
import type { Cell } from "../../memo/node.ts";
import type { FileLeaf } from "../../memo/leaves/file.ts";
import { executed, withTempDir } from "./_util.ts";

const chars = memo("trustChars", async (path: string) => (await readText(path)).length);
const total = memo("trustTotal", async (paths: string[]) => {
  let sum = 0;
  for (const path of paths) sum += await chars(path);
  return sum;
});
/** Reads the file its input names, or the file that file names when it starts with `@`. */
const follow = memo("trustFollow", async (path: string) => {
  const text = await readText(path);
  return text.startsWith("@") ? await readText(join(path, "..", text.slice(1))) : text;
});

/** Runs `fn` in `engine` and returns its value and what it read at top level. */
async function runWithRoots<T>(engine: Engine, fn: () => Promise<T>) {
  let roots: Cell[] = [];
  const value = await engine.run(async () => {
    try {
      return await fn();
    } finally {
      roots = [...currentFrame()!.deps];
    }
  });
  return { value, roots };
}

Deno.test("a trusted node is served from the store unchecked, for one run only", async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, "a.txt");
    const b = join(dir, "b.txt");
    await Deno.writeTextFile(a, "aaa");
    await Deno.writeTextFile(b, "bb");
    const store = join(dir, "store");
    const first = new Engine({ dir: store, root: dir });
    const { value, roots } = await runWithRoots(first, () => total([a, b]));
    assert.equal(value, 5);
    const graph = first.graphUnder(roots)!;
    first.close();

    await Deno.writeTextFile(a, "aaaaaaa");
    const second = new Engine({ dir: store, root: dir });
    // Everything vouched for: the change to a.txt is not looked at.
    second.trustUnchanged(new Set(graph.nodes.map((node) => node.id)));
    assert.equal(await second.run(() => total([a, b])), 5);
    assert.equal(executed(second, "trustChars") + executed(second, "trustTotal"), 0);
    // The next run checks again.
    second.invalidateAll();
    assert.equal(await second.run(() => total([a, b])), 9);
    assert.equal(executed(second, "trustChars"), 1);
    second.close();

    // Only the nodes above b.txt vouched for: a.txt's node and the total run again.
    await Deno.writeTextFile(a, "a");
    const third = new Engine({ dir: store, root: dir });
    const bNode = graph.nodes.find((node) => node.input === b)!;
    third.trustUnchanged(new Set([bNode.id]));
    assert.equal(await third.run(() => total([a, b])), 3);
    assert.equal(executed(third, "trustChars"), 1);
    assert.equal(executed(third, "trustTotal"), 1);
    assert.equal(third.sameGraphSinceTrust(), true, "both read what they read before");
    third.close();
  });
});

Deno.test("a body that reads other dependencies than before changes the graph's shape", async () => {
  await withTempDir(async (dir) => {
    const start = join(dir, "start.txt");
    await Deno.writeTextFile(start, "plain");
    await Deno.writeTextFile(join(dir, "next.txt"), "next");
    const store = join(dir, "store");
    const first = new Engine({ dir: store, root: dir });
    assert.equal(await first.run(() => follow(start)), "plain");
    assert.equal(first.sameGraphSinceTrust(), false, "no trust was given");
    first.close();

    /** Writes `text` to the start file, then reads through a trusting engine. */
    const trustedRun = async (text: string, expected: string, sameGraph: boolean) => {
      await Deno.writeTextFile(start, text);
      const engine = new Engine({ dir: store, root: dir });
      engine.trustUnchanged(new Set());
      assert.equal(await engine.run(() => follow(start)), expected);
      assert.equal(engine.sameGraphSinceTrust(), sameGraph, `after writing "${text}"`);
      engine.close();
    };
    await trustedRun("still plain", "still plain", true);
    await trustedRun("@next.txt", "next", false);
  });
});

Deno.test("graphUnder lists each node after the nodes it depends on, and each leaf once", async () => {
  await withTempDir(async (dir) => {
    const paths = ["a", "b", "c"].map((name) => join(dir, name));
    for (const path of paths) await Deno.writeTextFile(path, path);
    const engine = new Engine({ root: dir });
    const { roots } = await runWithRoots(engine, async () => {
      await total(paths);
      await total(paths.slice(1));
      return await chars(paths[0]);
    });
    const graph = engine.graphUnder(roots)!;
    assert.equal(graph.nodes.length, 5, "two totals and three chars");
    graph.nodes.forEach((node, i) => {
      const deps = graph.deps[i].filter((dep) => typeof dep === "number");
      assert.ok(deps.every((dep) => dep < i), `${node.id} comes after its dependencies`);
      assert.equal(
        deps.length,
        node.def.name === "trustTotal" ? (node.input as string[]).length : 0,
      );
    });
    assert.deepEqual(
      graph.leaves.map((leaf) => (leaf as FileLeaf).path).sort(),
      paths,
      "each file once",
    );
  });
});
