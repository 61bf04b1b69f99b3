import assert from "node:assert/strict";
import { join } from "node:path";
import { build } from "../../../mod.ts";
import { CancelledError } from "../../../fiber/cancel.ts";
import { OutputLog } from "../../../rules/run/outputs.ts";

const modUrl = new URL("../../../mod.ts", import.meta.url).href;

Deno.test("cancelling build() rejects once with a CancelledError and kills its commands", async () => {
  const dir = await Deno.makeTempDir();
  const rules = Array.from(
    { length: 4 },
    (_, i) => `rule({ targets: "out${i}", action: sh("sleep 30.417; touch out${i}") });`,
  );
  await Deno.writeTextFile(
    join(dir, "build.ts"),
    `import { rule, sh } from ${JSON.stringify(modUrl)};\n${rules.join("\n")}\n`,
  );
  const controller = new AbortController();
  const started: string[] = [];
  const building = build({
    root: dir,
    jobs: 4,
    signal: controller.signal,
    reporter: { actionStarted: (e) => started.push(e.rule) },
  });
  while (started.length < 4) await new Promise((r) => setTimeout(r, 20));
  controller.abort();
  await assert.rejects(building, CancelledError);
  const left = new Deno.Command("pgrep", { args: ["-f", "sleep 30.417"] }).outputSync();
  assert.equal(new TextDecoder().decode(left.stdout).trim(), "");
});

Deno.test("a claim cut short by a crash in outputs.log is ignored", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(dir, "build.ts"),
    `import { rule, write } from ${JSON.stringify(modUrl)};\n` +
      `rule({ targets: "notes.txt.out", action: write("notes.txt.out", "built") });\n` +
      `rule({ targets: "notes.txt", action: write("notes.txt", "built") });\n`,
  );
  await Deno.writeTextFile(join(dir, "notes.txt"), "mine");
  await Deno.mkdir(join(dir, "_build/.barchan"), { recursive: true });
  // A crash while appending "c\tnotes.txt.out\tSUM\n" left its first bytes only.
  await Deno.writeTextFile(
    join(dir, "_build/.barchan/outputs.log"),
    "barchan outputs 2\nc\tnotes.txt",
  );
  const notes: string[] = [];
  const result = await build({
    root: dir,
    targets: ["notes.txt"],
    reporter: { note: (m) => void notes.push(m) },
  });
  assert.deepEqual(notes, [], "a torn last line is no damage");
  assert.equal(result.ok, false);
  assert.match(result.failed[0].message, /refusing to overwrite "notes.txt"/);
  assert.equal(await Deno.readTextFile(join(dir, "notes.txt")), "mine");
  assert.ok((await build({ root: dir, targets: ["notes.txt.out"] })).ok);
  const log = await Deno.readTextFile(join(dir, "_build/.barchan/outputs.log"));
  assert.ok(!log.includes("c\tnotes.txt\n"), "the torn claim is gone, not completed");
  const owned = new OutputLog(join(dir, "_build/.barchan"));
  assert.deepEqual(owned.paths(), ["notes.txt.out"]);
  assert.notEqual(owned.digest("notes.txt.out"), "");
});
