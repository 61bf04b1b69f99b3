// The file leaf's stat cache: a file rewritten right after its check, with
// the same size, is still seen to change (the racy-file rule), however its
// times are stamped.

import assert from "node:assert/strict";
import { join } from "node:path";
import { FileLeaf, settled } from "../../../memo/leaves/file.ts";
import { withTempDir } from "../_util.ts";

Deno.test("a file rewritten within its clock tick, same size, is seen to change", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "racy.txt");
    const leaf = new FileLeaf("f\u0000racy.txt", path);
    let run = 1;
    for (let round = 0; round < 300; round++) {
      const text = round % 2 === 0 ? "aaaa" : "bbbb";
      Deno.writeTextFileSync(path, text);
      leaf.refresh(++run);
      assert.equal(leaf.changedAt, run, `round ${round}: the new content was seen`);
      // Checked again at once, unchanged: nothing moves.
      leaf.refresh(++run);
      assert.notEqual(leaf.changedAt, run, `round ${round}: no change reported twice`);
    }
  });
});

Deno.test("a file older than the file clock is trusted by its stat fields alone", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "old.txt");
    Deno.writeTextFileSync(path, "old");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const leaf = new FileLeaf("f\u0000old.txt", path);
    leaf.refresh(1);
    assert.equal(leaf.trusted, true);
  });
});

Deno.test("a FIFO as a dependency is a clear error, not a read that blocks", async () => {
  await withTempDir(async (dir) => {
    const fifo = join(dir, "pipe");
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    const leaf = new FileLeaf("f\u0000pipe", fifo);
    assert.throws(() => leaf.refresh(1), /pipe is a FIFO, not a regular file/);
  });
});

Deno.test("settled(): nanosecond times against the file clock, others against their tick", () => {
  const clock = 1_700_000_000_000.5;
  assert.equal(settled(clock - 0.001, 0, clock), true, "stamped before the clock's last tick");
  assert.equal(settled(clock, 0, clock), false, "stamped in the clock's current tick");
  assert.equal(
    settled(clock + 1.25, 0, clock),
    false,
    "a fine-grained stamp ahead of the coarse clock",
  );
  assert.equal(
    settled(1_700_000_000_123, 1_700_000_000_200, clock),
    false,
    "whole ms: 100 ms tick",
  );
  assert.equal(settled(1_700_000_000_123, 1_700_000_000_224, clock), true);
  assert.equal(settled(1_700_000_000_000, 1_700_000_001_500, clock), false, "whole s: 2 s tick");
  assert.equal(settled(1_700_000_000_000, 1_700_000_002_001, clock), true);
  assert.equal(
    settled(1_700_000_000_000.25, 1_700_000_000_200, undefined),
    true,
    "no clock: ticks",
  );
});
