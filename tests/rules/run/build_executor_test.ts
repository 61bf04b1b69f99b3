// BuildExecutor's policy over the executor seam (rules/command/
// command_executor.ts), with executors made in the test: how many commands
// are remote at once, what the first failure does, and how a remote exit
// code reaches the build. Builds against a real executor are in
// tests/rules/remote/.

import assert from "node:assert/strict";
import { BuildExecutor, type RemoteCommand } from "../../../rules/run/build_executor.ts";
import {
  type CommandExecutor,
  type ExecuteOutcome,
  ExecutorError,
} from "../../../rules/command/command_executor.ts";
import { ProcessError } from "../../../fiber/mod.ts";

const OPTIONS = { executor: "grpc://127.0.0.1:8980" };

function command(stdout: Uint8Array[] = [], stderr: Uint8Array[] = []): RemoteCommand {
  return {
    spec: { program: "cc", args: ["-c", "a.c"], env: {}, cwd: "", outputs: [] },
    key: {} as RemoteCommand["key"],
    inputs: [],
    outputs: new Map(),
    stdout: (chunk) => stdout.push(chunk),
    stderr: (chunk) => stderr.push(chunk),
  };
}

function outcome(exitCode = 0, stderr = ""): ExecuteOutcome {
  return {
    exitCode,
    stdout: new Uint8Array(),
    stderr: new TextEncoder().encode(stderr),
    written: [],
    cached: false,
  };
}

/** An executor made in the test: each command gets `answer()`; it counts the calls. */
function executorOf(answer: () => Promise<ExecuteOutcome>): CommandExecutor & { calls: number } {
  const executor = {
    name: OPTIONS.executor,
    calls: 0,
    execute() {
      executor.calls++;
      return answer();
    },
    close() {},
  };
  return executor;
}

const local = () => Promise.resolve({ durationMs: 1 });

Deno.test("BuildExecutor runs at most `jobs` commands remotely at once", async () => {
  let running = 0;
  let peak = 0;
  const executor = executorOf(async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    return outcome();
  });
  const remote = new BuildExecutor({ ...OPTIONS, jobs: 3 }, () => {}, () => executor);
  const ran = await Promise.all(Array.from({ length: 10 }, () => remote.run(command(), local)));
  assert.ok(ran.every((r) => r.remote));
  assert.equal(peak, 3);
  assert.equal(remote.executed, 10);
});

Deno.test("BuildExecutor: the executor's first failure is one warning, and every command after it runs here", async () => {
  const warnings: string[] = [];
  const executor = executorOf(() =>
    Promise.reject(new ExecutorError("grpc://x failed: UNAVAILABLE"))
  );
  const remote = new BuildExecutor(OPTIONS, (m) => warnings.push(m), () => executor);
  let here = 0;
  const counted = () => {
    here++;
    return local();
  };
  for (let i = 0; i < 3; i++) assert.equal((await remote.run(command(), counted)).remote, false);
  assert.equal(here, 3);
  assert.equal(executor.calls, 1, "a failed executor is not asked again");
  assert.deepEqual(warnings, [
    "grpc://x failed: UNAVAILABLE: running commands here for the rest of the build",
  ]);
});

Deno.test("BuildExecutor with remoteOnly: the failure is the command's, and later commands fail without asking", async () => {
  const warnings: string[] = [];
  const executor = executorOf(() =>
    Promise.reject(new ExecutorError("grpc://x failed: UNAVAILABLE"))
  );
  const remote = new BuildExecutor(
    { ...OPTIONS, remoteOnly: true },
    (m) => warnings.push(m),
    () => executor,
  );
  const never = () => Promise.reject(new Error("ran here"));
  for (let i = 0; i < 2; i++) {
    await assert.rejects(
      remote.run(command(), never),
      (error) => error instanceof ExecutorError && /UNAVAILABLE.*--remote-only/.test(error.message),
    );
  }
  assert.equal(executor.calls, 1);
  assert.deepEqual(warnings, []);
});

Deno.test("BuildExecutor: a remote exit code is a ProcessError, its output given to the sinks first", async () => {
  const stderr: Uint8Array[] = [];
  const remote = new BuildExecutor(
    OPTIONS,
    () => {},
    () => executorOf(() => Promise.resolve(outcome(2, "a.c:1: error\n"))),
  );
  let told = false;
  await assert.rejects(
    remote.run({ ...command([], stderr), ranRemotely: () => told = true }, local),
    (error) =>
      error instanceof ProcessError && error.code === 2 && error.stderr === "a.c:1: error\n",
  );
  assert.equal(new TextDecoder().decode(stderr[0]), "a.c:1: error\n");
  assert.equal(told, true);
});

Deno.test("BuildExecutor: a server found down by the remote cache on it is the executor's one warning", async () => {
  const warnings: string[] = [];
  const executor = executorOf(() => Promise.resolve(outcome()));
  const remote = new BuildExecutor(OPTIONS, (m) => warnings.push(m), () => executor);
  remote.serverDown("connection refused");
  remote.serverDown("connection refused");
  assert.equal((await remote.run(command(), local)).remote, false);
  assert.equal(executor.calls, 0);
  assert.deepEqual(warnings, [
    "The remote executor grpc://127.0.0.1:8980 is unavailable (connection refused): " +
    "running commands here for the rest of the build",
  ]);
});

Deno.test("BuildExecutor: a command waiting for a remote slot stops when its signal aborts", async () => {
  const gate = Promise.withResolvers<ExecuteOutcome>();
  const remote = new BuildExecutor(
    { ...OPTIONS, jobs: 1 },
    () => {},
    () => executorOf(() => gate.promise),
  );
  const busy = remote.run(command(), local);
  const controller = new AbortController();
  const waiting = remote.run({ ...command(), signal: controller.signal }, local);
  controller.abort(new Error("interrupted"));
  await assert.rejects(waiting, { name: "CancelledError" });
  gate.resolve(outcome());
  assert.equal((await busy).remote, true);
});

Deno.test("BuildExecutor: a target the command did not leave remotely is removed here", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const kept = `${dir}/kept.txt`;
    const gone = `${dir}/gone.txt`;
    await Deno.writeTextFile(kept, "written remotely");
    await Deno.writeTextFile(gone, "left by an earlier command");
    const remote = new BuildExecutor(
      OPTIONS,
      () => {},
      () => executorOf(() => Promise.resolve({ ...outcome(), written: [kept] })),
    );
    const outputs = new Map([["kept.txt", kept], ["gone.txt", gone]]);
    assert.equal((await remote.run({ ...command(), outputs }, local)).remote, true);
    assert.equal(await Deno.readTextFile(kept), "written remotely");
    await assert.rejects(Deno.stat(gone), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
