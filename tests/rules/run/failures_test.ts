// Failures: the build goes on with everything that does not depend on a
// failed rule, and reports every failure with its command, exit code and
// output; a missing program is reported without spawning anything; the
// output of each action reaches the reporter whole.

import assert from "node:assert/strict";
import { Scheduler } from "../../../fiber/scheduler.ts";
import type { JobEvent } from "../../../fiber/job_event.ts";
import { build } from "../../../mod.ts";
import { buildIn, IMPORT, readMaybe, recorder, withProject } from "../_util.ts";

Deno.test("a failed rule does not stop independent work, and every failure is reported", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "bad1.txt", action: sh("echo first problem; echo details >&2; exit 3") });
rule({ targets: "bad2.txt", action: run("sh", "-c", "echo second problem; exit 7") });
rule({ targets: "after-bad.txt", deps: ["bad1.txt"], action: sh("cp bad1.txt after-bad.txt") });
for (let i = 0; i < 5; i++) {
  rule({ targets: "good" + i + ".txt", action: sh("sleep 0.0" + i + "; echo " + i + " > good" + i + ".txt") });
}
`,
  }, async (root) => {
    const result = await buildIn(root, [], 2);
    assert.equal(result.ok, false);
    for (let i = 0; i < 5; i++) assert.equal(await readMaybe(root, `good${i}.txt`), `${i}\n`);
    assert.equal(await readMaybe(root, "after-bad.txt"), undefined);
    assert.ok(!result.started.some((e) => e.rule === "after-bad.txt"));

    const byRule = new Map(result.failed.map((f) => [f.rule, f]));
    assert.deepEqual([...byRule.keys()].sort(), ["bad1.txt", "bad2.txt"], "each failure once");
    const bad1 = byRule.get("bad1.txt")!;
    assert.equal(
      bad1.message,
      "command exited with code 3: sh -c echo first problem; echo details >&2; exit 3 " +
        "(rule bad1.txt, build.ts:3)",
    );
    assert.equal(bad1.output, "first problem\ndetails\n");
    const bad2 = byRule.get("bad2.txt")!;
    assert.match(bad2.message, /^command exited with code 7: sh -c echo second problem; exit 7/);
    assert.equal(bad2.output, "second problem\n");
  });
});

Deno.test("a rule whose dependency failed is not reported as run", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "bad.txt", action: sh("exit 1") });
rule({ targets: "after.txt", deps: ["bad.txt"], action: sh("cp bad.txt after.txt") });
`,
  }, async (root) => {
    const result = await buildIn(root, ["after.txt"]);
    assert.equal(result.ok, false);
    assert.deepEqual(result.ranIds, ["bad.txt"]);
  });
});

Deno.test("the failure of a function action carries its message and the output so far", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", action: async (ctx) => {
  await ctx.sh("echo checking");
  throw new Error("the checksum does not match");
} });
`,
  }, async (root) => {
    const result = await buildIn(root);
    assert.deepEqual(result.failed, [{
      rule: "out.txt",
      message: "the checksum does not match (rule out.txt, build.ts:3)",
      output: "checking\n",
    }]);
  });
});

Deno.test("a missing program is reported with its rule and line, and nothing is spawned for it", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "ok.txt", action: run("touch", "ok.txt") });
rule({ targets: "app.o", action: run("nosuchcc", "-c", "app.c", "-o", "app.o") });
rule({ targets: "lib.o", action: async (ctx) => { await ctx.run("nosuchcc", ["-c", "lib.c"]); } });
`,
  }, async (root) => {
    const events: JobEvent[] = [];
    const scheduler = new Scheduler({ jobs: 2, onEvent: (e) => events.push(e) });
    const result = await build({ root, targets: [], scheduler, reporter: recorder() });
    assert.equal(result.ok, false);
    assert.deepEqual(result.failed.map((f) => f.message).sort(), [
      "program not found: nosuchcc (rule app.o, build.ts:4)",
      "program not found: nosuchcc (rule lib.o, build.ts:5)",
    ]);
    assert.deepEqual(events.map((e) => `${e.kind} ${e.label}`), [
      "queued ok.txt",
      "started ok.txt",
      "finished ok.txt",
    ]);
  });
});

Deno.test("the reporter receives the whole output of each action, not interleaved", async () => {
  const script = (name: string) =>
    `for i in 1 2 3 4; do echo ${name}$i; sleep 0.03; done; echo ${name}err >&2; touch ${name}.done`;
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "x.done", action: sh(${JSON.stringify(script("x"))}) });
rule({ targets: "y.done", action: sh(${JSON.stringify(script("y"))}) });
`,
  }, async (root) => {
    const result = await buildIn(root, [], 2);
    assert.equal(result.ok, true);
    const outputs = Object.fromEntries(result.finished.map((e) => [e.rule, e.output]));
    assert.deepEqual(outputs, {
      "x.done": "x1\nx2\nx3\nx4\nxerr\n",
      "y.done": "y1\ny2\ny3\ny4\nyerr\n",
    });
    assert.equal(result.finished.length, 2, "one event per action");
  });
});

Deno.test("a rule with an empty output reports an empty string", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "q.txt", action: sh("touch q.txt") });
`,
  }, async (root) => {
    const result = await buildIn(root);
    assert.equal(result.finished[0].output, "");
    assert.equal(result.finished[0].error, undefined);
  });
});
