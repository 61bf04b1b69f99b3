import assert from "node:assert/strict";
import { join } from "node:path";
import { type DirectChild, directSpawner } from "../../fiber/_posix_spawn.ts";
import { Scheduler } from "../../fiber/scheduler.ts";
import { CancelledError } from "../../fiber/cancel.ts";
import { assertNoProcess, awaitProcesses, uniqueSleep } from "./_processes.ts";

const spawner = directSpawner();
const linux = Deno.build.os === "linux";

async function run(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean } = {},
): Promise<{ out: string; err: string; status: Deno.CommandStatus; child: DirectChild }> {
  const child = await spawner!.spawn("/bin/sh", ["-c", ...args], {
    ...options,
    stdout: "piped",
    stderr: "piped",
  });
  assert.ok(child !== null);
  const [out, err, status] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.status,
  ]);
  return { out, err, status, child };
}

Deno.test({
  name: "directSpawner() is there on Linux, with FFI allowed",
  ignore: !linux,
  fn: () => assert.ok(spawner !== null),
});

Deno.test({
  name:
    "a child started by directSpawner() gets its own stdout and stderr, whole, and its exit code",
  ignore: !linux,
  async fn() {
    const { out, err, status, child } = await run([
      "echo $$; head -c 3000000 /dev/zero | tr '\\0' x; echo; echo oops >&2; exit 3",
    ]);
    const [pid, xs] = out.split("\n");
    assert.equal(Number(pid), child.pid);
    assert.equal(xs, "x".repeat(3_000_000));
    assert.equal(err, "oops\n");
    assert.deepEqual(status, { success: false, code: 3, signal: null });
  },
});

Deno.test({
  name:
    "a child started by directSpawner() has SIGPIPE at its default action and stdin at /dev/null",
  ignore: !linux,
  async fn() {
    // With SIGPIPE ignored, `yes` would see EPIPE and complain on stderr.
    const { out, err, status } = await run(["yes | head -n 1; wc -c"]);
    assert.equal(out.replace(/\s+/g, " ").trim(), "y 0");
    assert.equal(err, "");
    assert.equal(status.code, 0);
  },
});

Deno.test({
  name: "a child started by directSpawner() gets the environment and working directory asked for",
  ignore: !linux,
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir());
    try {
      const merged = await run(['printf "%s|%s|%s" "$BARCHAN_X" "${HOME:+home}" "$PWD"'], {
        cwd: dir,
        env: { BARCHAN_X: "1" },
      });
      assert.equal(merged.out, `1|home|${dir}`);
      const clear = await run(['printf "%s|%s" "$BARCHAN_X" "${HOME:-none}"'], {
        env: { BARCHAN_X: "2" },
        clearEnv: true,
      });
      assert.equal(clear.out, "2|none");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "directSpawner() reports a missing program or directory as Deno.Command does, and leaves scripts without #! to it",
  ignore: !linux,
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir());
    try {
      const pipes = { stdout: "piped", stderr: "piped" } as const;
      await assert.rejects(spawner!.spawn(join(dir, "none"), [], pipes)!, Deno.errors.NotFound);
      await assert.rejects(
        spawner!.spawn("/bin/sh", ["-c", "true"], { ...pipes, cwd: join(dir, "none") })!,
        Deno.errors.NotFound,
      );
      const script = join(dir, "script");
      await Deno.writeTextFile(script, "echo hi\n");
      await Deno.chmod(script, 0o755);
      assert.equal(await spawner!.spawn(script, [], pipes), null);
      assert.equal(spawner!.spawn("sh", [], pipes), null);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "directSpawner() reaps 200 children at once, each with its own output and status",
  ignore: !linux,
  async fn() {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => run([`echo ${i}; exit ${i % 7}`])),
    );
    results.forEach(({ out, status }, i) => {
      assert.equal(out, `${i}\n`);
      assert.equal(status.code, i % 7);
    });
  },
});

Deno.test({
  name: "a child started by directSpawner() killed by a signal reports it",
  ignore: !linux,
  async fn() {
    const marker = uniqueSleep();
    const child = (await spawner!.spawn("/bin/sh", ["-c", `exec sleep ${marker}`], {
      stdout: "null",
      stderr: "null",
    }))!;
    await awaitProcesses(`sleep ${marker}`, 1);
    child.kill("SIGTERM");
    assert.deepEqual(await child.status, { success: false, code: 143, signal: "SIGTERM" });
  },
});

Deno.test({
  name:
    "Scheduler.spawn() with outputAtExit cancels a command started off the main thread within 2 s",
  ignore: !linux,
  async fn() {
    const scheduler = new Scheduler({ jobs: 2 });
    const sleep = uniqueSleep();
    const controller = new AbortController();
    const chunks: Uint8Array[] = [];
    const job = scheduler.spawn("sh", ["-c", `sleep ${sleep}; echo after`], {
      signal: controller.signal,
      stdout: (chunk) => chunks.push(chunk),
      outputAtExit: true,
    });
    await awaitProcesses(`sleep ${sleep}`, 1);
    const start = performance.now();
    controller.abort("file changed");
    const error = await job.catch((error) => error);
    assert.ok(error instanceof CancelledError, String(error));
    assert.ok(performance.now() - start < 2_000);
    await assertNoProcess(`sleep ${sleep}`);
    assert.equal(chunks.length, 0);
    assert.equal(scheduler.running, 0);
  },
});

Deno.test({
  name:
    "Scheduler.spawn() with outputAtExit gives a sink the whole output once the command is over",
  ignore: !linux,
  async fn() {
    const scheduler = new Scheduler({ jobs: 2 });
    const decoder = new TextDecoder();
    let out = "";
    let err = "";
    const result = await scheduler.spawn("sh", ["-c", "seq 1 20000; echo e >&2"], {
      stdout: (chunk) => out += decoder.decode(chunk, { stream: true }),
      stderr: (chunk) => err += decoder.decode(chunk, { stream: true }),
      outputAtExit: true,
    });
    assert.equal(result.code, 0);
    assert.equal(out, Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join(""));
    assert.equal(err, "e\n");
  },
});
