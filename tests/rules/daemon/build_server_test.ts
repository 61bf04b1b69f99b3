// The build server, end to end: `cli.ts build` in child processes starts one
// in the background and sends its builds there; each test stops what it
// started. build.ts counts its evaluations, and the server says how many
// builds it ran, to show who built what.

import assert from "node:assert/strict";
import { join } from "node:path";
import { serverSocketPath, serverStatus } from "../../../rules/daemon/client.ts";
import { STATE_DIR } from "../../../rules/state.ts";
import { CLI, type Files, MOD, readMaybe, withProject } from "../_util.ts";
import { ownCacheEnv } from "../../_own_cache.ts";
import { assertNoProcess, awaitProcesses, uniqueSleep } from "../../fiber/_processes.ts";
import { stopServer } from "../../../rules/daemon/start.ts";
import {
  isAlive,
  SERVER_ON,
  serverBuild,
  serverCli,
  serverPid,
  waitFor,
  waitGone,
  withServerProject,
} from "./_server.ts";

const COUNT =
  `Deno.writeTextFileSync(new URL("evaluations", import.meta.url), "x", { append: true });\n`;

/** out/a and out/b copied from sources, out/ab both concatenated (issue 15, A4). */
const PROJECT: Files = {
  "build.ts": `import { alias, rule, sh } from "${MOD}";\n${COUNT}
const a = rule({ targets: "out/a.txt", deps: "src/a.txt", action: sh("mkdir -p out && cp src/a.txt out/a.txt") });
const b = rule({ targets: "out/b.txt", deps: "src/b.txt", action: sh("mkdir -p out && cp src/b.txt out/b.txt") });
const ab = rule({ targets: "out/ab.txt", deps: [a, b], action: sh("cat out/a.txt out/b.txt > out/ab.txt") });
rule({
  targets: "out/slow",
  action: sh("echo $$ > slow.pid; sleep 60; mkdir -p out && touch out/slow"),
});
rule({
  targets: "out/second",
  action: sh("echo $$ > second.pid; sleep 1; mkdir -p out && echo done > out/second"),
});
rule({ targets: "out/greeting", action: sh("echo \${GREETING:-none} > out/greeting") });
alias("default", [ab]);
`,
  "src/a.txt": "a\n",
  "src/b.txt": "b\n",
};

/** `cli.ts build TARGET` in a child process, with a server allowed; standard error piped. */
function startClient(root: string, target: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, "build", target],
    cwd: root,
    stdout: "null",
    stderr: "piped",
    env: { ...SERVER_ON, ...ownCacheEnv() },
  }).spawn();
}

async function evaluations(root: string): Promise<number> {
  return (await readMaybe(root, "evaluations") ?? "").length;
}

Deno.test("build server: the first build starts one, the next builds are built by it", async () => {
  await withServerProject(PROJECT, async (root) => {
    const first = await serverBuild(root);
    assert.match(first.stderr, /Done: 3 actions ran/);
    const pid = await serverPid(root);
    assert.notEqual(pid, undefined, "a server listens after the first build");
    assert.equal((await serverStatus(root))?.builds, 1);
    // A no-op, an edit: the same server, one more build each, build.ts evaluated once.
    assert.match((await serverBuild(root)).stderr, /Done: 0 actions ran/);
    await Deno.writeTextFile(join(root, "src/b.txt"), "b2\n");
    const edit = await serverBuild(root);
    assert.match(edit.stderr, /Done: 2 actions ran/);
    assert.equal(await readMaybe(root, "out/ab.txt"), "a\nb2\n");
    const status = await serverStatus(root);
    assert.equal(status?.pid, pid);
    assert.equal(status?.builds, 3);
    assert.equal(status?.kind, "server");
    assert.ok(status!.rssBytes > 0);
    assert.equal(await evaluations(root), 1);
    // The socket is its user's only.
    assert.equal((await Deno.stat(serverSocketPath(root))).mode! & 0o777, 0o600);
    const shown = await serverCli(root, ["server", "status"]);
    assert.equal(shown.code, 0);
    assert.match(shown.stdout, new RegExp(`pid +${pid}`));
    assert.match(shown.stdout, /memory +[\d.]+ MiB resident/);
    assert.match(shown.stdout, /up +\d/);
  });
});

Deno.test("build server: one started on a built tree sees the edits after its first build", async () => {
  await withServerProject(PROJECT, async (root) => {
    await serverBuild(root, ["--no-server"]);
    // Its first build finds nothing changed in the store's checkpoint, and trusts it.
    assert.match((await serverBuild(root)).stderr, /Done: 0 actions ran/);
    for (const [i, path] of ["src/a.txt", "src/b.txt", "src/a.txt"].entries()) {
      await Deno.writeTextFile(join(root, path), `edit ${i}\n`);
      assert.match((await serverBuild(root)).stderr, /Done: 2 actions ran/, `edit ${i}`);
    }
    assert.equal(await readMaybe(root, "out/ab.txt"), "edit 2\nedit 1\n");
    assert.equal((await serverStatus(root))?.builds, 4);
  });
});

Deno.test("build server: none with CI set, BARCHAN_SERVER=off or --no-server", async () => {
  await withServerProject(PROJECT, async (root) => {
    await serverBuild(root, ["--no-server"]);
    for (
      const [env, args] of [
        [{ CI: "true", BARCHAN_SERVER: "" }, []],
        [{ BARCHAN_SERVER: "off" }, []],
        [{}, ["--no-server"]],
      ] as [Record<string, string>, string[]][]
    ) {
      await Deno.writeTextFile(join(root, "src/a.txt"), `a ${JSON.stringify(env)} ${args}\n`);
      const built = await serverBuild(root, args, env);
      assert.match(built.stderr, /Done: 2 actions ran/);
      assert.equal(await serverPid(root), undefined, `${JSON.stringify(env)} ${args}`);
      assert.equal(await Deno.lstat(serverSocketPath(root)).catch(() => undefined), undefined);
    }
    assert.equal((await serverCli(root, ["server", "status"])).code, 1);
  });
});

Deno.test("build server: --no-server stops a server that runs, and builds in its own process", async () => {
  await withServerProject(PROJECT, async (root) => {
    await serverBuild(root);
    const pid = (await serverPid(root))!;
    await Deno.writeTextFile(join(root, "src/a.txt"), "a2\n");
    const alone = await serverBuild(root, ["--no-server"]);
    assert.match(
      alone.stderr,
      /The build server stopped: this build asked for none: building here/,
    );
    assert.match(alone.stderr, /Done: 2 actions ran/);
    await waitGone(pid);
    assert.equal(await serverPid(root), undefined);
    assert.equal(await readMaybe(root, "out/ab.txt"), "a2\nb\n");
  });
});

Deno.test("build server: it stops after BARCHAN_SERVER_IDLE without a request", async () => {
  await withServerProject(PROJECT, async (root) => {
    await serverBuild(root, [], { BARCHAN_SERVER_IDLE: "1s" });
    const pid = (await serverPid(root))!;
    assert.ok(isAlive(pid));
    await waitGone(pid);
    assert.match(
      await readMaybe(root, `${STATE_DIR}/server.log`) ?? "",
      /Stopping: no request for 1 s/,
    );
    // The next build starts another.
    await serverBuild(root);
    assert.notEqual(await serverPid(root), undefined);
    const badIdle = await serverCli(root, ["server", "start"], { BARCHAN_SERVER_IDLE: "soon" });
    assert.equal(badIdle.code, 0, "one runs already");
  });
});

Deno.test("build server: server stop, and server start", async () => {
  await withServerProject(PROJECT, async (root) => {
    assert.match((await serverCli(root, ["server", "stop"])).stderr, /No build server runs/);
    const started = await serverCli(root, ["server", "start"]);
    assert.equal(started.code, 0, started.stderr);
    const pid = (await serverPid(root))!;
    assert.match(started.stderr, new RegExp(`Started the build server of .* \\(pid ${pid}\\)`));
    assert.match((await serverBuild(root)).stderr, /Done: 3 actions ran/);
    const stopped = await serverCli(root, ["server", "stop"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, new RegExp(`Stopped the build server of .* \\(pid ${pid}\\)`));
    // Gone, its lock free: a build of its own does not wait.
    assert.equal(isAlive(pid), false);
    assert.match((await serverBuild(root, ["--no-server"])).stderr, /Done: 0 actions ran/);
    const wrong = await serverCli(root, ["server", "start"], { BARCHAN_SERVER_IDLE: "soon" });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /BARCHAN_SERVER_IDLE takes a duration such as 30s, 15m or 1h/);
  });
});

Deno.test("build server: outputs deleted under it, then an edit, are built again (rm -rf out)", async () => {
  await withServerProject(PROJECT, async (root) => {
    await serverBuild(root);
    const pid = await serverPid(root);
    await Deno.remove(join(root, "out"), { recursive: true });
    await Deno.writeTextFile(join(root, "src/a.txt"), "a2\n");
    const rebuilt = await serverBuild(root);
    // out/b.txt, whose source is as it was, comes back from the action cache.
    assert.match(rebuilt.stderr, /Done: 2 actions ran, 1 restored from cache/);
    assert.equal(await readMaybe(root, "out/ab.txt"), "a2\nb\n");
    assert.equal(await readMaybe(root, "out/b.txt"), "b\n");
    assert.equal(await serverPid(root), pid);
    assert.match((await serverBuild(root)).stderr, /Done: 0 actions ran/);
    // A build of its own agrees.
    assert.match((await serverBuild(root, ["--no-server"])).stderr, /Done: 0 actions ran/);
  });
});

const EMPTY = new Uint8Array();

/** {@linkcode PROJECT} with its outputs under _build/, which go with the state. */
const IN_BUILD: Files = {
  ...PROJECT,
  "build.ts": PROJECT["build.ts"].replaceAll("out/", "_build/out/").replaceAll(
    "p out",
    "p _build/out",
  ),
};

Deno.test("build server: a deleted or replaced state directory makes it stop; the next build recovers", async () => {
  await withServerProject(IN_BUILD, async (root) => {
    await serverBuild(root);
    const first = (await serverPid(root))!;
    await Deno.remove(join(root, "_build"), { recursive: true });
    await waitGone(first);
    await Deno.writeTextFile(join(root, "src/b.txt"), "b2\n");
    const after = await serverBuild(root);
    assert.doesNotMatch(after.stderr, /refus|overwrite/i);
    assert.equal(await readMaybe(root, "_build/out/ab.txt"), "a\nb2\n");
    const second = (await serverPid(root))!;
    assert.notEqual(second, first);
    // Replaced by another directory: the same.
    await Deno.rename(join(root, "_build"), join(root, "_build.old"));
    await Deno.mkdir(join(root, STATE_DIR), { recursive: true });
    await waitGone(second);
    const again = await serverBuild(root);
    assert.doesNotMatch(again.stderr, /refus|overwrite/i);
    assert.equal(await readMaybe(root, "_build/out/ab.txt"), "a\nb2\n");
    assert.match((await serverBuild(root)).stderr, /Done: 0 actions ran/);
  });
});

Deno.test("build server: after rm -rf _build under it, which succeeds, the outputs outside _build stay barchan's", async () => {
  await withServerProject(PROJECT, async (root) => {
    for (let round = 0; round < 2; round++) {
      await serverBuild(root);
      const pid = (await serverPid(root))!;
      // Enough files that the rm is still going when the server sees its state gone.
      await Deno.mkdir(join(root, "_build/junk"), { recursive: true });
      for (let i = 0; i < 3000; i++) Deno.writeFileSync(join(root, `_build/junk/${i}`), EMPTY);
      const rm = await new Deno.Command("rm", { args: ["-rf", join(root, "_build")] }).output();
      assert.equal(rm.code, 0, new TextDecoder().decode(rm.stderr));
      await waitGone(pid);
      await Deno.writeTextFile(join(root, "src/b.txt"), `b${round}\n`);
      const after = await serverBuild(root);
      assert.doesNotMatch(after.stderr, /refus|overwrite/i);
      assert.equal(await readMaybe(root, "out/ab.txt"), `a\nb${round}\n`);
    }
  });
});

Deno.test("build server: the state directory deleted during a build stops that build and the server", async () => {
  await withServerProject(PROJECT, async (root) => {
    await serverBuild(root);
    const pid = (await serverPid(root))!;
    const client = startClient(root, "out/slow");
    await waitFor(
      "the slow action",
      async () => ((await readMaybe(root, "slow.pid")) ?? "") !== "",
    );
    const action = Number((await readMaybe(root, "slow.pid"))!.trim());
    await Deno.remove(join(root, "_build"), { recursive: true });
    await waitGone(pid);
    await waitGone(action);
    // The client started another server, which builds it (60 s): stop that one.
    await waitFor("a new server", async () => (await serverPid(root)) !== undefined);
    assert.notEqual(await serverPid(root), pid);
    client.kill("SIGINT");
    const status = await client.output();
    assert.equal(status.code, 130, new TextDecoder().decode(status.stderr));
  });
});

Deno.test("build server: one killed with SIGKILL, idle or building, leaves a state the next build recovers from", async () => {
  await withServerProject(PROJECT, async (root) => {
    await serverBuild(root);
    const idle = (await serverPid(root))!;
    Deno.kill(idle, "SIGKILL");
    await waitGone(idle);
    await Deno.writeTextFile(join(root, "src/a.txt"), "a2\n");
    assert.match((await serverBuild(root)).stderr, /Done: 2 actions ran/);
    const building = (await serverPid(root))!;
    assert.notEqual(building, idle);
    // Killed while it runs an action: the client builds through a new one.
    const client = startClient(root, "out/second");
    await waitFor("the action", async () => ((await readMaybe(root, "second.pid")) ?? "") !== "");
    Deno.kill(building, "SIGKILL");
    const out = await client.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(await readMaybe(root, "out/second"), "done\n");
    assert.notEqual(await serverPid(root), building);
    assert.match((await serverBuild(root)).stderr, /Done: 0 actions ran/);
    assert.match(
      (await serverBuild(root, ["out/second", "--no-server"])).stderr,
      /Done: 0 actions ran/,
    );
    assert.equal(await readMaybe(root, "out/ab.txt"), "a2\nb\n");
  });
});

Deno.test("build server: Ctrl-C of a client stops its action, says so, and the server goes on", async () => {
  await withServerProject(PROJECT, async (root) => {
    await serverBuild(root);
    const pid = (await serverPid(root))!;
    const client = startClient(root, "out/slow");
    await waitFor(
      "the slow action",
      async () => ((await readMaybe(root, "slow.pid")) ?? "") !== "",
    );
    const action = Number((await readMaybe(root, "slow.pid"))!.trim());
    assert.ok(isAlive(action));
    client.kill("SIGINT");
    const out = await client.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 130, stderr);
    // As a build of its own says it.
    assert.match(stderr, /^Interrupted: stopped 1 running command: out\/slow \(sh -c echo /m);
    await waitGone(action);
    assert.equal(await serverPid(root), pid);
    assert.match((await serverBuild(root)).stderr, /Done: 0 actions ran/);
  });
});

Deno.test("build server: a build sees the client's environment", async () => {
  await withServerProject(PROJECT, async (root) => {
    await serverBuild(root);
    await serverBuild(root, ["out/greeting"], { GREETING: "hello" });
    assert.equal(await readMaybe(root, "out/greeting"), "hello\n");
  });
});

Deno.test("build server: files outside the project, which it does not watch, are checked on every build", async () => {
  await withProject({
    "proj/build.ts": `import { rule } from "${MOD}";
rule({
  targets: "out.txt",
  deps: "../shared/lib.txt",
  action: async (ctx) => ctx.writeText("out.txt", await ctx.readText("../shared/lib.txt")),
});
`,
    "shared/lib.txt": "v1\n",
  }, async (dir) => {
    const root = join(await Deno.realPath(dir), "proj");
    try {
      await serverBuild(root, ["out.txt"]);
      const pid = await serverPid(root);
      await Deno.writeTextFile(join(dir, "shared/lib.txt"), "v2, longer\n");
      assert.match((await serverBuild(root, ["out.txt"])).stderr, /Done: 1 action ran/);
      assert.equal(await readMaybe(root, "out.txt"), "v2, longer\n");
      assert.equal(await serverPid(root), pid);
      assert.match((await serverBuild(root, ["out.txt"])).stderr, /Done: 0 actions ran/);
    } finally {
      await stopServer(root);
    }
  });
});

Deno.test("build server: an edit of build.ts is built by the same server; one of a module it imports, by a new one", async () => {
  await withServerProject({
    "build.ts": `import { rule, sh } from "${MOD}";
import { FLAG } from "./flags.ts";
rule({ targets: "out.txt", action: sh("echo one " + FLAG + " > out.txt") });
`,
    "flags.ts": `export const FLAG = "-O1";\n`,
  }, async (root) => {
    await serverBuild(root, ["out.txt"]);
    const first = (await serverPid(root))!;
    const text = await Deno.readTextFile(join(root, "build.ts"));
    await Deno.writeTextFile(join(root, "build.ts"), text.replace("echo one", "echo two"));
    assert.match((await serverBuild(root, ["out.txt"])).stderr, /Done: 1 action ran/);
    assert.equal(await readMaybe(root, "out.txt"), "two -O1\n");
    assert.equal(await serverPid(root), first);
    await Deno.writeTextFile(join(root, "flags.ts"), `export const FLAG = "-O2";\n`);
    const rebuilt = await serverBuild(root, ["out.txt"]);
    assert.match(rebuilt.stderr, /Done: 1 action ran/);
    assert.equal(await readMaybe(root, "out.txt"), "two -O2\n");
    await waitGone(first);
    assert.notEqual(await serverPid(root), undefined);
  });
});

/** Copies this checkout's code (what a local clone of barchan is) into `dir`. */
async function copyBarchan(dir: string): Promise<void> {
  const from = new URL("../../../", import.meta.url).pathname;
  for (const part of ["cli.ts", "mod.ts", "deno.json", "cli", "fiber", "memo", "rules"]) {
    const out = await new Deno.Command("cp", { args: ["-R", join(from, part), join(dir, part)] })
      .output();
    assert.equal(out.code, 0);
  }
}

Deno.test("build server: a new barchan version, or an edit of barchan's files, replaces the server", async () => {
  const barchan = await Deno.makeTempDir({ prefix: "barchan_copy_" });
  try {
    await copyBarchan(barchan);
    const cli = join(barchan, "cli.ts");
    const mod = new URL(`file://${join(barchan, "mod.ts")}`).href;
    await withServerProject({
      "build.ts": `import { rule, sh } from "${mod}";
rule({ targets: "out.txt", deps: "in.txt", action: sh("cp in.txt out.txt") });
`,
      "in.txt": "1\n",
    }, async (root) => {
      const build = async () => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", cli, "build"],
          cwd: root,
          stdout: "piped",
          stderr: "piped",
          env: { ...SERVER_ON, ...ownCacheEnv() },
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 0, stderr);
        return stderr;
      };
      assert.match(await build(), /Done: 1 action ran/);
      const first = (await serverPid(root))!;
      // barchan's own files changed, as after a pull in a clone.
      const file = join(barchan, "rules/daemon/build_server.ts");
      await Deno.writeTextFile(file, (await Deno.readTextFile(file)) + "\n// edited\n");
      assert.match(await build(), /Done: 0 actions ran/);
      await waitGone(first);
      const second = (await serverPid(root))!;
      assert.notEqual(second, first);
      // A new version.
      const json = join(barchan, "deno.json");
      const config = JSON.parse(await Deno.readTextFile(json));
      await Deno.writeTextFile(json, JSON.stringify({ ...config, version: "99.0.0" }));
      await Deno.writeTextFile(join(root, "in.txt"), "2\n");
      assert.match(await build(), /Done: 1 action ran/);
      await waitGone(second);
      const third = await serverStatus(root);
      assert.notEqual(third?.pid, second);
      assert.match(third!.tool, /^barchan 99\.0\.0 /);
      assert.equal(await readMaybe(root, "out.txt"), "2\n");
    });
  } finally {
    await Deno.remove(barchan, { recursive: true });
  }
});

Deno.test("build server: a build runs in the client's working directory", async () => {
  await withServerProject({
    "build.ts": `import { rule } from "${MOD}";
rule({
  targets: "cwd.txt",
  deps: "stamp",
  action: async (ctx) => ctx.writeText("cwd.txt", Deno.cwd()),
});
`,
    "stamp": "1",
    "sub/keep": "",
  }, async (root) => {
    await serverBuild(root, ["cwd.txt"]);
    assert.equal(await readMaybe(root, "cwd.txt"), root);
    await Deno.writeTextFile(join(root, "stamp"), "2");
    await serverBuild(join(root, "sub"), ["../cwd.txt"]);
    assert.equal(await readMaybe(root, "cwd.txt"), join(root, "sub"));
  });
});

Deno.test("build server: none can be started: the build runs in its own process and says why", async () => {
  await withServerProject(PROJECT, async (root) => {
    const built = await serverBuild(root, [], { BARCHAN_SERVER_IDLE: "soon" });
    assert.match(
      built.stderr,
      /Cannot start a build server: BARCHAN_SERVER_IDLE takes a duration such as 30s, 15m or 1h, not "soon": building here/,
    );
    assert.match(built.stderr, /Done: 3 actions ran/);
    assert.equal(await serverPid(root), undefined);
    const wrong = await serverCli(root, ["build"], { BARCHAN_SERVER: "sometimes" });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /BARCHAN_SERVER takes on, off or auto, not "sometimes"/);
  });
});

Deno.test("build server: one that does not answer is killed, and the build runs in its own process", async () => {
  await withServerProject(PROJECT, async (root) => {
    const silent = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        new URL("../../fixtures/silent_server.ts", import.meta.url).pathname,
        "server",
        "run",
        "-C",
        root,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = silent.stdout.pipeThrough(new TextDecoderStream()).getReader();
      assert.equal((await reader.read()).value?.trim(), "listening");
      reader.releaseLock();
      // It holds the lock, and says nothing for 10 s: then it is killed.
      const built = await serverBuild(root, [], { BARCHAN_SERVER: "off" });
      assert.match(
        built.stderr,
        new RegExp(`The build server \\(pid ${silent.pid}\\) did not answer: building here`),
      );
      assert.match(built.stderr, /Done: 3 actions ran/);
      assert.equal((await silent.status).success, false);
    } finally {
      try {
        silent.kill("SIGKILL");
      } catch {
        // Killed by the client.
      }
      await silent.status;
      await silent.stdout.cancel().catch(() => {});
    }
  });
});

Deno.test("build server: after one failed to start, builds do not try again for a while; server start does", async () => {
  await withServerProject(PROJECT, async (root) => {
    // Something that is not a socket, and cannot be removed, where the socket goes.
    await Deno.mkdir(join(serverSocketPath(root), "x"), { recursive: true });
    const first = await serverBuild(root);
    assert.match(
      first.stderr,
      /Cannot start a build server: it exited with code 1 .*: building here/,
    );
    assert.match(first.stderr, /Done: 3 actions ran/);
    const second = await serverBuild(root);
    assert.match(
      second.stderr,
      /Cannot start a build server: one could not start \d+ (ms|s) ago .*barchan server start tries again at once: building here/,
    );
    await Deno.remove(serverSocketPath(root), { recursive: true });
    const started = await serverCli(root, ["server", "start"]);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(await readMaybe(root, `${STATE_DIR}/server.failed`), undefined);
    assert.match((await serverBuild(root)).stderr, /^Done: 0 actions ran/);
  });
});

Deno.test("build server: one that starts stops the commands a killed build left running, and its first build says so", async () => {
  const sleep = uniqueSleep();
  await withServerProject({
    "build.ts": `import { rule, sh } from "${MOD}";
rule({ targets: "out.txt", action: sh("sleep ${sleep}; echo late > out.txt") });
`,
  }, async (root) => {
    const killed = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", CLI, "build", "--no-server"],
      cwd: root,
      stdout: "null",
      stderr: "null",
      env: { ...SERVER_ON, ...ownCacheEnv() },
    }).spawn();
    await awaitProcesses(`sleep ${sleep}`, 1);
    killed.kill("SIGKILL");
    await killed.status;
    await Deno.writeTextFile(
      join(root, "build.ts"),
      `import { rule, write } from "${MOD}";\nrule({ targets: "out.txt", action: write("out.txt", "new\\n") });\n`,
    );
    const built = await serverBuild(root);
    assert.match(
      built.stderr,
      /^Stopped 1 command that a build which did not end left running: out\.txt \(pid \d+\)$/m,
    );
    assert.notEqual(await serverPid(root), undefined);
    await assertNoProcess(`sleep ${sleep}`);
    assert.equal(await readMaybe(root, "out.txt"), "new\n");
  });
});
