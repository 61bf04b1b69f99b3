import assert from "node:assert/strict";
import { childCommand, type ChildMode, stopperOf } from "../../fiber/_child_process.ts";
import { assertNoProcess, awaitProcesses, statusWithin, uniqueSleep } from "./_processes.ts";

/** The process group and session of `pid`, from /proc. */
function groupAndSession(pid: number): [number, number] {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [Number(fields[2]), Number(fields[3])];
}

Deno.test("childCommand() in tree mode runs the program itself, in barchan's process group", async () => {
  const child = childCommand("/bin/sh", ["-c", "echo $$; ps -o pgid=,sid= -p $$"], {
    stdout: "piped",
  }, "tree").spawn();
  const [pid, ids] = new TextDecoder().decode((await child.output()).stdout).split("\n");
  assert.equal(Number(pid), child.pid);
  assert.deepEqual(ids!.trim().split(/\s+/).map(Number), groupAndSession(Deno.pid));
});

for (const mode of ["setsid", "detached"] as const) {
  Deno.test(`childCommand() in ${mode} mode makes the program lead its own session`, async () => {
    const command = childCommand("/bin/sh", ["-c", "echo $$; ps -o pgid=,sid= -p $$"], {
      stdout: "piped",
    }, mode);
    const child = command.spawn();
    const [pid, ids] = new TextDecoder().decode((await child.output()).stdout).split("\n");
    assert.equal(Number(pid), child.pid);
    assert.deepEqual(ids!.trim().split(/\s+/).map(Number), [child.pid, child.pid]);
  });
}

for (const mode of ["tree", "setsid", "detached"] as ChildMode[]) {
  Deno.test(`stopperOf() in ${mode} mode reaches the program's own children`, async () => {
    const marker = uniqueSleep();
    const child = childCommand("/bin/sh", ["-c", `echo up; sleep ${marker}; true`], {
      stdout: "piped",
    }, mode).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    await awaitProcesses(`sleep ${marker}`, 1);
    stopperOf(child, mode).signal("SIGKILL", true);
    assert.equal((await statusWithin(child)).signal, "SIGKILL");
    reader.releaseLock();
    await child.stdout.cancel();
    await assertNoProcess(`sleep ${marker}`);
  });
}
