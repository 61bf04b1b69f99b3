// What a person sees from `cli.ts`: trace files, explanations, dry runs, the
// rule graph, colours and verbosity. Each test runs the CLI as a child
// process on a project in a temp dir.

import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { NO_SERVER, withOwnCache } from "../_util.ts";
import { ownCacheEnv } from "../../_own_cache.ts";

const MOD = new URL("../../../mod.ts", import.meta.url).href;
const CLI = new URL("../../../cli.ts", import.meta.url).pathname;
const IMPORT = `import { alias, copy, rule, sh } from "${MOD}";\n`;

type Files = Record<string, string>;

/** Three rules: `_build/y` needs `_build/x`; `_build/z` stands alone. */
const CHAIN: Files = {
  "build.ts": IMPORT + `
    rule({ targets: "_build/x", deps: ["src/x"], action: sh("cp src/x _build/x") });
    rule({ targets: "_build/y", deps: ["_build/x"], action: sh("tr a-z A-Z < _build/x > _build/y") });
    rule({ targets: "_build/z", action: copy("src/z", "_build/z") });
  `,
  "src/x": "x\n",
  "src/z": "z\n",
};

async function withProject(files: Files, fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "barchan_report_test_" }));
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(dirname(join(root, path)), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    }
    await withOwnCache(() => fn(root));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** This process's environment without NO_COLOR and FORCE_COLOR. */
function withoutColorVars(): Record<string, string> {
  const base = { ...Deno.env.toObject(), ...NO_SERVER };
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  return base;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cli.ts ARGS -C root`. The environment is this process's without
 * NO_COLOR and FORCE_COLOR, plus `env`.
 */
async function cli(
  root: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, ...args, "-C", root],
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { ...withoutColorVars(), ...ownCacheEnv(), ...env },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Runs the CLI and fails, showing its output, unless it exits with 0. */
async function cliOk(
  root: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const result = await cli(root, args, env);
  assert.equal(
    result.code,
    0,
    `barchan ${args.join(" ")} failed:\n${result.stderr}${result.stdout}`,
  );
  return result;
}

/** The `RULE: REASON` lines `--explain` prints, for rules under _build/, sorted. */
/** The lines of --explain saying why a rule runs (the action cache's lines aside). */
function explained(stderr: string): string[] {
  return stderr.split("\n")
    .filter((l) => /^_build\/\S+: /.test(l) && !/: not in the action cache: /.test(l))
    .sort();
}

/** Every file and directory under `root`: path to mtime and content (files only). */
async function tree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const abs = join(dir, entry.name);
      const info = await Deno.lstat(abs);
      const rel = relative(root, abs);
      if (entry.isDirectory) {
        out[rel + "/"] = `mtime ${info.mtime?.getTime()}`;
        await walk(abs);
      } else {
        const bytes = await Deno.readFile(abs);
        out[rel] = `mtime ${info.mtime?.getTime()}, ${bytes.length} bytes: ` +
          Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      }
    }
  };
  await walk(root);
  return out;
}

const NEW = "new rule (never built before)";

Deno.test("--trace-file writes one span per command that ran, and spans for building and for loading build.ts when it is", async () => {
  await withProject(CHAIN, async (root) => {
    const file = join(root, "trace.json");
    await cliOk(root, ["build", "--trace-file", file]);
    const spans = (): { name: string; cat: string; ts: number; dur: number }[] =>
      JSON.parse(Deno.readTextFileSync(file)).traceEvents;
    const check = (expected: string[], phasesExpected: string[]) => {
      const events = spans();
      const actions = events.filter((e) => e.cat === "command");
      assert.deepEqual(actions.map((e) => e.name).sort(), expected);
      for (const e of events) {
        assert.ok(Number.isFinite(e.ts) && e.ts >= 0, `ts of ${JSON.stringify(e)}`);
        assert.ok(Number.isFinite(e.dur) && e.dur > 0, `dur of ${JSON.stringify(e)}`);
      }
      const phases = events.filter((e) => e.cat === "phase").map((e) => e.name).sort();
      assert.deepEqual(phases, phasesExpected);
      const build = events.find((e) => e.name === "build")!;
      for (const a of actions) {
        assert.ok(
          a.ts >= build.ts && a.ts + a.dur <= build.ts + build.dur,
          `${a.name} within build`,
        );
      }
    };
    // _build/z is a copy, done in barchan's process: no command, no span.
    // Loading build.ts runs `deno info` in a job slot.
    check(["_build/x", "_build/y", "deno info"], ["build", "load build.ts"]);

    // build.ts did not change: it is not evaluated again.
    await Deno.writeTextFile(join(root, "src/x"), "x2\n");
    await cliOk(root, ["build", "--trace-file", file]);
    check(["_build/x", "_build/y"], ["build"]);
  });
});

Deno.test("--trace-file draws actions restored from the action cache on lanes of their own", async () => {
  await withProject(CHAIN, async (root) => {
    const file = join(root, "trace.json");
    await cliOk(root, ["build"]);
    // The outputs deleted, state and cache kept: both commands are restored.
    await Deno.remove(join(root, "_build/x"));
    await Deno.remove(join(root, "_build/y"));
    await cliOk(root, ["build", "--trace-file", file]);
    const events: { name: string; cat: string; tid: number; args?: unknown }[] =
      JSON.parse(Deno.readTextFileSync(file)).traceEvents;
    assert.deepEqual(events.filter((e) => e.cat === "command"), [], "no command ran");
    const restores = events.filter((e) => e.cat === "restore");
    assert.deepEqual(restores.map((e) => e.name).sort(), ["_build/x", "_build/y"]);
    for (const e of restores) {
      assert.ok(e.tid >= 1000, "past the job slots' lanes");
      assert.deepEqual(e.args, { from: "local" });
    }
  });
});

Deno.test("--explain prints why each action runs", async (t) => {
  await withProject(CHAIN, async (root) => {
    const explain = async () => explained((await cliOk(root, ["build", "--explain"])).stderr);

    await t.step("a rule never built is new", async () => {
      assert.deepEqual(await explain(), [
        `_build/x: ${NEW}`,
        `_build/y: ${NEW}`,
        `_build/z: ${NEW}`,
      ]);
    });
    await t.step("a changed source, and a dependency rebuilt with new content", async () => {
      await Deno.writeTextFile(join(root, "src/x"), "x2\n");
      assert.deepEqual(await explain(), [
        "_build/x: dep src/x changed",
        "_build/y: dep _build/x was rebuilt with new content",
      ]);
    });
    await t.step(
      "a deleted target is missing (and, rebuilt the same, nothing follows)",
      async () => {
        await Deno.remove(join(root, "_build/x"));
        assert.deepEqual(await explain(), [
          "_build/x: restored from local cache",
          "_build/x: target _build/x is missing",
        ]);
      },
    );
    await t.step("a target edited by hand was modified outside the build", async () => {
      await Deno.writeTextFile(join(root, "_build/z"), "by hand\n");
      assert.deepEqual(await explain(), [
        "_build/z: target _build/z was modified outside the build",
      ]);
      assert.equal(await Deno.readTextFile(join(root, "_build/z")), "z\n");
    });
    await t.step("a changed command is a changed definition", async () => {
      const buildTs = join(root, "build.ts");
      const text = await Deno.readTextFile(buildTs);
      await Deno.writeTextFile(buildTs, text.replace("tr a-z A-Z <", "tr x X <"));
      assert.deepEqual(await explain(), [
        "_build/y: its definition in build.ts changed (action, deps or targets)",
      ]);
    });
    await t.step("nothing changed, nothing explained", async () => {
      assert.deepEqual(await explain(), []);
    });
  });
});

Deno.test("-n lists what would run, changes nothing, and a real build then runs the same", async () => {
  await withProject(CHAIN, async (root) => {
    await cliOk(root, ["build"]);
    await Deno.writeTextFile(join(root, "src/x"), "x2\n");
    const before = await tree(root);

    const dry = await cliOk(root, ["build", "-n"]);
    assert.deepEqual(explained(dry.stderr), [
      "_build/x: dep src/x changed",
      "_build/y: dep _build/x would be rebuilt",
    ]);
    assert.match(dry.stderr, /^\$ cp src\/x _build\/x$/m);
    assert.match(dry.stderr, /Dry run: 2 actions would run; nothing was changed/);
    assert.deepEqual(await tree(root), before);
    assert.equal(await Deno.readTextFile(join(root, "_build/y")), "X\n");

    const dryAgain = await cliOk(root, ["build", "--dry-run"]);
    assert.deepEqual(explained(dryAgain.stderr), explained(dry.stderr));

    const real = await cliOk(root, ["build", "--explain"]);
    assert.deepEqual(explained(real.stderr), [
      "_build/x: dep src/x changed",
      "_build/y: dep _build/x was rebuilt with new content",
    ]);
    assert.equal(await Deno.readTextFile(join(root, "_build/y")), "X2\n");
  });
});

Deno.test("-n on a project never built creates nothing", async () => {
  await withProject(CHAIN, async (root) => {
    const before = await tree(root);
    const dry = await cliOk(root, ["build", "-n"]);
    assert.deepEqual(explained(dry.stderr), [
      `_build/x: ${NEW}`,
      `_build/y: ${NEW}`,
      `_build/z: ${NEW}`,
    ]);
    assert.deepEqual(await tree(root), before);
    assert.deepEqual(Object.keys(before).sort(), ["build.ts", "src/", "src/x", "src/z"]);
  });
});

const DYNAMIC: Files = {
  "build.ts": IMPORT + `
    const x = rule({ targets: "_build/x", deps: ["src/x"], action: sh("cp src/x _build/x") });
    rule({
      targets: "_build/scan",
      action: async (ctx) => {
        await ctx.need("src/found", "_build/x");
        await ctx.sh("cat src/found _build/x > _build/scan");
      },
    });
    rule({ targets: "_build/z", action: copy("src/z", "_build/z") });
    alias("default", ["_build/scan", x]);
    alias("other", ["_build/z"]);
  `,
  "src/x": "x\n",
  "src/z": "z\n",
  "src/found": "found\n",
};

interface JsonGraph {
  nodes: { id: string; kind: string; site?: string }[];
  edges: { from: string; to: string; dynamic: boolean }[];
}

async function graphJson(root: string, ...targets: string[]): Promise<JsonGraph> {
  return JSON.parse((await cliOk(root, ["graph", "--format", "json", ...targets])).stdout);
}

function edgeList(graph: JsonGraph): string[] {
  return graph.edges.map((e) => `${e.from} -> ${e.to}${e.dynamic ? " (dynamic)" : ""}`).sort();
}

Deno.test("graph --format json lists rules, sources and aliases, and dynamic deps once built", async () => {
  await withProject(DYNAMIC, async (root) => {
    const before = await graphJson(root);
    const kinds = Object.fromEntries(before.nodes.map((n) => [n.id, n.kind]));
    assert.deepEqual(kinds, {
      "@default": "alias",
      "@other": "alias",
      "_build/scan": "rule",
      "_build/x": "rule",
      "_build/z": "rule",
      "src/x": "source",
      "src/z": "source",
    });
    assert.equal(before.nodes.find((n) => n.id === "_build/x")?.site, "build.ts:3");
    const staticEdges = [
      "_build/scan -> @default",
      "_build/x -> @default",
      "_build/z -> @other",
      "src/x -> _build/x",
      "src/z -> _build/z",
    ];
    assert.deepEqual(edgeList(before), staticEdges);

    await cliOk(root, ["build"]);
    const after = await graphJson(root);
    assert.equal(after.nodes.find((n) => n.id === "src/found")?.kind, "source");
    assert.deepEqual(
      edgeList(after),
      [
        ...staticEdges,
        "_build/x -> _build/scan (dynamic)",
        "src/found -> _build/scan (dynamic)",
      ].sort(),
    );
  });
});

Deno.test("graph prints dot with edge lines, and graph TARGET keeps only what TARGET needs", async () => {
  await withProject(DYNAMIC, async (root) => {
    await cliOk(root, ["build"]);
    const dot = (await cliOk(root, ["graph"])).stdout;
    assert.match(dot, /^digraph /);
    assert.match(dot, /^ {2}"src\/x" -> "_build\/x";$/m);
    assert.match(dot, /^ {2}"src\/found" -> "_build\/scan" \[style=dashed\];$/m);

    const scan = await graphJson(root, "_build/scan");
    assert.deepEqual(scan.nodes.map((n) => n.id).sort(), [
      "_build/scan",
      "_build/x",
      "src/found",
      "src/x",
    ]);
    assert.deepEqual(edgeList(scan), [
      "_build/x -> _build/scan (dynamic)",
      "src/found -> _build/scan (dynamic)",
      "src/x -> _build/x",
    ]);
    const other = await graphJson(root, "@other");
    assert.deepEqual(other.nodes.map((n) => n.id).sort(), ["@other", "_build/z", "src/z"]);

    const restrictedDot = (await cliOk(root, ["graph", "_build/x"])).stdout;
    assert.match(restrictedDot, /^digraph /);
    assert.match(restrictedDot, /"src\/x" -> "_build\/x"/);
    assert.doesNotMatch(restrictedDot, /_build\/scan|_build\/z|@default/);
  });
});

const ESC = "\x1b";

function hasEscape(text: string): boolean {
  return text.includes(ESC);
}

// A terminal, for the colour tests: script(1) runs the command on a pseudo-terminal.
const hasScript = new Deno.Command("sh", { args: ["-c", "command -v script"] }).outputSync()
  .success;

/** Runs `cli.ts ARGS -C root` on a terminal and returns what it printed there. */
async function onTerminal(
  root: string,
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  const command = ["run", "-A", "--quiet", CLI, ...args, "-C", root].map((a) => `'${a}'`).join(" ");
  const result = await new Deno.Command("script", {
    args: ["-qec", `'${Deno.execPath()}' ${command}`, "/dev/null"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { ...withoutColorVars(), ...ownCacheEnv(), ...env },
  }).output();
  const text = new TextDecoder().decode(result.stdout);
  assert.equal(result.code, 0, text);
  return text;
}

Deno.test("NO_COLOR=1 output has no ANSI escapes and FORCE_COLOR=1 output has them", async () => {
  await withProject(CHAIN, async (root) => {
    const failing = {
      "build.ts": IMPORT + `rule({ targets: "_build/f", action: sh("false") });\n`,
    };
    const noColor = await cliOk(root, ["build"], { NO_COLOR: "1" });
    assert.match(noColor.stderr, /Done: 3 actions ran/);
    assert.equal(hasEscape(noColor.stderr + noColor.stdout), false);

    await Deno.writeTextFile(join(root, "src/x"), "x2\n");
    const forced = await cliOk(root, ["build"], { FORCE_COLOR: "1" });
    assert.ok(forced.stderr.includes(`${ESC}[`), forced.stderr);

    await withProject(failing, async (other) => {
      const failed = await cli(other, ["build"], { NO_COLOR: "1" });
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /FAILED _build\/f/);
      assert.equal(hasEscape(failed.stderr), false);
      const red = await cli(other, ["build"], { FORCE_COLOR: "1" });
      assert.ok(red.stderr.includes(`${ESC}[1;31mFAILED`), red.stderr);
    });
  });
});

Deno.test({
  name: "on a terminal output is coloured, unless NO_COLOR=1 is set",
  ignore: !hasScript,
  fn: async () => {
    await withProject(CHAIN, async (root) => {
      // --verbose: no status line, whose cursor movements are not colour.
      const plain = await onTerminal(root, ["build", "--verbose"], { NO_COLOR: "1" });
      assert.match(plain, /Done: 3 actions ran/);
      assert.equal(hasEscape(plain), false, JSON.stringify(plain));
      await Deno.writeTextFile(join(root, "src/x"), "x2\n");
      const coloured = await onTerminal(root, ["build", "--verbose"], {});
      assert.ok(coloured.includes(`${ESC}[32mDone: 2 actions ran`), JSON.stringify(coloured));
    });
  },
});

Deno.test("--quiet prints nothing on success, and --verbose prints each command", async () => {
  await withProject(CHAIN, async (root) => {
    const quiet = await cliOk(root, ["build", "--quiet"]);
    assert.equal(quiet.stdout + quiet.stderr, "");
    assert.equal(await Deno.readTextFile(join(root, "_build/y")), "X\n");

    await Deno.writeTextFile(join(root, "src/x"), "x2\n");
    await Deno.writeTextFile(join(root, "src/z"), "z2\n");
    const verbose = await cliOk(root, ["build", "--verbose"]);
    const commands = verbose.stderr.split("\n").filter((l) => l.startsWith("$ ")).sort();
    assert.deepEqual(commands, [
      "$ copy src/z _build/z",
      "$ cp src/x _build/x",
      "$ tr a-z A-Z < _build/x > _build/y",
    ]);
  });
});

Deno.test("graph TARGET fails on a target that is not in the graph, suggesting a close one", async () => {
  await withProject(DYNAMIC, async (root) => {
    const typo = await cli(root, ["graph", "_build/scna"]);
    assert.equal(typo.code, 1);
    assert.equal(typo.stdout, "");
    assert.match(
      typo.stderr,
      /"_build\/scna" is not in the rule graph.*did you mean "_build\/scan"/,
    );
    const alias = await cli(root, ["graph", "--format", "json", "@nope"]);
    assert.equal(alias.code, 1);
    assert.match(alias.stderr, /"@nope" is not in the rule graph/);
  });
});

Deno.test("at -j 2, the trace has two lanes however many function actions wait", async () => {
  const rules = Array.from(
    { length: 12 },
    (_, i) =>
      `rule({ targets: "_build/${i}", action: async (ctx) => { await ctx.sh("sleep 0.05; echo ${i} > _build/${i}"); await ctx.sh("true"); } });`,
  );
  await withProject({ "build.ts": IMPORT + rules.join("\n") + "\n" }, async (root) => {
    const file = join(root, "trace.json");
    await cliOk(root, ["build", "-j", "2", "--trace-file", file]);
    const events: { cat: string; tid: number }[] = JSON.parse(await Deno.readTextFile(file))
      .traceEvents;
    const lanes = new Set(events.filter((e) => e.cat === "command").map((e) => e.tid));
    assert.ok(lanes.size <= 2, `${lanes.size} lanes`);
    assert.equal(events.filter((e) => e.cat === "command").length >= 24, true);
  });
});

Deno.test("--verbose prints each command a function action runs", async () => {
  const buildTs = IMPORT +
    `rule({ targets: "_build/f", action: async (ctx) => { await ctx.run("echo", ["one two"]); await ctx.sh("echo three > _build/f"); } });\n`;
  await withProject({ "build.ts": buildTs }, async (root) => {
    const verbose = await cliOk(root, ["build", "--verbose"]);
    const commands = verbose.stderr.split("\n").filter((l) => l.startsWith("$ "));
    assert.deepEqual(commands.filter((c) => !c.includes(" info --json ")), [
      "$ echo 'one two'",
      "$ echo three > _build/f",
    ]);
  });
});
