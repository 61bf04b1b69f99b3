// A build through the build server prints what a build in its own process
// prints, and exits with the same code: the same steps run in two copies of
// a project, one with `--no-server`, one through a server, and their
// outputs are compared (durations and the project's path aside).

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, type Files, MOD, writeFiles } from "../_util.ts";
import { findSandbox } from "../../../rules/run/sandbox.ts";
import { serverCli, serverPid, withServerProject } from "./_server.ts";

const BUILD_TS = `import { alias, rule, run, sh, write } from "${MOD}";
const a = rule({ targets: "out/a.txt", deps: "src/a.txt", action: sh("mkdir -p out && cp src/a.txt out/a.txt && echo copied a") });
const b = rule({ targets: "out/b.txt", deps: "src/b.txt", action: run("cp", "src/b.txt", "out/b.txt") });
const ab = rule({ targets: "out/ab.txt", deps: [a, b], action: sh("cat out/a.txt out/b.txt > out/ab.txt") });
rule({ targets: "out/bad", deps: "src/b.txt", action: sh("echo broken >&2; exit 3") });
rule({ targets: "out/w.txt", action: write("out/w.txt", "w") });
rule({
  targets: "out/f.txt",
  deps: "src/a.txt",
  action: async (ctx) => {
    console.log("function action says hello");
    await ctx.writeText("out/f.txt", (await ctx.readText("src/a.txt")).toUpperCase());
  },
});
alias("default", [ab]);
`;

const PROJECT: Files = { "build.ts": BUILD_TS, "src/a.txt": "a\n", "src/b.txt": "b\n" };

/** One step: files to write first, then the command's arguments. */
type Step = [Files, string[]];

const STEPS: Step[] = [
  [{}, ["build"]],
  [{}, ["build"]],
  [{ "src/a.txt": "a2\n" }, ["build", "--explain", "-v"]],
  [{}, ["build", "out/bad"]],
  [{}, ["build", "out/nothing"]],
  [{ "src/b.txt": "b2\n" }, ["build", "-n"]],
  [{}, ["build", "--json", "@default", "out/w.txt"]],
  [{}, ["build", "out/f.txt"]],
  [{ "src/a.txt": "a3\n" }, ["build", "out/f.txt", "-q"]],
  [{ "build.ts": BUILD_TS + "rule({ targets: 'x', action: ;\n" }, ["build"]],
  [{ "build.ts": BUILD_TS }, ["build", "--explain"]],
  [{}, ["build", "--replay", "@default", "out/f.txt"]],
  [{ "src/b.txt": "b3\n" }, ["build", "--no-cache", "--explain", "-j", "1"]],
  [{ "src/b.txt": "b\n" }, ["build", "--explain"]],
  ...(typeof findSandbox() === "string"
    ? []
    : [[{ "src/a.txt": "a4\n" }, ["build", "--sandbox"]]] as Step[]),
];

/**
 * What a step printed, with what varies from run to run made equal: the
 * project's path, durations, and the order of lines (actions run in
 * parallel finish in either order).
 */
function normalized(result: CliResult, root: string): string {
  const clean = (text: string) =>
    text.replaceAll(root, "ROOT")
      .replace(/in \d+\.\d\ds/g, "in Ns")
      .replace(/"durationMs":[\d.e+-]+/g, '"durationMs":0')
      .split("\n").sort().join("\n");
  return `exit ${result.code}\nstdout:\n${clean(result.stdout)}\nstderr:\n${clean(result.stderr)}`;
}

Deno.test("build server: each step prints what a build in its own process prints", async () => {
  // Each copy has an action cache of its own: neither restores what the other built.
  const caches = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const [aloneEnv, servedEnv] = caches.map((dir) => ({ BARCHAN_CACHE_DIR: dir }));
  try {
    await compareSteps(aloneEnv, servedEnv);
  } finally {
    for (const dir of caches) await Deno.remove(dir, { recursive: true });
  }
});

async function compareSteps(
  aloneEnv: Record<string, string>,
  servedEnv: Record<string, string>,
): Promise<void> {
  await withServerProject(PROJECT, async (alone) => {
    await withServerProject(PROJECT, async (served) => {
      for (const [i, [files, args]] of STEPS.entries()) {
        await writeFiles(alone, files);
        await writeFiles(served, files);
        const expected = normalized(
          await serverCli(alone, [...args, "--no-server"], aloneEnv),
          alone,
        );
        const actual = normalized(await serverCli(served, args, servedEnv), served);
        assert.equal(actual, expected, `step ${i}: ${args.join(" ")}`);
        // The dry run aside, each went through the server.
        if (i === 0) assert.notEqual(await serverPid(served), undefined);
      }
      assert.equal(await serverPid(alone), undefined);
      assert.equal(
        await Deno.readTextFile(join(served, "out/ab.txt")),
        await Deno.readTextFile(join(alone, "out/ab.txt")),
      );
    });
  });
}

Deno.test("build server: a note of the builder's own, an executor that cannot be reached, reaches the client", async () => {
  // A port nothing listens on.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await withServerProject(PROJECT, async (root) => {
    const result = await serverCli(root, [
      "build",
      "out/b.txt",
      "--remote-executor",
      `grpc://127.0.0.1:${port}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok((await serverPid(root)) !== undefined, "built by the server");
    assert.match(result.stderr, /running commands here for the rest of the build/);
    assert.equal(await Deno.readTextFile(join(root, "out/b.txt")), "b\n");
  });
});
