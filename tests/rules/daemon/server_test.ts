// Builds served by a watch session: `cli.ts build` in child processes while
// `cli.ts build -w` runs in the same project. The session holds the build
// lock, so a build that did not go through it would wait for as long as the
// session runs; build.ts counts its evaluations to show who loaded it.

import { ownCacheEnv } from "../../_own_cache.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildThroughServer, serverSocketPath } from "../../../rules/daemon/client.ts";
import {
  type BuildRequest,
  type BuildServer,
  serveBuilds,
  type ServerHost,
} from "../../../rules/daemon/server.ts";
import { STATE_DIR } from "../../../rules/state.ts";
import { actionCacheOptionsFromEnv } from "../../../rules/cache/cache_options.ts";
import type { BuildSettings } from "../../../rules/daemon/protocol.ts";
import { CLI, cli, type Files, MOD, NO_SERVER, readMaybe, withProject } from "../_util.ts";
import { EVENT_TIMEOUT_MS, WatchProcess } from "./_watch_process.ts";

const COUNT =
  `Deno.writeTextFileSync(new URL("evaluations", import.meta.url), "x", { append: true });\n`;

/**
 * What a build from this process asks for to be served by a session the
 * test started: the session's action cache (its own test's, which this
 * process's environment does not name).
 */
function sessionSettings(): BuildSettings {
  const env: Record<string, string> = { ...Deno.env.toObject(), ...ownCacheEnv() };
  return { cache: { options: actionCacheOptionsFromEnv((name) => env[name]), namespace: "" } };
}

/** The session builds @default (out/a); requests ask for out/b, or for the slow rule. */
const PROJECT: Files = {
  "build.ts": `import { alias, rule, sh } from "${MOD}";\n${COUNT}
const a = rule({ targets: "out/a", deps: "src/a.txt", action: sh("mkdir -p out && cp src/a.txt out/a") });
rule({ targets: "out/b", deps: "src/b.txt", action: sh("mkdir -p out && cp src/b.txt out/b") });
rule({ targets: "out/bad", deps: "src/b.txt", action: sh("echo broken >&2; exit 3") });
rule({
  targets: "out/second",
  action: sh("echo $$ > second.pid; sleep 1; mkdir -p out && echo done > out/second"),
});
rule({
  targets: "out/slow",
  action: sh("echo $$ > slow.pid; sleep 60; mkdir -p out && touch out/slow"),
});
alias("default", [a]);
`,
  "src/a.txt": "a\n",
  "src/b.txt": "b0\n",
};

/** `cli.ts build TARGET` in a child process; its standard error is piped. */
function startClient(root: string, target: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, "build", target],
    cwd: root,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", ...NO_SERVER, ...ownCacheEnv() },
  }).spawn();
}

async function evaluations(root: string): Promise<number> {
  return (await Deno.readTextFile(join(root, "evaluations"))).length;
}

async function startSession(root: string): Promise<WatchProcess> {
  const watch = new WatchProcess(root);
  const first = await watch.nextBuild();
  assert.equal(first.finished.ok, true, watch.transcript());
  return watch;
}

function isAlive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A host that answers builds with `build`, as a watch session of the test's making. */
function testHost(build: (request: BuildRequest) => void): ServerHost {
  return {
    kind: "watch",
    build,
    status: () => ({
      kind: "watch",
      pid: Deno.pid,
      root: "",
      tool: "",
      uptimeMs: 0,
      rssBytes: 0,
      builds: 0,
    }),
  };
}

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("build server: a build while a watch session runs is built by it, and sees edits made just before", async () => {
  await withProject(PROJECT, async (root) => {
    await using watch = await startSession(root);
    const built = await cli(root, "build", "out/b");
    assert.equal(built.code, 0, built.stderr + watch.transcript());
    assert.match(built.stderr, /Done: 1 action ran/);
    assert.equal(await readMaybe(root, "out/b"), "b0\n");
    // An edit written right before the request is part of its build: asked
    // from this process, the request reaches the session well before the
    // file event does.
    for (let i = 1; i <= 30; i++) {
      Deno.writeTextFileSync(join(root, "src/b.txt"), `b${i}\n`);
      const again = await buildThroughServer(root, ["out/b"], {}, {
        settings: sessionSettings(),
      });
      assert.equal(again.kind, "done");
      assert.equal(again.kind === "done" && again.code, 0);
      assert.equal(await readMaybe(root, "out/b"), `b${i}\n`, `edit ${i}`);
    }
    const json = await cli(root, "build", "--json", "out/b");
    const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.event), ["build-started", "build-finished"]);
    assert.equal(events[1].ran, 0);
    // Only the session evaluated build.ts.
    assert.equal(await evaluations(root), 1);
  });
});

Deno.test("build server: failures and unknown targets come back with exit code 1", async () => {
  await withProject(PROJECT, async (root) => {
    await using watch = await startSession(root);
    const bad = await cli(root, "build", "out/bad");
    assert.equal(bad.code, 1, watch.transcript());
    assert.match(bad.stderr, /FAILED out\/bad/);
    assert.match(bad.stderr, /broken/);
    const unknown = await cli(root, "build", "out/nothing");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Error: .*out\/nothing/);
  });
});

Deno.test("build server: an output deleted or edited by hand is built again by a request", async () => {
  await withProject(PROJECT, async (root) => {
    await using _watch = await startSession(root);
    assert.equal((await cli(root, "build", "out/b")).code, 0);
    await Deno.remove(join(root, "out/b"));
    const rebuilt = await cli(root, "build", "out/b");
    // Its command's result is in the action cache: it is restored from there.
    assert.match(rebuilt.stderr, /Done: 0 actions ran, 1 restored from cache/);
    assert.equal(await readMaybe(root, "out/b"), "b0\n");
    await Deno.writeTextFile(join(root, "out/a"), "scribbled\n");
    assert.equal((await cli(root, "build")).code, 0);
    assert.equal(await readMaybe(root, "out/a"), "a\n");
  });
});

Deno.test("build server: a request asking for another action cache than the session's waits for the lock", async () => {
  await withProject(PROJECT, async (root) => {
    const watch = await startSession(root);
    await Deno.writeTextFile(join(root, "src/b.txt"), "b1\n");
    assert.match((await cli(root, "build", "out/b")).stderr, /Done: 1 action ran/);
    const client = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", CLI, "build", "--no-cache", "out/b"],
      cwd: root,
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1", ...NO_SERVER, ...ownCacheEnv() },
    }).spawn();
    const stderr = new Response(client.stderr).text();
    let exited = false;
    void client.status.then(() => exited = true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Still waiting: the session holds the lock, and would build it with its cache.
    assert.equal(exited, false);
    await watch.stop();
    const status = await client.status;
    const said = await stderr;
    assert.equal(status.code, 0, said);
    assert.match(said, /another action cache or remote executor: building here/);
    assert.match(said, /Done: 0 actions ran/);
    assert.equal(await readMaybe(root, "out/b"), "b1\n");
  });
});

Deno.test("build server: Ctrl-C on a client cancels its build in the session, which goes on serving", async () => {
  await withProject(PROJECT, async (root) => {
    await using watch = await startSession(root);
    const client = startClient(root, "out/slow");
    await waitFor("the slow action to start", async () => {
      const text = await readMaybe(root, "slow.pid");
      return text !== undefined && text.trim() !== "";
    });
    const pid = Number((await readMaybe(root, "slow.pid"))!.trim());
    assert.equal(isAlive(pid), true);
    client.kill("SIGINT");
    const status = await client.output();
    assert.equal(status.code, 130, new TextDecoder().decode(status.stderr) + watch.transcript());
    await waitFor("the slow action to be killed", () => Promise.resolve(!isAlive(pid)));
    const after = await cli(root, "build", "out/b");
    assert.equal(after.code, 0, after.stderr + watch.transcript());
  });
});

Deno.test("build server: a session that died leaves a socket the next build replaces", async () => {
  await withProject(PROJECT, async (root) => {
    const watch = await startSession(root);
    watch.child.kill("SIGKILL");
    await watch.stop();
    assert.equal((await Deno.lstat(serverSocketPath(root))).isSocket, true);
    // Nobody listens: the build runs on its own.
    const alone = await cli(root, "build", "out/b");
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(await readMaybe(root, "out/b"), "b0\n");
    const before = await evaluations(root);
    // A new session listens on the same path.
    await using again = await startSession(root);
    assert.equal((await cli(root, "build", "out/b")).code, 0, again.transcript());
    assert.equal(await evaluations(root), before, "build.ts did not change: not evaluated again");
  });
});

Deno.test("build server: a project path too long for a socket listens in the temporary directory", () => {
  const long = "/" + "d".repeat(120);
  const path = serverSocketPath(long);
  assert.equal(path.startsWith(long), false);
  assert.equal(path, serverSocketPath(long));
  assert.notEqual(path, serverSocketPath(long + "e"));
  assert.equal(serverSocketPath("/p"), "/p/_build/.barchan/server.sock");
});

Deno.test("build server: a build waiting for the lock is sent to a session that starts meanwhile", async () => {
  await withProject(PROJECT, async (root) => {
    // This process holds the lock, as a starting session does before it listens.
    await Deno.mkdir(join(root, STATE_DIR), { recursive: true });
    const lock = await Deno.open(join(root, STATE_DIR, "build.lock"), {
      create: true,
      write: true,
    });
    await lock.lock(true);
    const client = startClient(root, "out/b");
    const asked: string[][] = [];
    let server: BuildServer | undefined;
    try {
      // The client says it waits before anything listens.
      const reader = client.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let stderr = "";
      while (!stderr.includes("Waiting for another build")) {
        const { value, done } = await reader.read();
        assert.equal(done, false, stderr);
        stderr += value;
      }
      // Without the session's answer the client would wait for the lock for good.
      const limit = setTimeout(() => client.kill("SIGKILL"), EVENT_TIMEOUT_MS);
      server = serveBuilds(
        root,
        testHost((request) => {
          asked.push(request.targets);
          request.reporter.note?.("built elsewhere");
          request.finish(0);
        }),
      );
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += value;
      }
      const status = await client.status;
      clearTimeout(limit);
      assert.equal(status.code, 0, stderr);
      assert.match(stderr, /built elsewhere/);
      assert.deepEqual(asked, [["out/b"]]);
      assert.equal(await readMaybe(root, "out/b"), undefined);
    } finally {
      await server?.close();
      lock.close();
    }
  });
});

Deno.test("build server: a session that cannot listen says so and goes on watching", async () => {
  await withProject(PROJECT, async (root) => {
    // Something that is not a socket, and cannot be removed, where the socket goes.
    await Deno.mkdir(join(serverSocketPath(root), "x"), { recursive: true });
    await using watch = await startSession(root);
    assert.match(watch.transcript(), /Cannot serve builds to other processes/);
    await Deno.writeTextFile(join(root, "src/a.txt"), "a2\n");
    const rebuilt = await watch.nextBuild();
    assert.deepEqual(rebuilt.ran, ["out/a"]);
    assert.equal(await readMaybe(root, "out/a"), "a2\n");
  });
});

Deno.test("build server: a build the session had not finished when it stopped is built by the client", async () => {
  await withProject(PROJECT, async (root) => {
    const watch = await startSession(root);
    const client = startClient(root, "out/second");
    await waitFor("the action to start in the session", async () => {
      return (await readMaybe(root, "second.pid")) !== undefined;
    });
    await watch.stop();
    const status = await client.output();
    const stderr = new TextDecoder().decode(status.stderr);
    assert.equal(status.code, 0, stderr + watch.transcript());
    assert.match(stderr, /The watch session stopped before this build was done: building here/);
    assert.match(stderr, /Done: 1 action ran/);
    assert.equal(await readMaybe(root, "out/second"), "done\n");
  });
});

Deno.test({
  name: "build server: a socket another user owns is not trusted",
  ignore: Deno.build.os === "windows" || Deno.uid() !== 0,
  fn: async () => {
    await withProject(PROJECT, async (root) => {
      await Deno.mkdir(join(root, STATE_DIR), { recursive: true });
      const asked: string[][] = [];
      const server = serveBuilds(
        root,
        testHost((request) => {
          asked.push(request.targets);
          request.finish(0);
        }),
      );
      try {
        Deno.chownSync(server.path, 65534, 65534);
        const alone = await cli(root, "build", "out/b");
        assert.equal(alone.code, 0, alone.stderr);
        assert.match(alone.stderr, /Done: 1 action ran/);
        assert.deepEqual(asked, []);
      } finally {
        await server.close();
      }
    });
  },
});

Deno.test("build server: clean and a second watch session refuse while a session runs", async () => {
  await withProject(PROJECT, async (root) => {
    await using _watch = await startSession(root);
    const cleaned = await cli(root, "clean");
    assert.equal(cleaned.code, 1);
    assert.match(cleaned.stderr, /a watch session \(build -w\) runs in this project/);
    assert.equal(await readMaybe(root, "out/a"), "a\n");
    const second = await cli(root, "build", "-w");
    assert.equal(second.code, 1);
    assert.match(second.stderr, /a watch session \(build -w\) already runs/);
  });
});
