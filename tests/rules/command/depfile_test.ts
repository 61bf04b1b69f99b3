// Make-style depfiles: what gcc, clang and other tools write, and the
// dependencies needDepfile makes of them.

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseDepfile } from "../../../rules/command/depfile.ts";
import { buildIn, buildOk, MOD, readMaybe, withProject } from "../_util.ts";

Deno.test("parseDepfile() reads continuation lines, escaped spaces and several targets", () => {
  const text = [
    "out/a.o out/a.d: src/a.c src/my\\ dir/x.h \\",
    "  src/cost\\#1.h src/$$HOME.h \\",
    "\tsrc/c\\:d.h",
    "",
  ].join("\n");
  assert.deepEqual(parseDepfile(text), {
    targets: ["out/a.o", "out/a.d"],
    deps: ["src/a.c", "src/my dir/x.h", "src/cost#1.h", "src/$HOME.h", "src/c:d.h"],
  });
});

Deno.test("parseDepfile() takes several rules (gcc -MP), comments and CRLF line ends, each file once", () => {
  const text = "# written by a tool\r\na.o: a.c a.h b.h\r\nb.o: b.c b.h\r\na.h:\r\nb.h:\r\n";
  assert.deepEqual(parseDepfile(text), {
    targets: ["a.o", "b.o", "a.h", "b.h"],
    deps: ["a.c", "a.h", "b.h", "b.c"],
  });
});

Deno.test("parseDepfile() keeps a Windows drive's colon in a path and rejects a line without a rule", () => {
  assert.deepEqual(parseDepfile("C:\\out\\a.o: C:\\src\\a.c\n").deps, ["C:\\src\\a.c"]);
  assert.throws(() => parseDepfile("a.o a.c\n"), /line 1 has no ":"/);
});

Deno.test("needDepfile() makes every header a compiler read, at any depth, a dependency", async () => {
  await withProject({
    "build.ts": `import { needDepfile, rule } from "${MOD}";
rule({
  targets: ["_build/a.o", "_build/a.o.d"],
  deps: ["a.c"],
  action: async (ctx) => {
    await ctx.run("cc", ["-MMD", "-MF", "_build/a.o.d", "-c", "a.c", "-o", "_build/a.o"]);
    await needDepfile(ctx, "_build/a.o.d");
  },
});
`,
    "a.c": '#include "inc/one.h"\nint a(void) { return ONE; }\n',
    "inc/one.h": '#include "two.h"\n#define ONE TWO\n',
    "inc/two.h": "#define TWO 2\n",
    "inc/unused.h": "#define UNUSED 0\n",
  }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "inc/unused.h"), "#define UNUSED 1\n");
    assert.deepEqual((await buildOk(root)).ranIds, []);
    await Deno.writeTextFile(join(root, "inc/two.h"), "#define TWO 3\n");
    assert.deepEqual((await buildOk(root)).ranIds, ["_build/a.o"]);
  });
});

const HEADERS = {
  "a.c": '#include "inc/one.h"\nint a(void) { return ONE; }\n',
  "inc/one.h": '#include "two.h"\n#define ONE TWO\n',
  "inc/two.h": "#define TWO 2\n",
  "inc/unused.h": "#define UNUSED 0\n",
};

/** Edits that must and must not rerun the compile of a.c, and the depfile gone. */
async function checkHeadersTracked(root: string, depfile: string) {
  assert.equal(await readMaybe(root, depfile), undefined, "read, then deleted");
  await Deno.writeTextFile(join(root, "inc/unused.h"), "#define UNUSED 1\n");
  assert.deepEqual((await buildOk(root)).ranIds, []);
  await Deno.writeTextFile(join(root, "inc/two.h"), "#define TWO 3\n");
  assert.deepEqual((await buildOk(root)).ranIds, ["_build/a.o"]);
  assert.equal(await readMaybe(root, depfile), undefined);
}

Deno.test("ctx.run's depfile option needs every header the compiler read, and deletes the depfile", async () => {
  const buildTs = (comment: string) =>
    `import { rule } from "${MOD}";
// ${comment}
rule({
  targets: "_build/a.o",
  deps: ["a.c"],
  action: async (ctx) => {
    await ctx.run("cc", ["-MMD", "-MF", "_build/a.o.d", "-c", "a.c", "-o", "_build/a.o"], {
      depfile: "_build/a.o.d",
    });
  },
});
`;
  await withProject({ "build.ts": buildTs("one"), ...HEADERS }, async (root) => {
    await buildOk(root);
    await checkHeadersTracked(root, "_build/a.o.d");
    // An edit of build.ts executes the action again; its command, as last
    // time, is replayed, writes no depfile, and the headers stay tracked.
    await Deno.writeTextFile(join(root, "build.ts"), buildTs("two"));
    const replayed = await buildOk(root);
    assert.deepEqual(replayed.started.length, 0, "no command spawned");
    await Deno.writeTextFile(join(root, "inc/one.h"), '#include "two.h"\n#define ONE (TWO)\n');
    assert.deepEqual((await buildOk(root)).ranIds, ["_build/a.o"]);
  });
});

Deno.test("depfile() gives a run() data action a depfile; restored from the cache, its headers stay tracked", async () => {
  const buildTs = `import { depfile, rule, run } from "${MOD}";
rule({
  targets: "_build/a.o",
  deps: ["a.c"],
  action: depfile("_build/a.o.d", run("cc", "-MD", "-MF", "_build/a.o.d", "-c", "a.c", "-o", "_build/a.o")),
});
`;
  await withProject({ "build.ts": buildTs, ...HEADERS }, async (root) => {
    await buildOk(root);
    await checkHeadersTracked(root, "_build/a.o.d");
    // Back to the first headers: the object and its dependencies come from the cache.
    await Deno.writeTextFile(join(root, "inc/two.h"), "#define TWO 2\n");
    const restored = await buildOk(root);
    assert.deepEqual(restored.finished.map((e) => e.restored), ["local"]);
    assert.equal(await readMaybe(root, "_build/a.o.d"), undefined);
    await Deno.writeTextFile(join(root, "inc/one.h"), '#include "two.h"\n#define ONE (TWO)\n');
    assert.deepEqual((await buildOk(root)).ranIds, ["_build/a.o"]);
  });
});

Deno.test("a depfile outside _build/ that is not a target, or one the command did not write, is the rule's error", async () => {
  const buildTs = `import { depfile, rule, run, sh } from "${MOD}";
rule({ targets: "_build/x", action: depfile("x.d", sh("echo 'x: a.c' > x.d; : > _build/x")) });
rule({ targets: "_build/y", action: depfile("_build/y.d", run("touch", "_build/y")) });
`;
  await withProject({ "build.ts": buildTs, "a.c": "", "x.d": "mine\n" }, async (root) => {
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    const messages = Object.fromEntries(result.failed.map((f) => [f.rule, f.message]));
    assert.match(
      messages["_build/x"],
      /depfile "x\.d", which is neither one of its targets nor under _build\/: make it a target/,
    );
    assert.equal(await readMaybe(root, "x.d"), "mine\n", "a file barchan did not create is kept");
    assert.match(
      messages["_build/y"],
      /touch _build\/y, which did not write its depfile "_build\/y\.d"/,
    );
  });
});
