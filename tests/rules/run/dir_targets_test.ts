// Directory targets (`dir()`): a rule fills a tree, a dependent reads it,
// the tree is checked as the rule's output, emptied before each rerun,
// removed by clean and when its rule goes, and cut off when unchanged.

import assert from "node:assert/strict";
import { join } from "node:path";
import { clean } from "../../../rules/mod.ts";
import { buildIn, buildOk, MOD, readMaybe, withProject } from "../_util.ts";

const IMPORT_DIR = `import { dir, rule, sh, write } from "${MOD}";\n`;

/** A producer filling `out/docs` from `src/*.txt` (one page each, an index), a dependent counting them. */
const BUILD = IMPORT_DIR + `
const docs = dir("out/docs");
rule({
  targets: docs,
  deps: "src/pages.txt",
  action: sh("mkdir -p out/docs/p && for p in $(cat src/pages.txt); do echo page $p > out/docs/p/$p.html; done; echo index > out/docs/index.html"),
});
rule({
  targets: "count.txt",
  deps: docs,
  action: sh("find out/docs -type f | sort > count.txt"),
});
`;

async function tree(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(join(root, rel))) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else out.push(path);
    }
  };
  await walk(dir);
  return out.sort();
}

Deno.test("a rule fills a directory target and a dependent reads the whole tree", async () => {
  await withProject({ "build.ts": BUILD, "src/pages.txt": "a b" }, async (root) => {
    const first = await buildOk(root);
    assert.deepEqual(first.ranIds, ["count.txt", "out/docs"]);
    assert.deepEqual(await tree(root, "out/docs"), [
      "out/docs/index.html",
      "out/docs/p/a.html",
      "out/docs/p/b.html",
    ]);
    assert.equal(
      await readMaybe(root, "count.txt"),
      "out/docs/index.html\nout/docs/p/a.html\nout/docs/p/b.html\n",
    );
    assert.deepEqual((await buildOk(root)).ranIds, [], "a second build runs nothing");
  });
});

Deno.test("a directory target is emptied before its rule reruns: stale files are gone", async () => {
  await withProject({ "build.ts": BUILD, "src/pages.txt": "a b" }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "src/pages.txt"), "c");
    const again = await buildOk(root);
    assert.deepEqual(again.ranIds, ["count.txt", "out/docs"]);
    assert.deepEqual(await tree(root, "out/docs"), ["out/docs/index.html", "out/docs/p/c.html"]);
    assert.equal(await readMaybe(root, "count.txt"), "out/docs/index.html\nout/docs/p/c.html\n");
  });
});

Deno.test("a file edited, added or deleted inside a directory target reruns its rule", async () => {
  await withProject({ "build.ts": BUILD, "src/pages.txt": "a b" }, async (root) => {
    await buildOk(root);
    const edits: [string, () => Promise<void>][] = [
      ["edited", () => Deno.writeTextFile(join(root, "out/docs/p/a.html"), "by hand\n")],
      ["added", () => Deno.writeTextFile(join(root, "out/docs/p/extra.html"), "extra\n")],
      ["added in a new directory", async () => {
        await Deno.mkdir(join(root, "out/docs/new"));
        await Deno.writeTextFile(join(root, "out/docs/new/x.html"), "x\n");
      }],
      ["deleted", () => Deno.remove(join(root, "out/docs/p/b.html"))],
    ];
    for (const [what, edit] of edits) {
      await edit();
      const again = await buildOk(root);
      // The producer repairs the tree: the same tree, so its dependent is cut off.
      assert.deepEqual(again.ranIds, ["out/docs"], `a file ${what} by hand`);
      assert.match(again.ran[0].reason, /out\/docs/, what);
      assert.deepEqual(await tree(root, "out/docs"), [
        "out/docs/index.html",
        "out/docs/p/a.html",
        "out/docs/p/b.html",
      ], what);
      assert.equal(await readMaybe(root, "out/docs/p/a.html"), "page a\n", what);
    }
  });
});

Deno.test("a rerun leaving the same tree does not rerun the dependent (cutoff)", async () => {
  await withProject({ "build.ts": BUILD, "src/pages.txt": "a b" }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "src/pages.txt"), "a  b\n");
    assert.deepEqual((await buildOk(root)).ranIds, ["out/docs"]);
  });
});

Deno.test("a file inside a directory target as a dependency builds its rule", async () => {
  await withProject({
    "build.ts": BUILD + `
rule({ targets: "a.copy", deps: "out/docs/p/a.html", action: sh("cp out/docs/p/a.html a.copy") });
`,
    "src/pages.txt": "a b",
  }, async (root) => {
    const first = await buildOk(root, ["a.copy"]);
    assert.deepEqual(first.ranIds, ["a.copy", "out/docs"]);
    assert.equal(await readMaybe(root, "a.copy"), "page a\n");
    await Deno.writeTextFile(join(root, "src/pages.txt"), "a b c");
    // The rule depends on the whole tree, its command on a.html alone: the
    // tree changed, a.html did not, so the command is replayed, not run.
    assert.deepEqual((await buildOk(root, ["a.copy"])).ranIds, ["out/docs"]);
    await Deno.writeTextFile(join(root, "out/docs/p/a.html"), "by hand\n");
    assert.deepEqual((await buildOk(root, ["a.copy"])).ranIds, ["out/docs"]);
    assert.equal(await readMaybe(root, "a.copy"), "page a\n");
  });
});

Deno.test("clean removes a directory target's whole tree", async () => {
  await withProject({ "build.ts": BUILD, "src/pages.txt": "a b" }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "out/docs/p/mine.html"), "added by hand\n");
    const removed = await clean(root);
    assert.ok(removed.includes("out/docs"), removed.join(" "));
    assert.equal(await readMaybe(root, "out/docs/index.html"), undefined);
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name).sort(), ["build.ts", "src"]);
  });
});

Deno.test("a directory target whose rule leaves build.ts is deleted", async () => {
  await withProject({ "build.ts": BUILD, "src/pages.txt": "a b" }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(
      join(root, "build.ts"),
      IMPORT_DIR + `rule({ targets: "other.txt", action: write("other.txt", "x") });\n`,
    );
    const again = await buildOk(root);
    assert.ok(
      again.notes.some((n) => /Deleted out\/docs\/: no rule fills it/.test(n)),
      again.notes.join("\n"),
    );
    assert.equal(await readMaybe(root, "out/docs/index.html"), undefined);
    assert.throws(() => Deno.statSync(join(root, "out/docs")), Deno.errors.NotFound);
    assert.equal(await readMaybe(root, "count.txt"), undefined);
  });
});

Deno.test("a directory that barchan did not create is refused as a directory target", async () => {
  await withProject({
    "build.ts": IMPORT_DIR + `rule({ targets: dir("docs"), action: sh("echo x > docs/a") });\n`,
    "docs/mine.txt": "precious",
  }, async (root) => {
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    assert.equal(result.failed[0].rule, "docs");
    assert.match(
      result.failed[0].message,
      /refusing to fill "docs": it exists and barchan did not create it/,
    );
    assert.match(result.failed[0].message, /rm -r docs/);
    assert.equal(await readMaybe(root, "docs/mine.txt"), "precious");
    const removed = await clean(root);
    assert.deepEqual(removed, []);
    assert.equal(await readMaybe(root, "docs/mine.txt"), "precious");
  });
});

Deno.test("an action that leaves no directory at its directory target fails, naming the rule", async () => {
  await withProject({
    "build.ts": IMPORT_DIR +
      `rule({ targets: dir("docs"), action: sh("rmdir docs && echo x > docs") });\n`,
  }, async (root) => {
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    assert.equal(result.failed[0].rule, "docs");
    assert.match(result.failed[0].message, /left no directory at "docs"/);
    assert.equal(await readMaybe(root, "docs"), undefined, "nothing of the failed run is kept");
  });
});

Deno.test("a tree's digest covers executable bits and symbolic links", async () => {
  await withProject({
    "build.ts": IMPORT_DIR + `
rule({ targets: dir("d"), deps: "mode.txt", action: sh("echo x > d/f; ln -s f d/l; chmod $(cat mode.txt) d/f") });
rule({ targets: "seen.txt", deps: dir("d"), action: sh("ls -l d | wc -l > seen.txt") });
`,
    "mode.txt": "644",
  }, async (root) => {
    assert.deepEqual((await buildOk(root)).ranIds, ["d", "seen.txt"]);
    assert.equal(Deno.readLinkSync(join(root, "d/l")), "f");
    await Deno.writeTextFile(join(root, "mode.txt"), "755");
    assert.deepEqual(
      (await buildOk(root)).ranIds,
      ["d", "seen.txt"],
      "an executable bit is a change",
    );
    await Deno.writeTextFile(join(root, "mode.txt"), "755\n");
    assert.deepEqual((await buildOk(root)).ranIds, ["d"], "the same tree cuts off");
  });
});

Deno.test("a rule may name files and directories as targets, and write into its directory", async () => {
  await withProject({
    "build.ts": IMPORT_DIR + `
rule({
  targets: ["list.txt", dir("gen")],
  action: async (ctx) => {
    await ctx.writeText("gen/sub/a.txt", "a");
    await ctx.writeText("list.txt", "gen/sub/a.txt");
  },
});
rule({ targets: "b.txt", deps: "gen", action: sh("cat gen/sub/a.txt > b.txt") });
`,
  }, async (root) => {
    await buildOk(root);
    assert.equal(await readMaybe(root, "b.txt"), "a");
    assert.equal(await readMaybe(root, "list.txt"), "gen/sub/a.txt");
  });
});

Deno.test("a rule writing inside another's directory target is an error when build.ts loads", async () => {
  await withProject({
    "build.ts": IMPORT_DIR + `
rule({ targets: dir("gen"), action: sh("true") });
rule({ targets: "gen/x.txt", action: write("gen/x.txt", "x") });
`,
  }, async (root) => {
    await assert.rejects(() => buildIn(root), /fills a directory that contains it/);
  });
});

Deno.test("with outputs.log lost, a directory target is barchan's again on the store's word", async () => {
  await withProject({ "build.ts": BUILD, "src/pages.txt": "a b" }, async (root) => {
    await buildOk(root);
    await Deno.remove(join(root, "_build/.barchan/outputs.log"));
    await Deno.writeTextFile(join(root, "src/pages.txt"), "c");
    const again = await buildOk(root);
    assert.deepEqual(again.ranIds, ["count.txt", "out/docs"]);
    assert.deepEqual(await tree(root, "out/docs"), ["out/docs/index.html", "out/docs/p/c.html"]);
    await Deno.remove(join(root, "_build/.barchan/outputs.log"));
    assert.ok((await clean(root)).includes("out/docs"));
    assert.equal(await readMaybe(root, "out/docs/index.html"), undefined);
  });
});
