import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine, memo, readDir, readText, Var } from "../../../memo/mod.ts";
import { executed, runScript, totalExecuted, withTempDir } from "../_util.ts";
import { prng } from "../../_prng.ts";
import { checksumOf } from "../../../memo/persist/checksum.ts";

/** Bytes before each frame's payload: its length and its checksum. */
const FRAME_HEAD = 8;

// ---- across processes -------------------------------------------------------

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(root, name), text);
  }
}

Deno.test("a second process with unchanged inputs executes no body", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store");
    const root = join(dir, "root");
    await Deno.mkdir(root);
    await writeFiles(root, { "a.txt": "1\n2\n3", "b.txt": "1", "c.md": "ignored" });
    const first = await runScript("persist_script.ts", [store, root]);
    const expected = { files: ["a.txt", "b.txt"], counts: [3, 1], flavour: "none", mode: "normal" };
    assert.deepEqual(first.result, expected);
    assert.equal(totalExecuted(first), 5);
    const second = await runScript("persist_script.ts", [store, root]);
    assert.deepEqual(second.result, expected);
    assert.equal(totalExecuted(second), 0, JSON.stringify(second.stats));
    assert.deepEqual(second.warnings, []);
  });
});

Deno.test("a later process re-executes only what read a changed file, listing, var or env", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store");
    const root = join(dir, "root");
    await Deno.mkdir(root);
    await writeFiles(root, { "a.txt": "1\n2\n3", "b.txt": "1" });
    await runScript("persist_script.ts", [store, root]);
    const ran = (report: Awaited<ReturnType<typeof runScript>>) =>
      Object.entries(report.stats).filter(([, s]) => s.executed > 0).map(([n, s]) =>
        `${n}:${s.executed}`
      ).sort();

    await writeFiles(root, { "a.txt": "1\n2" });
    const edited = await runScript("persist_script.ts", [store, root]);
    assert.deepEqual(edited.result, {
      files: ["a.txt", "b.txt"],
      counts: [2, 1],
      flavour: "none",
      mode: "normal",
    });
    assert.deepEqual(ran(edited), ["persistLines:1", "persistSummary:1"]);

    await writeFiles(root, { "c.txt": "x\ny" });
    const added = await runScript("persist_script.ts", [store, root]);
    assert.deepEqual(added.result, {
      files: ["a.txt", "b.txt", "c.txt"],
      counts: [2, 1, 2],
      flavour: "none",
      mode: "normal",
    });
    assert.deepEqual(ran(added), ["persistFiles:1", "persistLines:1", "persistSummary:1"]);

    const flavoured = await runScript("persist_script.ts", [store, root], {
      BARCHAN_PERSIST_FLAVOUR: "sour",
    });
    assert.equal((flavoured.result as { flavour: string }).flavour, "sour");
    assert.deepEqual(ran(flavoured), ["persistFlavour:1", "persistSummary:1"]);
    const sameFlavour = await runScript("persist_script.ts", [store, root], {
      BARCHAN_PERSIST_FLAVOUR: "sour",
    });
    assert.deepEqual(ran(sameFlavour), []);
    const unflavoured = await runScript("persist_script.ts", [store, root]);
    assert.equal((unflavoured.result as { flavour: string }).flavour, "none");
    assert.deepEqual(ran(unflavoured), ["persistFlavour:1", "persistSummary:1"]);

    const moded = await runScript("persist_script.ts", [store, root, "strict"]);
    assert.equal((moded.result as { mode: string }).mode, "strict");
    assert.deepEqual(ran(moded), ["persistSummary:1"]);

    await Deno.remove(join(root, "b.txt"));
    const removed = await runScript("persist_script.ts", [store, root, "strict"]);
    assert.deepEqual((removed.result as { files: string[] }).files, ["a.txt", "c.txt"]);
    assert.deepEqual(ran(removed), ["persistFiles:1", "persistSummary:1"]);
  });
});

Deno.test("editing a memo function's body never serves results of the old body", async () => {
  await withTempDir(async (store) => {
    const before = ["HELLO ADA", "hello bob"];
    const after = ["GOODBYE ADA", "goodbye bob"];
    const runs: [string, string[], number][] = [
      ["edit_before.ts", before, 3],
      ["edit_before.ts", before, 0],
      ["edit_after.ts", after, 3],
      ["edit_before.ts", before, 3],
      ["edit_after.ts", after, 3],
      ["edit_after.ts", after, 0],
    ];
    for (const [script, expected, bodies] of runs) {
      const report = await runScript(script, [store]);
      assert.deepEqual(report.result, expected, script);
      assert.equal(totalExecuted(report), bodies, `${script}: ${JSON.stringify(report.stats)}`);
    }
  });
});

Deno.test("a body edited to give the same values stops there in a later process", async () => {
  await withTempDir(async (store) => {
    await runScript("edit_before.ts", [store]);
    const same = await runScript("edit_same.ts", [store]);
    assert.deepEqual(same.result, ["HELLO ADA", "hello bob"]);
    assert.equal(same.stats.editGreeting.executed, 2, "the edited body ran");
    assert.equal(same.stats.editGreeting.cutoff, 2);
    assert.equal(same.stats.editShout?.executed ?? 0, 0, "its dependent did not");
  });
});

Deno.test("bumping a memo function's version re-executes it in a later process", async () => {
  await withTempDir(async (store) => {
    await runScript("edit_before.ts", [store, "1"]);
    const same = await runScript("edit_before.ts", [store, "1"]);
    assert.equal(totalExecuted(same), 0);
    const bumped = await runScript("edit_before.ts", [store, "2"]);
    assert.deepEqual(bumped.result, ["HELLO ADA", "hello bob"]);
    assert.equal(bumped.stats.editGreeting.executed, 2);
  });
});

// ---- a damaged store --------------------------------------------------------

const HEADER = 12;
const stage = new Var("persistStage", 0);
const fileText = memo("persistFileText", (path: string) => readText(path));
const combined = memo("persistCombined", async (paths: string[]) => {
  const texts = await Promise.all(paths.map((p) => fileText(p)));
  return `${texts.join("+")}@${stage.get()}`;
});
const inputs = ["a.txt", "b.txt", "c.txt"];

/** The result `combined(inputs)` must have for the files and stage as they are now. */
async function expectedNow(root: string): Promise<string> {
  const texts = await Promise.all(inputs.map((p) => Deno.readTextFile(join(root, p))));
  return `${texts.join("+")}@${stage.get()}`;
}

/** Writes stage `n` of the inputs: every stage changes some files and the var. */
async function setStage(root: string, n: number): Promise<void> {
  for (const [i, name] of inputs.entries()) {
    if ((n + i) % 2 === 0 || n === 0) await Deno.writeTextFile(join(root, name), `${name}${n}`);
  }
  stage.set(n);
}

/**
 * Builds a store of several frames, one per evaluated stage, then moves the
 * inputs to a stage no frame has seen, so that every prefix of the log is out
 * of date. Returns the log's bytes and where each frame ends.
 */
async function staleLog(dir: string): Promise<{ bytes: Uint8Array; boundaries: number[] }> {
  const root = join(dir, "root");
  const store = join(dir, "template");
  await Deno.mkdir(root, { recursive: true });
  for (let n = 0; n < 4; n++) {
    await setStage(root, n);
    const engine = new Engine({ root, dir: store });
    assert.equal(await engine.run(() => combined(inputs)), await expectedNow(root));
    engine.close();
  }
  await setStage(root, 4);
  const bytes = await Deno.readFile(join(store, "memo.log"));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boundaries = [HEADER];
  for (let at = HEADER; at < bytes.length;) {
    at += FRAME_HEAD + view.getUint32(at, true);
    boundaries.push(at);
  }
  assert.equal(boundaries.at(-1), bytes.length);
  assert.ok(boundaries.length >= 5, "one frame per stage");
  return { bytes, boundaries };
}

/**
 * Opens an engine on a store holding `bytes`, checks that the result is the
 * correct one, and returns the warnings. Then checks that the store was
 * repaired: a second engine gets no warning and executes nothing.
 */
async function openDamaged(dir: string, bytes: Uint8Array, name: string): Promise<string[]> {
  const root = join(dir, "root");
  const store = join(dir, name);
  await Deno.mkdir(store);
  await Deno.writeFile(join(store, "memo.log"), bytes);
  const warnings: string[] = [];
  const engine = new Engine({ root, dir: store, onWarning: (w) => warnings.push(w) });
  assert.equal(await engine.run(() => combined(inputs)), await expectedNow(root), name);
  engine.close();
  for (const warning of warnings) {
    assert.ok(!warning.includes("\n"), `one line: ${warning}`);
    assert.ok(warning.includes(join(store, "memo.log")), `names the store: ${warning}`);
  }
  const again: string[] = [];
  const repaired = new Engine({ root, dir: store, onWarning: (w) => again.push(w) });
  assert.equal(await repaired.run(() => combined(inputs)), await expectedNow(root), name);
  repaired.close();
  assert.deepEqual(again, [], `${name}: repaired on first open`);
  assert.equal(executed(repaired, "persistCombined") + executed(repaired, "persistFileText"), 0);
  return warnings;
}

Deno.test("a store truncated at any byte is recovered with correct results", async () => {
  await withTempDir(async (dir) => {
    const { bytes, boundaries } = await staleLog(dir);
    const random = prng(20240611);
    const offsets = new Set<number>([1, HEADER - 1, HEADER + 1, ...boundaries.slice(0, -1)]);
    while (offsets.size < boundaries.length + 3 + 12) {
      offsets.add(1 + Math.floor(random() * (bytes.length - 1)));
    }
    for (const offset of offsets) {
      const warnings = await openDamaged(dir, bytes.slice(0, offset), `cut-${offset}`);
      const atBoundary = boundaries.includes(offset);
      assert.equal(warnings.length, atBoundary ? 0 : 1, `offset ${offset}: ${warnings}`);
      if (offset < HEADER) assert.match(warnings[0], /damaged at its start; starting afresh$/);
      else if (!atBoundary) assert.match(warnings[0], /incomplete record .* dropped its last/);
    }
  });
});

Deno.test("a store with a corrupted byte is reported in one line and never gives a wrong result", async () => {
  await withTempDir(async (dir) => {
    const { bytes, boundaries } = await staleLog(dir);
    const middleFrame = Math.floor(boundaries.length / 2) - 1;
    const payloadByte = Math.floor(
      (boundaries[middleFrame] + FRAME_HEAD + boundaries[middleFrame + 1]) / 2,
    );
    const random = prng(7);
    const offsets = new Set<number>([payloadByte]);
    while (offsets.size < 12) offsets.add(Math.floor(random() * bytes.length));
    for (const offset of offsets) {
      const damaged = bytes.slice();
      damaged[offset] ^= 0x5a;
      const warnings = await openDamaged(dir, damaged, `flip-${offset}`);
      assert.equal(warnings.length, 1, `offset ${offset}: ${warnings}`);
      if (offset === payloadByte) {
        assert.match(warnings[0], /is corrupted at byte \d+; starting afresh$/);
      }
    }
  });
});

/** The log with the first record line of its last frame rewritten by `edit`, checksum made right. */
function withRecordEdited(
  bytes: Uint8Array,
  boundaries: number[],
  edit: (line: string) => string,
): Uint8Array {
  const frameStart = boundaries.at(-2)!;
  const text = new TextDecoder().decode(bytes.subarray(frameStart + FRAME_HEAD));
  const lines = text.split("\n");
  lines[1] = edit(lines[1]);
  const payload = new TextEncoder().encode(lines.join("\n"));
  const out = new Uint8Array(frameStart + FRAME_HEAD + payload.length);
  out.set(bytes.subarray(0, frameStart));
  const view = new DataView(out.buffer);
  view.setUint32(frameStart, payload.length, true);
  view.setUint32(frameStart + 4, checksumOf(payload), true);
  out.set(payload, frameStart + FRAME_HEAD);
  return out;
}

Deno.test("a record is decoded when taken: one that does not decode is computed again", async () => {
  await withTempDir(async (dir) => {
    const { bytes, boundaries } = await staleLog(dir);
    // Shaped as a record ("[kind,id,"), but not JSON: found on load, lost when taken.
    const broken = withRecordEdited(bytes, boundaries, (line) => line + "}");
    assert.deepEqual(await openDamaged(dir, broken, "undecodable"), []);
    // Not shaped as a record at all: the frame is reported as corrupted.
    const shapeless = withRecordEdited(bytes, boundaries, (line) => "x" + line);
    const warnings = await openDamaged(dir, shapeless, "shapeless");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /is corrupted in a record of its frame \d+; starting afresh$/);
  });
});

Deno.test("a store of another format version or no store at all is discarded with a warning", async () => {
  await withTempDir(async (dir) => {
    const { bytes } = await staleLog(dir);
    for (const version of [9, 11]) {
      const old = bytes.slice();
      new DataView(old.buffer).setUint32(8, version, true);
      const warnings = await openDamaged(dir, old, `version-${version}`);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], new RegExp(`has format ${version}, this version reads 10`));
    }
    const text = new TextEncoder().encode("this is not a store, just some text\n");
    const warnings = await openDamaged(dir, text, "text");
    assert.match(warnings[0], /is not a barchan store/);
  });
});

const readRelative = memo("persistReadRelative", (name: string) => readText(name));
const listRelative = memo(
  "persistListRelative",
  async (name: string) => (await readDir(name)).sort(),
);

Deno.test("a store moved along with its root reads the new place's files", async () => {
  await withTempDir(async (dir) => {
    const [first, second] = [join(dir, "first"), join(dir, "second")];
    const outside = join(dir, "outside.txt");
    await Deno.writeTextFile(outside, "outside");
    for (const root of [first, second]) {
      await Deno.mkdir(root);
      await Deno.writeTextFile(join(root, "a.txt"), "same");
      await Deno.writeTextFile(join(root, "b.txt"), root);
    }
    const warnings: string[] = [];
    const open = (root: string) =>
      new Engine({ dir: join(root, "store"), root, onWarning: (m) => warnings.push(m) });
    const all = async () => [
      ...await Promise.all(["a.txt", "b.txt", outside].map((p) => readRelative(p))),
      ...await listRelative("."),
    ];
    const before = open(first);
    assert.deepEqual(await before.run(all), ["same", first, "outside", "a.txt", "b.txt", "store/"]);
    before.close();
    await Deno.mkdir(join(second, "store"));
    await Deno.copyFile(join(first, "store", "memo.log"), join(second, "store", "memo.log"));
    await Deno.writeTextFile(join(second, "c.txt"), "new here");
    const moved = open(second);
    assert.deepEqual(await moved.run(all), [
      "same",
      second,
      "outside",
      ...["a.txt", "b.txt", "c.txt", "store/"],
    ]);
    // Only what differs at the new place is read again: b.txt and the
    // listing; a.txt and the file outside the root keep their records.
    assert.equal(executed(moved, "persistReadRelative"), 1);
    assert.equal(executed(moved, "persistListRelative"), 1);
    moved.close();
    assert.deepEqual(warnings, []);
  });
});

// ---- what is kept -----------------------------------------------------------

const keptInput = new Var("persistKeptInput", 3);
const kept = memo("persistKept", (_: null) => keptInput.get() * 2);
const notKept = memo("persistNotKept", (_: null) => keptInput.get() * 3, { persist: false });
const asMap = memo("persistAsMap", (_: null) => new Map([["n", keptInput.get()]]), {
  persist: { encode: (m) => [...m], decode: (d) => new Map(d as [string, number][]) },
});
const mapWithoutCodec = memo("persistMapNoCodec", (_: null) => new Map([["n", keptInput.get()]]));

Deno.test("persist: false, codecs and values that are not JSON data", async () => {
  await withTempDir(async (store) => {
    const all = () => Promise.all([kept(null), notKept(null), asMap(null), mapWithoutCodec(null)]);
    const expected = [6, 9, new Map([["n", 3]]), new Map([["n", 3]])];
    const first = new Engine({ dir: store });
    assert.deepEqual(await first.run(all), expected);
    first.close();
    const second = new Engine({ dir: store });
    assert.deepEqual(await second.run(all), expected);
    second.close();
    assert.equal(executed(second, "persistKept"), 0);
    assert.equal(executed(second, "persistAsMap"), 0, "decoded by the codec");
    assert.equal(executed(second, "persistNotKept"), 1, "persist: false is never stored");
    assert.equal(executed(second, "persistMapNoCodec"), 1, "not JSON data: memory only");
  });
});

Deno.test("a second engine on a store in use is refused with a clear error", async () => {
  await withTempDir((store) => {
    const first = new Engine({ dir: store });
    try {
      assert.throws(() => new Engine({ dir: store }), /The store in .* is in use/);
    } finally {
      first.close();
    }
    new Engine({ dir: store }).close();
  });
});

const shouted: string[] = [];
const shout = memo("persistShoutAll", (word: string) => {
  shouted.push(word);
  return word.toUpperCase();
});

Deno.test("lastValues gives every stored call's last value without executing any body", async () => {
  await withTempDir(async (dir) => {
    const first = new Engine({ dir, root: dir });
    await first.run(() => Promise.all([shout("dune"), shout("erg")]));
    first.close();
    const second = new Engine({ dir, root: dir });
    const values = second.lastValues("persistShoutAll").sort();
    second.close();
    assert.deepEqual(values, [["dune", "DUNE"], ["erg", "ERG"]]);
    assert.deepEqual(shouted, ["dune", "erg"], "executed once each, by the first engine");
    assert.deepEqual(new Engine().lastValues("persistNoSuchFunction"), []);
  });
});
