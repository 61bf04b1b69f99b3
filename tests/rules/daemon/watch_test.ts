// Watch mode end to end: `cli.ts build -w --json` in a child process on a
// project in a temp dir, followed through its JSON event stream while the
// test edits files.

import { ownCacheEnv } from "../../_own_cache.ts";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { withOwnCache } from "../_util.ts";
import {
  EVENT_TIMEOUT_MS,
  isBuildStarted,
  type WatchEvent,
  WatchProcess,
} from "./_watch_process.ts";
import { NO_SERVER } from "../_util.ts";

const MOD = new URL("../../../mod.ts", import.meta.url).href;
const CLI = new URL("../../../cli.ts", import.meta.url).pathname;
const IMPORT = `import { alias, copy, rule, sh } from "${MOD}";\n`;

type Files = Record<string, string>;

async function writeFiles(root: string, files: Files): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(root, path)), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
}

async function withProject(files: Files, fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "barchan_watch_test_" }));
  try {
    await writeFiles(root, files);
    await withOwnCache(() => fn(root));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function read(root: string, path: string): Promise<string> {
  return Deno.readTextFile(join(root, path));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Runs the CLI once (not watching) and returns its exit code and JSON events. */
async function cliOnce(
  root: string,
  ...args: string[]
): Promise<{ code: number; events: WatchEvent[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, ...args, "-C", root],
    stdout: "piped",
    stderr: "piped",
    env: { ...NO_SERVER, ...ownCacheEnv() },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const events = text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as WatchEvent);
  return { code: out.code, events };
}

Deno.test("watch: an edit rebuilds exactly the rules it affects, and the build names the file", async () => {
  await withProject({
    "build.ts": IMPORT + `
      rule({ targets: "_build/a", deps: ["src/a.txt"], action: sh("cp src/a.txt _build/a") });
      rule({ targets: "_build/b", action: copy("src/b.txt", "_build/b") });
      rule({ targets: "_build/ab", deps: ["_build/a", "_build/b"], action: sh("cat _build/a _build/b > _build/ab") });
      rule({ targets: "_build/c", deps: ["src/c.txt"], action: sh("cp src/c.txt _build/c") });
      rule({ targets: "_build/C", deps: ["_build/c"], action: sh("tr a-z A-Z < _build/c > _build/C") });
    `,
    "src/a.txt": "a1\n",
    "src/b.txt": "b1\n",
    "src/c.txt": "c1\n",
  }, async (root) => {
    await using watch = new WatchProcess(root);
    const first = await watch.nextBuild();
    assert.deepEqual(first.trigger, []);
    assert.deepEqual(first.ran, ["_build/C", "_build/a", "_build/ab", "_build/b", "_build/c"]);
    assert.equal(first.finished.ok, true);

    await Deno.writeTextFile(join(root, "src/a.txt"), "a2\n");
    const second = await watch.nextBuild();
    assert.deepEqual(second.trigger, ["src/a.txt"]);
    assert.deepEqual(second.ran, ["_build/a", "_build/ab"]);
    assert.equal(second.finished.ok, true);
    assert.equal(await read(root, "_build/ab"), "a2\nb1\n");

    await Deno.writeTextFile(join(root, "src/c.txt"), "c2\n");
    const third = await watch.nextBuild();
    assert.deepEqual(third.trigger, ["src/c.txt"]);
    assert.deepEqual(third.ran, ["_build/C", "_build/c"]);
    assert.equal(await read(root, "_build/C"), "C2\n");

    await Deno.writeTextFile(join(root, "src/b.txt"), "b2\n");
    const fourth = await watch.nextBuild();
    assert.deepEqual(fourth.trigger, ["src/b.txt"]);
    assert.deepEqual(fourth.ran, ["_build/ab", "_build/b"]);
    assert.equal(await read(root, "_build/ab"), "a2\nb2\n");
  });
});

Deno.test("watch: after a burst of 50 edits the outputs are those of a clean build", async () => {
  const sources = ["s0.txt", "s1.txt", "s2.txt"];
  await withProject({
    "build.ts": IMPORT + `
      const parts = ${JSON.stringify(sources)}.map((s) =>
        rule({ targets: "_build/" + s, deps: [s], action: sh("cp " + s + " _build/" + s) }));
      rule({ targets: "_build/all", deps: parts, action: sh("cat _build/s0.txt _build/s1.txt _build/s2.txt > _build/all") });
    `,
    ...Object.fromEntries(sources.map((s) => [s, `${s} initial\n`])),
  }, async (root) => {
    const outputs = ["_build/all", ...sources.map((s) => `_build/${s}`)];
    const watched: Files = {};
    {
      await using watch = new WatchProcess(root);
      assert.equal((await watch.nextBuild()).finished.ok, true);
      for (let i = 0; i < 50; i++) {
        await Deno.writeTextFile(join(root, sources[i % 3]), `edit ${i}\n`);
        // Every few writes, a pause longer than the watcher's quiet period,
        // so that builds start in the middle of the burst.
        if (i % 7 === 6) await new Promise((r) => setTimeout(r, 40));
      }
      await watch.next("a build after the burst", isBuildStarted);
      const first = await watch.next("build-finished", (e) => e.event === "build-finished");
      const last = await watch.settle() ?? first;
      assert.equal(last.ok, true, watch.transcript());
      for (const path of outputs) watched[path] = await read(root, path);
    }
    const expected: Files = {
      "_build/all": "edit 48\nedit 49\nedit 47\n",
      "_build/s0.txt": "edit 48\n",
      "_build/s1.txt": "edit 49\n",
      "_build/s2.txt": "edit 47\n",
    };
    assert.deepEqual(watched, expected);
    // What watching recorded is up to date: a plain build has nothing to do.
    const after = await cliOnce(root, "build", "--json");
    assert.equal(after.code, 0);
    assert.deepEqual(after.events.filter((e) => e.event === "action-started"), []);
    // And a clean build of the final sources gives the same outputs.
    assert.equal((await cliOnce(root, "clean")).code, 0);
    assert.equal(await exists(join(root, "_build/all")), false);
    assert.equal((await cliOnce(root, "build")).code, 0);
    for (const path of outputs) assert.equal(await read(root, path), expected[path], path);
  });
});

Deno.test("watch: an edit made while an action runs is built once the build ends", async () => {
  await withProject({
    "build.ts": IMPORT + `
      rule({
        targets: "_build/slow",
        deps: ["slow.txt"],
        action: sh("cp slow.txt _build/slow.partial && sleep 1 && mv _build/slow.partial _build/slow"),
      });
    `,
    "slow.txt": "v1\n",
  }, async (root) => {
    await using watch = new WatchProcess(root);
    assert.equal((await watch.nextBuild()).finished.ok, true);
    await Deno.writeTextFile(join(root, "slow.txt"), "v2\n");
    await watch.next("the rebuild's action", (e) => e.event === "action-started");
    // The action has read slow.txt once the partial copy exists: edit after that.
    const partial = join(root, "_build/slow.partial");
    const deadline = Date.now() + EVENT_TIMEOUT_MS;
    while (!await exists(partial)) {
      assert.ok(Date.now() < deadline, `No ${partial} appeared.\n${watch.transcript()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await Deno.writeTextFile(join(root, "slow.txt"), "v3\n");
    const during = await watch.next("build-finished", (e) => e.event === "build-finished");
    assert.equal(during.ok, true);
    const after = await watch.nextBuild();
    assert.deepEqual(after.trigger, ["slow.txt"]);
    assert.deepEqual(after.ran, ["_build/slow"]);
    await watch.settle();
    assert.equal(await read(root, "_build/slow"), "v3\n");
  });
});

Deno.test("watch: editing build.ts adds a rule that gets built, and removing it deletes its output", async () => {
  const base = IMPORT +
    `rule({ targets: "_build/a", deps: ["a.txt"], action: sh("cp a.txt _build/a") });\n`;
  await withProject({ "build.ts": base, "a.txt": "a\n", "b.txt": "b\n" }, async (root) => {
    await using watch = new WatchProcess(root);
    assert.deepEqual((await watch.nextBuild()).ran, ["_build/a"]);

    await Deno.writeTextFile(
      join(root, "build.ts"),
      base + `rule({ targets: "_build/b", deps: ["b.txt"], action: sh("cp b.txt _build/b") });\n`,
    );
    const added = await watch.nextBuild();
    assert.deepEqual(added.trigger, ["build.ts"]);
    assert.deepEqual(added.ran, ["_build/b"]);
    assert.equal(await read(root, "_build/b"), "b\n");

    await Deno.writeTextFile(join(root, "b.txt"), "b2\n");
    const edited = await watch.nextBuild();
    assert.deepEqual(edited.ran, ["_build/b"], "the new rule's dependency is watched");
    assert.equal(await read(root, "_build/b"), "b2\n");

    await Deno.writeTextFile(join(root, "build.ts"), base);
    const removed = await watch.nextBuild();
    assert.match(removed.notes.join("\n"), /Deleted _build\/b: no rule produces it any more/);
    assert.deepEqual(removed.trigger, ["build.ts"]);
    assert.deepEqual(removed.ran, []);
    assert.equal(await exists(join(root, "_build/b")), false);
    assert.equal(await read(root, "_build/a"), "a\n");
  });
});

Deno.test("watch: a new entry in a directory build.ts lists, or a file it read, reloads it", async () => {
  const files = {
    "build.ts": IMPORT + `const here = (path: string) => new URL(path, import.meta.url);
const prefix = Deno.readTextFileSync(here("prefix.txt")).trim();
for (const name of Deno.readDirSync(here("src"))) {
  rule({ targets: "_build/" + name.name, deps: ["src/" + name.name], action: sh(prefix + " src/" + name.name + " _build/" + name.name) });
}\n`,
    "prefix.txt": "cp\n",
    "src/a": "a\n",
  };
  await withProject(files, async (root) => {
    await using watch = new WatchProcess(root);
    assert.deepEqual((await watch.nextBuild()).ran, ["_build/a"]);

    await Deno.writeTextFile(join(root, "src/b"), "b\n");
    const added = await watch.buildAfter("src/b");
    assert.deepEqual(added.ran, ["_build/b"]);
    assert.equal(await read(root, "_build/b"), "b\n");
    await watch.settle();

    await Deno.writeTextFile(join(root, "prefix.txt"), "not-a-command\n");
    const broken = await watch.buildAfter("prefix.txt");
    assert.equal(broken.finished.ok, false);
    await watch.settle();
    await Deno.writeTextFile(join(root, "prefix.txt"), "cp -p\n");
    const fixed = await watch.buildAfter("prefix.txt");
    assert.equal(fixed.finished.ok, true);
    assert.deepEqual(fixed.ran, ["_build/a", "_build/b"]);
  });
});

Deno.test("watch: a syntax error in build.ts is reported, and fixing it resumes building", async () => {
  const rules = (command: string) =>
    IMPORT +
    `rule({ targets: "_build/a", deps: ["a.txt"], action: sh(${JSON.stringify(command)}) });\n`;
  await withProject({ "build.ts": rules("cp a.txt _build/a"), "a.txt": "a\n" }, async (root) => {
    await using watch = new WatchProcess(root);
    assert.equal((await watch.nextBuild()).finished.ok, true);

    await Deno.writeTextFile(join(root, "build.ts"), IMPORT + `rule({ targets: "_build/a",\n`);
    const broken = await watch.nextBuild();
    assert.equal(broken.finished.ok, false);
    assert.match(broken.finished.failures!.join("\n"), /build\.ts: cannot be loaded: SyntaxError/);

    await Deno.writeTextFile(join(root, "build.ts"), rules("tr a-z A-Z < a.txt > _build/a"));
    const fixed = await watch.nextBuild();
    assert.deepEqual(fixed.trigger, ["build.ts"]);
    assert.deepEqual(fixed.ran, ["_build/a"]);
    assert.equal(fixed.finished.ok, true);
    assert.equal(await read(root, "_build/a"), "A\n");
  });
});

Deno.test("watch: a failing action is reported, and the next change retries it", async () => {
  await withProject({
    "build.ts": IMPORT + `
      rule({ targets: "_build/flag", deps: ["flag.txt"], action: sh("grep -q good flag.txt && cp flag.txt _build/flag") });
      rule({ targets: "_build/other", deps: ["other.txt"], action: sh("cp other.txt _build/other") });
    `,
    "flag.txt": "bad\n",
    "other.txt": "other\n",
  }, async (root) => {
    await using watch = new WatchProcess(root);
    const failing = await watch.nextBuild();
    assert.equal(failing.finished.ok, false);
    assert.equal(failing.finished.failed, 1);
    assert.equal(failing.finished.failures!.length, 1);
    assert.match(failing.finished.failures![0], /grep -q good flag\.txt/);
    assert.equal(await read(root, "_build/other"), "other\n");

    await Deno.writeTextFile(join(root, "flag.txt"), "good\n");
    const retried = await watch.nextBuild();
    assert.deepEqual(retried.trigger, ["flag.txt"]);
    assert.deepEqual(retried.ran, ["_build/flag"]);
    assert.equal(retried.finished.ok, true);
    assert.deepEqual(retried.finished.failures, []);
    assert.equal(await read(root, "_build/flag"), "good\n");
  });
});

Deno.test("watch: its own writes start no build; outputs edited or deleted by hand are rebuilt", async () => {
  await withProject({
    "build.ts": IMPORT + `
      rule({ targets: "_build/a", deps: ["a.txt"], action: sh("cp a.txt _build/a") });
      rule({ targets: "out.txt", deps: ["_build/a"], action: sh("cp _build/a out.txt") });
    `,
    "a.txt": "a\n",
  }, async (root) => {
    await using watch = new WatchProcess(root);
    assert.equal((await watch.nextBuild()).finished.ok, true);
    assert.equal(await watch.take(isBuildStarted, 1000), undefined, watch.transcript());

    // A file under _build/ that no rule writes starts nothing.
    await Deno.writeTextFile(join(root, "_build/scratch"), "by hand\n");
    assert.equal(await watch.take(isBuildStarted, 1000), undefined, watch.transcript());

    await Deno.writeTextFile(join(root, "_build/a"), "by hand\n");
    await Deno.writeTextFile(join(root, "out.txt"), "by hand\n");
    let repaired = await watch.nextBuild();
    while (repaired.ran.length < 2) {
      const next = await watch.nextBuild();
      repaired = { ...next, ran: [...repaired.ran, ...next.ran].sort() };
    }
    assert.deepEqual(repaired.ran, ["_build/a", "out.txt"]);
    assert.equal(await read(root, "out.txt"), "a\n");

    await Deno.remove(join(root, "out.txt"));
    assert.deepEqual((await watch.nextBuild()).ran, ["out.txt"]);
    assert.equal(await read(root, "out.txt"), "a\n");

    // Still watching: a source edit starts a build.
    await Deno.writeTextFile(join(root, "a.txt"), "a2\n");
    const rebuilt = await watch.nextBuild();
    assert.deepEqual(rebuilt.trigger, ["a.txt"]);
  });
});

Deno.test("watch: Ctrl-C kills the running action and exits with 130", async () => {
  await withProject({
    "build.ts": IMPORT + `
      rule({ targets: "_build/long", action: sh("sleep 100.913 && touch _build/long") });
    `,
  }, async (root) => {
    const pgrep = async () =>
      new TextDecoder().decode(
        (await new Deno.Command("pgrep", { args: ["-f", "100.913"], stdout: "piped" }).output())
          .stdout,
      ).trim();
    await using watch = new WatchProcess(root);
    await watch.next("the long action", (e) => e.event === "action-started");
    const deadline = Date.now() + EVENT_TIMEOUT_MS;
    while (await pgrep() === "") {
      assert.ok(Date.now() < deadline, `The sleep never started.\n${watch.transcript()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const status = await watch.stop();
    assert.equal(status.code, 130, watch.transcript());
    assert.equal(await pgrep(), "", "no sleep process remains");
  });
});

Deno.test("watch: an edit to a module build.ts imports restarts barchan, and Ctrl-C ends it all", async () => {
  await withProject({
    "build.ts": IMPORT + `import { GREETING } from "./lib.ts";
      rule({ targets: "_build/hello", action: sh("echo " + GREETING + " > _build/hello") });
    `,
    "lib.ts": `export const GREETING = "hello";\n`,
  }, async (root) => {
    const running = async () =>
      new TextDecoder().decode(
        (await new Deno.Command("pgrep", { args: ["-f", root], stdout: "piped" }).output())
          .stdout,
      ).trim();
    const watch = new WatchProcess(root);
    try {
      assert.deepEqual((await watch.nextBuild()).ran, ["_build/hello"]);
      await Deno.writeTextFile(join(root, "lib.ts"), `export const GREETING = "howdy";\n`);
      const restarted = await watch.nextBuild();
      assert.deepEqual(restarted.trigger, []);
      assert.deepEqual(restarted.ran, ["_build/hello"]);
      assert.equal(await read(root, "_build/hello"), "howdy\n");

      const status = await watch.stop();
      assert.equal(status.code, 130, watch.transcript());
      assert.equal(await running(), "", "no barchan process remains");
    } finally {
      await watch.stop();
      // Whatever the outcome, leave no process of this project behind.
      for (const pid of (await running()).split("\n").filter(Boolean)) {
        Deno.kill(Number(pid), "SIGKILL");
      }
    }
  });
});

Deno.test("watch: the trace file it writes starts no build, also beside files a glob reads", async () => {
  await withProject({
    "build.ts": IMPORT + `
      rule({ targets: "_build/all", deps: ["src/*.txt"], action: sh("cat src/*.txt > _build/all") });
    `,
    "src/a.txt": "a\n",
  }, async (root) => {
    await using watch = new WatchProcess(root, "--trace-file", "trace.json");
    assert.equal((await watch.nextBuild()).finished.ok, true);
    const started = await watch.take(isBuildStarted, 1500);
    assert.equal(started, undefined, watch.transcript());
    // The build, evaluating build.ts (with the deno info that finds its
    // modules), and the action's command.
    const events = JSON.parse(await read(root, "trace.json")).traceEvents;
    assert.deepEqual(
      events.map((event: { name: string }) => event.name).sort(),
      ["_build/all", "build", "deno info", "load build.ts"],
      JSON.stringify(events),
    );

    await Deno.writeTextFile(join(root, "src/b.txt"), "b\n");
    const added = await watch.nextBuild();
    assert.deepEqual(added.trigger, ["src/b.txt"]);
    assert.equal(await read(root, "_build/all"), "a\nb\n");
  });
});

Deno.test("watch: the directories a build creates for its outputs start no build", async () => {
  const rules = Array.from(
    { length: 6 },
    (_, i) =>
      `rule({ targets: "out/d${i}/f.o", deps: ["src/d${i}/f.c"], ` +
      `action: sh("cp src/d${i}/f.c out/d${i}/f.o") });`,
  );
  const files: Files = { "build.ts": IMPORT + rules.join("\n") };
  for (let i = 0; i < 6; i++) files[`src/d${i}/f.c`] = `${i}\n`;
  await withProject(files, async (root) => {
    await using watch = new WatchProcess(root);
    const first = await watch.nextBuild();
    assert.equal(first.finished.ok, true);
    assert.equal(first.finished.ran, 6);
    const started = await watch.take(isBuildStarted, 1500);
    assert.equal(started, undefined, watch.transcript());

    await Deno.writeTextFile(join(root, "src/d3/f.c"), "3b\n");
    const rebuilt = await watch.nextBuild();
    assert.deepEqual(rebuilt.trigger, ["src/d3/f.c"]);
    assert.equal(await read(root, "out/d3/f.o"), "3b\n");
  });
});

Deno.test("watch: after rm -rf _build, the outputs it wrote stay its own, and an edit rebuilds them", async () => {
  await withProject({
    "build.ts": IMPORT + `
      rule({ targets: "out/a.txt", action: copy("src/a.txt", "out/a.txt") });
      rule({ targets: "out/b.txt", action: copy("src/b.txt", "out/b.txt") });
      rule({ targets: "out/ab.txt", deps: ["out/a.txt", "out/b.txt"], action: sh("cat out/a.txt out/b.txt > out/ab.txt") });
    `,
    "src/a.txt": "a\n",
    "src/b.txt": "b\n",
  }, async (root) => {
    await using watch = new WatchProcess(root, "out/ab.txt");
    assert.equal((await watch.nextBuild()).finished.ok, true);
    await Deno.remove(join(root, "_build"), { recursive: true });
    // The session starts afresh on its own state, then the edit is built.
    const deadline = Date.now() + EVENT_TIMEOUT_MS;
    let edited = false;
    while (Date.now() < deadline) {
      if (!edited && await exists(join(root, "_build/.barchan/outputs.log"))) {
        await Deno.writeTextFile(join(root, "src/a.txt"), "a2\n");
        edited = true;
      }
      if (edited && (await read(root, "out/ab.txt").catch(() => "")) === "a2\nb\n") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await read(root, "out/ab.txt"), "a2\nb\n", watch.transcript());
    assert.doesNotMatch(watch.transcript(), /refusing to overwrite/);
    await watch.stop();
    const again = await cliOnce(root, "build", "--json", "out/ab.txt");
    assert.equal(again.code, 0);
  });
});
