// moduleGraph(): the local modules of entry points as `deno info` finds them,
// the configuration in force and the pinned packages, as a memo function
// that depends on every file it lists.

import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine } from "../../../memo/mod.ts";
import { denoInfoRuns, moduleGraph } from "../../../rules/deno/module_graph.ts";
import { readInfoGraph } from "../../../rules/deno/_deno_info.ts";
import { denoConfig } from "../../../rules/deno/config.ts";
import { parseJsonc } from "../../../rules/deno/_jsonc.ts";
import { type Files, writeFiles } from "../_util.ts";

async function inDir<T>(files: Files, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "barchan_graph_test_" });
  try {
    await writeFiles(dir, files);
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("moduleGraph() lists the modules an entry imports through the import map, and no other", async () => {
  await inDir({
    "deno.json": `{ "imports": { "lib/": "./lib/" } }`,
    "main.ts": `import { two } from "lib/two.ts";\nconsole.log(two);\n`,
    "lib/two.ts": `export { one as two } from "./one.ts";\n`,
    "lib/one.ts": "export const one = 1;\n",
    "lib/unused.ts": "export const three = 3;\n",
  }, async (dir) => {
    const graph = await new Engine({ root: dir }).run(() => moduleGraph("main.ts"));
    assert.deepEqual(graph.entries, ["main.ts"]);
    assert.deepEqual(graph.modules, ["lib/one.ts", "lib/two.ts", "main.ts"]);
    assert.deepEqual(graph.config, ["deno.json"]);
    assert.deepEqual(graph.locked, {});
  });
});

Deno.test("moduleGraph() of several entries is their graphs together, a missing import listed", async () => {
  await inDir({
    "a.ts": `import "./shared.ts";\n`,
    "b_test.ts": `import "./gone.ts";\n`,
    "shared.ts": "export {};\n",
  }, async (dir) => {
    const graph = await new Engine({ root: dir }).run(() => moduleGraph(["b_test.ts", "a.ts"]));
    assert.deepEqual(graph.entries, ["a.ts", "b_test.ts"]);
    assert.deepEqual(graph.modules, ["a.ts", "b_test.ts", "gone.ts", "shared.ts"]);
  });
});

Deno.test("moduleGraph() recomputes when an import changes, and keeps its value for other edits", async () => {
  await inDir({
    "main.ts": `import "./a.ts";\n`,
    "a.ts": "export const a = 1;\n",
    "b.ts": "export const b = 1;\n",
  }, async (dir) => {
    const engine = new Engine({ root: dir });
    const first = await engine.run(() => moduleGraph("main.ts"));
    assert.deepEqual(first.modules, ["a.ts", "main.ts"]);
    await Deno.writeTextFile(join(dir, "b.ts"), "export const b = 2;\n");
    engine.invalidatePaths(["b.ts"]);
    await engine.run(() => moduleGraph("main.ts"));
    assert.equal(engine.stats().get("barchan.moduleGraph")?.executed, 1);
    await Deno.writeTextFile(join(dir, "a.ts"), `import "./b.ts";\n`);
    engine.invalidatePaths(["a.ts"]);
    const second = await engine.run(() => moduleGraph("main.ts"));
    assert.deepEqual(second.modules, ["a.ts", "b.ts", "main.ts"]);
  });
});

Deno.test("moduleGraph() of an entry that does not exist says which", async () => {
  await inDir({ "deno.json": "{}" }, async (dir) => {
    await assert.rejects(
      new Engine({ root: dir }).run(() => moduleGraph("nowhere.ts")),
      /entry point "nowhere\.ts" of a module graph does not exist/,
    );
  });
});

Deno.test("readInfoGraph() takes the versions the lock pins for npm:, jsr: and https: specifiers", () => {
  const info = {
    modules: [
      {
        specifier: "file:///p/main.ts",
        dependencies: [
          { specifier: "zod", code: { specifier: "npm:zod@^3" }, npmPackage: "zod@3.2.0" },
          { specifier: "@std/assert", code: { specifier: "jsr:@std/assert@^1" } },
          { specifier: "https://x.test/m.ts", code: { specifier: "https://x.test/m.ts" } },
          { specifier: "./with%20space.ts", code: { specifier: "file:///p/with%20space.ts" } },
        ],
      },
      { specifier: "file:///p/with%20space.ts" },
      { specifier: "https://x.test/m.ts" },
      { specifier: "https://jsr.io/@std/assert/1.0.4/mod.ts" },
    ],
  };
  const lock = {
    version: "5",
    specifiers: { "jsr:@std/assert@^1": "1.0.4" },
    remote: { "https://x.test/m.ts": "abc123" },
  };
  assert.deepEqual(readInfoGraph(info, lock), {
    files: ["/p/main.ts", "/p/with space.ts"],
    locked: {
      "https://x.test/m.ts": "abc123",
      "jsr:@std/assert@^1": "1.0.4",
      "npm:zod@^3": "3.2.0",
    },
  });
});

Deno.test("denoConfig() finds deno.jsonc upward, its import map and its lock setting", async () => {
  await inDir({
    "deno.jsonc": `{
      // comments and trailing commas, as deno.jsonc allows
      "importMap": "./maps/imports.json",
      "lock": { "path": "./locks/deno.lock", },
    }`,
    "maps/imports.json": "{}",
    "locks/deno.lock": "{}",
    "app/main.ts": "",
  }, async (dir) => {
    const config = await denoConfig(join(dir, "app"));
    assert.equal(config.lock, join(dir, "locks/deno.lock"));
    for (const file of ["deno.jsonc", "maps/imports.json", "locks/deno.lock"]) {
      assert.ok(config.files.includes(join(dir, file)), file);
    }
  });
});

Deno.test("parseJsonc() keeps comment markers and commas inside strings", () => {
  assert.deepEqual(parseJsonc(`{ "a": "http://x,}", /* b */ "c": [1, 2,], }`), {
    a: "http://x,}",
    c: [1, 2],
  });
});

Deno.test("moduleGraph() calls made together share one deno info, and each is what it is alone", async () => {
  await inDir({
    "deno.json": "{}",
    "a.ts": [
      `import { x } from "./x.ts";`,
      `import type { T } from "./t.ts";`,
      `// @deno-types="./j.d.ts"`,
      `import { j } from "./j.js";`,
      `export const a: T = x + j;`,
      "",
    ].join("\n"),
    "x.ts": `export const x = "x";\n`,
    "t.ts": "export type T = string;\n",
    "j.js": "export const j = 1;\n",
    "j.d.ts": "export declare const j: number;\n",
    "b.ts": `import "./y.ts";\nimport "./missing.ts";\n`,
    "y.ts": `export const y = 1;\n`,
    "c.ts": `import "./x.ts";\nimport "./y.ts";\n`,
    "unused.ts": `import "./x.ts";\n`,
  }, async (dir) => {
    // Files written a moment ago could be written still: deno info would run again.
    for await (const entry of Deno.readDir(dir)) {
      await Deno.utime(join(dir, entry.name), 1_700_000_000, 1_700_000_000);
    }
    const asked = [["a.ts"], ["b.ts"], ["c.ts", "a.ts"], ["y.ts"]];
    const before = denoInfoRuns();
    const together = await new Engine({ root: dir }).run(() =>
      Promise.all(asked.map((entries) => moduleGraph(entries)))
    );
    assert.equal(
      denoInfoRuns() - before,
      1,
      `one deno info for the four graphs, not ${denoInfoRuns() - before}`,
    );
    const alone = [];
    for (const entries of asked) {
      alone.push(await new Engine({ root: dir }).run(() => moduleGraph(entries)));
    }
    assert.equal(denoInfoRuns() - before, 1 + asked.length);
    assert.deepEqual(together, alone);
    assert.deepEqual(together.map((graph) => graph.modules), [
      ["a.ts", "j.d.ts", "j.js", "t.ts", "x.ts"],
      ["b.ts", "missing.ts", "y.ts"],
      ["a.ts", "c.ts", "j.d.ts", "j.js", "t.ts", "x.ts", "y.ts"],
      ["y.ts"],
    ]);
  });
});

Deno.test("moduleGraph() calls made together, one of them failing, each get their own answer", async () => {
  await inDir({
    "deno.json": "{}",
    "good.ts": `import "./x.ts";\n`,
    "x.ts": "export {};\n",
    "bad.ts": `import "jsr:@no-such/package-anywhere@1";\n`,
  }, async (dir) => {
    const [good, bad] = await new Engine({ root: dir }).run(() =>
      Promise.allSettled([moduleGraph("good.ts"), moduleGraph("bad.ts")])
    );
    assert.equal(good.status, "fulfilled");
    assert.deepEqual(good.value.modules, ["good.ts", "x.ts"]);
    if (bad.status === "rejected") assert.match(String(bad.reason), /bad\.ts/);
  });
});

Deno.test("moduleGraph() lists modules whose names need escaping in a URL", async () => {
  await inDir({
    "deno.json": "{}",
    "main.ts": `import "./a b.ts";\nimport "./ü%.ts";\n`,
    "a b.ts": "export {};\n",
    "ü%.ts": "export {};\n",
  }, async (dir) => {
    const graph = await new Engine({ root: dir }).run(() => moduleGraph("main.ts"));
    assert.deepEqual(graph.modules, ["a b.ts", "main.ts", "ü%.ts"]);
  });
});
