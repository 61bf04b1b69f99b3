// The up-to-date record through the CLI, in child processes: a build with
// nothing to do is answered without evaluating build.ts, and every kind of
// change still reaches the normal build.

import assert from "node:assert/strict";
import { join } from "node:path";
import { FileLeaf, tickOf } from "../../../memo/leaves/file.ts";
import type { MemoNode } from "../../../memo/node.ts";
import { statPath } from "../../../memo/stat/stat.ts";
import { STATE_DIR, UP_TO_DATE_FILE } from "../../../rules/state.ts";
import { checkUpToDate, readRecord, writeUpToDate } from "../../../rules/run/up_to_date.ts";
import {
  buildRecording,
  cli,
  cliWithEnv,
  type Files,
  MOD,
  testKey,
  withProject,
} from "../_util.ts";

/** build.ts counts its evaluations in a file no rule reads. */
const COUNT =
  `Deno.writeTextFileSync(new URL("./evaluations", import.meta.url), "x", { append: true });\n`;

function project(rules: string, extra: Files = {}): Files {
  return {
    "build.ts": `import { alias, rule, sh, write } from "${MOD}";\n${COUNT}${rules}`,
    ...extra,
  };
}

const COPY = project(
  `rule({ targets: "out/a.txt", deps: "src/a.txt", action: sh("mkdir -p out && cp src/a.txt out/a.txt") });
rule({ targets: "out/b.txt", deps: "src/b.txt", action: sh("mkdir -p out && cp src/b.txt out/b.txt") });`,
  { "src/a.txt": "a\n", "src/b.txt": "b\n" },
);

async function evaluations(root: string): Promise<number> {
  return (await Deno.readTextFile(join(root, "evaluations"))).length;
}

/**
 * Waits until the files build.ts is made of are older than a clock tick: a
 * build.ts written while it loads may not be what was evaluated, so no
 * record is written for a build that began within a tick of its last write.
 */
async function settle(root: string, ...files: string[]): Promise<void> {
  for (const file of ["build.ts", ...files]) {
    const st = statPath(join(root, file))!;
    const until = Math.max(st.mtime + tickOf(st.mtime), st.ctime + tickOf(st.ctime)) + 10;
    const wait = until - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

async function build(root: string, ...args: string[]): Promise<string> {
  const { code, stderr } = await cli(root, "build", ...args);
  assert.equal(code, 0, stderr);
  return stderr;
}

Deno.test("a build with nothing to do does not evaluate build.ts; touching a source changes nothing", async () => {
  await withProject(COPY, async (root) => {
    await settle(root);
    assert.match(await build(root), /Done: 2 actions ran/);
    assert.match(await build(root), /Done: 0 actions ran/);
    assert.equal(await evaluations(root), 1);
    await Deno.utime(join(root, "src/a.txt"), new Date(), new Date());
    assert.match(await build(root), /Done: 0 actions ran/);
    assert.equal(await evaluations(root), 1);
    // An edit: the rules come from the rule cache, build.ts is not evaluated.
    await Deno.writeTextFile(join(root, "src/a.txt"), "A\n");
    assert.match(await build(root), /Done: 1 actions ran/);
    assert.equal(await Deno.readTextFile(join(root, "out/a.txt")), "A\n");
    assert.equal(await evaluations(root), 1);
  });
});

Deno.test("after an edit answered no by the record, a chain rebuilds and then has nothing to do", async () => {
  const files = project(
    `rule({ targets: "out/a", deps: "src/x", action: sh("mkdir -p out && cp src/x out/a") });
rule({ targets: "out/b", deps: "out/a", action: sh("tr a-z A-Z < out/a > out/b") });
rule({ targets: "out/c", deps: "src/y", action: sh("cp src/y out/c") });
alias("default", ["out/b", "out/c"]);`,
    { "src/x": "one\n", "src/y": "y\n" },
  );
  await withProject(files, async (root) => {
    await settle(root);
    await build(root);
    await build(root);
    for (const word of ["two", "three", "four"]) {
      await settle(root, "out/a", "out/b");
      await Deno.writeTextFile(join(root, "src/x"), `${word}\n`);
      assert.match(await build(root), /Done: 2 actions ran/);
      assert.equal(await Deno.readTextFile(join(root, "out/b")), `${word.toUpperCase()}\n`);
      assert.match(await build(root), /Done: 0 actions ran/);
    }
  });
});

Deno.test("the rule cache serves edits; a function action, or a changed build.ts, means evaluating it", async () => {
  const files = project(
    `rule({ targets: "out/a", deps: "src/a", action: sh("mkdir -p out && cp src/a out/a") });\n`,
    { "src/a": "1\n" },
  );
  await withProject(files, async (root) => {
    await settle(root);
    await build(root);
    await Deno.writeTextFile(join(root, "src/a"), "2\n");
    assert.match(await build(root), /Done: 1 actions ran/);
    assert.equal(await evaluations(root), 1);
    // build.ts B: another command and a failing rule. The build fails, and
    // the record and the cache stay those of build.ts A.
    const a = await Deno.readTextFile(join(root, "build.ts"));
    await Deno.writeTextFile(
      join(root, "build.ts"),
      a.replace("cp src/a out/a", "tr 0-9 a-j < src/a > out/a") +
        `rule({ targets: "out/bad", deps: "src/a", action: sh("exit 1") });\n`,
    );
    assert.equal((await cli(root, "build")).code, 1);
    assert.equal(await Deno.readTextFile(join(root, "out/a")), "c\n");
    // Back to A: A's cached rules, whose specs differ from what the store
    // holds since B's build, run A's command again.
    await Deno.writeTextFile(join(root, "build.ts"), a);
    const evaluated = await evaluations(root);
    assert.match(await build(root), /Done: 1 actions ran/);
    assert.equal(await Deno.readTextFile(join(root, "out/a")), "2\n");
    assert.equal(await evaluations(root), evaluated, "the rules came from the cache");
    await Deno.writeTextFile(join(root, "src/a"), "3\n");
    assert.match(await build(root), /Done: 1 actions ran/);
    assert.equal(await Deno.readTextFile(join(root, "out/a")), "3\n");
    // A function action cannot be cached: each build with work evaluates build.ts.
    await Deno.writeTextFile(
      join(root, "build.ts"),
      a +
        `rule({ targets: "out/f", deps: "src/a", action: (ctx) => ctx.writeText("out/f", "f") });\n`,
    );
    await settle(root);
    await build(root);
    const before = await evaluations(root);
    await Deno.writeTextFile(join(root, "src/a"), "4\n");
    assert.match(await build(root), /Done: 2 actions ran/);
    assert.equal(await evaluations(root), before + 1);
  });
});

Deno.test("outputs deleted or edited by hand, and another request, go to the normal build", async () => {
  await withProject(COPY, async (root) => {
    await settle(root);
    await build(root, "out/a.txt");
    assert.match(await build(root, "out/a.txt"), /Done: 0 actions ran/);
    assert.equal(await evaluations(root), 1);
    assert.match(await build(root, "out/b.txt"), /Done: 1 actions ran/);
    await Deno.remove(join(root, "out/a.txt"));
    assert.match(await build(root, "out/a.txt"), /Done: 1 actions ran/);
    await build(root, "out/a.txt");
    await Deno.writeTextFile(join(root, "out/a.txt"), "edited\n");
    assert.match(await build(root, "out/a.txt"), /Done: 1 actions ran/);
    assert.equal(await Deno.readTextFile(join(root, "out/a.txt")), "a\n");
  });
});

Deno.test("a change to build.ts, a module it imports or deno.json is seen", async () => {
  const files = project(
    `import { GREETING } from "./lib/greeting.ts";
rule({ targets: "out/hello.txt", action: write("out/hello.txt", GREETING) });`,
    { "lib/greeting.ts": `export const GREETING = "hello";\n` },
  );
  await withProject(files, async (root) => {
    await settle(root, "lib/greeting.ts");
    await build(root);
    assert.match(await build(root), /Done: 0 actions ran/);
    await Deno.writeTextFile(join(root, "lib/greeting.ts"), `export const GREETING = "bye";\n`);
    assert.match(await build(root), /Done: 1 actions ran/);
    assert.equal(await Deno.readTextFile(join(root, "out/hello.txt")), "bye");
    await settle(root, "lib/greeting.ts");
    await build(root);
    assert.match(await build(root), /Done: 0 actions ran/);
    const before = await evaluations(root);
    await Deno.writeTextFile(join(root, "deno.json"), "{}\n");
    assert.match(await build(root), /Done: 0 actions ran/);
    assert.equal(await evaluations(root), before + 1);
    await Deno.writeTextFile(
      join(root, "build.ts"),
      (await Deno.readTextFile(join(root, "build.ts"))).replace("GREETING)", "GREETING + '!')"),
    );
    assert.match(await build(root), /Done: 1 actions ran/);
    assert.equal(await Deno.readTextFile(join(root, "out/hello.txt")), "bye!");
  });
});

Deno.test("directories, files and variables build.ts read while loading are checked", async () => {
  const files = project(
    `const flavour = Deno.env.get("FLAVOUR") ?? "plain";
const banner = Deno.readTextFileSync("banner.txt");
for (const entry of Deno.readDirSync("src")) {
  const out = "out/" + entry.name;
  rule({ targets: out, action: write(out, banner + flavour + entry.name) });
}`,
    { "src/a": "", "banner.txt": "#" },
  );
  await withProject(files, async (root) => {
    await settle(root);
    await build(root);
    assert.match(await build(root), /Done: 0 actions ran/);
    await Deno.writeTextFile(join(root, "src/b"), "");
    assert.match(await build(root), /Done: 1 actions ran/);
    assert.equal(await Deno.readTextFile(join(root, "out/b")), "#plainb");
    assert.match(await build(root), /Done: 0 actions ran/);
    const { code, stderr } = await cliWithEnv({ NO_COLOR: "1", FLAVOUR: "hot" }, root, "build");
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Done: 2 actions ran/);
    assert.equal(await Deno.readTextFile(join(root, "out/a")), "#hota");
    await Deno.writeTextFile(join(root, "banner.txt"), "*");
    assert.match(await build(root), /Done: 2 actions ran/);
    assert.equal(await Deno.readTextFile(join(root, "out/a")), "*plaina");
  });
});

Deno.test("a build.ts that lists the whole environment is evaluated every time", async () => {
  const files = project(
    `const names = Object.keys(Deno.env.toObject()).length > 0 ? "some" : "none";
rule({ targets: "out/x", action: write("out/x", names) });`,
  );
  await withProject(files, async (root) => {
    await settle(root);
    await build(root);
    await build(root);
    assert.match(await build(root), /Done: 0 actions ran/);
    assert.equal(await evaluations(root), 3);
  });
});

Deno.test("a failed build leaves no record: the failure is reported again", async () => {
  const files = project(
    `rule({ targets: "out/x", deps: "src/x", action: sh("exit 3") });`,
    { "src/x": "" },
  );
  await withProject(files, async (root) => {
    await settle(root);
    for (let i = 0; i < 2; i++) {
      const { code, stderr } = await cli(root, "build");
      assert.equal(code, 1);
      assert.match(stderr, /exit 3|exited with/);
    }
    assert.equal(await evaluations(root), 2);
  });
});

Deno.test("a damaged record is ignored, and --json reports a build with nothing to do", async () => {
  await withProject(COPY, async (root) => {
    await settle(root);
    await build(root);
    await Deno.writeTextFile(join(root, STATE_DIR, UP_TO_DATE_FILE), "{ not json");
    assert.match(await build(root), /Done: 0 actions ran/);
    assert.equal(await evaluations(root), 2);
    const { code, stdout } = await cli(root, "build", "--json");
    assert.equal(code, 0);
    assert.equal(await evaluations(root), 2);
    const events = stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.event), ["build-started", "build-finished"]);
    assert.equal(events[1].ran, 0);
    assert.equal(events[1].ok, true);
  });
});

Deno.test("touched files are hashed again once: a few patched into the record, many saved whole", async () => {
  const dir = await Deno.makeTempDir();
  const leaves = [];
  for (let i = 0; i < 40; i++) {
    await Deno.writeTextFile(join(dir, `f${i}`), `${i}`);
    const leaf = new FileLeaf("", join(dir, `f${i}`));
    leaf.refresh(0);
    leaves.push(leaf);
  }
  const key = { root: dir, request: [], tool: "test" };
  writeUpToDate(dir, key, leaves);
  const record = join(dir, UP_TO_DATE_FILE);
  const saved = await Deno.readTextFile(record);
  // Touched a while ago: old enough for their stat fields to vouch for them.
  const earlier = new Date(Date.now() - 10_000);
  await Deno.utime(join(dir, "f0"), earlier, earlier);
  assert.equal(checkUpToDate(dir, key).upToDate, true);
  const patched = await Deno.readTextFile(record);
  assert.equal(patched.split("\n").length, 3, "record, (empty) graph, one patch");
  assert.ok(patched.startsWith(saved));
  assert.equal(checkUpToDate(dir, key).upToDate, true);
  assert.equal(await Deno.readTextFile(record), patched, "f0 is not hashed again");
  for (let i = 0; i < 40; i++) await Deno.utime(join(dir, `f${i}`), earlier, earlier);
  assert.equal(checkUpToDate(dir, key).upToDate, true);
  assert.equal((await Deno.readTextFile(record)).split("\n").length, 2, "40: written whole");
  await Deno.writeTextFile(join(dir, "f7"), "changed");
  assert.equal(checkUpToDate(dir, key).upToDate, false);
});

/** The record's files (trust flags left out: a later check may grant it) and its graph line. */
function recordContent(root: string) {
  const { record, graphText } = readRecord(join(root, STATE_DIR))!;
  const { files, loadFiles, listings, env } = record;
  const entries: string[] = [];
  for (let i = 0; i < files.length; i += 7) entries.push(JSON.stringify(files.slice(i, i + 6)));
  return { entries: entries.sort(), loadFiles, listings, env, graph: JSON.parse(graphText) };
}

Deno.test("an edit trusts what it does not reach, and patches the record a full build would write", async () => {
  const files = project(
    `rule({ targets: "out/a", deps: "src/x", action: sh("mkdir -p out && cp src/x out/a") });
rule({ targets: "out/b", deps: ["out/a", "src/y"], action: sh("cat out/a src/y > out/b") });
rule({ targets: "out/c", deps: "src/y", action: sh("mkdir -p out && cp src/y out/c") });
rule({ targets: "out/d", deps: ["out/c"], action: sh("tr a-z A-Z < out/c > out/d") });
alias("default", ["out/b", "out/d"]);`,
    { "src/x": "x\n", "src/y": "y\n" },
  );
  await withProject(files, async (root) => {
    await settle(root);
    assert.equal((await buildRecording(root)).ran.length, 4);
    await Deno.writeTextFile(join(root, "src/x"), "x2\n");
    const edit = await buildRecording(root);
    assert.equal(edit.trusted, true, "the check named what the edit does not reach");
    assert.deepEqual(edit.ranIds, ["out/a", "out/b"]);
    // out/c and out/d were taken as they were: their files were not looked at.
    assert.deepEqual(edit.checkedFiles, ["out/a", "out/b", "src/x", "src/y"]);
    assert.equal(await Deno.readTextFile(join(root, "out/b")), "x2\ny\n");
    const patched = recordContent(root);
    assert.equal(checkUpToDate(join(root, STATE_DIR), testKey(root)).upToDate, true);
    // The same build answered by a full write of the record.
    await Deno.remove(join(root, STATE_DIR, UP_TO_DATE_FILE));
    const full = await buildRecording(root);
    assert.deepEqual([full.trusted, full.ran.length], [false, 0]);
    assert.deepEqual(patched, recordContent(root));
    // Edits on both sides, one after the other, each rebuilt exactly.
    await Deno.writeTextFile(join(root, "src/y"), "why\n");
    const second = await buildRecording(root);
    assert.deepEqual([second.trusted, second.ranIds], [true, ["out/b", "out/c", "out/d"]]);
    assert.equal(await Deno.readTextFile(join(root, "out/d")), "WHY\n");
    assert.match(await build(root), /Done: 0 actions ran/);
  });
});

/** Two sources, each copied by a rule of its own. */
const TWO_COPIES = project(
  `rule({ targets: "out/a", deps: "src/x", action: sh("mkdir -p out && cp src/x out/a") });
rule({ targets: "out/c", deps: "src/y", action: sh("mkdir -p out && cp src/y out/c") });`,
  { "src/x": "x\n", "src/y": "y\n" },
);

Deno.test("an edit appends a patch to the record; torn or foreign patches are not applied", async () => {
  await withProject(TWO_COPIES, async (root) => {
    const stateDir = join(root, STATE_DIR);
    const recordFile = join(stateDir, UP_TO_DATE_FILE);
    const lines = async () => (await Deno.readTextFile(recordFile)).split("\n");
    await settle(root);
    await buildRecording(root);
    assert.equal((await lines()).length, 2, "record and graph");
    await Deno.writeTextFile(join(root, "src/x"), "x1\n");
    assert.deepEqual((await buildRecording(root)).ranIds, ["out/a"]);
    const patched = await lines();
    assert.equal(patched.length, 3, "one patch appended");
    assert.equal(checkUpToDate(stateDir, testKey(root)).upToDate, true);

    // A torn patch is skipped: the edit it recorded is seen again, and built right.
    await Deno.writeTextFile(recordFile, patched.join("\n").slice(0, -10));
    assert.equal(checkUpToDate(stateDir, testKey(root)).upToDate, false);
    assert.deepEqual((await buildRecording(root)).ranIds, []);
    assert.equal(await Deno.readTextFile(join(root, "out/a")), "x1\n");
    assert.equal(checkUpToDate(stateDir, testKey(root)).upToDate, true);

    // A patch applies only to the record it was written for.
    await Deno.writeTextFile(join(root, "src/y"), "y1\n");
    const { record } = readRecord(stateDir)!;
    const entry = record.files.indexOf("src/y") / 7;
    const now = FileLeaf.withState(join(root, "src/y"), record.files, entry * 7 + 1);
    now.refresh(1);
    const claim = (base: string) =>
      "\n" + JSON.stringify({ base, stamp: record.stamp, files: [[entry, ...now.state()]] });
    await Deno.writeTextFile(recordFile, claim("another record"), { append: true });
    assert.equal(checkUpToDate(stateDir, testKey(root)).upToDate, false, "foreign patch ignored");
    await Deno.writeTextFile(recordFile, claim(record.base), { append: true });
    assert.equal(checkUpToDate(stateDir, testKey(root)).upToDate, true, "its own one applied");
    await Deno.writeTextFile(join(root, "src/y"), "y2\n");

    // Patches pile up to a limit, then the record is written whole again.
    for (let i = 0; i < 10; i++) {
      await Deno.writeTextFile(join(root, "src/x"), `x${i + 2}\n`);
      await buildRecording(root);
      assert.ok((await lines()).length <= 2 + 8 + 1, "at most 8 patches");
    }
    assert.equal(await Deno.readTextFile(join(root, "out/c")), "y2\n");
    assert.equal(await Deno.readTextFile(join(root, "out/a")), "x11\n");
    assert.equal(checkUpToDate(stateDir, testKey(root)).upToDate, true);
  });
});

Deno.test("a patch never vouches for what build.ts is made of: a rule may read a newer one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const key = { root: dir, request: [], tool: "test" };
    const fresh = async (name: string, text?: string) => {
      if (text !== undefined) await Deno.writeTextFile(join(dir, name), text);
      const leaf = new FileLeaf("", join(dir, name));
      leaf.refresh(0, true);
      return leaf;
    };
    const [buildTs, src] = [await fresh("build.ts", "a"), await fresh("src", "1")];
    // One rule, which reads build.ts and src.
    const graph = { nodes: [{ id: "rule" } as MemoNode], deps: [[buildTs, src]] };
    writeUpToDate(dir, key, [buildTs, src], { loadLeaves: 1, cacheId: "cache", graph });
    await Deno.writeTextFile(join(dir, "src"), "2");
    const verdict = checkUpToDate(dir, key);
    assert.equal(verdict.buildTsUnchanged, true);
    // The build read build.ts too, after it changed.
    const seen = [await fresh("build.ts", "b"), await fresh("src")];
    verdict.checked!.save(dir, seen, verdict.stamp);
    const after = checkUpToDate(dir, key);
    assert.deepEqual([after.upToDate, after.buildTsUnchanged], [false, false]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("outputs a build just wrote are hashed again once, not by every later check", async () => {
  await withProject(TWO_COPIES, async (root) => {
    const stateDir = join(root, STATE_DIR);
    const trustOf = (name: string) => {
      const { files } = readRecord(stateDir)!.record;
      return files[files.indexOf(name) + 6];
    };
    await settle(root);
    await buildRecording(root);
    assert.equal(trustOf("out/c"), 0, "written within a tick of being recorded");
    await settle(root, "out/a", "out/c");
    await Deno.writeTextFile(join(root, "src/x"), "x1\n");
    const edit = await buildRecording(root);
    assert.deepEqual([edit.trusted, edit.ranIds], [true, ["out/a"]]);
    // The check hashed out/c again, found it unchanged and old enough: the
    // record says so, and the next check takes its stat fields alone.
    assert.equal(trustOf("out/c"), 1);
  });
});
