import assert from "node:assert/strict";
import { processStartTime, Scheduler, stopLeftover } from "../../fiber/mod.ts";
import { assertNoProcess, awaitProcesses, statusWithin, uniqueSleep } from "./_processes.ts";

Deno.test("stopLeftover() stops a process named by pid and start time, with what it started", async () => {
  const marker = uniqueSleep();
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", `sleep ${marker} & wait`],
    stdout: "null",
  }).spawn();
  await awaitProcesses(`sleep ${marker}`, 1);
  const start = processStartTime(child.pid);
  assert.ok(start !== undefined);
  assert.equal(await stopLeftover(child.pid, String(Number(start) + 1)), false, "another start");
  assert.equal(await stopLeftover(child.pid, start), true);
  assert.equal((await statusWithin(child)).signal, "SIGTERM");
  await assertNoProcess(`sleep ${marker}`);
  assert.equal(processStartTime(child.pid), undefined);
  assert.equal(await stopLeftover(child.pid, start), false, "gone");
});

Deno.test("a scheduler tells its process observer each spawned pid and label", async () => {
  const scheduler = new Scheduler({ jobs: 2 });
  const seen: [number, string | undefined][] = [];
  const stop = scheduler.observeProcesses({
    spawned: (pid, label) => void seen.push([pid, label]),
  });
  await Promise.all([
    scheduler.spawn("true", [], { label: "a" }),
    scheduler.spawn("true", [], { label: "b" }),
  ]);
  stop();
  await scheduler.spawn("true", []);
  assert.deepEqual(seen.map(([, label]) => label).sort(), ["a", "b"]);
  assert.ok(seen.every(([pid]) => pid > 0));
});
