import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CancelledError,
  type JobEvent,
  MissingProgramError,
  ProcessError,
  Scheduler,
} from "../../fiber/mod.ts";
import { assertNoProcess, pgrep, uniqueSleep } from "./_processes.ts";

/** Neither running nor a zombie: the pid is gone from the process table. */
function assertReaped(pid: number): void {
  let state: string | undefined;
  try {
    state = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]?.[0];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  assert.fail(`process ${pid} still in the process table, state ${state}`);
}

/** Records events and the highest number of jobs running at once. */
function recorder() {
  const events: JobEvent[] = [];
  let running = 0;
  let peak = 0;
  return {
    events,
    get peak() {
      return peak;
    },
    get running() {
      return running;
    },
    onEvent(event: JobEvent) {
      events.push(event);
      if (event.kind === "started") peak = Math.max(peak, ++running);
      if (event.kind === "finished") running--;
    },
  };
}

/** Collects the text a job streams to a sink and resolves when `text` appears. */
function lineSink(text: string) {
  const decoder = new TextDecoder();
  const seen = Promise.withResolvers<void>();
  let output = "";
  return {
    sink(chunk: Uint8Array) {
      output += decoder.decode(chunk, { stream: true });
      if (output.includes(text)) seen.resolve();
    },
    seen: seen.promise,
    get output() {
      return output;
    },
  };
}

Deno.test("Scheduler.spawn() never runs more than `jobs` processes with 200 queued", async () => {
  const record = recorder();
  const scheduler = new Scheduler({ jobs: 4, onEvent: record.onEvent });
  const results = await Promise.all(
    Array.from(
      { length: 200 },
      (_, i) => i % 10 === 0 ? scheduler.spawn("sleep", ["0.05"]) : scheduler.spawn("true", []),
    ),
  );
  assert.equal(results.length, 200);
  assert.equal(record.peak, 4);
  const slots = new Set(record.events.flatMap((e) => e.kind === "started" ? [e.slot] : []));
  assert.deepEqual([...slots].sort(), [0, 1, 2, 3]);
  assert.equal(scheduler.running, 0);
});

Deno.test("Scheduler.jobs can grow and shrink while jobs run", async () => {
  const record = recorder();
  const scheduler = new Scheduler({ jobs: 1, onEvent: record.onEvent });
  const grown = Array.from({ length: 6 }, () => scheduler.spawn("sleep", ["0.05"]));
  assert.equal(scheduler.waiting, 5);
  scheduler.jobs = 3;
  assert.equal(scheduler.jobs, 3);
  assert.equal(scheduler.waiting, 3);
  await Promise.all(grown);
  assert.equal(record.peak, 3);

  // Shrinking: running jobs finish, and each later one starts alone.
  const before = record.events.length;
  const shrunk = Array.from({ length: 6 }, () => scheduler.spawn("sleep", ["0.05"]));
  const shrinkAt = record.events.length;
  scheduler.jobs = 1;
  await Promise.all(shrunk);
  const concurrency: number[] = [];
  let running = 0;
  record.events.slice(before).forEach((event, i) => {
    if (event.kind === "finished") running--;
    if (event.kind !== "started") return;
    running++;
    if (before + i >= shrinkAt) concurrency.push(running);
  });
  // Three were already running when `jobs` dropped to 1.
  assert.deepEqual(concurrency, [1, 1, 1]);
});

Deno.test("Scheduler rejects a job count below 1", () => {
  assert.throws(() => new Scheduler({ jobs: 0 }), {
    name: "RangeError",
    message: "Cannot set jobs to 0: it must be an integer of at least 1 or Infinity",
  });
  const scheduler = new Scheduler({ jobs: 2 });
  assert.throws(() => (scheduler.jobs = 1.5), RangeError);
  assert.equal(scheduler.jobs, 2);
});

Deno.test("Scheduler.spawn() captures stdout and stderr separately", async () => {
  const scheduler = new Scheduler({ jobs: 2 });
  const result = await scheduler.spawn("sh", ["-c", "printf out; printf err >&2"]);
  assert.equal(result.stdout, "out");
  assert.equal(result.stderr, "err");
  assert.equal(result.code, 0);
  assert.equal(result.signal, null);
  assert.ok(result.durationMs >= 0);
});

Deno.test("Scheduler.spawn() feeds stdin from text and from a file", async () => {
  const scheduler = new Scheduler({ jobs: 2 });
  const fromText = await scheduler.spawn("cat", [], { stdin: { text: "héllo\n" } });
  assert.equal(fromText.stdout, "héllo\n");

  const dir = await Deno.makeTempDir();
  try {
    const big = "line\n".repeat(100_000);
    await Deno.writeTextFile(join(dir, "input.txt"), big);
    const fromFile = await scheduler.spawn("wc", ["-l"], {
      stdin: { file: "input.txt" },
      cwd: dir,
    });
    assert.equal(fromFile.stdout.trim(), "100000");
    await assert.rejects(scheduler.spawn("cat", [], { stdin: { file: join(dir, "nope") } }), {
      name: "NotFound",
      message: `Cannot read stdin of cat from "${join(dir, "nope")}": no such file`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Scheduler.spawn() passes env and cwd", async () => {
  const scheduler = new Scheduler({ jobs: 2 });
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    const added = await scheduler.spawn("sh", ["-c", 'printf "%s %s %s" "$FOO" "$PWD" "$HOME"'], {
      env: { FOO: "bar" },
      cwd: dir,
    });
    assert.equal(added.stdout, `bar ${dir} ${Deno.env.get("HOME")}`);
    const cleared = await scheduler.spawn("env", [], { env: { ONLY: "this" }, clearEnv: true });
    assert.equal(cleared.stdout, "ONLY=this\n");
    await assert.rejects(scheduler.spawn("true", [], { cwd: join(dir, "missing") }), {
      name: "NotFound",
      message: `Cannot run true: no such directory "${join(dir, "missing")}"`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Scheduler.spawn() reports a command killed by SIGINT while not interrupted", async () => {
  const scheduler = new Scheduler({ jobs: 1 });
  const error = await scheduler.spawn("sh", ["-c", "kill -INT $$"]).catch((e) => e);
  assert.ok(error instanceof ProcessError, String(error));
  assert.equal(error.signal, "SIGINT");
});

Deno.test("Scheduler.spawn() accepts the exit codes it is told to", async () => {
  const scheduler = new Scheduler({ jobs: 2 });
  const one = await scheduler.spawn("sh", ["-c", "exit 1"], { successExitCodes: [0, 1] });
  assert.equal(one.code, 1);
  const any = await scheduler.spawn("sh", ["-c", "exit 3"], { successExitCodes: [] });
  assert.equal(any.code, 3);
  await assert.rejects(scheduler.spawn("true", [], { successExitCodes: [1] }), ProcessError);
});

Deno.test("Scheduler.spawn() rejects a failing command with a ProcessError", async () => {
  const scheduler = new Scheduler({ jobs: 2 });
  const error = await scheduler
    .spawn("sh", ["-c", "echo partial; echo 'x.c:1: error: oops' >&2; exit 2"])
    .then(() => assert.fail("resolved"), (error) => error);
  assert.ok(error instanceof ProcessError);
  assert.equal(error.cmd, "sh");
  assert.deepEqual(error.args, ["-c", "echo partial; echo 'x.c:1: error: oops' >&2; exit 2"]);
  assert.equal(error.code, 2);
  assert.equal(error.signal, null);
  assert.equal(error.stdout, "partial\n");
  assert.equal(error.stderr, "x.c:1: error: oops\n");
  assert.match(error.message, /^Command failed with exit code 2: sh -c '/);
  assert.match(error.message, /\nx\.c:1: error: oops$/);

  const killed = await scheduler.spawn("sh", ["-c", "kill -TERM $$"]).catch((error) => error);
  assert.ok(killed instanceof ProcessError);
  assert.equal(killed.signal, "SIGTERM");
  assert.equal(killed.message, "Command killed by SIGTERM: sh -c 'kill -TERM $$'");
});

Deno.test("ProcessError quotes only the tail of a long stderr", async () => {
  const scheduler = new Scheduler({ jobs: 1 });
  const error = await scheduler
    .spawn("sh", ["-c", "seq 1 100 >&2; exit 1"])
    .catch((error) => error);
  assert.ok(error instanceof ProcessError);
  const lines = error.message.split("\n");
  assert.equal(lines[1], "...");
  assert.deepEqual(lines.slice(2), Array.from({ length: 20 }, (_, i) => `${81 + i}`));
  assert.equal(error.stderr.split("\n").length, 101);
});

Deno.test("Scheduler.spawn() streams output to a sink", async () => {
  const scheduler = new Scheduler({ jobs: 2 });
  const chunks: Uint8Array[] = [];
  const result = await scheduler.spawn("sh", ["-c", "echo one; sleep 0.05; echo two >&2"], {
    stdout: (chunk) => chunks.push(chunk),
    stderr: "null",
  });
  const decoder = new TextDecoder();
  assert.equal(chunks.map((chunk) => decoder.decode(chunk)).join(""), "one\n");
  assert.equal(result.stdout, "");
  assert.equal(result.stderr, "");
});

Deno.test("Scheduler.spawn() keeps long output whole, side by side, characters split across reads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Over 100 KB each, in 1- to 4-byte characters: many reads, and
    // characters cut by their boundaries.
    const texts = ["aé€😀\n", "zß☃🎲\n"].map((unit) => unit.repeat(12_000));
    const files = texts.map((_, i) => join(dir, `out${i}.txt`));
    texts.forEach((text, i) => Deno.writeTextFileSync(files[i]!, text));
    const scheduler = new Scheduler({ jobs: 2 });
    const sunk = texts.map(() => [] as Uint8Array[]);
    const results = await Promise.all([
      ...files.map((file) => scheduler.spawn("sh", ["-c", `cat ${file}; cat ${file} >&2`])),
      ...files.map((file, i) =>
        scheduler.spawn("cat", [file], { stdout: (chunk) => sunk[i]!.push(chunk) })
      ),
    ]);
    texts.forEach((text, i) => {
      assert.equal(results[i]!.stdout, text);
      assert.equal(results[i]!.stderr, text);
      // Every chunk a sink was given is still what it was once the output ended.
      assert.ok(sunk[i]!.length > 1);
      assert.equal(new TextDecoder().decode(concat(sunk[i]!)), text);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

Deno.test("Scheduler.spawn() kills the child when a sink throws", async () => {
  const scheduler = new Scheduler({ jobs: 1 });
  const sleep = uniqueSleep();
  const failure = new Error("sink broke");
  await assert.rejects(
    scheduler.spawn("sh", ["-c", `echo hi; sleep ${sleep}`], {
      stdout: () => {
        throw failure;
      },
    }),
    (error) => error === failure,
  );
  await assertNoProcess(`sleep ${sleep}`);
});

Deno.test("Scheduler.spawn() reports a missing program before spawning anything", async () => {
  const record = recorder();
  const scheduler = new Scheduler({ jobs: 2, onEvent: record.onEvent });
  await assert.rejects(scheduler.spawn("barchan-no-such-program", ["x"]), {
    name: "MissingProgramError",
    message: "Program not found: barchan-no-such-program (not on PATH)",
  });
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await assert.rejects(
      scheduler.spawn("./tools/gen", [], { cwd: dir }),
      (error) =>
        error instanceof MissingProgramError && error.program === "./tools/gen" &&
        error.message ===
          `Program not found: ./tools/gen (no executable file at ${dir}/tools/gen)`,
    );
    // Present but not executable.
    await Deno.writeTextFile(join(dir, "script.sh"), "echo hi\n");
    await assert.rejects(scheduler.spawn("./script.sh", [], { cwd: dir }), MissingProgramError);
    // Once executable, found by the same relative path.
    await Deno.chmod(join(dir, "script.sh"), 0o755);
    const { stdout } = await scheduler.spawn("./script.sh", [], { cwd: dir });
    assert.equal(stdout, "hi\n");
    // A PATH given in env is searched.
    await Deno.rename(join(dir, "script.sh"), join(dir, "barchan-on-path"));
    const onPath = await scheduler.spawn("barchan-on-path", [], { env: { PATH: dir } });
    assert.equal(onPath.stdout, "hi\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // Only the two commands that ran were ever queued.
  const queued = record.events.filter((event) => event.kind === "queued");
  assert.deepEqual(queued.map((event) => event.cmd), ["./script.sh", "barchan-on-path"]);
});

Deno.test("Scheduler.spawn() cancellation kills the process group within 2 s", async () => {
  const record = recorder();
  const scheduler = new Scheduler({ jobs: 2, onEvent: record.onEvent });
  const sleep = uniqueSleep();
  const controller = new AbortController();
  const output = lineSink("\n");
  // The shell waits for `sleep`, a grandchild of the scheduler.
  const job = scheduler.spawn("sh", ["-c", `echo $$; sleep ${sleep}; echo after`], {
    signal: controller.signal,
    stdout: output.sink,
  });
  await output.seen;
  const shellPid = Number(output.output.trim());
  const start = performance.now();
  controller.abort("file changed");
  const error = await job.catch((error) => error);
  const elapsed = performance.now() - start;
  assert.ok(error instanceof CancelledError, String(error));
  assert.equal(error.reason, "file changed");
  assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
  assertReaped(shellPid);
  await assertNoProcess(`sleep ${sleep}`);
  const finished = record.events.find((event) => event.kind === "finished");
  assert.ok(finished?.kind === "finished" && finished.cancelled && finished.signal === "SIGTERM");
  assert.equal(scheduler.running, 0);
});

Deno.test("Scheduler.spawn() cancellation escalates to SIGKILL for a child ignoring SIGTERM", async () => {
  const scheduler = new Scheduler({ jobs: 1, killGraceMs: 100 });
  const sleep = uniqueSleep();
  const controller = new AbortController();
  const output = lineSink("ready");
  const job = scheduler.spawn("sh", ["-c", `trap '' TERM; echo ready; sleep ${sleep}; true`], {
    signal: controller.signal,
    stdout: output.sink,
  });
  await output.seen;
  controller.abort();
  await assert.rejects(job, CancelledError);
  await assertNoProcess(`sleep ${sleep}`);
});

Deno.test("Scheduler.spawn() cancellation drops a queued job without starting it", async () => {
  const record = recorder();
  const scheduler = new Scheduler({ jobs: 1, onEvent: record.onEvent });
  const controller = new AbortController();
  const first = scheduler.spawn("sleep", ["0.2"], { label: "first" });
  const second = scheduler.spawn("echo", ["never"], { label: "second", signal: controller.signal });
  controller.abort();
  await assert.rejects(second, CancelledError);
  await first;
  const seconds = record.events.filter((event) => event.label === "second");
  assert.deepEqual(seconds.map((event) => event.kind), ["queued", "cancelled"]);
  // An already aborted signal never queues a process either.
  await assert.rejects(
    scheduler.spawn("echo", ["never"], { signal: AbortSignal.abort() }),
    CancelledError,
  );
});

Deno.test("Scheduler.killAll() kills running jobs and drops queued ones", async () => {
  const record = recorder();
  const scheduler = new Scheduler({ jobs: 2, onEvent: record.onEvent });
  const sleep = uniqueSleep();
  const outputs = [lineSink("\n"), lineSink("\n")];
  const running = outputs.map((output) =>
    scheduler.spawn("sh", ["-c", `echo go; sleep ${sleep}`], { stdout: output.sink })
  );
  const queued = scheduler.spawn("echo", ["never"], { label: "queued" });
  const rejections = [...running, queued].map((job) => assert.rejects(job, CancelledError));
  await Promise.all(outputs.map((output) => output.seen));
  await scheduler.killAll();
  assert.equal(scheduler.running, 0);
  await Promise.all(rejections);
  await assertNoProcess(`sleep ${sleep}`);
  const kinds = record.events.filter((e) => e.label === "queued").map((e) => e.kind);
  assert.deepEqual(kinds, ["queued", "cancelled"]);
  // The scheduler still works afterwards.
  assert.equal((await scheduler.spawn("echo", ["again"])).stdout, "again\n");
});

Deno.test("Scheduler events go queued, started, finished with increasing ids", async () => {
  const record = recorder();
  const scheduler = new Scheduler({ jobs: 3, onEvent: record.onEvent });
  await Promise.all(
    Array.from({ length: 10 }, (_, i) => scheduler.spawn("echo", [`${i}`], { label: `job ${i}` })),
  );
  const ids = [...new Set(record.events.map((event) => event.id))];
  assert.deepEqual(ids, ids.toSorted((a, b) => a - b));
  assert.equal(ids.length, 10);
  for (const id of ids) {
    const mine = record.events.filter((event) => event.id === id);
    assert.deepEqual(mine.map((event) => event.kind), ["queued", "started", "finished"]);
    const [queued, started, finished] = mine;
    assert.equal(queued!.label, `job ${id - ids[0]!}`);
    assert.deepEqual(queued!.args, [`${id - ids[0]!}`]);
    assert.ok(started!.kind === "started" && finished!.kind === "finished");
    assert.equal(started.slot, finished.slot);
    assert.ok(started.slot >= 0 && started.slot < 3);
    assert.equal(finished.code, 0);
    assert.equal(finished.cancelled, false);
  }
});

// Ctrl-C in a terminal signals the whole foreground process group: the
// build and, on Linux, its commands, which must not be reported as failures.
for (const target of ["the build", "its process group"]) {
  Deno.test(`onInterrupt() kills children, flushes and exits with 130 on SIGINT to ${target}`, async () => {
    const dir = await Deno.makeTempDir();
    const flushFile = join(dir, "flushed");
    const sleep = uniqueSleep();
    const fixture = new URL("../fixtures/interrupted_build.ts", import.meta.url);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fixture.pathname, flushFile, sleep],
      stdout: "piped",
      stderr: "piped",
      detached: true,
    }).spawn();
    const errors = new Response(child.stderr).text();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let output = "";
      while (!output.includes("ready")) {
        const { value, done } = await reader.read();
        if (done) break;
        output += value;
      }
      // "ready" is printed just before `sleep` starts.
      const deadline = Date.now() + 5_000;
      while ((await pgrep(`sleep ${sleep}`)).length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      if (target === "the build") child.kill("SIGINT");
      else Deno.kill(-child.pid, "SIGINT");
      while (!(await reader.read()).done) { /* drain */ }
      const status = await child.status;
      assert.equal(status.code, 130, await errors);
      assert.equal(await Deno.readTextFile(flushFile), "flushed\n");
      await assertNoProcess(`sleep ${sleep}`);
      assert.equal(await errors, "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
