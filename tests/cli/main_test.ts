// The command line, run as a separate process: what `build` builds by
// default, `clean`, `targets`, -C and the search for build.ts, messages and
// exit codes (0 success, 1 failed build, 2 bad usage).

import { ownCacheEnv } from "../_own_cache.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { assertNoProcess, awaitProcesses } from "../fiber/_processes.ts";
import {
  CLI,
  cli,
  cliWithEnv,
  IMPORT,
  NO_SERVER,
  readMaybe,
  snapshot,
  withProject,
} from "../rules/_util.ts";

const SMALL = IMPORT + `
rule({ targets: "out/a.txt", deps: ["src/a.txt"], action: sh("tr a-z A-Z < src/a.txt > out/a.txt") });
rule({ targets: "out/b.txt", action: write("out/b.txt", "b") });
rule({ alias: "check", deps: ["out/a.txt"], action: run("grep", "-q", "HELLO", "out/a.txt") });
`;

Deno.test("barchan build with no argument builds every target when there is no default alias", async () => {
  await withProject({ "build.ts": SMALL, "src/a.txt": "hello" }, async (root) => {
    const result = await cli(root, "build");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await readMaybe(root, "out/a.txt"), "HELLO");
    assert.equal(await readMaybe(root, "out/b.txt"), "b");
    assert.match(result.stderr, /Done: 2 actions ran/, "the alias-only rule is not a target");
  });
});

Deno.test("barchan build with no argument builds @default when it exists", async () => {
  await withProject({
    "build.ts": SMALL + `alias("default", ["out/b.txt"]);\n`,
    "src/a.txt": "hello",
  }, async (root) => {
    const result = await cli(root, "build");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await readMaybe(root, "out/b.txt"), "b");
    assert.equal(await readMaybe(root, "out/a.txt"), undefined);
  });
});

Deno.test("barchan build takes targets and @aliases", async () => {
  await withProject({ "build.ts": SMALL, "src/a.txt": "hello" }, async (root) => {
    const result = await cli(root, "build", "@check");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Done: 2 actions ran/);
    assert.equal(await readMaybe(root, "out/b.txt"), undefined);
    assert.equal((await cli(root, "build", "out/b.txt")).code, 0);
    assert.equal(await readMaybe(root, "out/b.txt"), "b");
  });
});

Deno.test("barchan build exits 1 and prints each failing rule with its command, code and output", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "bad.txt", action: sh("echo compiler says no; exit 4") });
rule({ targets: "cc.o", action: run("nosuchcc", "-c", "x.c") });
rule({ targets: "good.txt", action: write("good.txt", "fine") });
`,
  }, async (root) => {
    const result = await cli(root, "build");
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /command exited with code 4: sh -c echo compiler says no; exit 4 \(rule bad.txt, build.ts:3\)/,
    );
    assert.match(result.stderr, /^ +compiler says no$/m);
    assert.match(result.stderr, /program not found: nosuchcc \(rule cc.o, build.ts:4\)/);
    assert.match(result.stderr, /Failed\b.*\b2 errors/);
    assert.equal(await readMaybe(root, "good.txt"), "fine");
  });
});

Deno.test("barchan build prints the output of each successful action in one piece", async () => {
  const script = (name: string) =>
    `for i in 1 2 3; do echo ${name}-line$i; sleep 0.05; done; touch ${name}`;
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "p", action: sh(${JSON.stringify(script("p"))}) });
rule({ targets: "q", action: sh(${JSON.stringify(script("q"))}) });
`,
  }, async (root) => {
    const result = await cli(root, "build", "-j", "2");
    assert.equal(result.code, 0, result.stderr);
    for (const name of ["p", "q"]) {
      assert.match(
        result.stderr,
        new RegExp(`^${name}: .*\\n  ${name}-line1\\n  ${name}-line2\\n  ${name}-line3$`, "m"),
        result.stderr,
      );
    }
  });
});

Deno.test("barchan build finds build.ts above the current directory and resolves targets from there", async () => {
  await withProject({ "build.ts": SMALL, "src/a.txt": "hello" }, async (root) => {
    const result = await cli(join(root, "src"), "build", "../out/a.txt");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await readMaybe(root, "out/a.txt"), "HELLO");
    assert.equal(await readMaybe(root, "out/b.txt"), undefined);
    assert.equal(await readMaybe(root, "src/out/a.txt"), undefined);
  });
});

Deno.test("barchan -C DIR runs as if started in DIR", async () => {
  await withProject({ "build.ts": SMALL, "src/a.txt": "hello" }, async (root) => {
    const elsewhere = await Deno.makeTempDir();
    try {
      const result = await cli(elsewhere, "-C", root, "build", "out/b.txt");
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await readMaybe(root, "out/b.txt"), "b");
      assert.deepEqual([...Deno.readDirSync(elsewhere)], []);
      const sub = await cli(elsewhere, "build", "-C", join(root, "src"), "a.txt");
      assert.equal(sub.code, 0, sub.stderr);
      assert.match(sub.stderr, /Done: 0 actions ran/, "src/a.txt is a source: nothing to do");
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  });
});

Deno.test("barchan clean removes what barchan built and its state, and nothing else", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out/a.txt", action: write("out/a.txt", "a") });
rule({ targets: "_build/gen/b.txt", action: write("_build/gen/b.txt", "b") });
`,
  }, async (root) => {
    assert.equal((await cli(root, "build")).code, 0);
    await Deno.writeTextFile(join(root, "out/mine.txt"), "user file");
    await Deno.mkdir(join(root, "_build/keep"), { recursive: true });
    await Deno.writeTextFile(join(root, "_build/keep/notes.txt"), "user file in _build");
    const before = await snapshot(root, []);
    assert.ok("_build/.barchan/outputs.log" in before);

    const result = await cli(root, "clean");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await snapshot(root, []), {
      "_build/keep/notes.txt": "user file in _build",
      "build.ts": before["build.ts"],
      "out/mine.txt": "user file",
    });
    assert.equal((await cli(root, "clean")).code, 0, "cleaning twice is fine");

    const rebuilt = await cli(root, "build");
    assert.match(rebuilt.stderr, /Done: 2 actions ran/, "everything is rebuilt after clean");
  });
});

Deno.test("barchan clean removes directories it emptied but keeps the source tree", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "gen/deep/x.txt", action: write("gen/deep/x.txt", "x") });
`,
    "src/keep.txt": "",
  }, async (root) => {
    assert.equal((await cli(root, "build")).code, 0);
    assert.equal((await cli(root, "clean")).code, 0);
    assert.deepEqual(Object.keys(await snapshot(root, [])), ["build.ts", "src/keep.txt"]);
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name).sort(), ["build.ts", "src"]);
  });
});

Deno.test("barchan targets lists rules and aliases with their build.ts locations", async () => {
  await withProject({ "build.ts": SMALL + `alias("default", ["out/b.txt"]);\n` }, async (root) => {
    const result = await cli(root, "targets");
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    assert.equal(lines.length, 5, result.stdout);
    assert.match(lines[0], /^out\/a.txt\tbuild.ts:3\ttr a-z A-Z < src\/a.txt > out\/a.txt$/);
    assert.match(lines[1], /^out\/b.txt\tbuild.ts:4\twrite out\/b.txt$/);
    assert.match(lines[2], /^@check\/\S+\tbuild.ts:5\tgrep -q HELLO out\/a.txt$/);
    assert.match(result.stdout, /^@check\tbuild.ts:5$/m);
    assert.match(result.stdout, /^@default\tbuild.ts:6$/m);
    assert.equal(await readMaybe(root, "out/b.txt"), undefined, "listing builds nothing");
  });
});

Deno.test("barchan targets names where build.ts calls a helper that makes rules, not the line inside it", async () => {
  const buildTs = IMPORT + `function object(name: string) {
  rule({ targets: "_build/" + name + ".o", deps: [], action: async (ctx) => { await ctx.sh("echo > _build/" + name + ".o"); }, description: "compile " + name });
}
object("lapi");
for (const name of ["lcode", "ldo"]) {
  object(name);
}
`;
  await withProject({ "build.ts": buildTs }, async (root) => {
    const result = await cli(root, "targets");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^_build\/lapi.o\tbuild.ts:5\tcompile lapi$/m);
    assert.match(result.stdout, /^_build\/lcode.o\tbuild.ts:7\tcompile lcode$/m);
    assert.match(result.stdout, /^_build\/ldo.o\tbuild.ts:7\tcompile ldo$/m);
  });
});

Deno.test("bad usage exits 2 with a message", async () => {
  await withProject({ "build.ts": SMALL }, async (root) => {
    for (
      const args of [
        ["build", "-j", "x"],
        ["build", "-j", "0"],
        ["frobnicate"],
        ["build", "--no-such-option"],
      ]
    ) {
      const result = await cli(root, ...args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /^barchan: /);
      assert.match(result.stderr, /--help/);
    }
    assert.match((await cli(root, "build", "-j", "x")).stderr, /-j takes a whole number/);
    assert.match((await cli(root, "frobnicate")).stderr, /unknown command "frobnicate"/);
    assert.equal(await readMaybe(root, "out/b.txt"), undefined, "nothing was built");
  });
});

Deno.test("--help and --version exit 0", async () => {
  await withProject({}, async (root) => {
    const help = await cli(root, "--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: barchan <command>/);
    const version = await cli(root, "--version");
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^barchan \d+\.\d+\.\d+/);
  });
});

Deno.test("a syntax error in build.ts is a short error naming build.ts, exit 1", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "a.txt", action: sh("echo a > a.txt")
`,
  }, async (root) => {
    const result = await cli(root, "build");
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(`^barchan: ${root}/build\\.ts: cannot be loaded: `, "m"),
    );
    assert.equal(result.stderr.split("cannot be loaded").length, 2, "said once");
    assert.ok(result.stderr.trim().split("\n").length <= 7, result.stderr);
    assert.doesNotMatch(
      result.stderr,
      /rules\/project\/load\.ts|cli\.ts|cli\/\w+\.ts/,
      "no internal stack trace",
    );
  });
});

Deno.test("a build.ts that cannot be loaded is reported without internal URLs or colour codes", async () => {
  await withProject({
    "build.ts": IMPORT + `
import "./helpers/missing.ts";
`,
  }, async (root) => {
    const result = await cliWithEnv({}, root, "build");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /build\.ts: cannot be loaded: Module not found/);
    assert.doesNotMatch(result.stderr, /\?load=/);
    assert.ok(!result.stderr.includes("\u001b["), JSON.stringify(result.stderr));
  });
});

Deno.test("an exception thrown by build.ts is reported like a syntax error", async () => {
  await withProject({
    "build.ts": IMPORT + `
throw new Error("config.json is missing");
`,
  }, async (root) => {
    const result = await cli(root, "build");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /build\.ts: cannot be loaded: config.json is missing/);
  });
});

Deno.test("barchan build without any build.ts exits 1 and says so", async () => {
  await withProject({ "empty/.keep": "" }, async (root) => {
    const result = await cli(join(root, "empty"), "build");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no build\.ts here or in any parent directory/);
  });
});

Deno.test("barchan build -q prints only failures", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "a.txt", action: sh("echo chatty; touch a.txt") });
`,
  }, async (root) => {
    const result = await cli(root, "build", "-q");
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
  });
});

Deno.test("Ctrl-C (SIGINT to the build's process group) exits 130, saying which commands it stopped, not as failures", async () => {
  const marker = `100.${Math.floor(Math.random() * 1e9)}`;
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "a", action: sh("echo started; sleep ${marker}; echo a > a") });
rule({ targets: "b", action: run("sleep", "${marker}") });
`,
  }, async (root) => {
    // Started in a process group of its own, as a shell starts a job.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "build", "-C", root, "a", "b"],
      stdout: "piped",
      stderr: "piped",
      env: { ...NO_SERVER, ...ownCacheEnv() },
      detached: true,
    }).spawn();
    const stdout = new Response(child.stdout).text();
    const stderr = new Response(child.stderr).text();
    // The shell, its sleep, and the other sleep.
    const commands = await awaitProcesses(`sleep ${marker}`, 3);
    // The terminal's signal may reach the commands well before the build.
    for (const pid of commands) Deno.kill(Number(pid), "SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 50));
    Deno.kill(-child.pid, "SIGINT");
    const status = await child.status;
    const output = (await stdout) + (await stderr);
    assert.equal(status.code, 130, output);
    assert.doesNotMatch(output, /FAILED|Error/);
    assert.match(
      output,
      new RegExp(
        `^Interrupted: stopped 2 running commands: (a \\(sh -c echo started; sleep ${marker}[^)]*\\)|b \\(sleep ${marker}\\)), (a|b) \\(`,
        "m",
      ),
    );
    await assertNoProcess(`sleep ${marker}`);
  });
});

Deno.test("an error thrown while build.ts is evaluated names the line it was thrown at", async () => {
  await withProject({
    "build.ts": IMPORT + `import { check } from "./helpers/check.ts";
rule({ targets: "a.txt", action: write("a.txt", "a") });
check("only one object supported");
`,
    "helpers/check.ts": `export function check(what: string): void {
  throw new TypeError(what);
}
`,
  }, async (root) => {
    const result = await cli(root, "build");
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /build\.ts: cannot be loaded: only one object supported \(thrown at helpers\/check\.ts:2\)/,
    );
    assert.equal(result.stderr.split("only one object supported").length, 2, "said once");
  });
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "x", deps: [{}], action: write("x", "x") });
`,
  }, async (root) => {
    const result = await cli(root, "build");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Cannot depend on \[object Object\].*\(thrown at build\.ts:3\)/);
  });
});

Deno.test("Deno.exit() called by build.ts is reported as a load error with its line, exit 1", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "a.txt", action: write("a.txt", "a") });
if (!Deno.env.get("CONFIGURED")) Deno.exit(3);
`,
  }, async (root) => {
    const result = await cli(root, "build");
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /build\.ts: cannot be loaded: it called Deno\.exit\(3\) at build\.ts:4 while it was evaluated/,
    );
    assert.equal(await readMaybe(root, "a.txt"), undefined);
  });
});

Deno.test("each error is printed once, and one error is counted as 1 error", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "bad.txt", action: sh("echo compiler says no | tr a-z A-Z; exit 4") });
`,
  }, async (root) => {
    const result = await cli(root, "build");
    assert.equal(result.code, 1);
    assert.equal(result.stderr.split("command exited with code 4").length, 2, result.stderr);
    assert.equal(result.stderr.split("COMPILER SAYS NO").length, 2, "its output once");
    assert.match(result.stderr, /Failed: 1 error, 1 action ran/);
    assert.doesNotMatch(result.stderr, /1 errors/);
  });
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "a.txt", deps: ["missing.txt"], action: sh("cat missing.txt > a.txt") });
`,
  }, async (root) => {
    const result = await cli(root, "build");
    assert.equal(result.code, 1);
    assert.equal(result.stderr.split('no rule to build "missing.txt"').length, 2, result.stderr);
    assert.match(result.stderr, /Failed: 1 error, 0 actions ran/);
  });
});
