// verifyRoot: what the store's checkpoint says of a root, checked against
// the engine's own verification. A root it calls up to date is verified by
// the engine without executing anything; a node it calls clean is never
// executed; and the other way round, a root the engine verifies without
// executing is one it calls up to date.

import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine, env, glob, memo, readText } from "../../memo/mod.ts";
import { Store } from "../../memo/persist/store.ts";
import { verifyRoot } from "../../memo/verify_root.ts";
import { prng } from "../_prng.ts";
import { withTempDir } from "./_util.ts";

const FILES = 6;
const NODES = 10;

/** The graph of the current round: node i reads the files and nodes (all above i) it lists. */
let shape: { files: number[]; kids: number[] }[] = [];
const executedIds: number[] = [];
const node = memo("verifyNode", async (i: number): Promise<string> => {
  executedIds.push(i);
  const parts: string[] = [];
  for (const f of shape[i].files) parts.push((await readText(`f${f}.txt`)).trim());
  parts.push(...await Promise.all(shape[i].kids.map((k) => node(k))));
  // A value that often stays the same: early cutoff happens.
  return `${i}:${parts.join(",").length % 3}`;
});
const listed = memo("verifyListed", async (_: null) => (await glob("*.txt")).length);
const flavour = memo("verifyFlavour", (_: null) => env("BARCHAN_VERIFY_FLAVOUR") ?? "plain");
const top = memo(
  "verifyTop",
  async (_: null) => [await node(0), await listed(null), await flavour(null)].join(" "),
);

const ROOT = "verifyTop\u0000null";

function randomShape(next: () => number): typeof shape {
  return Array.from({ length: NODES }, (_, i) => ({
    files: Array.from({ length: FILES }, (_, f) => f).filter(() => next() < 0.3),
    kids: Array.from({ length: NODES - i - 1 }, (_, k) => i + 1 + k).filter(() => next() < 0.3),
  }));
}

/**
 * How a round's build leaves the store: without a root index; with one,
 * written after every build; or with one written now and then, and a mark
 * that the root was verified after every build.
 */
let mode: "plain" | "checkpoints" | "marks" = "plain";
const roots = (id: string) => mode !== "plain" && id === ROOT;

async function buildOnce(dir: string): Promise<number> {
  executedIds.length = 0;
  // Indexed, a checkpoint after every build: the check reads the index
  // whenever nothing was recorded since under the root.
  const engine = new Engine({
    dir: join(dir, "state"),
    root: dir,
    roots,
    checkpointAfter: mode === "checkpoints" ? 0 : undefined,
  });
  try {
    await engine.run(() => top(null));
    if (mode === "marks") engine.markVerified(ROOT);
    engine.checkpoint();
    return engine.stats().get("verifyTop")?.executed === 0 &&
        [...engine.stats().values()].every((s) => s.executed === 0)
      ? 0
      : [...engine.stats().values()].reduce((n, s) => n + s.executed, 0);
  } finally {
    engine.close();
  }
}

const MODES = ["plain", "checkpoints", "marks"] as const;
for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
  Deno.test(`verifyRoot agrees with the engine over random edits (seed ${seed}, ${MODES[seed % 3]})`, async () => {
    mode = MODES[seed % 3];
    await withTempDir(async (dir) => {
      const next = prng(seed);
      shape = randomShape(next);
      for (let f = 0; f < FILES; f++) await Deno.writeTextFile(join(dir, `f${f}.txt`), `v${f}\n`);
      Deno.env.delete("BARCHAN_VERIFY_FLAVOUR");
      await buildOnce(dir);
      for (let round = 0; round < 40; round++) {
        const edit = next();
        const f = Math.floor(next() * FILES);
        const file = join(dir, `f${f}.txt`);
        if (edit < 0.3) await Deno.writeTextFile(file, `v${round}x${f}\n`);
        else if (edit < 0.45) await Deno.writeTextFile(file, await Deno.readTextFile(file)); // touch
        else if (edit < 0.5) await Deno.writeTextFile(join(dir, `extra${round}.txt`), "");
        else if (edit < 0.55) Deno.env.set("BARCHAN_VERIFY_FLAVOUR", `r${round}`);
        // Otherwise nothing changes.

        const store = new Store(join(dir, "state"), (w) => {
          throw new Error(w);
        }, { lazy: true, roots });
        const verdict = verifyRoot(store, ROOT, dir);
        store.close();
        const executed = await buildOnce(dir);
        assert.equal(
          verdict.upToDate,
          executed === 0,
          `round ${round}: verdict ${verdict.upToDate}, engine executed ${executed}`,
        );
        for (const i of executedIds) {
          assert.ok(
            !verdict.clean.has(`verifyNode\u0000${i}`),
            `round ${round}: clean node ${i} executed`,
          );
        }
      }
    });
  });
}

Deno.test("verifyRoot keeps touched files' new stat fields, and gives up on an unknown root", async () => {
  await withTempDir(async (dir) => {
    shape = [
      { files: [0], kids: [] },
      ...Array.from({ length: NODES - 1 }, () => ({ files: [], kids: [] })),
    ];
    await Deno.writeTextFile(join(dir, "f0.txt"), "same\n");
    await buildOnce(dir);

    await Deno.writeTextFile(join(dir, "f0.txt"), "same\n");
    const store = new Store(join(dir, "state"), () => {}, { lazy: true });
    const verdict = verifyRoot(store, ROOT, dir);
    assert.equal(verdict.upToDate, true);
    assert.deepEqual(verdict.refreshed.map((r) => r.id), ["f\u0000f0.txt"]);
    assert.equal(verifyRoot(store, 'verifyTop\u0000"other"', dir).upToDate, false);
    store.close();
  });
});
