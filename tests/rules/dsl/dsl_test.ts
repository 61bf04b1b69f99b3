// The build.ts DSL: rule() and its handles, the kinds of dependencies, the
// data actions and function actions with their context, and aliases.

import assert from "node:assert/strict";
import { join } from "node:path";
import { buildIn, buildOk, IMPORT, MOD, readMaybe, withProject } from "../_util.ts";

Deno.test("rule() returns a handle whose target and targets name what the rule writes", async () => {
  await withProject({
    "build.ts": IMPORT + `
const one = rule({ targets: "out/one.txt", action: write("out/one.txt", "1") });
const two = rule({ targets: ["out/a.txt", "out/b.txt"], action: sh("echo a > out/a.txt; echo b > out/b.txt") });
const report = [one.target, one.targets.join(","), two.target, two.targets.join(",")].join("|");
rule({ targets: "handles.txt", action: write("handles.txt", report) });
`,
  }, async (root) => {
    await buildOk(root, ["handles.txt"]);
    assert.equal(
      await readMaybe(root, "handles.txt"),
      "out/one.txt|out/one.txt|out/a.txt|out/a.txt,out/b.txt",
    );
  });
});

Deno.test("a handle in deps builds every target of that rule first", async () => {
  await withProject({
    "build.ts": IMPORT + `
const pair = rule({
  targets: ["gen/a.txt", "gen/b.txt"],
  action: sh("echo alpha > gen/a.txt; echo beta > gen/b.txt"),
});
rule({ targets: "joined.txt", deps: [pair], action: sh("cat gen/a.txt gen/b.txt > joined.txt") });
`,
  }, async (root) => {
    const result = await buildOk(root, ["joined.txt"]);
    assert.deepEqual(result.ranIds, ["gen/a.txt", "joined.txt"]);
    assert.equal(await readMaybe(root, "joined.txt"), "alpha\nbeta\n");
  });
});

Deno.test("deps are paths relative to build.ts, even when build() starts in a subdirectory", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out/copy.txt", deps: ["data/in.txt"], action: sh("cp data/in.txt out/copy.txt") });
`,
    "data/in.txt": "payload\n",
  }, async (root) => {
    await buildOk(join(root, "data"));
    assert.equal(await readMaybe(root, "out/copy.txt"), "payload\n");
    assert.equal(await readMaybe(root, "data/out/copy.txt"), undefined);
  });
});

Deno.test('an "@name" dep builds everything in that alias before the rule runs', async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "a.txt", action: write("a.txt", "A") });
rule({ targets: "b.txt", action: write("b.txt", "B") });
alias("inputs", ["a.txt", "b.txt"]);
rule({ targets: "ab.txt", deps: ["@inputs"], action: sh("cat a.txt b.txt > ab.txt") });
`,
  }, async (root) => {
    await buildOk(root, ["ab.txt"]);
    assert.equal(await readMaybe(root, "ab.txt"), "AB");
  });
});

Deno.test("a glob dep matches files in subdirectories and a new matching file is a change", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({
  targets: "list.txt",
  deps: ["src/**/*.c"],
  action: sh("find src -name '*.c' | sort > list.txt"),
});
`,
    "src/a.c": "",
    "src/lib/b.c": "",
    "src/lib/b.h": "",
  }, async (root) => {
    await buildOk(root);
    assert.equal(await readMaybe(root, "list.txt"), "src/a.c\nsrc/lib/b.c\n");
    assert.deepEqual((await buildOk(root)).ranIds, []);

    await Deno.writeTextFile(join(root, "src/lib/c.h"), "");
    assert.deepEqual((await buildOk(root)).ranIds, [], "a file the glob does not match");

    await Deno.writeTextFile(join(root, "src/lib/new.c"), "");
    assert.deepEqual((await buildOk(root)).ranIds, ["list.txt"]);
    assert.equal(await readMaybe(root, "list.txt"), "src/a.c\nsrc/lib/b.c\nsrc/lib/new.c\n");

    await Deno.remove(join(root, "src/a.c"));
    assert.deepEqual((await buildOk(root)).ranIds, ["list.txt"]);
    assert.equal(await readMaybe(root, "list.txt"), "src/lib/b.c\nsrc/lib/new.c\n");
  });
});

Deno.test("a glob dep tracks the content of the files it matches", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "all.txt", deps: ["parts/*.txt"], action: sh("cat parts/*.txt > all.txt") });
`,
    "parts/1.txt": "one\n",
    "parts/2.txt": "two\n",
  }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "parts/2.txt"), "TWO\n");
    assert.deepEqual((await buildOk(root)).ranIds, ["all.txt"]);
    assert.equal(await readMaybe(root, "all.txt"), "one\nTWO\n");
  });
});

Deno.test("a file whose name is not UTF-8 under a glob is a clear error naming it, and renaming it fixes the build", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "all.txt", deps: ["parts/*.txt"], action: sh("cat parts/*.txt > all.txt") });
`,
    "parts/1.txt": "one\n",
  }, async (root) => {
    // A Latin-1 name: byte 0xE9 alone is not UTF-8, and Deno takes paths as strings.
    const made = await new Deno.Command("sh", {
      args: ["-c", "printf 'two\\n' > \"parts/caf$(printf '\\351').txt\""],
      cwd: root,
    }).output();
    assert.equal(made.code, 0);
    const failed = await buildIn(root);
    assert.equal(failed.ok, false);
    const message = failed.failed.map((f) => f.message).join("\n");
    assert.match(message, /cannot read "parts\/caf\uFFFD\.txt": its name is not valid UTF-8/);
    assert.match(message, /rename it/);
    assert.match(message, /\(rule all\.txt, build\.ts:3\)/);
    const renamed = await new Deno.Command("sh", {
      args: ["-c", "mv parts/caf*.txt parts/2.txt"],
      cwd: root,
    }).output();
    assert.equal(renamed.code, 0);
    await buildOk(root);
    assert.equal(await readMaybe(root, "all.txt"), "one\ntwo\n");
  });
});

Deno.test("run() passes arguments to the program without a shell", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "args.txt", action: run("sh", "-c", 'printf "%s|" "$@" > args.txt', "sh", "a b", "$HOME", "*") });
`,
  }, async (root) => {
    await buildOk(root);
    assert.equal(await readMaybe(root, "args.txt"), "a b|$HOME|*|");
  });
});

Deno.test("sh() runs a script with pipes and redirections in the project root", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out/n.txt", deps: ["words.txt"], action: sh("tr ' ' '\\\\n' < words.txt | sort | uniq -c | wc -l > out/n.txt") });
`,
    "words.txt": "b a b c a",
  }, async (root) => {
    await buildOk(root);
    assert.equal((await readMaybe(root, "out/n.txt"))?.trim(), "3");
  });
});

Deno.test("write() writes its text and copy() copies a file that becomes a dependency", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "gen/version.txt", action: write("gen/version.txt", "1.2.3") });
rule({ targets: "dist/logo.svg", action: copy("assets/logo.svg", "dist/logo.svg") });
`,
    "assets/logo.svg": "<svg/>",
  }, async (root) => {
    await buildOk(root);
    assert.equal(await readMaybe(root, "gen/version.txt"), "1.2.3");
    assert.equal(await readMaybe(root, "dist/logo.svg"), "<svg/>");

    await Deno.writeTextFile(join(root, "assets/logo.svg"), "<svg></svg>");
    assert.deepEqual((await buildOk(root)).ranIds, ["dist/logo.svg"]);
    assert.equal(await readMaybe(root, "dist/logo.svg"), "<svg></svg>");
  });
});

Deno.test("copy() takes a source outside the project by its absolute path", async () => {
  const outside = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(outside, "shared.txt"), "shared");
    await withProject({
      "build.ts": IMPORT + `
rule({ targets: "local.txt", action: copy(${
        JSON.stringify(join(outside, "shared.txt"))
      }, "local.txt") });
`,
    }, async (root) => {
      await buildOk(root);
      assert.equal(await readMaybe(root, "local.txt"), "shared");
      await Deno.writeTextFile(join(outside, "shared.txt"), "changed");
      assert.deepEqual((await buildOk(root)).ranIds, ["local.txt"]);
      assert.equal(await readMaybe(root, "local.txt"), "changed");
    });
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("a rule with targets and an alias is built by its alias too", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "docs.html", alias: "docs", action: write("docs.html", "<p>") });
rule({ targets: "other.txt", action: write("other.txt", "") });
`,
  }, async (root) => {
    assert.deepEqual((await buildOk(root, ["@docs"])).ranIds, ["docs.html"]);
    assert.equal(await readMaybe(root, "docs.html"), "<p>");
  });
});

Deno.test("a function action gets the rule, its targets, the root and a signal", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({
  targets: ["info/a.json", "info/b.txt"],
  action: async (ctx) => {
    const info = {
      rule: ctx.rule,
      targets: ctx.targets,
      root: ctx.root,
      aborted: ctx.signal.aborted,
    };
    await ctx.writeText("info/a.json", JSON.stringify(info));
    await ctx.writeText("info/b.txt", "b");
  },
});
`,
  }, async (root) => {
    await buildOk(root);
    const info = JSON.parse((await readMaybe(root, "info/a.json"))!);
    assert.deepEqual(info, {
      rule: "info/a.json",
      targets: ["info/a.json", "info/b.txt"],
      root,
      aborted: false,
    });
  });
});

Deno.test("a function action runs programs and scripts through ctx.run and ctx.sh", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({
  targets: ["upper.txt", "lower.txt"],
  action: async (ctx) => {
    const r = await ctx.run("tr", ["a-z", "A-Z"], { stdin: "shout" });
    await ctx.writeText("upper.txt", r.stdout);
    await ctx.sh("echo $GREETING > lower.txt", { env: { GREETING: "quiet" } });
  },
});
`,
  }, async (root) => {
    await buildOk(root);
    assert.equal(await readMaybe(root, "upper.txt"), "SHOUT");
    assert.equal(await readMaybe(root, "lower.txt"), "quiet\n");
  });
});

Deno.test("ctx.writeText refuses a path that is not one of the rule's targets", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "mine.txt", action: async (ctx) => {
  await ctx.writeText("mine.txt", "ok");
  await ctx.writeText("theirs.txt", "no");
} });
`,
  }, async (root) => {
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    assert.match(result.failed[0].message, /writes "theirs.txt", which is not one of its targets/);
    assert.equal(await readMaybe(root, "theirs.txt"), undefined);
  });
});

Deno.test("ctx.readText builds the file it reads when a rule produces it", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "gen/name.txt", action: write("gen/name.txt", "world") });
rule({ targets: "hello.txt", action: async (ctx) => {
  const name = await ctx.readText("gen/name.txt");
  await ctx.writeText("hello.txt", "hello " + name);
} });
`,
  }, async (root) => {
    const result = await buildOk(root, ["hello.txt"]);
    assert.deepEqual(result.ranIds, ["gen/name.txt", "hello.txt"]);
    assert.equal(await readMaybe(root, "hello.txt"), "hello world");
  });
});

Deno.test("ctx.need builds dependencies discovered while the action runs", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "gen/x.h", action: write("gen/x.h", "#define X 1\\n") });
rule({ targets: "list.txt", deps: ["main.c"], action: async (ctx) => {
  const src = await Deno.readTextFile(ctx.root + "/main.c");
  const headers = [...src.matchAll(/#include "(.*)"/g)].map((m) => m[1]);
  await ctx.need(...headers);
  await ctx.sh("cat " + headers.join(" ") + " > list.txt");
} });
`,
    "main.c": '#include "gen/x.h"\nint main(void) { return X; }\n',
  }, async (root) => {
    const result = await buildOk(root, ["list.txt"]);
    assert.deepEqual(result.ranIds, ["gen/x.h", "list.txt"]);
    assert.equal(await readMaybe(root, "list.txt"), "#define X 1\n");
  });
});

Deno.test("alias() names targets that `build @name` builds, and alias names can nest", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "a.txt", action: write("a.txt", "a") });
rule({ targets: "b.txt", action: write("b.txt", "b") });
rule({ targets: "c.txt", action: write("c.txt", "c") });
alias("first", ["a.txt"]);
alias("both", ["@first", "b.txt"]);
`,
  }, async (root) => {
    const result = await buildOk(root, ["@both"]);
    assert.deepEqual(result.ranIds, ["a.txt", "b.txt"]);
    assert.equal(await readMaybe(root, "c.txt"), undefined);
  });
});

Deno.test("calling alias() twice for one name adds to it", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "a.txt", action: write("a.txt", "a") });
rule({ targets: "b.txt", action: write("b.txt", "b") });
alias("all", ["a.txt"]);
alias("@all", ["b.txt"]);
`,
  }, async (root) => {
    assert.deepEqual((await buildOk(root, ["@all"])).ranIds, ["a.txt", "b.txt"]);
  });
});

Deno.test("a rule with an alias and no targets runs when its alias is built, after its deps", async () => {
  await withProject({
    "build.ts": IMPORT + `
const tool = rule({ targets: "tool.sh", action: write("tool.sh", "echo tested > tested.log") });
rule({ alias: "test", deps: [tool], action: run("sh", "tool.sh") });
`,
  }, async (root) => {
    assert.deepEqual((await buildOk(root)).ranIds, ["tool.sh"], "not part of every target");
    assert.equal(await readMaybe(root, "tested.log"), undefined);
    const result = await buildOk(root, ["@test"]);
    assert.equal(result.ran.length, 1);
    assert.match(result.ran[0].rule, /^@test\//);
    assert.equal(await readMaybe(root, "tested.log"), "tested\n");
    assert.deepEqual((await buildOk(root, ["@test"])).ranIds, [], "up to date: nothing reruns");
  });
});

Deno.test("two alias-attached rules with no targets are both kept and both run", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ alias: "check", action: sh("echo one >> log.txt") });
rule({ alias: "check", action: sh("echo two >> log.txt") });
`,
  }, async (root) => {
    const result = await buildOk(root, ["@check"]);
    assert.equal(result.ran.length, 2);
    const lines = (await readMaybe(root, "log.txt"))!.trim().split("\n").sort();
    assert.deepEqual(lines, ["one", "two"]);
  });
});

Deno.test("a rule with neither targets nor an alias is an error naming its build.ts line", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ action: sh("true") });
`,
  }, async (root) => {
    await assert.rejects(buildIn(root), /build\.ts:3 has neither targets nor an alias/);
  });
});

Deno.test("rule() outside build.ts says where to call it", async () => {
  const { rule, sh } = await import(MOD);
  assert.throws(() => rule({ targets: "x", action: sh("true") }), /outside a build description/);
});
