// Builds whose commands run on the test executor (--remote-executor): the
// same outputs as a local build, byte for byte and mode for mode; a second
// checkout all restored from the executor's action cache; an executor that
// stops mid-build, one warning and the rest here; --remote-only failing
// instead; a command failing remotely, with its output; and the rules and
// commands that stay here.

import assert from "node:assert/strict";
import { join } from "node:path";
import { build } from "../../../mod.ts";
import type { ActionFinished, BuildFinished } from "../../../rules/report/reporter.ts";
import type { RemoteExecutionOptions } from "../../../rules/remote/executor_options.ts";
import { cliWithEnv, IMPORT, writeFiles } from "../_util.ts";
import { withExecutor, withTempDir, writeRandomFile } from "./_util.ts";

/** A build in `root` with its own cache directory, and what it reported. */
async function buildWith(
  root: string,
  cacheDir: string,
  remote: RemoteExecutionOptions | false,
  jobs = 2,
) {
  const finished: ActionFinished[] = [];
  const notes: string[] = [];
  let summary: BuildFinished | undefined;
  const result = await build({
    root,
    jobs,
    cache: { cacheDir },
    remote,
    reporter: {
      actionFinished: (e) => void finished.push(e),
      buildFinished: (e) => void (summary = e),
      note: (m) => void notes.push(m),
    },
  });
  const remotely = finished.filter((e) => e.remote).map((e) => e.rule).sort();
  return { ...result, finished, notes, summary: summary!, remotely };
}

/** Every file under `dir` but barchan's state: path to bytes and mode. */
async function tree(dir: string): Promise<Map<string, { bytes: Uint8Array; mode: number }>> {
  const files = new Map<string, { bytes: Uint8Array; mode: number }>();
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(join(dir, at))) {
      const path = at === "" ? entry.name : `${at}/${entry.name}`;
      if (path === "_build/.barchan") continue;
      if (entry.isDirectory) await walk(path);
      else {
        const full = join(dir, path);
        files.set(path, {
          bytes: await Deno.readFile(full),
          mode: (await Deno.stat(full)).mode! & 0o111,
        });
      }
    }
  };
  await walk("");
  return new Map([...files].sort(([a], [b]) => a < b ? -1 : 1));
}

const PROJECT = IMPORT + `
rule({ targets: "out/copy.bin", deps: ["big.bin"], action: run("cp", "big.bin", "out/copy.bin") });
rule({
  targets: "out/tool.sh",
  action: sh("printf '#!/bin/sh\\\\necho from the tool\\\\n' > out/tool.sh && chmod +x out/tool.sh"),
});
rule({ targets: "out/ran.txt", deps: ["out/tool.sh"], action: sh("./out/tool.sh > out/ran.txt") });
rule({
  targets: ["gen/a.txt", "gen/b.txt"],
  deps: ["in.txt"],
  action: async (ctx) => {
    await ctx.sh("tr a-z A-Z < in.txt > gen/a.txt; echo upper-cased");
    await ctx.run("sh", ["-c", "cat a.txt a.txt > b.txt"], { cwd: "gen" });
  },
});
rule({
  targets: "out/sizes.txt",
  deps: ["gen/a.txt", "gen/b.txt", "out/copy.bin", "out/ran.txt"],
  action: sh("wc -c gen/a.txt gen/b.txt out/copy.bin out/ran.txt > out/sizes.txt"),
});
`;
const RULES = ["gen/a.txt", "out/copy.bin", "out/ran.txt", "out/sizes.txt", "out/tool.sh"];

async function checkout(dir: string): Promise<string> {
  await writeFiles(dir, { "build.ts": PROJECT, "in.txt": "hello remote\n" });
  await writeRandomFile(join(dir, "big.bin"), 300_000, 11);
  return dir;
}

Deno.test("a build whose commands run remotely writes what a local build writes; a second checkout is all cache hits", async () => {
  await withExecutor({ workers: 4, maxBatchBytes: 64 * 1024 }, async (server) => {
    await withTempDir(async (dir) => {
      const local = await buildWith(await checkout(`${dir}/local`), `${dir}/c-local`, false);
      assert.ok(local.ok, JSON.stringify(local.failed));
      assert.deepEqual(local.remotely, []);

      const remote = { executor: server.url, jobs: 8 };
      const first = await buildWith(await checkout(`${dir}/remote`), `${dir}/c-remote`, remote);
      assert.ok(first.ok, JSON.stringify(first.failed));
      assert.deepEqual(first.remotely, RULES);
      assert.equal(first.summary.remote, RULES.length);
      assert.deepEqual(first.notes, []);
      assert.deepEqual(await tree(`${dir}/remote`), await tree(`${dir}/local`));
      const upper = first.finished.find((e) => e.rule === "gen/a.txt")!;
      assert.equal(upper.output, "upper-cased\n", "remote output is shown as local output is");

      const second = await buildWith(await checkout(`${dir}/again`), `${dir}/c-again`, remote);
      assert.ok(second.ok, JSON.stringify(second.failed));
      assert.equal(second.summary.ran, 0);
      assert.equal(second.summary.restored, RULES.length);
      assert.ok(second.finished.every((e) => e.restored === "remote"));
      assert.deepEqual(await tree(`${dir}/again`), await tree(`${dir}/local`));
    });
  });
});

Deno.test("an executor stopped mid-build: one warning, and the rest of the build runs here", async () => {
  const count = 24;
  let rules = "";
  for (let i = 0; i < count; i++) {
    rules +=
      `rule({ targets: "out/${i}.txt", action: sh("sleep 0.2; echo ${i} > out/${i}.txt") });\n`;
  }
  await withExecutor({ workers: 4 }, async (server) => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { "build.ts": IMPORT + rules });
      let stopped: Promise<void> | undefined;
      const watcher = (async () => {
        // Once the first output is back, the executor goes away.
        for (;;) {
          try {
            await Deno.stat(`${dir}/out/0.txt`);
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
        stopped = server.stop();
      })();
      const built = await buildWith(dir, `${dir}/_cache`, { executor: server.url, jobs: 4 });
      await watcher;
      await stopped;
      assert.ok(built.ok, JSON.stringify(built.failed));
      assert.equal(built.notes.length, 1, built.notes.join("\n"));
      assert.match(built.notes[0], /running commands here for the rest of the build/);
      assert.ok(built.remotely.length >= 1 && built.remotely.length < count, built.remotely.join());
      for (let i = 0; i < count; i++) {
        assert.equal(await Deno.readTextFile(`${dir}/out/${i}.txt`), `${i}\n`);
      }
    });
  });
});

Deno.test("--remote-only: an executor that cannot be reached fails the build, naming it, and nothing runs here", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `grpc://127.0.0.1:${listener.addr.port}`;
  listener.close();
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "build.ts": IMPORT + `
rule({ targets: "a.txt", action: sh("echo a > a.txt") });
rule({ targets: "b.txt", action: sh("echo b > b.txt") });
rule({ targets: "here.txt", remote: false, action: sh("echo here > here.txt") });
`,
    });
    const built = await buildWith(dir, `${dir}/_cache`, { executor: url, remoteOnly: true });
    assert.equal(built.ok, false);
    assert.deepEqual(built.failed.map((f) => f.rule).sort(), ["a.txt", "b.txt"]);
    for (const failure of built.failed) {
      assert.match(failure.message, new RegExp(`${url}.*UNAVAILABLE`));
      assert.match(failure.message, /--remote-only/);
    }
    await assert.rejects(Deno.stat(`${dir}/a.txt`), Deno.errors.NotFound);
    assert.equal(await Deno.readTextFile(`${dir}/here.txt`), "here\n", "remote: false runs here");
  });
});

Deno.test("a command that fails remotely fails the build as it would here, with its output", async () => {
  await withExecutor({}, async (server) => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        "build.ts": IMPORT + `
rule({ targets: "bad.txt", action: sh("echo some output; echo the error >&2; exit 3") });
`,
      });
      const built = await buildWith(dir, `${dir}/_cache`, { executor: server.url });
      assert.equal(built.ok, false);
      assert.deepEqual(built.remotely, ["bad.txt"]);
      assert.deepEqual(built.failed, [{
        rule: "bad.txt",
        message: "command exited with code 3: sh -c echo some output; echo the error >&2; exit 3 " +
          "(rule bad.txt, build.ts:3)",
        output: "some output\nthe error\n",
      }]);
      assert.deepEqual(built.notes, [], "the command's failure is not the executor's");
    });
  });
});

Deno.test("rules with remote: false or cache: false, and commands with standard input, run here", async () => {
  await withExecutor({}, async (server) => {
    await withTempDir(async (dir) => {
      // A file outside the project: only a command run here can read it.
      const outside = await Deno.makeTempFile();
      await Deno.writeTextFile(outside, "from this machine\n");
      try {
        await writeFiles(dir, {
          "build.ts": IMPORT + `
rule({ targets: "local.txt", remote: false, action: sh("cat ${outside} > local.txt") });
rule({ targets: "uncached.txt", cache: false, action: sh("cat ${outside} > uncached.txt") });
rule({
  targets: "stdin.txt",
  action: async (ctx) => {
    await ctx.run("sh", ["-c", "cat > stdin.txt; cat ${outside} >> stdin.txt"], { stdin: "typed\\n" });
  },
});
rule({ targets: "remote.txt", action: sh("echo remote > remote.txt") });
`,
        });
        const built = await buildWith(dir, `${dir}/_cache`, { executor: server.url });
        assert.ok(built.ok, JSON.stringify(built.failed));
        assert.deepEqual(built.remotely, ["remote.txt"]);
        assert.equal(await Deno.readTextFile(`${dir}/local.txt`), "from this machine\n");
        assert.equal(await Deno.readTextFile(`${dir}/uncached.txt`), "from this machine\n");
        assert.equal(await Deno.readTextFile(`${dir}/stdin.txt`), "typed\nfrom this machine\n");
      } finally {
        await Deno.remove(outside);
      }
    });
  });
});

Deno.test("barchan build --remote-executor runs commands remotely, and says so with --explain", async () => {
  await withExecutor({}, async (server) => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        "build.ts": IMPORT + `
rule({ targets: "a.txt", action: sh("echo a > a.txt") });
rule({ targets: "b.txt", deps: ["a.txt"], action: sh("cat a.txt a.txt > b.txt") });
`,
      });
      const flags = await cliWithEnv(
        { BARCHAN_CACHE_DIR: `${dir}/_cache1` },
        dir,
        "build",
        "--explain",
        "--remote-executor",
        server.url,
        "--remote-jobs",
        "2",
      );
      assert.equal(flags.code, 0, flags.stderr);
      assert.match(flags.stderr, /a\.txt: ran on the remote executor/);
      assert.match(flags.stderr, /Done: 2 actions ran \(2 remotely\)/);
      assert.equal(await Deno.readTextFile(`${dir}/b.txt`), "a\na\n");

      await Deno.remove(`${dir}/_build`, { recursive: true });
      await Deno.remove(`${dir}/a.txt`);
      await Deno.remove(`${dir}/b.txt`);
      const env = await cliWithEnv(
        { BARCHAN_CACHE_DIR: `${dir}/_cache2`, BARCHAN_REMOTE_EXECUTOR: server.url },
        dir,
        "build",
      );
      assert.equal(env.code, 0, env.stderr);
      assert.match(env.stderr, /Done: 0 actions ran, 2 restored from cache/);
    });
  });
});

Deno.test("under BARCHAN_CACHE_MIN_MS, a fast command run here is not stored, even when an earlier command of its action ran remotely", async () => {
  await withExecutor({}, async (server) => {
    await withTempDir(async (dir) => {
      const marker = await Deno.makeTempFile();
      try {
        // The executor is stopped between the two commands: the second one
        // falls back to this machine.
        await writeFiles(dir, {
          "build.ts": IMPORT + `
rule({
  targets: ["remote.txt", "here.txt"],
  action: async (ctx) => {
    await ctx.run("sh", ["-c", "echo remote > remote.txt"]);
    try { Deno.kill(${server.pid}, "SIGKILL"); } catch { /* already stopped */ }
    await ctx.run("sh", ["-c", "echo here > here.txt; echo ran >> ${marker}"]);
  },
});
`,
        });
        const env = { BARCHAN_CACHE_DIR: `${dir}/_cache`, BARCHAN_CACHE_MIN_MS: "60000" };
        const args = ["build", "--remote-executor", server.url];
        const first = await cliWithEnv(env, dir, ...args);
        assert.equal(first.code, 0, first.stderr);
        assert.equal(await Deno.readTextFile(marker), "ran\n");
        for (const path of ["_build", "remote.txt", "here.txt"]) {
          await Deno.remove(`${dir}/${path}`, { recursive: true });
        }
        // Without an executor now: what the cache holds is restored.
        const second = await cliWithEnv(env, dir, "build");
        assert.equal(second.code, 0, second.stderr);
        // The remote command's result was stored whatever its time; the one
        // run here took less than the threshold, was not, and ran again.
        assert.equal(await Deno.readTextFile(marker), "ran\nran\n");
        assert.equal(await Deno.readTextFile(`${dir}/remote.txt`), "remote\n");
        assert.equal(await Deno.readTextFile(`${dir}/here.txt`), "here\n");
      } finally {
        await Deno.remove(marker);
      }
    });
  });
});
