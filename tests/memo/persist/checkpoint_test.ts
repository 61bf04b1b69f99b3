// The store's checkpoint: a summary of every record, written into the log,
// read back with the frames after it, equal to what replaying every record
// gives.

import assert from "node:assert/strict";
import { join } from "node:path";
import { FILE, NODE, type Summary } from "../../../memo/persist/checkpoint.ts";
import { Store, type StoreRecord } from "../../../memo/persist/store.ts";
import { prng } from "../../_prng.ts";
import { withTempDir } from "../_util.ts";

function nodeRecord(id: string, deps: string[], builtAt: number, failed = false): StoreRecord {
  return {
    t: "m",
    id,
    n: "name",
    h: "code",
    i: id,
    v: { some: "value" },
    d: deps,
    b: builtAt,
    c: builtAt - 1,
    e: failed ? { f: 1 } : undefined,
  };
}

function fileRecord(path: string, digest: string, changedAt: number): StoreRecord {
  return {
    t: "f",
    id: `f\u0000${path}`,
    g: digest,
    m: 1.5,
    s: 2,
    n: 3,
    x: 4.25,
    w: 1,
    c: changedAt,
  };
}

/** The summary's content as plain data, by id, for comparing two summaries. */
function contents(summary: Summary, strings: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < strings.length; i++) {
    const kind = summary.kindOf(i);
    if (kind < 0) continue;
    out[strings[i]] = [
      kind,
      summary.failed(i),
      summary.changedAtOf(i),
      summary.builtAtOf(i),
      kind === NODE ? Array.from(summary.depsOf(i)).map((d) => strings[d]) : null,
      kind === FILE ? summary.fileOf(i) : summary.otherOf(i) ?? null,
    ];
  }
  return out;
}

const noWarning = (message: string) => {
  throw new Error(`unexpected warning: ${message}`);
};

Deno.test("a checkpoint and the frames after it give the summary of every record", async () => {
  await withTempDir((dir) => {
    const next = prng(7);
    let store = new Store(dir, noWarning);
    for (let run = 1; run <= 40; run++) {
      const records: StoreRecord[] = [];
      for (let k = 0; k < 20; k++) {
        const n = Math.floor(next() * 30);
        if (next() < 0.5) {
          records.push(fileRecord(`src/é${n}.c`, `digest${run}x${k}`.padEnd(22, "_"), run));
        } else if (next() < 0.9) {
          records.push(
            nodeRecord(`node ${n}`, [`f\u0000src/é${n}.c`, `node ${n + 1}`], run, next() < 0.1),
          );
        } else records.push({ t: "x", id: `node ${n}` });
      }
      records.push({
        t: "e",
        id: `e\u0000VAR${run % 3}`,
        k: `VAR${run % 3}`,
        g: `v${run}`,
        c: run,
      });
      store.append(run, records);
      if (run % 13 === 4) store.checkpoint(run);
      if (run % 9 === 0) {
        store.close();
        store = new Store(dir, noWarning);
      }
    }
    const expected = contents(store.summary!, store.strings);
    store.close();
    const lazy = new Store(dir, noWarning, { lazy: true });
    assert.deepEqual(contents(lazy.summary!, lazy.strings), expected);
    // Taking a record afterwards reads the rest of the log.
    assert.ok(
      lazy.take("f\u0000src/é3.c") !== undefined || lazy.take("f\u0000src/é4.c") !== undefined,
    );
    lazy.close();
  });
});

Deno.test("a checkpoint is due once the frames after the last one outgrow a quarter of it", async () => {
  await withTempDir((dir) => {
    const store = new Store(dir, noWarning);
    assert.equal(store.wantsCheckpoint, false, "nothing written yet");
    store.append(1, [fileRecord("a", "digest a".padEnd(22, "_"), 1)]);
    assert.equal(store.wantsCheckpoint, true, "no checkpoint yet");
    store.checkpoint(1);
    assert.equal(store.wantsCheckpoint, false);
    store.append(2, [fileRecord("b", "digest b".padEnd(22, "_"), 2)]);
    assert.equal(store.wantsCheckpoint, false, "a small tail");
    const many = Array.from({ length: 2000 }, (_, i) => fileRecord(`many/${i}`, "d".repeat(22), 3));
    store.append(3, many);
    assert.equal(store.wantsCheckpoint, true, "a tail over 64 KiB and a quarter of the checkpoint");
    store.close();
  });
});

Deno.test("a damaged checkpoint is reported in one line and the store starts afresh", async () => {
  await withTempDir((dir) => {
    const store = new Store(dir, noWarning);
    store.append(1, [fileRecord("a", "digest a".padEnd(22, "_"), 1)]);
    store.checkpoint(1);
    store.close();
    const path = join(dir, "memo.log");
    const bytes = Deno.readFileSync(path);
    bytes[bytes.length - 3] ^= 0xff;
    Deno.writeFileSync(path, bytes);
    const warnings: string[] = [];
    const damaged = new Store(dir, (w) => warnings.push(w), { lazy: true });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /is corrupted at byte \d+; starting afresh$/);
    assert.equal(damaged.take("f\u0000a"), undefined);
    assert.equal(damaged.summary?.cells, 0);
    damaged.close();
  });
});
