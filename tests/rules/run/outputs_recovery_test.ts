// outputs.log lost or damaged: every line is checksummed; a damaged log (or
// a lost one) is noted in one line, and the outputs whose content is what
// barchan recorded (in the log's good lines, or in the memo store) are its
// own again, so the next build overwrites them and `clean` removes them,
// while a file whose content matches nothing recorded is left alone.

import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, IMPORT, readMaybe, snapshot, withProject } from "../_util.ts";

const LOG = "_build/.barchan/outputs.log";

const FILES = {
  "build.ts": IMPORT + `
rule({ targets: "out/a.txt", deps: ["src.txt"], action: sh("cat src.txt > out/a.txt") });
rule({
  targets: ["out/b.txt", "out/c.txt"],
  deps: ["src.txt"],
  action: sh("tr a-z A-Z < src.txt > out/b.txt; echo c > out/c.txt"),
});
`,
  "src.txt": "one\n",
};

/** Builds, damages the log with `damage`, edits the source and builds again. */
async function afterDamage(
  damage: (root: string, log: string) => Promise<void> | void,
  check: (root: string, rebuilt: { code: number; stderr: string }) => Promise<void>,
): Promise<void> {
  await withProject(FILES, async (root) => {
    const first = await cli(root, "build");
    assert.equal(first.code, 0, first.stderr);
    await damage(root, join(root, LOG));
    await Deno.writeTextFile(join(root, "src.txt"), "two\n");
    const rebuilt = await cli(root, "build");
    assert.doesNotMatch(rebuilt.stderr, /TypeError|refusing to overwrite "out\/(a|b)/);
    await check(root, rebuilt);
  });
}

/** The log's lines, edited by `edit` (which gets them without the newlines). */
function editLines(log: string, edit: (lines: string[]) => void): void {
  const lines = Deno.readTextFileSync(log).split("\n");
  edit(lines);
  Deno.writeTextFileSync(log, lines.join("\n"));
}

/** The number of the first line naming `path`, from 0. */
function lineOf(lines: string[], prefix: string): number {
  const i = lines.findIndex((l) => l.startsWith(prefix));
  assert.ok(i > 0, `no line starting "${prefix}" in ${JSON.stringify(lines)}`);
  return i;
}

async function assertRebuilt(root: string): Promise<void> {
  assert.equal(await readMaybe(root, "out/a.txt"), "two\n");
  assert.equal(await readMaybe(root, "out/b.txt"), "TWO\n");
  assert.equal(await readMaybe(root, "out/c.txt"), "c\n");
}

Deno.test("a deleted outputs.log is recovered from the store: one note, and the next build and clean work", async () => {
  await afterDamage((_, log) => Deno.removeSync(log), async (root, rebuilt) => {
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stderr, /^outputs\.log was missing: 3 outputs whose content is what/m);
    assert.equal(rebuilt.stderr.split("outputs.log").length, 2, "one note");
    await assertRebuilt(root);
    const again = await cli(root, "build");
    assert.doesNotMatch(again.stderr, /outputs\.log/, "recovered for good");
    assert.equal((await cli(root, "clean")).code, 0);
    assert.deepEqual(Object.keys(await snapshot(root, [])), ["build.ts", "src.txt"]);
  });
});

Deno.test("a deleted outputs.log is recovered by clean alone", async () => {
  await withProject(FILES, async (root) => {
    assert.equal((await cli(root, "build")).code, 0);
    await Deno.remove(join(root, LOG));
    const cleaned = await cli(root, "clean");
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.match(cleaned.stderr, /Removed 3 built files/);
    assert.deepEqual(Object.keys(await snapshot(root, [])), ["build.ts", "src.txt"]);
  });
});

Deno.test("a NUL byte in a path of outputs.log is damage: noted once, recovered, no TypeError", async () => {
  await afterDamage((_, log) =>
    editLines(log, (lines) => {
      const i = lineOf(lines, "w\tout/a.txt");
      lines[i] = lines[i].replace("out/a.txt", "out/a\u0000.txt");
    }), async (root, rebuilt) => {
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(
      rebuilt.stderr,
      /^outputs\.log is damaged \(line \d+: its checksum does not match\)/m,
    );
    assert.equal(rebuilt.stderr.split("outputs.log").length, 2, "one note");
    await assertRebuilt(root);
  });
});

Deno.test("a truncated line in the middle of outputs.log is damage, and is recovered", async () => {
  await afterDamage((_, log) =>
    editLines(log, (lines) => {
      const i = lineOf(lines, "w\tout/b.txt");
      lines[i] = lines[i].slice(0, 12) + lines[i + 1];
      lines.splice(i + 1, 1);
    }), async (root, rebuilt) => {
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stderr, /^outputs\.log is damaged \(line \d+: /m);
    await assertRebuilt(root);
  });
});

Deno.test("a changed byte in outputs.log is damage; a file whose content matches nothing recorded is left alone", async () => {
  await afterDamage(async (root, log) => {
    editLines(log, (lines) => {
      const i = lineOf(lines, "w\tout/c.txt");
      const at = lines[i].indexOf("\t", 2) + 3;
      const flipped = lines[i][at] === "A" ? "B" : "A";
      lines[i] = lines[i].slice(0, at) + flipped + lines[i].slice(at + 1);
    });
    await Deno.writeTextFile(join(root, "out/c.txt"), "written by hand\n");
  }, async (root, rebuilt) => {
    assert.equal(rebuilt.code, 1, rebuilt.stderr);
    assert.match(rebuilt.stderr, /^outputs\.log is damaged \(line \d+: /m);
    assert.match(rebuilt.stderr, /refusing to overwrite "out\/c\.txt"/);
    assert.equal(await readMaybe(root, "out/c.txt"), "written by hand\n");
    assert.equal(await readMaybe(root, "out/a.txt"), "two\n");
    await Deno.remove(join(root, "out/c.txt"));
    const fixed = await cli(root, "build");
    assert.equal(fixed.code, 0, fixed.stderr);
    await assertRebuilt(root);
  });
});

Deno.test("an outputs.log of an older format is taken as damaged and recovered", async () => {
  await afterDamage((_, log) => {
    Deno.writeTextFileSync(log, "c\tout/a.txt\nw\tout/a.txt\tsomedigest\n");
  }, async (root, rebuilt) => {
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stderr, /outputs\.log is damaged \(it does not start with/);
    await assertRebuilt(root);
  });
});
