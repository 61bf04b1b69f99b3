/**
 * Compares barchan with ninja and make on the synthetic graphs of
 * `bench/synthetic.ts`: a cold build, a no-op build, a build after one
 * source was edited and a build after one source was touched (mtime changed,
 * content not). Tools take turns run by run, every build is checked (exit
 * code 0, `out/all` equal to the concatenation of the sources), and the
 * medians and minima are printed as a markdown table and written to
 * `bench/results/<date>-peers.md`. When `/usr/bin/time` exists, one more run
 * of each case under it gives each tool's peak memory.
 *
 * ```sh
 * deno run -A bench/peers.ts [--n 1000,10000] [--runs 5] [--shapes graph] [-j 2]
 * ```
 *
 * Not run by CI: it installs ninja and make with apt when they are missing
 * and takes minutes.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, relative } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL } from "node:url";
import {
  defaultSize,
  FINAL,
  generate,
  parseShape,
  type Shape,
  type Synthetic,
  type Tool,
  TOOLS,
} from "./synthetic.ts";
import { BuildServerSession, NO_SERVER_ENV, SERVER_ENV } from "./_session.ts";

/** What is measured, in the order it is measured. */
export const CASES = ["cold", "no-op", "edit", "touch"] as const;

/** One of {@linkcode CASES}. */
export type Case = typeof CASES[number];

/** Options of {@linkcode runPeers}. */
export interface PeersOptions {
  /**
   * Sizes to measure.
   * @default [1000, 10000] for graph, the shape's default size otherwise
   */
  sizes?: number[];
  /**
   * Shapes to measure.
   * @default ["graph"]
   */
  shapes?: Shape[];
  /**
   * Runs of the no-op, edit and touch cases.
   * @default 5
   */
  runs?: number;
  /**
   * Runs of the cold case.
   * @default runs up to N = 1000, 3 up to N = 10000, 1 above
   */
  coldRuns?: number;
  /**
   * Parallel jobs given to every tool.
   * @default 2
   */
  jobs?: number;
  /**
   * A build taking longer is killed and the tool's remaining cases at that size are skipped.
   * @default 300
   */
  timeoutSeconds?: number;
  /**
   * Which barchan to measure: a git revision of this repository, exported
   * with `git archive` so that edits in the working tree cannot change it
   * during the run, or `"worktree"` for the files as they are.
   * @default "HEAD"
   */
  barchan?: string;
  /**
   * Where the generated trees (and the exported barchan) go.
   * @default bench/_work/peers
   */
  workDir?: string;
  /**
   * Receives progress lines.
   * @default console.error
   */
  log?: (line: string) => void;
}

/** The measurements of one tool in one case. */
export interface Measurement {
  /** Wall time of each run, in milliseconds. */
  times: number[];
  /** How many commands each run executed. */
  reran: number[];
  /** Set when a run was killed after the timeout. */
  timedOut?: number;
  /** Set when a build failed or wrote a wrong `out/all`: the first line of what went wrong. */
  failed?: string;
  /**
   * Peak resident memory in kilobytes, from one more run under
   * `/usr/bin/time` (not among {@linkcode times}); absent without it.
   */
  peakKb?: number;
}

/** The measurements of one graph. */
export interface GraphResult {
  /** The shape. */
  shape: Shape;
  /** Its size. */
  n: number;
  /** How many rules it has. */
  rules: number;
  /** How many rules an edit of the probed source reruns. */
  probeRules: number;
  /** Measurements by case and tool; absent when skipped. */
  cases: Record<Case, Partial<Record<Tool, Measurement>>>;
}

interface Outcome {
  ms: number;
  code: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the process tree, in kilobytes, when run under `/usr/bin/time`. */
  peakKb?: number;
}

/** GNU time, which reports a process's peak resident memory (`%M`, the largest process of its tree). */
const TIME = "/usr/bin/time";

const REPO = fromFileUrl(new URL("..", import.meta.url));
const decoder = new TextDecoder();

function commandOf(tool: Tool, tree: string, jobs: number, cli: string): [string, string[]] {
  switch (tool) {
    case "barchan":
    case "session":
      return [Deno.execPath(), ["run", "-A", cli, "build", "-j", `${jobs}`, "-C", tree, "-v"]];
    case "ninja":
      return ["ninja", ["-j", `${jobs}`, "-v"]];
    case "make":
      return ["make", ["-j", `${jobs}`]];
  }
}

/**
 * The environment a tool's command runs with: barchan alone, or through its
 * build server, each with an action cache of its own beside its tree.
 */
function envOf(tool: Tool, tree: string): Record<string, string> {
  const cache = { BARCHAN_CACHE_DIR: cacheOf(tree) };
  return tool === "barchan"
    ? { ...NO_SERVER_ENV, ...cache }
    : tool === "session"
    ? { ...SERVER_ENV, ...cache }
    : {};
}

/** The action cache of barchan's tree: emptied for a cold build, as make has none. */
function cacheOf(tree: string): string {
  return `${tree}.barchan-cache`;
}

/** Counts the commands a tool printed as it ran them. */
function commandsRun(tool: Tool, outcome: Outcome): number {
  const lines = (outcome.stdout + "\n" + outcome.stderr).split("\n");
  switch (tool) {
    case "barchan":
    case "session":
      return lines.filter((l) => l.startsWith("$ ")).length;
    case "ninja":
      return lines.filter((l) => /^\[\d+\/\d+\] /.test(l)).length;
    case "make":
      return lines.filter((l) => l !== "" && !l.startsWith("make")).length;
  }
}

/**
 * Runs a command to its end and measures its wall time. With `memoryFile`,
 * the command runs under {@linkcode TIME}, which writes the peak memory
 * there; that costs about a millisecond of process start, so such runs are
 * kept apart from the timed ones.
 */
async function timed(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
  memoryFile?: string,
  env: Record<string, string> = {},
): Promise<Outcome> {
  if (memoryFile !== undefined) {
    args = ["-f", "%M", "-o", memoryFile, cmd, ...args];
    cmd = TIME;
  }
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const start = performance.now();
  try {
    const out = await new Deno.Command(cmd, {
      args,
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
      env,
    }).output();
    const ms = performance.now() - start;
    let peakKb: number | undefined;
    if (memoryFile !== undefined && !timedOut) {
      // GNU time writes "Command exited with non-zero status N" first when it did.
      const last = Deno.readTextFileSync(memoryFile).trim().split("\n").pop();
      peakKb = Number(last);
    }
    return {
      ms,
      code: out.code,
      timedOut,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      peakKb,
    };
  } finally {
    clearTimeout(timer);
  }
}

function removeIfPresent(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function hasTime(): boolean {
  try {
    return Deno.statSync(TIME).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Deletes a tool's outputs and state, so that its next build starts from scratch. */
function clean(tool: Tool, tree: string): void {
  removeIfPresent(join(tree, "out"));
  if (tool === "barchan" || tool === "session") {
    removeIfPresent(join(tree, "_build"));
    removeIfPresent(cacheOf(tree));
  }
  if (tool === "ninja") {
    removeIfPresent(join(tree, ".ninja_log"));
    removeIfPresent(join(tree, ".ninja_deps"));
  }
}

/**
 * Installs ninja and make with apt when either is missing.
 * @param log Receives progress lines.
 */
export async function ensureTools(log: (line: string) => void = console.error): Promise<void> {
  const missing: string[] = [];
  for (const [program, pkg] of [["ninja", "ninja-build"], ["make", "make"]]) {
    try {
      await new Deno.Command(program, { args: ["--version"], stdout: "null", stderr: "null" })
        .output();
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      missing.push(pkg);
    }
  }
  if (missing.length === 0) return;
  log(`Installing ${missing.join(" ")} with apt-get`);
  const install = () =>
    new Deno.Command("apt-get", { args: ["install", "-y", ...missing], stdout: "null" }).output();
  if ((await install()).code === 0) return;
  await new Deno.Command("apt-get", { args: ["update"], stdout: "null" }).output();
  if ((await install()).code !== 0) {
    throw new Error(`Cannot install ${missing.join(" ")} with apt-get: run it as root`);
  }
}

class Checker {
  #graph: Synthetic;
  #probe: Record<Tool, string>;

  constructor(graph: Synthetic) {
    this.#graph = graph;
    const initial = graph.contents.get(graph.probe)!;
    this.#probe = { barchan: initial, session: initial, ninja: initial, make: initial };
  }

  /** Changes the probed source's content in a tool's tree. */
  edit(tool: Tool, run: number): void {
    const text = `${this.#graph.contents.get(this.#graph.probe)}/* edit ${run} */\n`;
    this.#probe[tool] = text;
    Deno.writeTextFileSync(join(this.#graph.trees[tool], this.#graph.probe), text);
  }

  /** Sets the probed source's modification time to now, leaving its content. */
  touch(tool: Tool): void {
    const now = new Date();
    Deno.utimeSync(join(this.#graph.trees[tool], this.#graph.probe), now, now);
  }

  /** Throws unless the build succeeded and wrote the expected `out/all`. */
  check(tool: Tool, what: string, outcome: Outcome): void {
    const tree = this.#graph.trees[tool];
    if (outcome.code !== 0) {
      throw new Error(
        `${tool} failed (${what}) with exit code ${outcome.code} in ${tree}:\n` +
          (outcome.stdout + outcome.stderr).split("\n").slice(-20).join("\n"),
      );
    }
    const g = this.#graph;
    const expected = g.sources.map((s) => s === g.probe ? this.#probe[tool] : g.contents.get(s))
      .join("");
    const actual = Deno.readTextFileSync(join(tree, FINAL));
    if (actual !== expected) {
      throw new Error(`${tool} wrote a wrong ${FINAL} (${what}) in ${tree}`);
    }
  }
}

/** The last line the tool printed about an error, if any, after a colon. */
function failureLine(outcome: Outcome): string {
  const lines = (outcome.stdout + "\n" + outcome.stderr).split("\n").map((l) => l.trim());
  const error = lines.filter((l) => /error/i.test(l)).pop();
  return error === undefined ? "" : `: ${error}`;
}

function defaultColdRuns(n: number, runs: number): number {
  return n <= 1000 ? runs : n <= 10000 ? Math.min(runs, 3) : 1;
}

/**
 * Generates and measures one graph.
 * @param shape The shape.
 * @param n Its size.
 * @param options Runs, jobs, timeout and where to work.
 * @param barchanDir The barchan checkout whose cli.ts and mod.ts are measured.
 * @returns The measurements.
 */
export async function measureGraph(
  shape: Shape,
  n: number,
  options: PeersOptions = {},
  barchanDir: string = REPO,
): Promise<GraphResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const runs = options.runs ?? 5;
  const coldRuns = options.coldRuns ?? defaultColdRuns(n, runs);
  const jobs = options.jobs ?? 2;
  const timeoutMs = (options.timeoutSeconds ?? 300) * 1000;
  const workDir = options.workDir ?? join(REPO, "bench/_work/peers");
  const cli = join(barchanDir, "cli.ts");
  const mod = pathToFileURL(join(barchanDir, "mod.ts")).href;
  const graph = await generate(join(workDir, `${shape}-${n}`), { shape, n, mod });
  const checker = new Checker(graph);
  log(`${shape} n=${n}: ${graph.rules} rules in ${relative(Deno.cwd(), graph.dir)}`);
  const result: GraphResult = {
    shape,
    n,
    rules: graph.rules,
    probeRules: graph.probeRules,
    cases: { cold: {}, "no-op": {}, edit: {}, touch: {} },
  };
  const alive = new Set<Tool>(TOOLS);

  // Warm-up: barchan loads build.ts once so that Deno's transpile cache holds
  // it; ninja and make read their files (and the sources enter the page cache).
  await timed(
    Deno.execPath(),
    ["run", "-A", cli, "targets", "-C", graph.trees.barchan],
    ".",
    timeoutMs,
    undefined,
    NO_SERVER_ENV,
  );
  for (const tool of ["ninja", "make"] as const) {
    const [cmd, args] = tool === "ninja" ? ["ninja", ["-n"]] : ["make", ["-n"]];
    await timed(cmd, args, graph.trees[tool], timeoutMs);
  }

  const plan: [Case, number][] = [
    ["cold", coldRuns],
    ["no-op", runs],
    ["edit", runs],
    ["touch", runs],
  ];
  // One more run of each case under /usr/bin/time measures peak memory.
  const memoryFile = hasTime() ? Deno.makeTempFileSync({ prefix: "barchan-peers-" }) : undefined;
  // The build server starts after an untimed plain build of its tree, and
  // gets one untimed build; the timed builds are the client's, and the
  // memory is the server's own.
  let session: BuildServerSession | undefined;
  try {
    for (const [kase, count] of plan) {
      const total = memoryFile === undefined ? count : count + 1;
      for (let run = 1; run <= total; run++) {
        const timing = run <= count;
        const label = timing ? `${kase} ${run}/${count}` : `${kase} memory`;
        for (const tool of TOOLS) {
          if (!alive.has(tool)) continue;
          const tree = graph.trees[tool];
          if (tool !== "session") session?.pause();
          if (tool === "session") {
            if (kase === "cold") continue;
            session?.resume();
            if (session === undefined) {
              // Started on a built tree, as after yesterday's build: a server
              // that runs the cold build itself keeps the heap it grew.
              clean(tool, tree);
              const [cmd, args] = commandOf(tool, tree, jobs, cli);
              checker.check(
                tool,
                "build before the server",
                await timed(cmd, args, tree, timeoutMs, undefined, envOf("barchan", tree)),
              );
              session = new BuildServerSession(cli, tree, jobs, envOf("session", tree));
              await session.ready();
            }
            if (!timing) session.resetPeak();
          }
          if (kase === "cold") clean(tool, tree);
          if (kase === "edit") checker.edit(tool, run);
          if (kase === "touch") checker.touch(tool);
          const [cmd, args] = commandOf(tool, tree, jobs, cli);
          const outcome = await timed(
            cmd,
            args,
            tree,
            timeoutMs,
            timing ? undefined : memoryFile,
            envOf(tool, tree),
          );
          // Its own work after a build (verifying ahead, settling files) is done
          // on its own time, not during the next measurement (after SIGCONT).
          if (tool === "session") await session!.idle();
          const m = result.cases[kase][tool] ??= { times: [], reran: [] };
          if (outcome.timedOut) {
            m.timedOut = timeoutMs;
            alive.delete(tool);
            log(`  ${label} ${tool}: killed after ${timeoutMs / 1000} s`);
            continue;
          }
          try {
            checker.check(tool, `${kase} run ${run}`, outcome);
          } catch (error) {
            // A broken build ends this tool's measurements at this size, not the whole run.
            m.failed = outcome.code !== 0
              ? `exit code ${outcome.code}${failureLine(outcome)}`
              : `wrong ${FINAL}`;
            alive.delete(tool);
            log(`  ${label} ${tool}: ${(error as Error).message}`);
            continue;
          }
          const reran = commandsRun(tool, outcome);
          if (!timing) {
            m.peakKb = tool === "session" ? session!.peakKb() : outcome.peakKb;
            log(`  ${label} ${tool}: ${formatKb(outcome.peakKb)}, ${reran} commands`);
            continue;
          }
          m.times.push(outcome.ms);
          m.reran.push(reran);
          log(`  ${label} ${tool}: ${formatMs(outcome.ms)}, ${reran} commands`);
        }
      }
    }
  } finally {
    await session?.stop();
  }
  if (memoryFile !== undefined) removeIfPresent(memoryFile);
  return result;
}

/**
 * The median of some numbers.
 * @param xs The numbers (not empty).
 * @returns Their median.
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Formats milliseconds for a table: `87 ms`, `4.21 s`.
 * @param ms Milliseconds.
 * @returns The text.
 */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 100_000 ? 2 : 1)} s`;
}

/**
 * Formats kilobytes of memory for a table: `4.2 MB`, `212 MB`.
 * @param kb Kilobytes, or undefined when not measured.
 * @returns The text, or `–`.
 */
export function formatKb(kb: number | undefined): string {
  if (kb === undefined || !Number.isFinite(kb)) return "–";
  const mb = kb / 1024;
  return mb < 10 ? `${mb.toFixed(1)} MB` : `${Math.round(mb)} MB`;
}

function ratio(x: number, base: number | undefined): string {
  if (base === undefined || base === 0) return "–";
  const r = x / base;
  return `${r < 10 ? r.toFixed(2) : r.toFixed(r < 100 ? 1 : 0)}×`;
}

function reranText(xs: readonly number[]): string {
  const distinct = [...new Set(xs)];
  return distinct.length === 1 ? `${distinct[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`;
}

/**
 * Renders measurements as a markdown table: median, minimum, both as a
 * ratio to ninja's, how many commands ran, and the peak memory.
 * @param results The measurements.
 * @returns The table.
 */
export function markdownTable(results: readonly GraphResult[]): string {
  const rows = [
    "| graph | case | tool | median | min | median / ninja | min / ninja | commands run | " +
    "peak memory | runs |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    for (const kase of CASES) {
      const ninja = r.cases[kase].ninja;
      const base = ninja && ninja.times.length > 0
        ? { med: median(ninja.times), min: Math.min(...ninja.times) }
        : undefined;
      for (const tool of TOOLS) {
        const m = r.cases[kase][tool];
        const label = `${r.shape} ${r.n.toLocaleString("en-US")}`;
        if (m === undefined) continue;
        if (m.times.length === 0) {
          const why = m.failed !== undefined
            ? `failed: ${m.failed.replaceAll("|", "\\|")}`
            : m.timedOut !== undefined
            ? `> ${m.timedOut / 1000} s (killed)`
            : "not run";
          rows.push(`| ${label} | ${kase} | ${tool} | ${why} | | | | | | 0 |`);
          continue;
        }
        const med = median(m.times);
        const min = Math.min(...m.times);
        rows.push(
          `| ${label} | ${kase} | ${tool} | ${formatMs(med)} | ${formatMs(min)} | ` +
            `${ratio(med, base?.med)} | ${ratio(min, base?.min)} | ${reranText(m.reran)} | ` +
            `${formatKb(m.peakKb)} | ` +
            `${m.times.length}${m.failed || m.timedOut ? ", then failed" : ""} |`,
        );
      }
    }
  }
  return rows.join("\n");
}

function rawTimes(results: readonly GraphResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const kase of CASES) {
      for (const tool of TOOLS) {
        const m = r.cases[kase][tool];
        if (m === undefined) continue;
        const times = m.times.map((t) => (t / 1000).toFixed(3)).join(", ");
        lines.push(`- ${r.shape} ${r.n} ${kase} ${tool}: ${times} s`);
      }
    }
  }
  return lines.join("\n");
}

async function versionOf(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return decoder.decode(out.stdout).split("\n")[0].trim();
  } catch {
    return "unknown";
  }
}

/** barchan's sources; `cli` is absent from revisions older than the cli/ folder. */
const ENGINE = ["cli.ts", "cli", "mod.ts", "deno.json", "fiber", "memo", "rules"];

function sourcesOf(dir: string, path: string): string[] {
  const abs = join(dir, path);
  let isDirectory;
  try {
    isDirectory = Deno.statSync(abs).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  if (!isDirectory) return [path];
  return [...Deno.readDirSync(abs)].flatMap((e) => sourcesOf(dir, join(path, e.name)));
}

async function git(args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd: REPO, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")} failed: ${decoder.decode(out.stderr).trim()}`);
  }
  return decoder.decode(out.stdout).trim();
}

/**
 * Exports a revision of this repository with `git archive` (once per commit).
 * @returns The directory and the commit.
 */
async function exportRevision(rev: string, workDir: string): Promise<[string, string]> {
  const commit = await git(["rev-parse", "--short", `${rev}^{commit}`]);
  const dir = join(workDir, `barchan-${commit}`);
  try {
    Deno.statSync(join(dir, "cli.ts"));
    return [dir, commit];
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  removeIfPresent(dir);
  Deno.mkdirSync(dir, { recursive: true });
  const tar = await new Deno.Command("sh", {
    args: ["-c", `git archive --format=tar "$1" | tar -x -C "$2"`, "sh", commit, dir],
    cwd: REPO,
    stderr: "piped",
  }).output();
  if (!tar.success) {
    throw new Error(`Cannot export ${rev} to ${dir}: ${decoder.decode(tar.stderr).trim()}`);
  }
  return [dir, commit];
}

/**
 * Finds the barchan to measure: a revision exported with `git archive` under
 * `workDir` (once per commit), or the working tree.
 * @param rev A git revision, or `"worktree"`.
 * @param workDir Where exported revisions go.
 * @returns Its directory, and a description for a report.
 */
export async function barchanUnderTest(
  rev: string,
  workDir: string,
): Promise<{ dir: string; version: string }> {
  if (rev === "worktree") {
    const head = await git(["rev-parse", "--short", "HEAD"]);
    return { dir: REPO, version: `barchan from the working tree at commit ${head}` };
  }
  const [dir, commit] = await exportRevision(rev, workDir);
  return { dir, version: `barchan at commit ${commit} (exported with git archive)` };
}

/**
 * The load averages over 1, 5 and 15 minutes, as `/proc/loadavg` gives them.
 * @returns The three numbers as text, or `unknown` off Linux.
 */
export function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(", ");
  } catch {
    return "unknown";
  }
}

/** A digest of barchan's sources in a directory, to notice changes during a run. */
async function sourcesDigest(dir: string): Promise<string> {
  const hash = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(
      ENGINE.flatMap((p) => sourcesOf(dir, p)).sort()
        .map((p) => `${p}\0${Deno.readTextFileSync(join(dir, p))}`).join("\0"),
    ),
  );
  const hex = [...new Uint8Array(hash).slice(0, 6)].map((b) => b.toString(16).padStart(2, "0"));
  return hex.join("");
}

/**
 * Describes this machine and the tools' versions, for a report.
 * @returns CPU, CPU count, OS, and the versions of deno, ninja and make.
 */
export async function describeMachine(): Promise<string> {
  let cpu = "unknown CPU";
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    cpu = info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  const deno = `deno ${Deno.version.deno}`;
  const ninja = `ninja ${await versionOf("ninja", ["--version"])}`;
  const make = await versionOf("make", ["--version"]);
  return `${cpu}, ${navigator.hardwareConcurrency} CPUs, ${Deno.build.os}; ${deno}, ${ninja}, ${make}`;
}

/**
 * Measures every requested graph and renders the report.
 * @param options What to measure.
 * @returns The measurements and the markdown report.
 */
export async function runPeers(
  options: PeersOptions = {},
): Promise<{ results: GraphResult[]; report: string }> {
  const log = options.log ?? ((line: string) => console.error(line));
  await ensureTools(log);
  const shapes = options.shapes ?? ["graph"];
  const runs = options.runs ?? 5;
  const jobs = options.jobs ?? 2;
  const results: GraphResult[] = [];
  const started = performance.now();
  const workDir = options.workDir ?? join(REPO, "bench/_work/peers");
  const tested = await barchanUnderTest(options.barchan ?? "HEAD", workDir);
  const barchanDir = tested.dir;
  let version = tested.version;
  log(`Measuring ${version}`);
  const loadBefore = loadAverage();
  const digestBefore = await sourcesDigest(barchanDir);
  for (const shape of shapes) {
    const sizes = options.sizes ?? (shape === "graph" ? [1000, 10000] : [defaultSize(shape)]);
    for (const n of sizes) results.push(await measureGraph(shape, n, options, barchanDir));
  }
  const minutes = (performance.now() - started) / 60000;
  if (digestBefore !== await sourcesDigest(barchanDir)) {
    version += "; warning: its sources changed during the run, so the figures mix versions";
    log(version);
  }
  const report = [
    `# barchan, ninja and make on synthetic graphs (${new Date().toISOString().slice(0, 10)})`,
    "",
    `Machine: ${await describeMachine()}.`,
    `Measured: ${version}.`,
    `Every tool ran with -j ${jobs}; no-op, edit and touch ${runs} runs each, tools in turn ` +
    `run by run; ${minutes.toFixed(1)} minutes in all. Times are wall-clock times of the ` +
    `whole command (process start to exit). "commands run" counts the commands each tool ` +
    `printed as it ran them; "peak memory" is the largest resident set of its process tree ` +
    `in one more run of the case under ${TIME}. "barchan" builds in its own process ` +
    `(BARCHAN_SERVER=off); "session" is barchan with its build server, as builds run by ` +
    `default: the same \`barchan build\` command sends its request to the server running ` +
    `for its tree, which builds it once it has seen every earlier change. The server starts ` +
    `(\`barchan server start\`) on a tree a plain build has just built, and builds once, ` +
    `untimed, before the timed runs; its peak memory is the server's own during the case ` +
    `(from /proc, VmHWM reset before the run). The server is stopped (SIGSTOP) while the ` +
    `other tools run, after the 1.5 s it is given to finish what it does after a build, so ` +
    `that its background work runs on its own time (it collects garbage only after ten ` +
    `idle seconds, which the measurements never leave it). ` +
    `Load average (1, 5, 15 min) ` +
    `${loadBefore} at the start, ${loadAverage()} at the end.`,
    "",
    markdownTable(results),
    "",
    "Raw times:",
    "",
    rawTimes(results),
    "",
  ].join("\n");
  return { results, report };
}

function parseList(text: string): number[] {
  return text.split(",").map((s) => {
    const n = Number(s.trim().replace(/_/g, ""));
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Not a size: "${s}"`);
    return n;
  });
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: "string" },
      runs: { type: "string", default: "5" },
      "cold-runs": { type: "string" },
      shapes: { type: "string", default: "graph" },
      jobs: { type: "string", short: "j", default: "2" },
      timeout: { type: "string", default: "300" },
      out: { type: "string" },
      barchan: { type: "string", default: "HEAD" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno run -A bench/peers.ts [--n 1000,10000] [--runs 5] [--cold-runs N]\n" +
        "         [--shapes graph,chain,fanin] [-j 2] [--timeout SECONDS] [--out FILE]\n" +
        "         [--barchan REVISION|worktree]",
    );
    return 0;
  }
  const { report } = await runPeers({
    sizes: values.n === undefined ? undefined : parseList(values.n),
    shapes: values.shapes.split(",").map((s) => parseShape(s.trim())),
    runs: Number(values.runs),
    coldRuns: values["cold-runs"] === undefined ? undefined : Number(values["cold-runs"]),
    jobs: Number(values.jobs),
    timeoutSeconds: Number(values.timeout),
    barchan: values.barchan,
  });
  writeReport(report, "peers", values.out);
  return 0;
}

/**
 * Prints a report and writes it to `out`, or to `bench/results/DATE-KIND.md`.
 * @param report The markdown report.
 * @param kind What it measures, for the default file name.
 * @param out Where to write it instead.
 */
export function writeReport(report: string, kind: string, out?: string): void {
  const path = out ??
    fromFileUrl(
      new URL(`./results/${new Date().toISOString().slice(0, 10)}-${kind}.md`, import.meta.url),
    );
  Deno.mkdirSync(join(path, ".."), { recursive: true });
  Deno.writeTextFileSync(path, report);
  console.log(report);
  console.error(`Written to ${relative(Deno.cwd(), path)}`);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
