// What commands print: shown grouped per action, bounded in memory, kept out
// of the output when asked (a command whose output is data).

import assert from "node:assert/strict";
import { join } from "node:path";
import { buildIn, buildOk, cli, MOD, readMaybe, withProject } from "../_util.ts";

Deno.test("a quiet command's output is returned but not shown, unless it fails", async () => {
  const buildTs = (fail: boolean) =>
    `import { rule } from "${MOD}";
rule({
  targets: "out.txt",
  action: async (ctx) => {
    const { stdout } = await ctx.run("sh", ["-c", "echo data-line; echo note >&2${
      fail ? "; exit 2" : ""
    }"], { quiet: true });
    await ctx.writeText("out.txt", stdout);
  },
});
`;
  await withProject({ "build.ts": buildTs(false) }, async (root) => {
    const built = await buildOk(root);
    assert.equal(await readMaybe(root, "out.txt"), "data-line\n");
    assert.equal(built.finished[0].output, "");
    await Deno.writeTextFile(join(root, "build.ts"), buildTs(true));
    const failed = await buildIn(root);
    assert.equal(failed.ok, false);
    assert.match(failed.finished[0].output, /data-line/);
    assert.match(failed.finished[0].output, /note/);
  });
});

Deno.test("an action printing 20 MB is shown as its head and tail, the whole kept in a file", async () => {
  const buildTs = `import { rule, sh } from "${MOD}";
rule({ targets: "out.txt", action: sh("head -c 20000000 /dev/zero | tr '\\\\0' x | fold -w 99; echo end > out.txt") });
`;
  await withProject({ "build.ts": buildTs }, async (root) => {
    const built = await buildOk(root);
    const shown = built.finished[0].output;
    assert.ok(shown.length < 2_000_000, `${shown.length} characters shown`);
    const where = shown.match(/the whole output is in (\S+)/)?.[1];
    assert.ok(where !== undefined, shown.slice(0, 300));
    assert.ok((await Deno.stat(where)).size >= 20_000_000);
    assert.ok(where.startsWith(join(root, "_build/.barchan/output/")));
  });
});

Deno.test("build --replay prints what up-to-date actions printed when they last ran", async () => {
  const buildTs = `import { rule, sh } from "${MOD}";
rule({ targets: "a.txt", action: sh("echo warning: unused variable >&2; echo a > a.txt") });
rule({ targets: "b.txt", deps: ["a.txt"], action: sh("cat a.txt > b.txt") });
`;
  await withProject({ "build.ts": buildTs }, async (root) => {
    await cli(root, "build");
    const plain = await cli(root, "build");
    assert.doesNotMatch(plain.stderr, /unused variable/);
    const replayed = await cli(root, "build", "--replay");
    assert.equal(replayed.code, 0);
    assert.match(
      replayed.stderr,
      /a\.txt: \(its output when it last ran\)\n\s+warning: unused variable/,
    );
    assert.match(replayed.stderr, /Done: 0 actions ran/);
  });
});
