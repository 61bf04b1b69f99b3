// --remote-download minimal on the test executor: outputs of remote
// commands stay in its CAS but for the requested targets; the next build is
// a no-op that downloads nothing; a rule that runs here fetches what it
// reads first; --remote-download all fetches what was left; a blob the CAS
// evicted is made again, with one note; and the files are byte for byte
// those of a local build.

import assert from "node:assert/strict";
import { join } from "node:path";
import { build } from "../../../mod.ts";
import { clean } from "../../../rules/run/clean.ts";
import type { ActionFinished } from "../../../rules/report/reporter.ts";
import type { RemoteExecutionOptions } from "../../../rules/remote/executor_options.ts";
import { remoteExecutionOptionsFromEnv } from "../../../rules/remote/executor_options.ts";
import { cliWithEnv, IMPORT, MOD, writeFiles } from "../_util.ts";
import { withExecutor, withTempDir } from "./_util.ts";
import { serverBuild, serverPid, withServerProject } from "../daemon/_server.ts";

const PROJECT = IMPORT + `
rule({ targets: "out/a.txt", deps: ["src.txt"], action: sh("tr a-z A-Z < src.txt > out/a.txt") });
rule({
  targets: "out/b.sh",
  deps: ["out/a.txt", "flag.txt"],
  action: sh("printf '#!/bin/sh\\\\necho ' > out/b.sh && cat out/a.txt >> out/b.sh && chmod +x out/b.sh"),
});
rule({ targets: "out/c.txt", deps: ["out/b.sh"], action: sh("./out/b.sh > out/c.txt && wc -c < out/b.sh >> out/c.txt") });
rule({ targets: "out/local.txt", deps: ["out/b.sh"], remote: false, action: sh("./out/b.sh | rev > out/local.txt") });
rule({
  targets: "out/fn.txt",
  deps: ["out/a.txt"],
  action: async (ctx) => {
    await ctx.writeText("out/fn.txt", (await ctx.readText("out/a.txt")).toLowerCase());
  },
});
alias("all", ["out/c.txt", "out/local.txt", "out/fn.txt"]);
`;

const ALL = ["out/a.txt", "out/b.sh", "out/c.txt", "out/fn.txt", "out/local.txt"];

/** A build of `targets` in `root`, and what it reported. */
async function buildWith(
  root: string,
  targets: string[],
  remote: RemoteExecutionOptions | false,
) {
  const finished: ActionFinished[] = [];
  const notes: string[] = [];
  const result = await build({
    root,
    jobs: 2,
    targets,
    cache: { cacheDir: join(root, "..", `cache-${root.split("/").pop()}`) },
    remote,
    reporter: {
      actionFinished: (e) => void finished.push(e),
      note: (m) => void notes.push(m),
    },
  });
  assert.deepEqual(result.failed, [], "the build succeeded");
  const ran = finished.map((e) => e.rule).sort();
  const remotely = finished.filter((e) => e.remote).map((e) => e.rule).sort();
  return { ran, remotely, notes };
}

/** Which of the project's outputs are on disk. */
function onDisk(root: string): string[] {
  return ALL.filter((path) => {
    try {
      return Deno.statSync(join(root, path)).isFile;
    } catch {
      return false;
    }
  });
}

/** An output's bytes and executable bits. */
async function file(root: string, path: string): Promise<[string, number]> {
  return [
    await Deno.readTextFile(join(root, path)),
    (await Deno.stat(join(root, path))).mode! & 0o111,
  ];
}

/** Builds the project here, without an executor, in a directory of its own: the reference. */
async function reference(dir: string, src: string): Promise<Map<string, [string, number]>> {
  const root = join(dir, "local");
  await writeFiles(root, { "build.ts": PROJECT, "src.txt": src, "flag.txt": "" });
  await buildWith(root, ["@all"], false);
  const files = new Map<string, [string, number]>();
  for (const path of ALL) files.set(path, await file(root, path));
  return files;
}

Deno.test("--remote-download minimal leaves intermediate outputs on the executor and fetches them for readers here", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const root = join(dir, "project");
      await writeFiles(root, { "build.ts": PROJECT, "src.txt": "hello\n", "flag.txt": "" });
      const minimal: RemoteExecutionOptions = { executor: executor.url, download: "minimal" };

      // The chain runs remotely; only the requested target comes back.
      const first = await buildWith(root, ["out/c.txt"], minimal);
      assert.deepEqual(first.remotely, ["out/a.txt", "out/b.sh", "out/c.txt"]);
      assert.deepEqual(onDisk(root), ["out/c.txt"]);
      let expected = await reference(join(dir, "v1"), "hello\n");
      assert.deepEqual(await file(root, "out/c.txt"), expected.get("out/c.txt"));

      // Nothing to do: nothing runs, nothing is fetched.
      const again = await buildWith(root, ["out/c.txt"], minimal);
      assert.deepEqual(again.ran, []);
      assert.deepEqual(onDisk(root), ["out/c.txt"]);

      // An edit of the source: the chain runs again remotely, the target is right.
      await Deno.writeTextFile(join(root, "src.txt"), "edited source\n");
      const edited = await buildWith(root, ["out/c.txt"], minimal);
      assert.deepEqual(edited.remotely, ["out/a.txt", "out/b.sh", "out/c.txt"]);
      assert.deepEqual(onDisk(root), ["out/c.txt"]);
      expected = await reference(join(dir, "v2"), "edited source\n");
      assert.deepEqual(await file(root, "out/c.txt"), expected.get("out/c.txt"));

      // A rule that runs here fetches what it reads, with its executable bit;
      // so does a function action reading a file.
      const local = await buildWith(root, ["out/local.txt", "out/fn.txt"], minimal);
      assert.deepEqual(local.ran, ["out/fn.txt", "out/local.txt"]);
      assert.deepEqual(onDisk(root), ALL);
      for (const path of ALL) assert.deepEqual(await file(root, path), expected.get(path), path);

      // Fetched, nothing the build recorded changed: a no-op.
      assert.deepEqual((await buildWith(root, ["@all"], minimal)).ran, []);
    });
  });
});

Deno.test("--remote-download minimal brings the files an alias names, not what they depend on", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const root = join(dir, "project");
      await writeFiles(root, { "build.ts": PROJECT, "src.txt": "alias\n", "flag.txt": "" });
      const minimal: RemoteExecutionOptions = { executor: executor.url, download: "minimal" };
      await buildWith(root, ["@all"], minimal);
      // out/local.txt and out/fn.txt run here: they fetched out/b.sh and out/a.txt.
      assert.deepEqual(onDisk(root), ALL);
      const edited = await buildWith(root, ["@all"], minimal);
      assert.deepEqual(edited.ran, []);
      // Only out/c.txt of the alias comes from the executor: a and b stay there after an edit.
      await Deno.writeTextFile(
        join(root, "build.ts"),
        PROJECT.replace(
          `alias("all", ["out/c.txt", "out/local.txt", "out/fn.txt"]);`,
          `alias("all", ["out/c.txt"]);`,
        ),
      );
      await Deno.writeTextFile(join(root, "src.txt"), "alias edited\n");
      await buildWith(root, ["@all"], minimal);
      assert.deepEqual(onDisk(root), ["out/c.txt", "out/fn.txt", "out/local.txt"]);
      const expected = await reference(dir, "alias edited\n");
      assert.deepEqual(await file(root, "out/c.txt"), expected.get("out/c.txt"));
    });
  });
});

Deno.test("--remote-download all fetches what a minimal build left on the executor", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const root = join(dir, "project");
      await writeFiles(root, { "build.ts": PROJECT, "src.txt": "switch\n", "flag.txt": "" });
      const minimal: RemoteExecutionOptions = { executor: executor.url, download: "minimal" };
      await buildWith(root, ["out/c.txt"], minimal);
      assert.deepEqual(onDisk(root), ["out/c.txt"]);
      const all = await buildWith(root, ["out/c.txt"], { executor: executor.url });
      assert.deepEqual(all.ran, [], "fetched, not run again");
      assert.deepEqual(onDisk(root), ["out/a.txt", "out/b.sh", "out/c.txt"]);
      const expected = await reference(dir, "switch\n");
      for (const path of ["out/a.txt", "out/b.sh", "out/c.txt"]) {
        assert.deepEqual(await file(root, path), expected.get(path), path);
      }
      assert.deepEqual((await buildWith(root, ["out/c.txt"], minimal)).ran, []);
    });
  });
});

Deno.test("a build without an executor makes again what a minimal build left on one", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const root = join(dir, "project");
      await writeFiles(root, { "build.ts": PROJECT, "src.txt": "no executor\n", "flag.txt": "" });
      await buildWith(root, ["out/c.txt"], { executor: executor.url, download: "minimal" });
      const here = await buildWith(root, ["out/c.txt"], false);
      assert.deepEqual(here.ran, ["out/a.txt", "out/b.sh"]);
      assert.equal(here.notes.filter((n) => /cannot be fetched without one/.test(n)).length, 1);
      assert.deepEqual(onDisk(root), ["out/a.txt", "out/b.sh", "out/c.txt"]);
      const expected = await reference(dir, "no executor\n");
      for (const path of ["out/a.txt", "out/b.sh", "out/c.txt"]) {
        assert.deepEqual(await file(root, path), expected.get(path), path);
      }
    });
  });
});

Deno.test("an output left on the executor and evicted from its CAS is made again, with one note", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const root = join(dir, "project");
      await writeFiles(root, { "build.ts": PROJECT, "src.txt": "evicted\n", "flag.txt": "" });
      const minimal: RemoteExecutionOptions = { executor: executor.url, download: "minimal" };
      await buildWith(root, ["out/c.txt"], minimal);
      const expected = await reference(dir, "evicted\n");
      // The CAS loses out/b.sh.
      await Deno.remove(
        join(executor.storeDir, "cas", await sha256(expected.get("out/b.sh")![0])),
      );

      const local = await buildWith(root, ["out/local.txt"], minimal);
      assert.deepEqual(local.ran, ["out/b.sh", "out/local.txt"], "its rule ran again");
      assert.equal(local.notes.filter((n) => /evicted/.test(n)).length, 1, local.notes.join("\n"));
      assert.match(local.notes.find((n) => /evicted/.test(n))!, /out\/b\.sh/);
      assert.deepEqual(await file(root, "out/local.txt"), expected.get("out/local.txt"));
      assert.deepEqual(await file(root, "out/b.sh"), expected.get("out/b.sh"));
      assert.deepEqual((await buildWith(root, ["out/local.txt"], minimal)).ran, []);
    });
  });
});

Deno.test("a damaged record of remote outputs makes their rules run again, never a wrong build", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const root = join(dir, "project");
      await writeFiles(root, { "build.ts": PROJECT, "src.txt": "damaged\n", "flag.txt": "" });
      const minimal: RemoteExecutionOptions = { executor: executor.url, download: "minimal" };
      await buildWith(root, ["out/c.txt"], minimal);
      const log = join(root, "_build/.barchan/remote_outputs.log");
      await Deno.writeTextFile(
        log,
        (await Deno.readTextFile(log)).replace("out/a.txt", "out/a.txu"),
      );
      const local = await buildWith(root, ["out/local.txt"], minimal);
      assert.equal(local.notes.filter((n) => /remote_outputs\.log is damaged/.test(n)).length, 1);
      assert.deepEqual(local.ran, ["out/a.txt", "out/b.sh", "out/local.txt"]);
      const expected = await reference(dir, "damaged\n");
      assert.deepEqual(await file(root, "out/local.txt"), expected.get("out/local.txt"));
      assert.deepEqual(await file(root, "out/c.txt"), expected.get("out/c.txt"));
    });
  });
});

Deno.test("clean deletes the outputs fetched from the executor, its outputs.log lost too", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const root = join(dir, "project");
      await writeFiles(root, { "build.ts": PROJECT, "src.txt": "clean\n", "flag.txt": "" });
      const minimal: RemoteExecutionOptions = { executor: executor.url, download: "minimal" };
      await buildWith(root, ["out/local.txt"], minimal);
      assert.deepEqual(onDisk(root), ["out/b.sh", "out/local.txt"]);
      await Deno.remove(join(root, "_build/.barchan/outputs.log"));
      const notes: string[] = [];
      const removed = await clean(root, { note: (m) => void notes.push(m) });
      assert.deepEqual(removed.filter((p) => p.startsWith("out/")), ["out/b.sh", "out/local.txt"]);
      assert.deepEqual(onDisk(root), []);
      assert.equal(await Deno.stat(join(root, "_build/.barchan")).catch(() => null), null);
    });
  });
});

Deno.test("--remote-download minimal: a module generated remotely is fetched for deno's module graph", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const root = join(dir, "project");
      await writeFiles(root, {
        "build.ts": `import { deno, rule, run } from "${MOD}";
rule({ targets: "gen/msg.ts", deps: ["msg.txt"], action: run("cp", "msg.txt", "gen/msg.ts") });
rule({ action: deno.bundle("main.ts", "out/app.js") });
`,
        "main.ts": `import { msg } from "./gen/msg.ts";\nconsole.log(msg);\n`,
        "msg.txt": `export { msg } from "../lib.ts";\n`,
        "lib.ts": `export const msg = "first";\n`,
      });
      const minimal: RemoteExecutionOptions = { executor: executor.url, download: "minimal" };
      const first = await buildWith(root, ["out/app.js"], minimal);
      assert.ok(first.remotely.includes("gen/msg.ts"), first.remotely.join(" "));
      assert.match(await Deno.readTextFile(join(root, "out/app.js")), /first/);
      // lib.ts is in the graph only through the generated module, which deno info read.
      await Deno.writeTextFile(join(root, "lib.ts"), `export const msg = "second";\n`);
      await buildWith(root, ["out/app.js"], minimal);
      assert.match(await Deno.readTextFile(join(root, "out/app.js")), /second/);
      assert.deepEqual((await buildWith(root, ["out/app.js"], minimal)).ran, []);
    });
  });
});

/** The SHA-256 of a text, in hex: the name of its blob in the test executor's CAS. */
async function sha256(text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("a remote command whose input the CAS evicted makes the input again, with one note", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const root = join(dir, "project");
      await writeFiles(root, { "build.ts": PROJECT, "src.txt": "input\n", "flag.txt": "" });
      const minimal: RemoteExecutionOptions = { executor: executor.url, download: "minimal" };
      await buildWith(root, ["out/c.txt"], minimal);
      const expected = await reference(dir, "input\n");
      await Deno.remove(join(executor.storeDir, "cas", await sha256("INPUT\n")));
      // out/b.sh runs again remotely, its input out/a.txt left there and lost.
      await Deno.writeTextFile(join(root, "flag.txt"), "again");
      const again = await buildWith(root, ["out/c.txt"], minimal);
      assert.deepEqual(again.remotely, ["out/a.txt", "out/b.sh"], "each once, nothing failed");
      assert.equal(again.notes.filter((n) => /evicted/.test(n)).length, 1, again.notes.join("\n"));
      assert.match(again.notes.find((n) => /evicted/.test(n))!, /out\/a\.txt/);
      assert.deepEqual(onDisk(root), ["out/c.txt"]);
      assert.deepEqual(await file(root, "out/c.txt"), expected.get("out/c.txt"));
    });
  });
});

Deno.test("a result of the executor's action cache whose output its CAS lost runs again", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const minimal: RemoteExecutionOptions = { executor: executor.url, download: "minimal" };
      const first = join(dir, "first");
      await writeFiles(first, { "build.ts": PROJECT, "src.txt": "cached\n", "flag.txt": "" });
      await buildWith(first, ["out/c.txt"], minimal);
      const expected = await reference(dir, "cached\n");
      await Deno.remove(
        join(executor.storeDir, "cas", await sha256(expected.get("out/b.sh")![0])),
      );
      // Another checkout: the action cache answers for out/b.sh with a blob the CAS lost.
      const second = join(dir, "second");
      await writeFiles(second, { "build.ts": PROJECT, "src.txt": "cached\n", "flag.txt": "" });
      await buildWith(second, ["out/c.txt"], minimal);
      const local = await buildWith(second, ["out/local.txt"], minimal);
      assert.deepEqual(local.notes.filter((n) => /evicted/.test(n)), [], "out/b.sh is held");
      assert.deepEqual(local.ran, ["out/local.txt"]);
      for (const path of ["out/b.sh", "out/c.txt", "out/local.txt"]) {
        assert.deepEqual(await file(second, path), expected.get(path), path);
      }
    });
  });
});

const GLOBS = `import { depfile, rule, sh } from "${MOD}";
rule({ targets: "gen/x.txt", deps: ["src.txt"], action: sh("tr a-z A-Z < src.txt > gen/x.txt") });
rule({ targets: "gen/y.txt", deps: ["src.txt"], action: sh("rev src.txt > gen/y.txt") });
rule({ targets: "out/all.txt", deps: ["gen/*.txt"], action: sh("cat gen/*.txt > out/all.txt") });
rule({
  targets: "out/d.txt",
  deps: ["gen/x.txt"],
  action: depfile(
    "_build/d.d",
    sh("cp gen/x.txt out/d.txt && echo 'out/d.txt: gen/x.txt src.txt' > _build/d.d"),
  ),
});
rule({
  targets: ["out/e.txt", "out/e.d"],
  deps: ["gen/y.txt"],
  action: depfile("out/e.d", sh("cp gen/y.txt out/e.txt && echo 'out/e.txt: gen/y.txt' > out/e.d")),
});
`;

Deno.test("--remote-download minimal: a glob matches outputs left remote; a depfile is read back", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      // A glob lists what is there: gen/ is made first, by the rules that depend on it.
      const first = ["out/d.txt", "out/e.txt"];
      const targets = ["out/all.txt", ...first];
      const local = join(dir, "local");
      await writeFiles(local, { "build.ts": GLOBS, "src.txt": "globbed\n" });
      await buildWith(local, first, false);
      await buildWith(local, targets, false);
      const root = join(dir, "project");
      await writeFiles(root, { "build.ts": GLOBS, "src.txt": "globbed\n" });
      const minimal: RemoteExecutionOptions = { executor: executor.url, download: "minimal" };
      const made = await buildWith(root, first, minimal);
      assert.deepEqual(made.remotely, ["gen/x.txt", "gen/y.txt", ...first]);
      const globbed = await buildWith(root, targets, minimal);
      assert.deepEqual(globbed.remotely, ["out/all.txt"]);
      for (const path of ["gen/x.txt", "gen/y.txt"]) {
        assert.equal(await Deno.stat(join(root, path)).catch(() => null), null, path);
      }
      for (const path of targets) {
        assert.deepEqual(await file(root, path), await file(local, path), path);
      }
      assert.deepEqual((await buildWith(root, targets, minimal)).ran, []);
    });
  });
});

Deno.test("barchan build --remote-download minimal, then BARCHAN_REMOTE_DOWNLOAD=all", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const root = join(dir, "project");
      await writeFiles(root, { "build.ts": PROJECT, "src.txt": "cli\n", "flag.txt": "" });
      const flags = await cliWithEnv(
        {},
        root,
        "build",
        "--remote-executor",
        executor.url,
        "--remote-download",
        "minimal",
        "out/c.txt",
      );
      assert.equal(flags.code, 0, flags.stderr);
      assert.deepEqual(onDisk(root), ["out/c.txt"]);
      const env = await cliWithEnv(
        { BARCHAN_REMOTE_EXECUTOR: executor.url, BARCHAN_REMOTE_DOWNLOAD: "all" },
        root,
        "build",
        "out/c.txt",
      );
      assert.equal(env.code, 0, env.stderr);
      assert.deepEqual(onDisk(root), ["out/a.txt", "out/b.sh", "out/c.txt"]);
      const bad = await cliWithEnv({}, root, "build", "--remote-download", "minimal");
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /--remote-download minimal needs a remote executor/);
    });
  });
});

Deno.test("the build server builds with --remote-download minimal, and a build with all gets a server of its own", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withServerProject(
      { "build.ts": PROJECT, "src.txt": "server\n", "flag.txt": "" },
      async (root) => {
        const remote = ["--remote-executor", executor.url];
        await serverBuild(root, [...remote, "--remote-download", "minimal", "out/c.txt"]);
        const minimalServer = await serverPid(root);
        assert.notEqual(minimalServer, undefined);
        assert.deepEqual(onDisk(root), ["out/c.txt"]);
        await serverBuild(root, [...remote, "--remote-download", "minimal", "out/local.txt"]);
        assert.equal(await serverPid(root), minimalServer, "the same server");
        assert.deepEqual(onDisk(root), ["out/b.sh", "out/c.txt", "out/local.txt"]);
        await Deno.writeTextFile(join(root, "src.txt"), "server edited\n");
        await serverBuild(root, [...remote, "--remote-download", "minimal", "out/c.txt"]);
        assert.deepEqual(onDisk(root), ["out/c.txt", "out/local.txt"]);
        await serverBuild(root, [...remote, "out/c.txt"]);
        assert.notEqual(await serverPid(root), minimalServer, "another server");
        assert.deepEqual(onDisk(root), ["out/a.txt", "out/b.sh", "out/c.txt", "out/local.txt"]);
        await withTempDir(async (dir) => {
          const expected = await reference(dir, "server edited\n");
          for (const path of ["out/a.txt", "out/b.sh", "out/c.txt"]) {
            assert.deepEqual(await file(root, path), expected.get(path), path);
          }
        });
      },
    );
  });
});

Deno.test("--remote-download: minimal or all, and minimal needs an executor", () => {
  const env = (values: Record<string, string>) => (name: string) => values[name];
  assert.deepEqual(
    remoteExecutionOptionsFromEnv(env({ BARCHAN_REMOTE_EXECUTOR: "grpc://127.0.0.1:1" }), {
      remoteDownload: "minimal",
    }),
    { executor: "grpc://127.0.0.1:1", download: "minimal" },
  );
  assert.deepEqual(
    remoteExecutionOptionsFromEnv(
      env({ BARCHAN_REMOTE_EXECUTOR: "grpc://127.0.0.1:1", BARCHAN_REMOTE_DOWNLOAD: "all" }),
    ),
    { executor: "grpc://127.0.0.1:1" },
  );
  assert.throws(
    () => remoteExecutionOptionsFromEnv(env({}), { remoteDownload: "minimal" }),
    /--remote-download minimal needs a remote executor/,
  );
  assert.throws(
    () =>
      remoteExecutionOptionsFromEnv(env({ BARCHAN_REMOTE_EXECUTOR: "grpc://127.0.0.1:1" }), {
        remoteDownload: "some",
      }),
    /takes all or minimal/,
  );
});
