// Values a function action or memo body uses from its surroundings (top-level
// constants, helpers, imported modules): no change of them goes unseen, and
// an edit of build.ts reruns only the commands whose key changed.

import assert from "node:assert/strict";
import { join } from "node:path";
import { buildOk, cli, MOD, readMaybe, withProject, writeFiles } from "../_util.ts";

const OBJECTS = 32;

/** What `barchan build` printed. */
async function said(root: string): Promise<string> {
  const { stdout, stderr } = await cli(root, "build");
  return stdout + stderr;
}

/** A C project of 32 objects and a link, each compile a function action using top-level values. */
function cProject(options: { cflags: string; flags?: Record<string, string[]>; comment?: string }) {
  const files: Record<string, string> = {};
  const names = Array.from({ length: OBJECTS }, (_, i) => `f${i}`);
  for (const [i, name] of names.entries()) {
    files[`src/${name}.c`] = `int ${name}(int x) { return x * ${i + 1} + ${i}; }\n`;
  }
  files["src/main.c"] = names.map((n) => `int ${n}(int);`).join("\n") +
    `\nint main(void) { return ${names.map((n) => `${n}(1)`).join(" + ")} > 0 ? 0 : 1; }\n`;
  files["build.ts"] = `import { rule } from "${MOD}";
${options.comment ?? ""}
const CFLAGS = ${options.cflags};
const FLAGS: Record<string, string[]> = ${JSON.stringify(options.flags ?? {})};
const NAMES = ${JSON.stringify(["main", ...names])};

function compile(name: string) {
  const object = "_build/" + name + ".o";
  rule({
    targets: object,
    deps: ["src/" + name + ".c"],
    action: async (ctx) => {
      await ctx.run("gcc", [...CFLAGS, ...(FLAGS[name] ?? []), "-c", "src/" + name + ".c", "-o", object]);
    },
  });
  return object;
}

const objects = NAMES.map(compile);
rule({
  targets: "_build/app",
  deps: objects,
  action: async (ctx) => { await ctx.run("gcc", ["-o", "_build/app", ...objects]); },
});
`;
  return files;
}

Deno.test("a C project: a comment spawns nothing, one object's flags rerun that compile, a shared constant reruns every compile", async () => {
  await withProject(cProject({ cflags: `["-O2"]` }), async (root) => {
    const first = await buildOk(root);
    assert.equal(first.ranIds.length, OBJECTS + 2);
    const before = await Deno.stat(join(root, "_build/f3.o"));

    await writeFiles(root, {
      "build.ts": cProject({ cflags: `["-O2"]`, comment: "// flags" })["build.ts"],
    });
    const comment = await buildOk(root);
    assert.deepEqual(comment.ranIds, [], "a comment edit ran commands");
    assert.equal(
      (await Deno.stat(join(root, "_build/f3.o"))).mtime?.getTime(),
      before.mtime?.getTime(),
    );

    const one = cProject({ cflags: `["-O2"]`, flags: { f3: ["-g"] } })["build.ts"];
    await writeFiles(root, { "build.ts": one });
    const flagged = await buildOk(root);
    assert.deepEqual(flagged.ranIds, ["_build/app", "_build/f3.o"]);

    const all = cProject({ cflags: `["-O0", "-g"]`, flags: { f3: ["-g"] } })["build.ts"];
    await writeFiles(root, { "build.ts": all });
    const rebuilt = await buildOk(root);
    assert.equal(rebuilt.ranIds.length, OBJECTS + 2, "every compile reruns after CFLAGS changed");
    const app = new Deno.Command(join(root, "_build/app")).outputSync();
    assert.equal(app.code, 0);
  });
});

Deno.test("a helper imported from another module, when edited, reruns the commands it changes", async () => {
  const buildTs = `import { rule } from "${MOD}";
import { greeting } from "./helpers.ts";
rule({
  targets: "out.txt",
  action: async (ctx) => { await ctx.sh("echo " + greeting() + " > out.txt"); },
});
`;
  const helpers = (word: string) => `export function greeting(): string { return "${word}"; }\n`;
  // A module other than build.ts is evaluated once per process: each build
  // is a process of its own, as from the command line.
  await withProject({ "build.ts": buildTs, "helpers.ts": helpers("hello") }, async (root) => {
    assert.match(await said(root), /1 action ran/);
    assert.equal(await readMaybe(root, "out.txt"), "hello\n");
    await writeFiles(root, { "helpers.ts": "// unchanged behaviour\n" + helpers("hello") });
    assert.match(await said(root), /0 actions ran/);
    await writeFiles(root, { "helpers.ts": helpers("bonjour") });
    assert.match(await said(root), /1 action ran/);
    assert.equal(await readMaybe(root, "out.txt"), "bonjour\n");
  });
});

Deno.test("a memo body using a top-level constant reruns when it changes, and an equal value stops there", async () => {
  const buildTs = (factor: string) =>
    `import { memo, readText, rule } from "${MOD}";
const FACTOR = ${factor};
const scaled = memo("scaled", async (path: string) => (await readText(path)).length * FACTOR);
rule({
  targets: "out.txt",
  deps: ["in.txt"],
  action: async (ctx) => { await ctx.sh("echo " + await scaled("in.txt") + " > out.txt"); },
});
`;
  await withProject({ "build.ts": buildTs("2"), "in.txt": "abc" }, async (root) => {
    await buildOk(root);
    assert.equal(await readMaybe(root, "out.txt"), "6\n");
    await writeFiles(root, { "build.ts": buildTs("3") });
    assert.deepEqual((await buildOk(root)).ranIds, ["out.txt"]);
    assert.equal(await readMaybe(root, "out.txt"), "9\n");
    await writeFiles(root, { "build.ts": buildTs("1 + 2") });
    assert.deepEqual((await buildOk(root)).ranIds, []);
  });
});

/**
 * A function action of two commands, each logging that it ran to a file
 * outside the project; the second needs in.txt, the first does not.
 */
function twoCommands(log: string, first: string, second: string, join = ">") {
  return `import { rule } from "${MOD}";
rule({
  targets: ["a.txt", "b.txt"],
  action: async (ctx) => {
    await ctx.sh("echo first >> ${log}; echo ${first} > a.txt");
    await ctx.need("in.txt");
    await ctx.sh("echo second >> ${log}; cat a.txt in.txt ${join} b.txt; echo ${second} >> b.txt");
  },
});
`;
}

Deno.test("only the commands whose key changed are spawned; a later command sees what the earlier one left", async () => {
  const outside = await Deno.makeTempDir();
  const log = join(outside, "log");
  try {
    await withProject(
      { "build.ts": twoCommands(log, "one", "two"), "in.txt": "in\n" },
      async (root) => {
        await buildOk(root);
        assert.equal(await Deno.readTextFile(log), "first\nsecond\n");
        await Deno.writeTextFile(log, "");
        await writeFiles(root, { "build.ts": twoCommands(log, "one", "three") });
        assert.deepEqual((await buildOk(root)).ranIds, ["a.txt"]);
        assert.equal(
          await Deno.readTextFile(log),
          "second\n",
          "the first command was spawned again",
        );
        assert.equal(await readMaybe(root, "b.txt"), "one\nin\nthree\n");
        // A file needed after a command may be one it read (a depfile names
        // what a compiler read only after it ran): it is in the key of every
        // command before it.
        await Deno.writeTextFile(log, "");
        await writeFiles(root, { "in.txt": "changed\n" });
        await buildOk(root);
        assert.equal(await Deno.readTextFile(log), "first\nsecond\n");
        assert.equal(await readMaybe(root, "b.txt"), "one\nchanged\nthree\n");
      },
    );
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("a command that changes a target an earlier one wrote makes the action start again when the earlier one changes", async () => {
  const outside = await Deno.makeTempDir();
  const log = join(outside, "log");
  // The second command appends to a.txt: past a changed first command, a.txt
  // holds the last run's end state, not what the second command expects.
  const buildTs = (first: string, second: string) =>
    `import { rule } from "${MOD}";
rule({
  targets: "a.txt",
  action: async (ctx) => {
    await ctx.sh("echo ${first} > a.txt");
    await ctx.sh("echo ran >> ${log}; echo ${second} >> a.txt");
  },
});
`;
  try {
    await withProject({ "build.ts": buildTs("x", "y") }, async (root) => {
      await buildOk(root);
      assert.equal(await readMaybe(root, "a.txt"), "x\ny\n");
      await writeFiles(root, { "build.ts": buildTs("x", "z") });
      await buildOk(root);
      assert.equal(await readMaybe(root, "a.txt"), "x\nz\n", "the append was applied twice");
      await writeFiles(root, { "build.ts": buildTs("w", "z") });
      await buildOk(root);
      assert.equal(await readMaybe(root, "a.txt"), "w\nz\n");
      assert.equal(await Deno.readTextFile(log), "ran\nran\nran\n");
    });
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("what a replayed command printed is given back to the action's code", async () => {
  const buildTs = (comment: string) =>
    `import { rule } from "${MOD}";
${comment}
rule({
  targets: "out.txt",
  action: async (ctx) => {
    const { stdout } = await ctx.run("sh", ["-c", "echo from-the-command"]);
    await ctx.writeText("out.txt", stdout.toUpperCase());
  },
});
`;
  await withProject({ "build.ts": buildTs("") }, async (root) => {
    await buildOk(root);
    await writeFiles(root, { "build.ts": buildTs("// edited") });
    assert.deepEqual((await buildOk(root)).ranIds, []);
    assert.equal(await readMaybe(root, "out.txt"), "FROM-THE-COMMAND\n");
  });
});

Deno.test("a target modified outside the build is not trusted for a replay", async () => {
  const buildTs = (comment: string) =>
    `import { rule } from "${MOD}";
${comment}
rule({ targets: "out.txt", action: async (ctx) => { await ctx.sh("echo built > out.txt"); } });
`;
  await withProject({ "build.ts": buildTs("") }, async (root) => {
    await buildOk(root);
    await writeFiles(root, { "out.txt": "edited\n", "build.ts": buildTs("// edited") });
    assert.deepEqual((await buildOk(root)).ranIds, ["out.txt"]);
    assert.equal(await readMaybe(root, "out.txt"), "built\n");
  });
});

Deno.test("a dependency found after a command ran, edited while it ran, is not lost", async () => {
  // The command reads dep.txt, then waits; the test edits dep.txt meanwhile;
  // the action then needs dep.txt, which records the edited content.
  const buildTs = `import { rule } from "${MOD}";
rule({
  targets: "out.txt",
  action: async (ctx) => {
    await ctx.sh("cat dep.txt > out.txt; touch started; while [ ! -e edited ]; do sleep 0.01; done; rm -f started edited");
    await ctx.need("dep.txt");
  },
});
`;
  await withProject({ "build.ts": buildTs, "dep.txt": "one\n" }, async (root) => {
    const building = buildOk(root);
    const started = join(root, "started");
    while (!(await Deno.stat(started).then(() => true, () => false))) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await Deno.writeTextFile(join(root, "dep.txt"), "two\n");
    await Deno.writeTextFile(join(root, "edited"), "");
    // The action runs again: its second run finds no edit and goes through.
    const second = setInterval(() => {
      Deno.stat(started).then(() => Deno.writeTextFile(join(root, "edited"), ""), () => {});
    }, 20);
    try {
      await building;
    } finally {
      clearInterval(second);
    }
    assert.equal(await readMaybe(root, "out.txt"), "two\n");
    assert.deepEqual((await buildOk(root)).ranIds, []);
  });
});

Deno.test("a command whose inputs are found after it ran is replayed, and restored from the cache, only while they are unchanged", async () => {
  const buildTs = (comment: string) =>
    `import { rule } from "${MOD}";
${comment}
rule({
  targets: "out.txt",
  action: async (ctx) => {
    await ctx.sh("cat a.txt b.txt > out.txt");
    await ctx.need("a.txt", "b.txt"); // what the command read, known once it ran
  },
});
`;
  await withProject({ "build.ts": buildTs(""), "a.txt": "a\n", "b.txt": "b\n" }, async (root) => {
    await buildOk(root);
    await writeFiles(root, { "build.ts": buildTs("// edited") });
    assert.deepEqual((await buildOk(root)).ranIds, [], "a replay spawns nothing");
    await writeFiles(root, { "b.txt": "B\n", "build.ts": buildTs("// edited again") });
    await buildOk(root);
    assert.equal(await readMaybe(root, "out.txt"), "a\nB\n", "a found input changed: it runs");

    // Deleted, it comes back from the cache: the key under which it is
    // looked up first leads to the inputs it found, then to its result.
    await Deno.remove(join(root, "out.txt"));
    const restored = await buildOk(root);
    assert.deepEqual(restored.finished.map((e) => e.restored), ["local"]);
    assert.equal(await readMaybe(root, "out.txt"), "a\nB\n");
    await Deno.remove(join(root, "out.txt"));
    await writeFiles(root, { "a.txt": "A\n" });
    const missed = await buildOk(root);
    assert.deepEqual(missed.finished.map((e) => e.restored), [undefined]);
    assert.equal(await readMaybe(root, "out.txt"), "A\nB\n");
  });
});
