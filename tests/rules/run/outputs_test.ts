// Which files barchan may write and delete: it never overwrites a file it
// did not create, checks that actions write their declared targets, never
// trusts the outputs of a failed action, and deletes the outputs of rules
// that disappeared unless someone edited them since.

import assert from "node:assert/strict";
import { join } from "node:path";
import { OutputLog, regularFileDigest } from "../../../rules/run/outputs.ts";
import { buildIn, buildOk, IMPORT, readMaybe, withProject, writeFiles } from "../_util.ts";

Deno.test("a target that exists and was not written by barchan is an error and is left untouched", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "notes.txt", action: write("notes.txt", "generated") });
rule({ targets: "other.txt", action: write("other.txt", "other") });
`,
    "notes.txt": "my precious notes",
  }, async (root) => {
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    assert.equal(result.failed.length, 1);
    assert.equal(result.failed[0].rule, "notes.txt");
    assert.match(
      result.failed[0].message,
      /refusing to overwrite "notes.txt": it exists and barchan did not create it/,
    );
    assert.equal(await readMaybe(root, "notes.txt"), "my precious notes");
    assert.equal(await readMaybe(root, "other.txt"), "other", "independent work went on");

    const again = await buildIn(root);
    assert.equal(again.ok, false, "still refused on the next build");
    assert.equal(await readMaybe(root, "notes.txt"), "my precious notes");

    await Deno.remove(join(root, "notes.txt"));
    await buildOk(root);
    assert.equal(await readMaybe(root, "notes.txt"), "generated");
  });
});

Deno.test("a file barchan wrote may be overwritten by its rule later", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "v.txt", deps: ["in.txt"], action: sh("cp in.txt v.txt") });
`,
    "in.txt": "1",
  }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "in.txt"), "2");
    await buildOk(root);
    assert.equal(await readMaybe(root, "v.txt"), "2");
  });
});

Deno.test("declared targets an action did not write are an error naming them", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: ["a.txt", "b.txt", "c.txt"], action: sh("echo a > a.txt") });
rule({ targets: "uses-a.txt", deps: ["a.txt"], action: sh("cp a.txt uses-a.txt") });
`,
  }, async (root) => {
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    assert.deepEqual(result.failed.map((f) => [f.rule, f.message]), [[
      "a.txt",
      'the action did not write its declared targets "b.txt", "c.txt" (rule a.txt, build.ts:3)',
    ]]);
    assert.ok(!result.started.some((e) => e.rule === "uses-a.txt"), "dependents do not run");
    assert.equal(await readMaybe(root, "uses-a.txt"), undefined);
  });
});

Deno.test("a failed action's partial outputs are not up to date: the next build reruns it", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", action: sh("echo partial > out.txt; test -f allowed") });
rule({ targets: "next.txt", deps: ["out.txt"], action: sh("cp out.txt next.txt") });
`,
  }, async (root) => {
    const failed = await buildIn(root);
    assert.equal(failed.ok, false);
    assert.equal(await readMaybe(root, "next.txt"), undefined);
    await Deno.writeTextFile(join(root, "allowed"), "");
    const result = await buildOk(root);
    assert.deepEqual(result.ranIds, ["next.txt", "out.txt"]);
    assert.equal(await readMaybe(root, "next.txt"), "partial\n");
  });
});

Deno.test("after a failure, returning to the inputs of the last success rebuilds, not reuses", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({
  targets: "out.txt",
  deps: ["in.txt"],
  action: sh("echo started > out.txt; grep -v fail in.txt > out.txt && ! grep -q fail in.txt"),
});
`,
    "in.txt": "good\n",
  }, async (root) => {
    await buildOk(root);
    assert.equal(await readMaybe(root, "out.txt"), "good\n");
    await Deno.writeTextFile(join(root, "in.txt"), "good\nfail\n");
    assert.equal((await buildIn(root)).ok, false);
    await Deno.writeTextFile(join(root, "in.txt"), "good\n");
    const result = await buildOk(root);
    assert.deepEqual(result.ranIds, ["out.txt"]);
    assert.equal(await readMaybe(root, "out.txt"), "good\n");
  });
});

Deno.test("the outputs of a rule removed from build.ts are deleted on the next build", async () => {
  const both = IMPORT + `
rule({ targets: "keep.txt", action: write("keep.txt", "keep") });
rule({ targets: "gen/gone.txt", action: write("gen/gone.txt", "gone") });
`;
  const one = IMPORT + `
rule({ targets: "keep.txt", action: write("keep.txt", "keep") });
`;
  await withProject({ "build.ts": both }, async (root) => {
    await buildOk(root);
    assert.equal(await readMaybe(root, "gen/gone.txt"), "gone");
    await writeFiles(root, { "build.ts": one });
    const result = await buildOk(root, ["keep.txt"]);
    assert.deepEqual(result.ranIds, []);
    assert.equal(await readMaybe(root, "gen/gone.txt"), undefined);
    assert.equal(await readMaybe(root, "keep.txt"), "keep");
    assert.ok(result.notes.some((n) => /Deleted gen\/gone.txt/.test(n)), result.notes.join("\n"));
  });
});

Deno.test("a renamed target deletes the file under the old name", async () => {
  const named = (target: string) =>
    IMPORT + `
rule({ targets: "${target}", action: write("${target}", "x") });
`;
  await withProject({ "build.ts": named("old.txt") }, async (root) => {
    await buildOk(root);
    await writeFiles(root, { "build.ts": named("new.txt") });
    await buildOk(root);
    assert.equal(await readMaybe(root, "old.txt"), undefined);
    assert.equal(await readMaybe(root, "new.txt"), "x");
  });
});

Deno.test("a stale output edited by hand is kept, and barchan no longer claims it", async () => {
  const withRule = IMPORT + `
rule({ targets: "report.txt", action: write("report.txt", "generated") });
`;
  await withProject({ "build.ts": withRule }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "report.txt"), "generated, then edited");
    await writeFiles(root, { "build.ts": IMPORT });
    const result = await buildOk(root);
    assert.equal(await readMaybe(root, "report.txt"), "generated, then edited");
    assert.ok(result.notes.some((n) => /Kept report.txt/.test(n)), result.notes.join("\n"));

    await writeFiles(root, { "build.ts": withRule });
    const back = await buildIn(root);
    assert.equal(back.ok, false, "the file is the user's now");
    assert.match(back.failed[0].message, /refusing to overwrite "report.txt"/);
    assert.equal(await readMaybe(root, "report.txt"), "generated, then edited");
  });
});

Deno.test("a stale output already deleted by hand is simply forgotten", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "x.txt", action: write("x.txt", "x") });
`,
  }, async (root) => {
    await buildOk(root);
    await Deno.remove(join(root, "x.txt"));
    await writeFiles(root, { "build.ts": IMPORT });
    const result = await buildOk(root);
    assert.deepEqual(result.notes, []);
    await Deno.writeTextFile(join(root, "x.txt"), "mine");
    await buildOk(root);
    assert.equal(await readMaybe(root, "x.txt"), "mine");
  });
});

Deno.test("a file created by hand where a failed action left nothing is not overwritten", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", action: sh("echo generated > out.txt; test -f allowed") });
`,
  }, async (root) => {
    assert.equal((await buildIn(root)).ok, false);
    assert.equal(await readMaybe(root, "out.txt"), undefined);
    await Deno.writeTextFile(join(root, "out.txt"), "written by hand");
    await Deno.writeTextFile(join(root, "allowed"), "");
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    assert.match(result.failed[0].message, /refusing to overwrite "out.txt"/);
    assert.equal(await readMaybe(root, "out.txt"), "written by hand");
  });
});

Deno.test("a file created by hand after a once-built target failed to rebuild is not overwritten", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", deps: ["in.txt"], action: sh("cp in.txt out.txt; ! grep -q fail in.txt") });
`,
    "in.txt": "ok",
  }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "in.txt"), "fail");
    assert.equal((await buildIn(root)).ok, false);
    await Deno.writeTextFile(join(root, "out.txt"), "written by hand");
    await Deno.writeTextFile(join(root, "in.txt"), "ok again");
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    assert.equal(await readMaybe(root, "out.txt"), "written by hand");
  });
});

// ---- the log itself ---------------------------------------------------------

/** The entries of the log, without its first line and each line's checksum. */
function logLines(dir: string): string[] {
  const lines = Deno.readTextFileSync(join(dir, "outputs.log")).split("\n");
  assert.equal(lines[0], "barchan outputs 2");
  return lines.slice(1).filter((l) => l !== "").map((l) => l.replace(/\t[0-9a-f]{8}$/, ""));
}

Deno.test("the outputs log is appended to, and read back the same after each build", () => {
  const dir = Deno.makeTempDirSync();
  const first = new OutputLog(dir);
  first.claim(["a", "b"]);
  first.wrote("a", "d1");
  first.wrote("b", "d2");
  first.close();
  const second = new OutputLog(dir);
  second.claim(["a", "c"]);
  second.wrote("a", "d3");
  second.release("b");
  second.close();
  // Nothing rewritten: the second build's lines follow the first's.
  assert.deepEqual(logLines(dir), [
    "c\ta",
    "c\tb",
    "w\ta\td1",
    "w\tb\td2",
    "c\tc",
    "w\ta\td3",
    "r\tb",
  ]);
  const third = new OutputLog(dir);
  assert.deepEqual(third.paths().sort(), ["a", "c"]);
  assert.equal(third.digest("a"), "d3");
  assert.equal(third.digest("c"), "");
  third.close();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("an outputs log grown past twice its entries is rewritten one line an entry", () => {
  const dir = Deno.makeTempDirSync();
  const log = new OutputLog(dir);
  for (let i = 0; i < 600; i++) {
    log.claim([`t${i}`]);
    log.wrote(`t${i}`, `d${i}`);
  }
  log.close();
  assert.equal(logLines(dir).length, 1200, "1,200 lines for 600 entries: kept as appended");
  const again = new OutputLog(dir);
  for (let i = 0; i < 300; i++) again.release(`t${i}`);
  again.close();
  const lines = logLines(dir);
  assert.equal(lines.length, 300);
  assert.deepEqual(lines.slice(0, 2), ["w\tt300\td300", "w\tt301\td301"]);
  assert.equal(new OutputLog(dir).digest("t599"), "d599");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("OutputLog.handOver() writes a new state directory's log of the outputs still as barchan wrote them", async () => {
  const root = await Deno.makeTempDir({ prefix: "barchan_handover_" });
  try {
    const stateDir = join(root, "_build/.barchan");
    await Deno.mkdir(stateDir, { recursive: true });
    const log = new OutputLog(stateDir, { root });
    for (const name of ["kept", "edited"]) {
      await Deno.writeTextFile(join(root, name), `${name}\n`);
      log.claim([name]);
      log.wrote(name, regularFileDigest(join(root, name))!);
    }
    await Deno.remove(join(root, "_build"), { recursive: true });
    await Deno.writeTextFile(join(root, "edited"), "by hand\n");
    assert.equal(log.handOver(), 1);
    const reopened = new OutputLog(stateDir, { root });
    assert.deepEqual(reopened.paths(), ["kept"], "a hand-edited file stays the user's");
    reopened.close();
    // A state directory that exists again is another build's: nothing is written there.
    await Deno.remove(join(stateDir, "outputs.log"));
    assert.equal(new OutputLog(stateDir, { root }).handOver(), undefined);
    assert.equal(await Deno.stat(join(stateDir, "outputs.log")).catch(() => null), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("OutputLog.handOver() does not make a project deleted whole again", async () => {
  const root = await Deno.makeTempDir({ prefix: "barchan_handover_" });
  const stateDir = join(root, "_build/.barchan");
  await Deno.mkdir(stateDir, { recursive: true });
  const log = new OutputLog(stateDir, { root });
  await Deno.writeTextFile(join(root, "out"), "out\n");
  log.claim(["out"]);
  log.wrote("out", regularFileDigest(join(root, "out"))!);
  await Deno.remove(root, { recursive: true });
  assert.equal(log.handOver(), undefined);
  assert.equal(await Deno.stat(root).catch(() => null), null, "the project stays deleted");
});
