// Commands a build killed with SIGKILL left running are stopped by the next
// build before it starts, so that none of them overwrites a target after it
// said Done; a process is stopped only when the record names it by pid and
// start time, in a line whose checksum holds.

import assert from "node:assert/strict";
import { join } from "node:path";
import { lineSum } from "../../../rules/run/_line_sum.ts";
import { processStartTime } from "../../../fiber/mod.ts";
import { assertNoProcess, awaitProcesses, pgrep } from "../../fiber/_processes.ts";
import { CLI, cli, IMPORT, NO_SERVER, readMaybe, withProject } from "../_util.ts";
import { ownCacheEnv } from "../../_own_cache.ts";

const RUNNING = "_build/.barchan/running.log";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("the next build stops a command a killed build left running, and nothing overwrites its target after Done", async () => {
  // A sleep of its own, found by its command line.
  const seconds = `2.${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", action: sh("sleep ${seconds}; echo late > out.txt") });
`,
  }, async (root) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", CLI, "build"],
      cwd: root,
      env: { ...NO_SERVER, ...ownCacheEnv() },
      stdout: "null",
      stderr: "null",
    }).spawn();
    await awaitProcesses(`sleep ${seconds}`, 1);
    const killedAt = performance.now();
    child.kill("SIGKILL");
    await child.status;
    assert.match(await Deno.readTextFile(join(root, RUNNING)), /\t"out\.txt"\t[0-9a-f]{8}$/m);

    await Deno.writeTextFile(
      join(root, "build.ts"),
      IMPORT + `rule({ targets: "out.txt", action: write("out.txt", "new\\n") });\n`,
    );
    const next = await cli(root, "build");
    assert.equal(next.code, 0, next.stderr);
    assert.match(
      next.stderr,
      /^Stopped 1 command that a build which did not end left running: out\.txt \(pid \d+\)$/m,
    );
    assert.match(next.stderr, /Done: 1 action ran/);
    assert.equal(await readMaybe(root, "out.txt"), "new\n");
    await assertNoProcess(`sleep ${seconds}`);
    // Past the moment the leftover command would have written its target.
    await delay(Math.max(0, Number(seconds) * 1000 + 500 - (performance.now() - killedAt)));
    assert.equal(await readMaybe(root, "out.txt"), "new\n");
    assert.equal(await readMaybe(root, RUNNING), undefined, "the record is gone");
  });
});

Deno.test("a process is stopped only when its line's checksum holds and its start time is the one recorded", async () => {
  const seconds = `100.${Math.floor(Math.random() * 1e9)}`;
  await withProject({
    "build.ts": IMPORT + `rule({ targets: "a.txt", action: write("a.txt", "a") });\n`,
  }, async (root) => {
    const bystanders = [0, 1, 2].map(() =>
      new Deno.Command("sleep", { args: [seconds], stdout: "null" }).spawn()
    );
    try {
      await awaitProcesses(`sleep ${seconds}`, 3);
      const [reused, damaged, recorded] = bystanders.map((p) => p.pid);
      const line = (fields: string[], damage = false) => {
        const body = fields.join("\t");
        const sum = lineSum(new TextEncoder().encode(body)) ^ (damage ? 1 : 0);
        return `${body}\t${(sum >>> 0).toString(16).padStart(8, "0")}\n`;
      };
      await Deno.mkdir(join(root, "_build/.barchan"), { recursive: true });
      await Deno.writeTextFile(
        join(root, RUNNING),
        "barchan running 1\n" +
          // The pid of a process that started later than the one recorded.
          line(["s", String(reused), "1", '"old"']) +
          line(["s", String(damaged), processStartTime(damaged)!, '"damaged"'], true) +
          line(["s", String(recorded), processStartTime(recorded)!, '"left"']),
      );
      const next = await cli(root, "build");
      assert.equal(next.code, 0, next.stderr);
      assert.match(next.stderr, /Stopped 1 command .*: left \(pid \d+\)/);
      assert.equal((await bystanders[2].status).signal, "SIGTERM");
      const alive = await pgrep(`sleep ${seconds}`);
      assert.deepEqual(alive.map(Number).sort(), [reused, damaged].sort());
    } finally {
      for (const p of bystanders) {
        try {
          p.kill("SIGKILL");
        } catch {
          // Already stopped.
        }
        await p.status;
      }
    }
  });
});
