import assert from "node:assert/strict";
import { Replay } from "../../../rules/command/replay.ts";
import type { Step } from "../../../rules/command/steps.ts";

const FINAL = { "a.txt": "fa2 sa2/1", "b.txt": "fb sb/1" };
// Last run: c1 wrote a.txt, w wrote b.txt, c2 rewrote a.txt.
const STEPS: Step[] = [
  { k: "c1", x: ["", ""], o: { "a.txt": "fa1 sa1/1" } },
  { w: "b.txt", d: "fb", o: { "a.txt": "fa1 sa1/1", "b.txt": "fb sb/1" } },
  { k: "c2", x: ["out", ""] },
];

Deno.test("a replay that matches every step completes with the final state", () => {
  const replay = new Replay(STEPS, FINAL);
  assert.ok(replay.command("c1"));
  assert.ok(replay.write("b.txt", "fb"));
  assert.deepEqual(replay.command("c2")?.x, ["out", ""]);
  assert.equal(replay.complete, true);
  assert.deepEqual(replay.state, FINAL);
});

Deno.test("a replay diverging before a target is written goes on after deleting it", () => {
  const replay = new Replay(
    [{ k: "c1", x: ["", ""], o: { "a.txt": "fa sa/1" } }, { k: "c2", x: ["", ""] }],
    { "a.txt": "fa sa/1", "b.txt": "fb sb/1" },
  );
  assert.ok(replay.command("c1"));
  assert.equal(replay.command("other"), undefined);
  assert.deepEqual(replay.diverge(), { remove: ["b.txt"] });
});

Deno.test("a replay diverging where a later step changed a target must start again", () => {
  const replay = new Replay(STEPS, FINAL);
  assert.ok(replay.command("c1"));
  assert.equal(replay.write("b.txt", "other"), false);
  assert.equal(replay.diverge(), null);
});

Deno.test("a command whose output was too long to keep is not replayed", () => {
  const replay = new Replay([{ k: "c1" }], { "a.txt": "f s/1" });
  assert.equal(replay.command("c1"), undefined);
  assert.deepEqual(replay.diverge(), { remove: ["a.txt"] });
});

Deno.test("steps matched so far keep their states when the replay goes on live", () => {
  const replay = new Replay(STEPS, FINAL);
  replay.command("c1");
  replay.write("b.txt", "fb");
  replay.command("c2");
  const matched = replay.matched;
  assert.equal(matched.length, 3);
  assert.deepEqual(matched[2].o, FINAL, "the last step gets the final state");
});
