// A build through the build server is done as the flags and the environment
// of its client say, as a build in its own process would be: the type check
// of build.ts, the action cache (a build asking for another gets a server of
// its own), and Ctrl-C, which says what it stopped and exits with 130 or
// 143 even when build.ts or an action never returns.

import assert from "node:assert/strict";
import { join } from "node:path";
import { statusWithin } from "../../fiber/_processes.ts";
import { CLI, IMPORT, MOD, readMaybe } from "../_util.ts";
import { ownCacheEnv } from "../../_own_cache.ts";
import { SERVER_ON, serverBuild, serverCli, serverPid, withServerProject } from "./_server.ts";

Deno.test("build server: a build type-checks build.ts as a build of its own does; --no-check does not", async () => {
  await withServerProject({
    "build.ts": IMPORT +
      `const text: number = "built";\nrule({ targets: "out.txt", action: write("out.txt", String(text)) });\n`,
  }, async (root) => {
    const checked = await serverCli(root, ["build"], { BARCHAN_CHECK: "on" });
    assert.equal(checked.code, 1);
    assert.match(
      checked.stderr,
      /build\.ts: does not type-check .*\n {2}build\.ts:2:7: Type 'string' is not assignable to type 'number'\. \(TS2322\)/,
    );
    const pid = await serverPid(root);
    assert.notEqual(pid, undefined);
    const skipped = await serverCli(root, ["build", "--no-check"], { BARCHAN_CHECK: "on" });
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.equal(await readMaybe(root, "out.txt"), "built");
    assert.equal(await serverPid(root), pid, "the same server built both");
  });
});

Deno.test("build server: a build asking for another action cache gets a server of its own", async () => {
  await withServerProject({
    "build.ts": IMPORT +
      `rule({ targets: "out.txt", deps: ["in.txt"], action: sh("cp in.txt out.txt") });\n`,
    "in.txt": "1\n",
  }, async (root) => {
    await serverBuild(root);
    const cached = await serverPid(root);
    // Built before with the cache: restored from it, were it used.
    await Deno.writeTextFile(join(root, "in.txt"), "2\n");
    await serverBuild(root);
    await Deno.writeTextFile(join(root, "in.txt"), "1\n");
    const uncached = await serverBuild(root, ["--no-cache"]);
    assert.match(uncached.stderr, /Done: 1 action ran in/);
    const other = await serverPid(root);
    assert.notEqual(other, undefined);
    assert.notEqual(other, cached);
    await Deno.writeTextFile(join(root, "in.txt"), "2\n");
    assert.match((await serverBuild(root, ["--no-cache"])).stderr, /Done: 1 action ran in/);
    assert.equal(await serverPid(root), other, "the same settings, the same server");
    await Deno.writeTextFile(join(root, "in.txt"), "1\n");
    assert.match((await serverBuild(root)).stderr, /Done: 0 actions ran, 1 restored from cache/);
    assert.notEqual(await serverPid(root), other);
    assert.equal(await readMaybe(root, "out.txt"), "1\n");
  });
});

/** `cli.ts build` through a server, its output collected. */
function startBuild(root: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, "build"],
    cwd: root,
    env: { ...SERVER_ON, ...ownCacheEnv() },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()])
    .then(([out, err]) => out + err);
  return { child, output };
}

/** Waits until the marker file exists: build.ts's top level, or the action, is running. */
async function marked(root: string): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    try {
      await Deno.stat(join(root, "marker"));
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  assert.fail("the marker was never written");
}

const MARK_SH = "touch marker";
const MARK = `Deno.writeTextFileSync(new URL("./marker", import.meta.url), "");`;

/** A build.ts whose top level marks that it runs, then does `body`. */
function stuckBuild(body: string): string {
  return `import { rule, write } from "${MOD}";
rule({ targets: "out.txt", action: write("out.txt", "x") });
${MARK}
${body}
`;
}

const STUCK: [string, string, RegExp][] = [
  [
    "build.ts loops forever at its top level",
    stuckBuild("while (true) {}"),
    /^barchan stopped while build\.ts was being evaluated: its top level/m,
  ],
  [
    "build.ts awaits forever at its top level",
    stuckBuild("await new Promise(() => {});"),
    /^barchan stopped while build\.ts was being evaluated: its top level/m,
  ],
  [
    "function action awaits forever",
    `import { rule } from "${MOD}";
rule({
  targets: "out.txt",
  action: async () => {
    ${MARK}
    await new Promise(() => {});
  },
});
`,
    /^Interrupted: no command was running$/m,
  ],
];

for (const [what, buildTs, said] of STUCK) {
  Deno.test(`build server: Ctrl-C of a build whose ${what} exits 130, saying what a build of its own says`, async () => {
    await withServerProject({ "build.ts": buildTs }, async (root) => {
      const { child, output } = startBuild(root);
      await marked(root);
      child.kill("SIGINT");
      const status = await statusWithin(child);
      const text = await output;
      assert.equal(status.code, 130, text);
      assert.match(text, said);
    });
  });
}

Deno.test("build server: SIGTERM to a client exits 143, saying Terminated and what it stopped", async () => {
  await withServerProject({
    "build.ts": IMPORT + `rule({ targets: "out.txt", action: sh("${MARK_SH}; sleep 60") });\n`,
  }, async (root) => {
    const { child, output } = startBuild(root);
    await marked(root);
    child.kill("SIGTERM");
    const status = await statusWithin(child);
    const text = await output;
    assert.equal(status.code, 143, text);
    assert.match(text, /^Terminated: stopped 1 running command: out\.txt \(sh -c touch marker/m);
  });
});
