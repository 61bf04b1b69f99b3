/**
 * Compares barchan with `deno task` on `deno task`'s home ground: a
 * TypeScript project (`bench/_ts_project.ts`: N modules, three apps, four
 * test files) whose deno.json tasks check, test, bundle, lint and
 * format-check it, each declaring `files` (and `output` where it writes) so
 * that Deno caches it, and whose build.ts does the same with barchan's
 * `deno` helpers. Each tool has its own copy of the project and its own
 * `DENO_DIR` (where Deno keeps its task cache and its type-check cache);
 * barchan has its own `BARCHAN_CACHE_DIR`, kept for the whole run, so its
 * action cache holds what earlier builds of its tree made.
 *
 * Cases, tools taking turns run by run, each time the wall-clock time of
 * the whole command:
 *
 * - **cold**: outputs and state deleted, caches empty (one run, not a goal);
 * - **no-op**: nothing changed;
 * - **imported edit**: a module the first app imports directly gets a new
 *   label and a new exported const;
 * - **unimported edit**: a module no app and no test imports gets the same
 *   kind of change;
 * - **outputs deleted**: `dist/` removed, state and caches kept.
 *
 * Every build is checked: exit code 0, every bundle present, the first
 * app's bundle holding the imported module's current label. The medians and
 * their ratios are printed as markdown and written to
 * `bench/results/<date>-deno-task-<N>-<commit>.md`.
 *
 * ```sh
 * deno run -A bench/deno_task.ts [--n 300] [--runs 5] [-j 2] [--keep] [--barchan HEAD]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generateTsProject, type TsProject } from "./_ts_project.ts";
import { barchanUnderTest, formatMs, loadAverage, median, writeReport } from "./peers.ts";

/** The tools compared. */
const TOOLS = ["barchan", "deno task"] as const;
type Tool = typeof TOOLS[number];

/** What is measured, in order. */
const CASES = ["cold", "no-op", "imported edit", "unimported edit", "outputs deleted"] as const;
type Case = typeof CASES[number];

/** The goals: barchan's median at most this times `deno task`'s. */
const GOALS: Partial<Record<Case, number>> = {
  "no-op": 0.25,
  "imported edit": 1.0,
  "unimported edit": 0.25,
  "outputs deleted": 1.0,
};

const REPO = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

interface Run {
  ms: number;
  /** What the tool did: `7 ran`, `3 ran, 3 restored`, `2 of 7 tasks`. */
  work: string;
}

interface Outcome {
  ms: number;
  code: number;
  output: string;
}

async function timed(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<Outcome> {
  const start = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const ms = performance.now() - start;
  return { ms, code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/** What a build did, from what it printed. */
function workOf(tool: Tool, output: string): string {
  if (tool === "barchan") {
    const summary = output.split("\n").findLast((l) => /^(Done|Failed):/.test(l)) ?? "";
    const ran = /(\d+) actions? ran/.exec(summary)?.[1] ?? "?";
    const restored = /(\d+) restored/.exec(summary)?.[1];
    return restored === undefined ? `${ran} ran` : `${ran} ran, ${restored} restored`;
  }
  const tasks = output.split("\n").filter((l) =>
    /^Task \S+ /.test(l) && !l.includes("(no command)")
  );
  const cached = tasks.filter((l) => l.includes("(cached")).length;
  return `${tasks.length - cached} of ${tasks.length} ran`;
}

function removeIfPresent(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** One tool's copy of the project and what its commands need. */
interface Tree {
  dir: string;
  env: Record<string, string>;
  command: [string, string[]];
  /** The label the imported module holds now. */
  label: string;
}

/** The measurements of one size. */
interface SizeResult {
  project: TsProject;
  runs: Record<Case, Record<Tool, Run[]>>;
}

/**
 * Generates the project at size `n` and measures both tools.
 * @returns The measurements.
 */
async function measure(
  n: number,
  runs: number,
  jobs: number,
  barchanDir: string,
  workDir: string,
  log: (line: string) => void,
): Promise<SizeResult> {
  const timeoutMs = 900_000;
  const mod = pathToFileURL(join(barchanDir, "mod.ts")).href;
  const cli = join(barchanDir, "cli.ts");
  const trees = {} as Record<Tool, Tree>;
  let project: TsProject | undefined;
  for (const tool of TOOLS) {
    const slug = tool.replace(" ", "-");
    const dir = join(workDir, `${n}`, slug);
    project = generateTsProject(dir, n, mod);
    const env: Record<string, string> = {
      DENO_DIR: join(workDir, `${n}`, `deno-dir-${slug}`),
      NO_COLOR: "1",
    };
    if (tool === "barchan") env.BARCHAN_CACHE_DIR = join(workDir, `${n}`, "barchan-cache");
    const command: [string, string[]] = tool === "barchan"
      ? [Deno.execPath(), ["run", "-A", cli, "build", "-j", `${jobs}`, "--no-check", "-v"]]
      : [Deno.execPath(), ["task", "-j", `${jobs}`, "build"]];
    trees[tool] = { dir, env, command, label: project.importedLabel };
  }
  const p = project!;
  log(
    `n=${n}: ${p.reached} of ${n} modules reached from the apps and tests; ` +
      `imported edit: ${p.imported}, unimported edit: ${p.unimported}`,
  );
  const original = {
    imported: Deno.readTextFileSync(join(trees.barchan.dir, p.imported)),
    unimported: Deno.readTextFileSync(join(trees.barchan.dir, p.unimported)),
  };
  // barchan's own modules are transpiled once into its DENO_DIR, as on a
  // machine where barchan has run before; the project's caches stay empty.
  await timed(
    Deno.execPath(),
    ["run", "-A", cli, "--version"],
    trees.barchan.dir,
    trees.barchan.env,
    timeoutMs,
  );

  const edit = (tree: Tree, path: "imported" | "unimported", run: number) => {
    let text = `${original[path]}\n/** Edit ${run}. */\nexport const edit${run} = ${run};\n`;
    if (path === "imported") {
      tree.label = `${p.importedLabel} edit ${run}`;
      text = text.replace(`= "${p.importedLabel}";`, `= "${tree.label}";`);
    }
    Deno.writeTextFileSync(join(tree.dir, p[path]), text);
  };
  const check = (tool: Tool, what: string, outcome: Outcome) => {
    const tree = trees[tool];
    const fail = (why: string) => {
      const tail = outcome.output.trim().split("\n").slice(-20).join("\n");
      throw new Error(`${tool} ${why} (${what}) in ${tree.dir}:\n${tail}`);
    };
    if (outcome.code !== 0) fail(`failed with exit code ${outcome.code}`);
    for (const bundle of p.bundles) {
      let size = 0;
      try {
        size = Deno.statSync(join(tree.dir, bundle)).size;
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      if (size === 0) fail(`left ${bundle} missing or empty`);
    }
    const first = Deno.readTextFileSync(join(tree.dir, p.bundles[0]));
    if (!first.includes(tree.label)) fail(`left ${p.bundles[0]} without "${tree.label}"`);
  };

  const result = Object.fromEntries(
    CASES.map((c) => [c, { barchan: [], "deno task": [] }]),
  ) as unknown as Record<Case, Record<Tool, Run[]>>;
  for (const kase of CASES) {
    const count = kase === "cold" ? 1 : runs;
    for (let run = 1; run <= count; run++) {
      for (const tool of TOOLS) {
        const tree = trees[tool];
        if (kase === "imported edit") edit(tree, "imported", run);
        if (kase === "unimported edit") edit(tree, "unimported", run);
        if (kase === "outputs deleted") removeIfPresent(join(tree.dir, "dist"));
        const [cmd, args] = tree.command;
        const outcome = await timed(cmd, args, tree.dir, tree.env, timeoutMs);
        check(tool, `${kase} run ${run}`, outcome);
        const work = workOf(tool, outcome.output);
        result[kase][tool].push({ ms: outcome.ms, work });
        log(`  ${kase} ${run}/${count} ${tool}: ${formatMs(outcome.ms)}, ${work}`);
      }
    }
  }
  // The build server of barchan's tree would write there while the tree is deleted.
  const barchan = trees.barchan;
  await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", barchan.command[1][2], "server", "stop", "-C", barchan.dir],
    env: barchan.env,
    stdout: "null",
    stderr: "null",
  }).output();
  return { project: p, runs: result };
}

function ratioText(r: number): string {
  return `${r.toFixed(2)}×`;
}

function distinct(xs: readonly string[]): string {
  return [...new Set(xs)].join("; ");
}

/**
 * Renders the measurements as a markdown table: medians, the ratio
 * barchan / deno task, the goal and whether it is met, and what each tool ran.
 */
function table(results: readonly SizeResult[]): string {
  const rows = [
    "| N | case | barchan | deno task | barchan / deno task | goal | met | barchan ran | " +
    "deno task ran | runs |",
    "| ---: | --- | ---: | ---: | ---: | ---: | --- | --- | --- | ---: |",
  ];
  for (const { project, runs } of results) {
    for (const kase of CASES) {
      const b = runs[kase].barchan;
      const d = runs[kase]["deno task"];
      const [mb, md] = [median(b.map((r) => r.ms)), median(d.map((r) => r.ms))];
      const goal = GOALS[kase];
      const met = goal === undefined ? "–" : mb / md <= goal ? "yes" : "no";
      rows.push(
        `| ${project.n.toLocaleString("en-US")} | ${kase} | ${formatMs(mb)} | ${formatMs(md)} | ` +
          `${ratioText(mb / md)} | ${goal === undefined ? "–" : `≤ ${goal.toFixed(2)}×`} | ` +
          `${met} | ${distinct(b.map((r) => r.work))} | ${distinct(d.map((r) => r.work))} | ` +
          `${b.length} |`,
      );
    }
  }
  return rows.join("\n");
}

function rawTimes(results: readonly SizeResult[]): string {
  const lines: string[] = [];
  for (const { project, runs } of results) {
    for (const kase of CASES) {
      for (const tool of TOOLS) {
        const times = runs[kase][tool].map((r) => (r.ms / 1000).toFixed(3)).join(", ");
        lines.push(`- ${project.n} ${kase} ${tool}: ${times} s`);
      }
    }
  }
  return lines.join("\n");
}

function cpuName(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: "string", default: "300" },
      runs: { type: "string", default: "5" },
      jobs: { type: "string", short: "j", default: "2" },
      barchan: { type: "string", default: "HEAD" },
      keep: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno run -A bench/deno_task.ts [--n 300[,3000]] [--runs 5] [-j 2] [--keep]\n" +
        "         [--barchan REVISION|worktree] [--out FILE]",
    );
    return 0;
  }
  const sizes = values.n.split(",").map((s) => Number(s.trim().replaceAll("_", "")));
  const runs = Number(values.runs);
  const jobs = Number(values.jobs);
  const log = (line: string) => console.error(line);
  const tested = await barchanUnderTest(values.barchan, join(REPO, "bench/_work/deno-task"));
  log(`Measuring ${tested.version}`);
  const workDir = Deno.makeTempDirSync({ prefix: "barchan-deno-task-" });
  const loadBefore = loadAverage();
  const started = performance.now();
  const results: SizeResult[] = [];
  try {
    for (const n of sizes) results.push(await measure(n, runs, jobs, tested.dir, workDir, log));
  } finally {
    if (values.keep) log(`Kept ${workDir}`);
    else removeIfPresent(workDir);
  }
  const minutes = (performance.now() - started) / 60000;
  const p = results[0].project;
  const commit = /commit (\w+)/.exec(tested.version)?.[1] ?? "worktree";
  const report = [
    `# barchan and deno task on a TypeScript project (${new Date().toISOString().slice(0, 10)})`,
    "",
    `Machine: ${cpuName()}, ${navigator.hardwareConcurrency} CPUs, ${Deno.build.os}; ` +
    `deno ${Deno.version.deno}.`,
    `Measured: ${tested.version}.`,
    "",
    `The project (\`bench/_ts_project.ts\`): N modules under src/lib/ importing up to three of ` +
    `the 40 before them, three apps importing five modules each, ${p.tasks.length} tasks: ` +
    `${p.tasks.join(", ")}. deno task runs \`deno task -j ${jobs} build\` (the tasks declare ` +
    `\`files: ["src/**/*.ts"]\`, the bundles \`output\`); barchan runs \`barchan build ` +
    `-j ${jobs} --no-check -v\` (the same commands as rules with the \`deno\` helpers, each ` +
    `depending on its module graph, lint and fmt on the files under src/). Each tool has its ` +
    `own copy of the project and its own DENO_DIR; barchan's action cache is a ` +
    `BARCHAN_CACHE_DIR of this run. cold: one run, caches and state empty. imported edit: ` +
    `the module ${p.imported} (N = ${p.n}; the first app imports it directly) gets a new ` +
    `label and a new exported const. unimported edit: the module ${p.unimported}, which no ` +
    `app and no test imports, gets a new exported const. outputs deleted: dist/ removed, ` +
    `state and caches kept. ${runs} runs of each case but cold, tools in turn run by run; ` +
    `every build checked (exit code 0, bundles present, the first app's bundle holding the ` +
    `edited label). Times are wall-clock times of the whole command; ${minutes.toFixed(1)} ` +
    `minutes in all. Load average (1, 5, 15 min) ${loadBefore} at the start, ` +
    `${loadAverage()} at the end.`,
    "",
    table(results),
    "",
    "Raw times:",
    "",
    rawTimes(results),
    "",
  ].join("\n");
  writeReport(report, `deno-task-${sizes.join("-")}-${commit}`, values.out);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
