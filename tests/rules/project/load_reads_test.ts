import assert from "node:assert/strict";
import { join } from "node:path";
import { type ReadTracker, recordLoadReads } from "../../../rules/project/load_reads.ts";
import { buildOk, type Files, IMPORT, withProject } from "../_util.ts";

/** A tracker that keeps what it is handed, and what a file held when it was. */
class Reads implements ReadTracker {
  readonly seen: string[] = [];
  readonly untrackedReads: string[] = [];
  readonly contents = new Map<string, string | undefined>();
  file(path: string): void {
    this.seen.push(`file ${path}`);
    try {
      this.contents.set(path, Deno.readTextFileSync(path));
    } catch {
      this.contents.set(path, undefined);
    }
  }
  dir(path: string): void {
    this.seen.push(`dir ${path}`);
  }
  env(name: string): void {
    this.seen.push(`env ${name}`);
  }
  untracked(what: string): void {
    this.untrackedReads.push(what);
  }
}

function describe(reads: Reads): string[] {
  return [...reads.seen].sort();
}

Deno.test("recordLoadReads notes files read, directories listed and variables looked up, once each", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  await Deno.writeTextFile(join(dir, "a"), "A");
  await Deno.writeTextFile(join(dir, "b"), "B");
  const original = Deno.readTextFileSync;
  const reads = new Reads();
  await recordLoadReads(async () => {
    Deno.readTextFileSync(join(dir, "a"));
    Deno.readTextFileSync(join(dir, "a"));
    await Deno.readFile(new URL(`file://${dir}/b`));
    Deno.statSync(join(dir, "missing")).isFile;
  }, reads).catch(() => {});
  await recordLoadReads(async () => {
    [...Deno.readDirSync(dir)];
    Deno.env.get("BARCHAN_LOAD_READS_TEST");
    Deno.env.has("HOME");
    await Promise.resolve();
  }, reads);
  assert.deepEqual(describe(reads), [
    `dir ${dir}`,
    `env BARCHAN_LOAD_READS_TEST`,
    `env HOME`,
    `file ${dir}/a`,
    `file ${dir}/b`,
    `file ${dir}/missing`,
  ]);
  assert.deepEqual(reads.untrackedReads, []);
  assert.equal(Deno.readTextFileSync, original, "the hooks are gone once no recording runs");
  // Each read was handed over before it was made, and the tracker's own
  // reads were not handed over again.
  assert.equal(reads.contents.get(join(dir, "a")), "A");
});

Deno.test("recordLoadReads: the whole environment is untracked; overlapping loads see each other's reads", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  await Deno.writeTextFile(join(dir, "x"), "");
  const first = new Reads();
  const second = new Reads();
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const one = recordLoadReads(async () => {
    Deno.env.toObject();
    await gate;
  }, first);
  const two = recordLoadReads(async () => {
    Deno.readTextFileSync(join(dir, "x"));
    await Promise.resolve();
    throw new Error("build.ts failed");
  }, second);
  await assert.rejects(two, /build.ts failed/);
  release();
  await one;
  assert.deepEqual(first.untrackedReads, ["Deno.env.toObject()"]);
  assert.deepEqual(second.untrackedReads, [], "read before the second load began");
  assert.deepEqual(describe(first), [`file ${dir}/x`]);
  assert.deepEqual(describe(second), [`file ${dir}/x`]);
});

Deno.test("two projects load and build at once in one process", async () => {
  const project = (text: string): Files => ({
    "build.ts": IMPORT +
      `rule({ targets: "out.txt", action: write("out.txt", ${JSON.stringify(text)}) });\n`,
  });
  await withProject(project("one"), async (a) => {
    await withProject(project("two"), async (b) => {
      const [x, y] = await Promise.all([buildOk(a), buildOk(b)]);
      assert.deepEqual([x.ran.length, y.ran.length], [1, 1]);
      assert.equal(await Deno.readTextFile(join(a, "out.txt")), "one");
      assert.equal(await Deno.readTextFile(join(b, "out.txt")), "two");
    });
  });
});
