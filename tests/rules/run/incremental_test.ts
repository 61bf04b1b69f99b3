// Content-based incrementality: a rule reruns exactly when its action, a
// dependency's content (static or found while running) or one of its targets
// changed, and a target rebuilt to identical content stops the propagation.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  buildIn,
  buildOk,
  cli,
  IMPORT,
  MOD,
  readMaybe,
  withProject,
  writeFiles,
} from "../_util.ts";

/** src/in.txt -> upper.txt -> first.txt (first letter) -> framed.txt. */
const PIPELINE = IMPORT + `
rule({ targets: "upper.txt", deps: ["src/in.txt"], action: sh("tr a-z A-Z < src/in.txt > upper.txt") });
rule({ targets: "first.txt", deps: ["upper.txt"], action: sh("head -c 1 upper.txt > first.txt") });
rule({ targets: "framed.txt", deps: ["first.txt"], action: sh("echo [$(cat first.txt)] > framed.txt") });
`;

async function touch(root: string, path: string): Promise<void> {
  const later = new Date(Date.now() + 5000);
  await Deno.utime(join(root, path), later, later);
}

Deno.test("a second build with nothing changed runs no action", async () => {
  await withProject({ "build.ts": PIPELINE, "src/in.txt": "hello" }, async (root) => {
    assert.equal((await buildOk(root)).started.length, 3);
    const again = await buildOk(root);
    assert.deepEqual(again.ran, []);
    assert.deepEqual(again.started, []);
    assert.equal(await readMaybe(root, "framed.txt"), "[H]\n");
  });
});

Deno.test("touching a source or a target without changing it runs nothing", async () => {
  await withProject({ "build.ts": PIPELINE, "src/in.txt": "hello" }, async (root) => {
    await buildOk(root);
    await touch(root, "src/in.txt");
    await touch(root, "first.txt");
    assert.deepEqual((await buildOk(root)).ranIds, []);
    await Deno.writeTextFile(join(root, "src/in.txt"), "hello");
    assert.deepEqual((await buildOk(root)).ranIds, [], "rewritten with the same content");
  });
});

Deno.test("a changed source reruns its rule and dependents whose inputs changed", async () => {
  await withProject({ "build.ts": PIPELINE, "src/in.txt": "hello" }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "src/in.txt"), "world");
    const result = await buildOk(root);
    assert.deepEqual(result.ranIds, ["first.txt", "framed.txt", "upper.txt"]);
    assert.match(result.ran.find((r) => r.rule === "upper.txt")!.reason, /src\/in\.txt changed/);
    assert.equal(await readMaybe(root, "framed.txt"), "[W]\n");
  });
});

Deno.test("a target rebuilt to identical content stops the propagation", async () => {
  await withProject({ "build.ts": PIPELINE, "src/in.txt": "hello" }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "src/in.txt"), "hELLO");
    assert.deepEqual((await buildOk(root)).ranIds, ["upper.txt"], "HELLO again: cut off");
    await Deno.writeTextFile(join(root, "src/in.txt"), "happy");
    assert.deepEqual(
      (await buildOk(root)).ranIds,
      ["first.txt", "upper.txt"],
      "first letter still H: cut off one step later",
    );
    assert.equal(await readMaybe(root, "upper.txt"), "HAPPY");
  });
});

Deno.test("a changed command line reruns the rule, and only that rule", async () => {
  const buildTs = (flag: string) =>
    IMPORT + `
rule({ targets: "out.txt", deps: ["in.txt"], action: run("sort", ${
      JSON.stringify(flag)
    }, "-o", "out.txt", "in.txt") });
rule({ targets: "other.txt", action: write("other.txt", "x") });
`;
  await withProject({ "build.ts": buildTs("-n"), "in.txt": "10\n9\n" }, async (root) => {
    await buildOk(root);
    assert.equal(await readMaybe(root, "out.txt"), "9\n10\n");
    await writeFiles(root, { "build.ts": buildTs("-r") });
    const result = await buildOk(root);
    assert.deepEqual(result.ranIds, ["out.txt"]);
    assert.match(result.ran[0].reason, /definition in build\.ts changed/);
    assert.equal(await readMaybe(root, "out.txt"), "9\n10\n");
  });
});

Deno.test("a changed shell script reruns the rule; dependents run only if its output changed", async () => {
  const buildTs = (script: string) =>
    IMPORT + `
rule({ targets: "a.txt", action: sh(${JSON.stringify(script)}) });
rule({ targets: "b.txt", deps: ["a.txt"], action: sh("cat a.txt a.txt > b.txt") });
`;
  await withProject({ "build.ts": buildTs("echo one > a.txt") }, async (root) => {
    await buildOk(root);
    await writeFiles(root, { "build.ts": buildTs("echo  one > a.txt") });
    assert.deepEqual((await buildOk(root)).ranIds, ["a.txt"]);
    await writeFiles(root, { "build.ts": buildTs("echo two > a.txt") });
    assert.deepEqual((await buildOk(root)).ranIds, ["a.txt", "b.txt"]);
    assert.equal(await readMaybe(root, "b.txt"), "two\ntwo\n");
  });
});

Deno.test("a changed dependency list reruns the rule", async () => {
  const buildTs = (deps: string) =>
    IMPORT + `
rule({ targets: "out.txt", deps: ${deps}, action: sh("cat *.in > out.txt") });
`;
  await withProject({ "build.ts": buildTs(`["a.in"]`), "a.in": "a", "b.in": "b" }, async (root) => {
    await buildOk(root);
    await writeFiles(root, { "build.ts": buildTs(`["a.in", "b.in"]`) });
    assert.deepEqual((await buildOk(root)).ranIds, ["out.txt"]);
  });
});

Deno.test("editing build.ts around a rule without changing the rule reruns nothing", async () => {
  const buildTs = (extra: string) =>
    IMPORT + `${extra}
rule({ targets: "out.txt", deps: ["in.txt"], action: sh("cp in.txt out.txt") });
rule({ targets: "fn.txt", action: async (ctx) => { await ctx.writeText("fn.txt", "fn"); } });
`;
  await withProject({ "build.ts": buildTs(""), "in.txt": "in" }, async (root) => {
    await buildOk(root);
    await writeFiles(root, {
      "build.ts": buildTs(
        `// a comment\nrule({ targets: "new.txt", action: write("new.txt", "") });`,
      ),
    });
    assert.deepEqual((await buildOk(root)).ranIds, ["new.txt"]);
  });
});

Deno.test("a function action reruns when its source text changes", async () => {
  const buildTs = (greeting: string) =>
    IMPORT + `
rule({
  targets: "greeting.txt",
  action: async (ctx) => {
    await ctx.writeText("greeting.txt", ${JSON.stringify(greeting)});
  },
});
`;
  await withProject({ "build.ts": buildTs("hello") }, async (root) => {
    await buildOk(root);
    assert.deepEqual((await buildOk(root)).ranIds, []);
    await writeFiles(root, { "build.ts": buildTs("bonjour") });
    assert.deepEqual((await buildOk(root)).ranIds, ["greeting.txt"]);
    assert.equal(await readMaybe(root, "greeting.txt"), "bonjour");
  });
});

Deno.test("a function action reruns when the inputs of its rule change", async () => {
  const buildTs = (level: number) =>
    IMPORT + `
const level = ${level};
rule({
  targets: "level.txt",
  inputs: { level },
  action: async (ctx) => {
    await ctx.writeText("level.txt", String(level));
  },
});
`;
  await withProject({ "build.ts": buildTs(1) }, async (root) => {
    await buildOk(root);
    await writeFiles(root, { "build.ts": buildTs(2) });
    assert.deepEqual((await buildOk(root)).ranIds, ["level.txt"]);
    assert.equal(await readMaybe(root, "level.txt"), "2");
  });
});

Deno.test("a dependency found by ctx.need is tracked by content", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", deps: ["list.txt"], action: async (ctx) => {
  const names = (await Deno.readTextFile(ctx.root + "/list.txt")).split("\\n").filter(Boolean);
  await ctx.need(...names);
  await ctx.sh("cat " + names.join(" ") + " > out.txt");
} });
`,
    "list.txt": "a.txt\n",
    "a.txt": "A",
    "b.txt": "B",
  }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "b.txt"), "B2");
    assert.deepEqual((await buildOk(root)).ranIds, [], "b.txt is not needed");
    await Deno.writeTextFile(join(root, "a.txt"), "A2");
    assert.deepEqual((await buildOk(root)).ranIds, ["out.txt"]);
    await Deno.writeTextFile(join(root, "list.txt"), "a.txt\nb.txt\n");
    assert.deepEqual((await buildOk(root)).ranIds, ["out.txt"]);
    await Deno.writeTextFile(join(root, "b.txt"), "B3");
    assert.deepEqual((await buildOk(root)).ranIds, ["out.txt"], "b.txt is needed now");
    assert.equal(await readMaybe(root, "out.txt"), "A2B3");
  });
});

Deno.test("a file read with ctx.readText or memo's readText is a dependency", async () => {
  await withProject({
    "build.ts": `import { readText } from "${MOD}";\n` + IMPORT + `
rule({ targets: "ctx.txt", action: async (ctx) => {
  await ctx.writeText("ctx.txt", (await ctx.readText("one.txt")).toUpperCase());
} });
rule({ targets: "memo.txt", action: async (ctx) => {
  await ctx.writeText("memo.txt", (await readText("two.txt")).toUpperCase());
} });
`,
    "one.txt": "one",
    "two.txt": "two",
  }, async (root) => {
    await buildOk(root);
    assert.deepEqual((await buildOk(root)).ranIds, []);
    await Deno.writeTextFile(join(root, "one.txt"), "uno");
    assert.deepEqual((await buildOk(root)).ranIds, ["ctx.txt"]);
    await Deno.writeTextFile(join(root, "two.txt"), "dos");
    assert.deepEqual((await buildOk(root)).ranIds, ["memo.txt"]);
    assert.equal(await readMaybe(root, "ctx.txt"), "UNO");
    assert.equal(await readMaybe(root, "memo.txt"), "DOS");
  });
});

Deno.test("a deleted target is rebuilt, and its dependents do not rerun when it comes back equal", async () => {
  await withProject({ "build.ts": PIPELINE, "src/in.txt": "hello" }, async (root) => {
    await buildOk(root);
    await Deno.remove(join(root, "first.txt"));
    const result = await buildOk(root);
    assert.deepEqual(result.ranIds, ["first.txt"]);
    assert.equal(await readMaybe(root, "first.txt"), "H");
  });
});

Deno.test("a target modified outside the build is rebuilt", async () => {
  await withProject({ "build.ts": PIPELINE, "src/in.txt": "hello" }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "upper.txt"), "tampered");
    const result = await buildOk(root);
    assert.deepEqual(result.ranIds, ["upper.txt"]);
    assert.equal(await readMaybe(root, "upper.txt"), "HELLO");
    assert.deepEqual((await buildOk(root)).ranIds, []);
  });
});

Deno.test("a dependent of one target of a rule does not rerun when only another target changed", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({
  targets: ["copy.txt", "fixed.txt"],
  deps: ["in.txt"],
  action: sh("cp in.txt copy.txt; echo fixed > fixed.txt"),
});
rule({ targets: "uses-fixed.txt", deps: ["fixed.txt"], action: sh("cp fixed.txt uses-fixed.txt") });
rule({ targets: "uses-copy.txt", deps: ["copy.txt"], action: sh("cp copy.txt uses-copy.txt") });
`,
    "in.txt": "1",
  }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "in.txt"), "2");
    assert.deepEqual((await buildOk(root)).ranIds, ["copy.txt", "uses-copy.txt"]);
    assert.equal(await readMaybe(root, "uses-copy.txt"), "2");
  });
});

Deno.test("state survives between builds: a fresh process sees an up-to-date project", async () => {
  await withProject({ "build.ts": PIPELINE, "src/in.txt": "hello" }, async (root) => {
    await buildOk(root);
    const result = await cli(root, "build");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Done: 0 actions ran/);
  });
});

Deno.test("a source deleted after a build makes the next build fail, not reuse the old result", async () => {
  await withProject({ "build.ts": PIPELINE, "src/in.txt": "hello" }, async (root) => {
    await buildOk(root);
    await Deno.remove(join(root, "src/in.txt"));
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    assert.match(result.failed[0].message, /no rule to build "src\/in.txt" and no such file/);
    assert.deepEqual(result.started, []);
  });
});

Deno.test("a reader of a built file does not rerun when the file is repaired to the same content", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "gen.txt", deps: ["in.txt"], action: sh("cp in.txt gen.txt") });
rule({ targets: "read.txt", action: async (ctx) => {
  await ctx.writeText("read.txt", (await ctx.readText("gen.txt")).toUpperCase());
} });
`,
    "in.txt": "same",
  }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "gen.txt"), "tampered");
    assert.deepEqual((await buildOk(root)).ranIds, ["gen.txt"]);
    await Deno.remove(join(root, "gen.txt"));
    assert.deepEqual((await buildOk(root)).ranIds, ["gen.txt"]);
    await Deno.writeTextFile(join(root, "in.txt"), "new");
    assert.deepEqual((await buildOk(root)).ranIds, ["gen.txt", "read.txt"]);
    assert.equal(await readMaybe(root, "read.txt"), "NEW");
  });
});

Deno.test("a project copied elsewhere with its state builds from its own files, and only what changed", async () => {
  await withProject({ "build.ts": PIPELINE, "src/in.txt": "hello" }, async (root) => {
    assert.equal((await cli(root, "build")).code, 0);
    const copy = `${root}-copy`;
    // cp -a keeps every timestamp: only the root differs.
    const cp = await new Deno.Command("cp", { args: ["-a", root, copy] }).output();
    assert.ok(cp.success);
    try {
      assert.match((await cli(copy, "build")).stderr, /Done: 0 actions ran/, "nothing to redo");
      await Deno.writeTextFile(join(copy, "src/in.txt"), "hELLO");
      const built = await cli(copy, "build");
      assert.equal(built.code, 0, built.stderr);
      assert.match(built.stderr, /Done: 1 actions ran/, "HELLO again: cut off after upper.txt");
      await Deno.writeTextFile(join(copy, "src/in.txt"), "world");
      assert.match((await cli(copy, "build")).stderr, /Done: 3 actions ran/);
      assert.equal(await readMaybe(copy, "framed.txt"), "[W]\n");
      assert.equal(await readMaybe(root, "framed.txt"), "[H]\n");
      assert.match((await cli(root, "build")).stderr, /0 actions ran|nothing to do/i);
    } finally {
      await Deno.remove(copy, { recursive: true });
    }
  });
});
