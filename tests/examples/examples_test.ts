import "../_own_cache.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { build } from "../../mod.ts";

const modUrl = new URL("../../mod.ts", import.meta.url).href;

/** Copies an example into a temp dir, pointing its import of mod.ts at this checkout. */
async function copyExample(name: string): Promise<string> {
  const from = new URL(`../../examples/${name}/`, import.meta.url).pathname;
  const to = await Deno.makeTempDir({ prefix: `barchan-example-${name}-` });
  const copyTree = async (src: string, dst: string) => {
    for await (const entry of Deno.readDir(src)) {
      if (entry.name === "_build") continue;
      const s = join(src, entry.name);
      const d = join(dst, entry.name);
      if (entry.isDirectory) {
        await Deno.mkdir(d);
        await copyTree(s, d);
      } else await Deno.copyFile(s, d);
    }
  };
  await copyTree(from, to);
  const buildTs = join(to, "build.ts");
  const text = await Deno.readTextFile(buildTs);
  await Deno.writeTextFile(buildTs, text.replace(`"../../mod.ts"`, JSON.stringify(modUrl)));
  return to;
}

function ranRules(result: { ran: { rule: string }[] }): string[] {
  return result.ran.map((r) => r.rule).sort();
}

Deno.test("examples/hello builds from clean and its test alias passes", async () => {
  const dir = await copyExample("hello");
  const first = await build({ root: dir, targets: ["@runtest"] });
  assert.deepEqual(first.failed, []);
  assert.equal(first.ran.length, 4);
  const out = new Deno.Command(join(dir, "_build/hello")).outputSync();
  assert.equal(new TextDecoder().decode(out.stdout), "Hello, world!\n");
  assert.deepEqual(ranRules(await build({ root: dir, targets: ["@runtest"] })), []);
});

Deno.test("examples/hello: editing a header rebuilds only the objects that include it, at any depth", async () => {
  const dir = await copyExample("hello");
  const hello = () =>
    new TextDecoder().decode(new Deno.Command(join(dir, "_build/hello")).outputSync().stdout);
  assert.ok((await build({ root: dir })).ok);
  await Deno.writeTextFile(
    join(dir, "src/greeting.h"),
    '#include "punctuation.h"\n#define GREETING "Howdy"\n',
  );
  const result = await build({ root: dir });
  assert.ok(result.ok);
  assert.deepEqual(ranRules(result), ["_build/hello", "_build/util.o"]);
  assert.equal(hello(), "Howdy, world!\n");
  // Included by greeting.h, itself included by util.c: the depfile names it.
  await Deno.writeTextFile(join(dir, "src/punctuation.h"), '#define MARK "?"\n');
  const deeper = await build({ root: dir });
  assert.deepEqual(ranRules(deeper), ["_build/hello", "_build/util.o"]);
  assert.equal(hello(), "Howdy, world?\n");
});

Deno.test("examples/codegen builds from clean, runs its test, and regenerates on config edits", async () => {
  const dir = await copyExample("codegen");
  const first = await build({ root: dir, targets: ["@runtest"] });
  assert.deepEqual(first.failed, []);
  assert.equal(
    await Deno.readTextFile(join(dir, "_build/output.txt")),
    "Hello, Ada!\nHello, Grace!\n",
  );
  await Deno.writeTextFile(join(dir, "config.json"), '{ "greeting": "Hi", "shout": true }\n');
  const second = await build({ root: dir });
  assert.ok(second.ok);
  assert.deepEqual(ranRules(second), ["_build/config.ts", "_build/output.txt"]);
  assert.equal(await Deno.readTextFile(join(dir, "_build/output.txt")), "HI, ADA!\nHI, GRACE!\n");
  const failing = await build({ root: dir, targets: ["@runtest"] });
  assert.equal(failing.ok, false);
  assert.match(failing.failed[0].message, /diff -u expected.txt _build\/output.txt/);
});
