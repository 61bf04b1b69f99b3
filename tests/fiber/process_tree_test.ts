import assert from "node:assert/strict";
import { ProcessTree } from "../../fiber/_process_tree.ts";
import { assertNoProcess, awaitProcesses, pgrep, statusWithin, uniqueSleep } from "./_processes.ts";

function spawnShell(script: string): Deno.ChildProcess {
  return new Deno.Command("/bin/sh", { args: ["-c", script], stdout: "null" }).spawn();
}

Deno.test("ProcessTree.signal() reaches descendants three levels down", async () => {
  const deep = uniqueSleep();
  const near = uniqueSleep();
  const child = spawnShell(`sh -c 'sh -c "sleep ${deep}; true"; true' & sleep ${near} & wait`);
  await awaitProcesses(`sleep ${deep}`, 1);
  await awaitProcesses(`sleep ${near}`, 1);
  new ProcessTree(child.pid).signal("SIGTERM", true);
  assert.equal((await statusWithin(child)).signal, "SIGTERM");
  await assertNoProcess(`sleep ${deep}`);
  await assertNoProcess(`sleep ${near}`);
});

Deno.test("ProcessTree.signal() stops a tree that keeps starting processes", async () => {
  const marker = uniqueSleep();
  // The loop starts children while the tree is being signalled.
  const child = spawnShell(`while :; do sleep ${marker} & done`);
  await awaitProcesses(`sleep ${marker}`, 20);
  new ProcessTree(child.pid).signal("SIGKILL", true);
  assert.equal((await statusWithin(child)).signal, "SIGKILL");
  await assertNoProcess(`sleep ${marker}`);
});

Deno.test("ProcessTree.signal() reaches a remembered descendant after the root is reaped", async () => {
  const marker = uniqueSleep();
  // The subshell and its sleep ignore SIGTERM; the shell itself dies of it.
  const child = spawnShell(`(trap '' TERM; sleep ${marker}) & wait`);
  await awaitProcesses(`sleep ${marker}`, 1);
  const tree = new ProcessTree(child.pid);
  tree.signal("SIGTERM", true);
  assert.equal((await statusWithin(child)).signal, "SIGTERM");
  // Orphaned now, and still running: its parent is no longer the root.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal((await pgrep(`sleep ${marker}`)).length, 1);
  tree.signal("SIGKILL", false);
  await assertNoProcess(`sleep ${marker}`);
});

Deno.test("ProcessTree.signal() leaves other processes alone, and continues what it stopped", async () => {
  const inside = uniqueSleep();
  const outside = uniqueSleep();
  const other = spawnShell(`sleep ${outside}`);
  const child = spawnShell(`trap 'echo' USR1; sleep ${inside} & wait; wait`);
  await awaitProcesses(`sleep ${inside}`, 1);
  await awaitProcesses(`sleep ${outside}`, 1);
  // SIGUSR1 is handled by the shell and ignored by nobody: the shell must
  // run again to handle it, and sleep dies of it.
  new ProcessTree(child.pid).signal("SIGUSR1", true);
  await assertNoProcess(`sleep ${inside}`);
  const status = await statusWithin(child);
  assert.equal(status.success, true, "the shell handled the signal and went on");
  const [pid] = await pgrep(`sleep ${outside}`);
  const state = Deno.readTextFileSync(`/proc/${pid}/stat`);
  assert.equal(state.slice(state.lastIndexOf(")") + 2)[0], "S", "the other sleep still sleeps");
  other.kill("SIGKILL");
  await other.status;
});
