import assert from "node:assert/strict";
import { join } from "node:path";
import type { EnvLeaf } from "../../../memo/leaves/env.ts";
import { FileLeaf } from "../../../memo/leaves/file.ts";
import { ListingLeaf } from "../../../memo/leaves/listing.ts";
import { type LoadReads, recordLoadReads } from "../../../rules/project/load_reads.ts";
import { buildOk, type Files, IMPORT, withProject } from "../_util.ts";

function describe(reads: LoadReads): string[] {
  return reads.leaves.map((leaf) =>
    leaf instanceof FileLeaf
      ? `file ${leaf.path}`
      : leaf instanceof ListingLeaf
      ? `dir ${leaf.dir}`
      : `env ${(leaf as EnvLeaf).name}`
  ).sort();
}

Deno.test("recordLoadReads notes files read, directories listed and variables looked up, once each", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  await Deno.writeTextFile(join(dir, "a"), "A");
  await Deno.writeTextFile(join(dir, "b"), "B");
  const original = Deno.readTextFileSync;
  const reads: LoadReads = { leaves: [], untracked: [] };
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
  assert.deepEqual(reads.untracked, []);
  assert.equal(Deno.readTextFileSync, original, "the hooks are gone once no recording runs");
  // Each leaf was checked when read: file a holds "A".
  const a = reads.leaves.find((l) => l instanceof FileLeaf && l.path.endsWith("/a")) as FileLeaf;
  assert.equal(a.exists, true);
});

Deno.test("recordLoadReads: the whole environment is untracked; overlapping loads see each other's reads", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  await Deno.writeTextFile(join(dir, "x"), "");
  const first: LoadReads = { leaves: [], untracked: [] };
  const second: LoadReads = { leaves: [], untracked: [] };
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
  assert.deepEqual(first.untracked, ["Deno.env.toObject()"]);
  assert.deepEqual(second.untracked, [], "read before the second load began");
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
