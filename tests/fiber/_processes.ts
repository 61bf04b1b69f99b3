// Finding the processes a test started, by a `sleep` duration of their own.
import assert from "node:assert/strict";

/** A `sleep` duration no other process on the machine uses, to find ours with pgrep. */
export function uniqueSleep(): string {
  return `100.${Math.floor(Math.random() * 1e9)}`;
}

/** The pids of processes whose command line matches `pattern`. */
export async function pgrep(pattern: string): Promise<string[]> {
  const { stdout } = await new Deno.Command("pgrep", { args: ["-f", pattern] }).output();
  return new TextDecoder().decode(stdout).split("\n").filter((line) => line !== "");
}

/** Waits until no process matches `pattern`; fails after a generous bound. */
export async function assertNoProcess(pattern: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  let found = await pgrep(pattern);
  while (found.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    found = await pgrep(pattern);
  }
  assert.deepEqual(found, [], `processes still running: ${pattern}`);
}

/** Waits until `count` processes match `pattern`; fails after a generous bound. */
export async function awaitProcesses(pattern: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  let found = await pgrep(pattern);
  while (found.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    found = await pgrep(pattern);
  }
  assert.ok(found.length >= count, `${found.length} of ${count} processes started: ${pattern}`);
  return found;
}

/**
 * The child's exit status, or a failure after a generous bound (the child is
 * then killed), so that a child left stopped fails the test instead of
 * hanging it.
 */
export async function statusWithin(child: Deno.ChildProcess): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    child.status,
    new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), 5_000)),
  ]);
  clearTimeout(timer);
  if (status !== undefined) return status;
  child.kill("SIGKILL");
  await child.status;
  assert.fail(`process ${child.pid} did not exit within 5 s`);
}
