// The store on its own: records decoded when taken, and what compaction
// leaves to take.

import assert from "node:assert/strict";
import { join } from "node:path";
import { Store, type StoreRecord } from "../../../memo/persist/store.ts";
import { withTempDir } from "../_util.ts";

function fileRecord(path: string, digest: string): StoreRecord {
  return { t: "f", id: `f\u0000${path}`, g: digest, m: 1, s: 2, n: 3, x: 4, w: 1, c: 5 };
}

/** Writes a log of three file records, "a" to "c", each with digest "digest NAME". */
function writeThree(dir: string): void {
  const store = new Store(dir, noWarning);
  store.append(1, ["a", "b", "c"].map((name) => fileRecord(name, `digest ${name}`)));
  store.close();
}

const noWarning = (message: string) => {
  throw new Error(`unexpected warning: ${message}`);
};

Deno.test("records listed for compaction, and compacted, can still be taken", async () => {
  await withTempDir((dir) => {
    writeThree(dir);

    const second = new Store(dir, noWarning);
    assert.equal(second.take("f\u0000a")?.[2], "digest a");
    const listed = second.untaken();
    assert.deepEqual(listed.map((r) => r.id).sort(), ["f\u0000b", "f\u0000c"]);
    second.compact(2, listed);
    // The engine takes what it had not taken before the compaction.
    assert.equal(second.take("f\u0000b")?.[2], "digest b");
    assert.equal(second.take("f\u0000b"), undefined, "taken once");
    second.close();

    const third = new Store(dir, noWarning);
    assert.deepEqual(
      third.untaken().map((r) => [r.id, r.g]).sort(),
      [["f\u0000b", "digest b"], ["f\u0000c", "digest c"]],
    );
    third.close();
    assert.ok(Deno.statSync(join(dir, "memo.log")).size > 0);
  });
});

Deno.test("records written with their ids' places in the table read back, before and after a compaction", async () => {
  await withTempDir((dir) => {
    writeThree(dir);

    const second = new Store(dir, noWarning);
    const a = second.take("f\u0000a")!;
    // The engine passes the place of an id it loaded: no lookup of the id.
    second.append(2, [{ ...fileRecord("a", "digest a2"), ix: a[1] as number }]);
    second.close();

    const third = new Store(dir, noWarning);
    assert.equal(third.take("f\u0000a")?.[2], "digest a2");
    const b = third.take("f\u0000b")!;
    third.compact(3, third.untaken());
    // After a compaction the places are the old table's: they must not be used.
    third.append(4, [{ ...fileRecord("b", "digest b2"), ix: b[1] as number }]);
    third.close();

    const fourth = new Store(dir, noWarning);
    assert.equal(fourth.take("f\u0000b")?.[2], "digest b2");
    assert.equal(fourth.take("f\u0000c")?.[2], "digest c");
    fourth.close();
  });
});

Deno.test("a log that only grows with new records is not compacted, one whose records were replaced is", async () => {
  await withTempDir((dir) => {
    // Past the 4 MiB below which no log is compacted, in new records only.
    const batch = (round: number, from: number) =>
      Array.from({ length: 10_000 }, (_, i) => fileRecord(`src/file-${from + i}.c`, `d${round}`));
    const store = new Store(dir, noWarning);
    for (let from = 0; from < 100_000; from += 10_000) store.append(1, batch(1, from));
    assert.ok(Deno.statSync(join(dir, "memo.log")).size > 4 * 1024 * 1024);
    assert.equal(store.wantsCompaction, false, "all of it is live");
    store.close();

    const reopened = new Store(dir, noWarning);
    assert.equal(reopened.wantsCompaction, false, "all of it is live, as loaded");
    // Each record written again and again, until the log is three times
    // its live content (the string table counts as live).
    let round = 1;
    while (!reopened.wantsCompaction && round < 10) {
      round++;
      for (let from = 0; from < 100_000; from += 10_000) reopened.append(round, batch(round, from));
    }
    assert.ok(reopened.wantsCompaction && round >= 4, `compaction wanted after round ${round}`);
    reopened.close();

    const third = new Store(dir, noWarning);
    assert.equal(third.wantsCompaction, true, "as loaded");
    third.compact(4, third.untaken());
    assert.equal(third.wantsCompaction, false, "compacted");
    assert.equal(third.take("f\u0000src/file-99999.c")?.[2], `d${round}`);
    third.close();
  });
});
