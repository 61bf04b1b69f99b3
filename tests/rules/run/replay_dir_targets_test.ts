// Replaying a function action whose rule has a directory target: executed
// again after an edit of build.ts that changes none of its commands, it
// spawns nothing while the tree is as its last run left it; a file deleted
// or edited inside the tree makes it run for real.

import assert from "node:assert/strict";
import { join } from "node:path";
import { build } from "../../../mod.ts";
import { MOD, readMaybe, recorder, withProject, writeFiles } from "../_util.ts";

/** A tree from a list of pages by two commands (the second reads what the first left), and a dependent. */
function buildTs(log: string, comment: string, second = "ls out/docs/p"): string {
  return `import { dir, rule, sh } from "${MOD}";
${comment}
const docs = dir("out/docs");
rule({
  targets: docs,
  deps: "pages.txt",
  action: async (ctx) => {
    await ctx.sh(
      "echo first >> ${log}; mkdir -p out/docs/p out/docs/empty; " +
        "for p in $(cat pages.txt); do echo page $p > out/docs/p/$p.html; done; " +
        "printf '#!/bin/sh\\\\n' > out/docs/run.sh; chmod +x out/docs/run.sh",
    );
    await ctx.sh("echo second >> ${log}; ${second} > out/docs/list.txt");
  },
});
rule({ targets: "count.txt", deps: docs, action: sh("find out/docs | sort > count.txt") });
`;
}

/** Builds without an action cache: what is not replayed is spawned. */
async function buildNoCache(root: string) {
  const reporter = recorder();
  const result = await build({ root, reporter, cache: { enabled: false }, jobs: 2 });
  assert.ok(result.ok, result.failed.map((f) => f.message).join("\n"));
  return [...new Set(reporter.started.map((e) => e.rule))].sort();
}

async function spawned(log: string): Promise<string> {
  const text = await Deno.readTextFile(log);
  await Deno.writeTextFile(log, "");
  return text;
}

Deno.test("a function action filling a directory target is replayed after a comment edit, and runs once a file inside the tree is deleted", async () => {
  const outside = await Deno.makeTempDir();
  const log = join(outside, "log");
  try {
    await withProject({ "build.ts": buildTs(log, ""), "pages.txt": "a b" }, async (root) => {
      assert.deepEqual(await buildNoCache(root), ["count.txt", "out/docs"]);
      assert.equal(await spawned(log), "first\nsecond\n");
      const count = await readMaybe(root, "count.txt");

      await writeFiles(root, { "build.ts": buildTs(log, "// a comment") });
      assert.deepEqual(await buildNoCache(root), [], "the action ran for real");
      assert.equal(await spawned(log), "", "a command was spawned, not replayed");
      assert.equal(await readMaybe(root, "count.txt"), count);

      // The tree no longer holds what the last run left: no replay.
      await Deno.remove(join(root, "out/docs/p/a.html"));
      await writeFiles(root, { "build.ts": buildTs(log, "// another comment") });
      assert.deepEqual(await buildNoCache(root), ["out/docs"]);
      assert.equal(await spawned(log), "first\nsecond\n");
      assert.equal(await readMaybe(root, "out/docs/p/a.html"), "page a\n");
      const mode = (await Deno.stat(join(root, "out/docs/run.sh"))).mode! & 0o111;
      assert.notEqual(mode, 0);

      // Without an edit of build.ts, a file deleted in the tree reruns the rule too.
      await Deno.remove(join(root, "out/docs/p/b.html"));
      assert.deepEqual(await buildNoCache(root), ["out/docs"]);
      assert.equal(await spawned(log), "first\nsecond\n");
      assert.equal(await readMaybe(root, "out/docs/p/b.html"), "page b\n");
    });
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("a changed second command of an action filling a directory target writes the tree it should", async () => {
  const outside = await Deno.makeTempDir();
  const log = join(outside, "log");
  try {
    await withProject({ "build.ts": buildTs(log, ""), "pages.txt": "a b" }, async (root) => {
      await buildNoCache(root);
      await spawned(log);
      await writeFiles(root, { "build.ts": buildTs(log, "", "ls -r out/docs/p") });
      assert.deepEqual(await buildNoCache(root), ["count.txt", "out/docs"]);
      assert.match(await spawned(log), /second\n$/);
      assert.equal(await readMaybe(root, "out/docs/list.txt"), "b.html\na.html\n");
      assert.equal(await readMaybe(root, "out/docs/p/a.html"), "page a\n");
    });
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});
