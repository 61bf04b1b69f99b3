// moduleGraph(): the local modules of entry points as `deno info` finds them,
// the configuration in force and the pinned packages, as a memo function
// that depends on every file it lists.

import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine } from "../../../memo/mod.ts";
import { moduleGraph } from "../../../rules/deno/module_graph.ts";
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
