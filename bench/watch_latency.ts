/**
 * Measures edit-to-done latency in watch mode on the synthetic `graph` of
 * `bench/synthetic.ts`: how long `barchan build -w` takes from a source edit
 * to the end of the rebuild it starts, and how much of that is not the
 * commands themselves.
 *
 * One `barchan build -w --json` process runs for the whole measurement. After
 * its first build, each run appends a line to a different source (in a
 * different directory each time), takes `t0 = performance.now()` just before
 * the write, and waits for the next `build-finished` event (`t1`). That build
 * must run exactly the source's object, its directory's `lib.a` and
 * `out/all`. Per run:
 *
 * - **total**: `t1 - t0`;
 * - **actions**: the sum of the three actions' own `durationMs` (they run one
 *   after another);
 * - **overhead**: total minus actions, split into noticing the edit (write to
 *   `build-started`: file events, the watcher's debounce, invalidation),
 *   before the first action, between actions, and after the last one (saving
 *   the state).
 *
 * Times of events are when this script reads their line, so they include
 * the pipe, well under a millisecond. Alongside, ninja builds the same kind
 * of edit in its own tree (`ninja -j 2` started afresh each time, as ninja
 * has no watch mode), and the same three commands are timed run directly
 * through `/bin/sh -c`, as ninja runs them. The report goes to
 * `bench/results/<date>-watch.md`.
 *
 * ```sh
 * deno run -A bench/watch_latency.ts [--n 10000] [--runs 15] [-j 2] [--barchan REVISION|worktree]
 * ```
 *
 * Not run by CI: it takes about a minute at N = 10,000 (the first build is a
 * cold one) and installs ninja with apt when it is missing.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, relative } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL } from "node:url";
import { FINAL, generate, PER_DIR, type Synthetic } from "./synthetic.ts";
import {
  barchanUnderTest,
  describeMachine,
  ensureTools,
  formatMs,
  loadAverage,
  median,
  writeReport,
} from "./peers.ts";

/** Options of {@linkcode measureWatchLatency}. */
export interface WatchLatencyOptions {
  /**
   * Sources in the graph.
   * @default 10000
   */
  n?: number;
  /**
   * Edits measured, each of a different source.
   * @default 15
   */
  runs?: number;
  /**
   * Parallel jobs given to barchan and ninja.
   * @default 2
   */
  jobs?: number;
  /**
   * Which barchan to measure: a git revision exported with `git archive`, or
   * `"worktree"` for the files as they are.
   * @default "HEAD"
   */
  barchan?: string;
  /**
   * Quiet time after a build before the next edit: events arriving meanwhile
   * are builds nobody asked for, and are counted.
   * @default 500
   */
  settleMs?: number;
  /**
   * Longest wait for a build to finish, in milliseconds.
   * @default 300000
   */
  timeoutMs?: number;
  /**
   * Where the generated trees go.
   * @default bench/_work/watch
   */
  workDir?: string;
  /**
   * Receives progress lines.
   * @default console.error
   */
  log?: (line: string) => void;
}

/** One edit measured in watch mode. Times in milliseconds. */
export interface WatchRun {
  /** The edited source. */
  source: string;
  /** From just before the write to the `build-finished` event. */
  totalMs: number;
  /** Sum of the actions' own durations. */
  actionsMs: number;
  /** `totalMs - actionsMs`. */
  overheadMs: number;
  /** From just before the write to `build-started`. */
  noticeMs: number;
  /** From `build-started` to the first `action-started`. */
  beforeMs: number;
  /** Time between the actions: from the first start to the last finish, minus the actions. */
  betweenMs: number;
  /** From the last `action-finished` to `build-finished`. */
  afterMs: number;
  /** The build's own `durationMs`, as barchan measured it. */
  buildMs: number;
}

/** One edit built by ninja. Times in milliseconds. */
export interface NinjaRun {
  /** The edited source. */
  source: string;
  /** From just before the write to ninja's exit. */
  totalMs: number;
  /** The same three commands run one after another through `/bin/sh -c`. */
  commandsMs: number;
}

/** What {@linkcode measureWatchLatency} found. */
export interface WatchLatencyResult {
  /** Sources in the graph. */
  n: number;
  /** Rules in the graph. */
  rules: number;
  /** Parallel jobs given to barchan and ninja. */
  jobs: number;
  /** Which barchan was measured. */
  version: string;
  /** How long the first build took (cold), by barchan's own count. */
  firstBuildMs: number;
  /** Actions the first build ran. */
  firstBuildRan: number;
  /** Builds that started without an edit, after the first build or after a measured one. */
  extraBuilds: { after: string; trigger: string[]; ran: number; durationMs: number }[];
  /** Edits in watch mode. */
  barchan: WatchRun[];
  /** The same kind of edits built by ninja. */
  ninja: NinjaRun[];
}

/** A line of barchan's JSON event stream, with the time this script read it. */
interface Stamped {
  /** `performance.now()` when the line was read. */
  at: number;
  event: string;
  rule?: string;
  durationMs?: number;
  trigger?: string[];
  ok?: boolean;
  ran?: number;
  failed?: number;
  failures?: string[];
  message?: string;
}

const REPO = fromFileUrl(new URL("..", import.meta.url));
const decoder = new TextDecoder();

/** Splits a child's standard output into JSON events, stamped as they arrive. */
class EventStream {
  #queue: Stamped[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  /** Lines that were not JSON, such as a stack trace. */
  readonly other: string[] = [];

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#pump(stream);
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    for await (const chunk of stream) {
      const at = performance.now();
      pending += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = pending.indexOf("\n")) !== -1) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line.trim() === "") continue;
        try {
          this.#queue.push({ at, ...JSON.parse(line) });
        } catch {
          this.other.push(line);
        }
      }
      this.#wake?.();
    }
    this.#ended = true;
    this.#wake?.();
  }

  /**
   * The next event, or undefined when none arrives within `timeoutMs`.
   * Throws when the stream ended.
   */
  async next(timeoutMs: number): Promise<Stamped | undefined> {
    if (this.#queue.length === 0 && !this.#ended) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
    const event = this.#queue.shift();
    if (event === undefined && this.#ended) {
      throw new Error("barchan's event stream ended: the watch process exited");
    }
    return event;
  }

  /** The events up to and including the next `build-finished`. */
  async build(timeoutMs: number): Promise<Stamped[]> {
    const events: Stamped[] = [];
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const left = deadline - performance.now();
      const event = left > 0 ? await this.next(left) : undefined;
      if (event === undefined) {
        throw new Error(`No build-finished within ${timeoutMs / 1000} s`);
      }
      events.push(event);
      if (event.event === "build-finished") return events;
    }
  }
}

/**
 * Sources to edit: one per run, spread over the directories, each at a
 * different place in its directory.
 * @param sources The graph's sources, 100 per directory in order.
 * @param runs How many.
 * @returns Distinct sources.
 */
export function pickSources(sources: readonly string[], runs: number): string[] {
  const dirs = Math.ceil(sources.length / PER_DIR);
  const picked: string[] = [];
  const used = new Set<number>();
  for (let i = 0; i < runs && used.size < sources.length; i++) {
    const d = Math.floor((i + 0.5) * dirs / runs) % dirs;
    const inDir = Math.min(PER_DIR, sources.length - d * PER_DIR);
    let index = d * PER_DIR + (17 + 37 * i) % inDir;
    while (used.has(index)) index = (index + 1) % sources.length;
    used.add(index);
    picked.push(sources[index]);
  }
  return picked;
}

/** The three rules an edit of `source` reruns. */
function expectedRules(source: string): string[] {
  const object = source.replace(/^src\//, "out/").replace(/\.c$/, ".o");
  return [object, object.replace(/[^/]+$/, "lib.a"), FINAL].sort();
}

/** Turns the events of one build after an edit into a measurement; throws if it is not the expected build. */
function measureBuild(source: string, t0: number, events: Stamped[]): WatchRun {
  const started = events.find((e) => e.event === "build-started");
  const finished = events[events.length - 1];
  const actionStarts = events.filter((e) => e.event === "action-started");
  const actionEnds = events.filter((e) => e.event === "action-finished");
  const ran = actionEnds.map((e) => e.rule ?? "?").sort();
  const want = expectedRules(source);
  if (started === undefined || !(started.trigger ?? []).includes(source)) {
    throw new Error(
      `The build after editing ${source} was triggered by ${
        JSON.stringify(started?.trigger ?? [])
      }`,
    );
  }
  if (!finished.ok || JSON.stringify(ran) !== JSON.stringify(want)) {
    throw new Error(
      `The build after editing ${source} ran ${JSON.stringify(ran)} (ok: ${finished.ok}), ` +
        `not ${JSON.stringify(want)}: ${(finished.failures ?? []).join("; ")}`,
    );
  }
  const actionsMs = actionEnds.reduce((sum, e) => sum + (e.durationMs ?? 0), 0);
  const totalMs = finished.at - t0;
  const firstStart = actionStarts[0].at;
  const lastEnd = actionEnds[actionEnds.length - 1].at;
  return {
    source,
    totalMs,
    actionsMs,
    overheadMs: totalMs - actionsMs,
    noticeMs: started.at - t0,
    beforeMs: firstStart - started.at,
    betweenMs: lastEnd - firstStart - actionsMs,
    afterMs: finished.at - lastEnd,
    buildMs: finished.durationMs ?? NaN,
  };
}

/** Waits until no event arrives for `settleMs`; returns the builds that happened meanwhile. */
async function settle(
  events: EventStream,
  settleMs: number,
  timeoutMs: number,
): Promise<Stamped[][]> {
  const builds: Stamped[][] = [];
  for (;;) {
    const event = await events.next(settleMs);
    if (event === undefined) return builds;
    if (event.event !== "build-started") continue;
    builds.push([event, ...await events.build(timeoutMs)]);
  }
}

async function run(cmd: string, args: string[], cwd: string): Promise<Deno.CommandOutput> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed in ${cwd}: ` +
        decoder.decode(out.stderr).trim() + decoder.decode(out.stdout).trim(),
    );
  }
  return out;
}

/** Edits `source` in ninja's tree and builds; then times the three commands alone. */
async function ninjaEdit(
  graph: Synthetic,
  source: string,
  text: string,
  jobs: number,
): Promise<NinjaRun> {
  const tree = graph.trees.ninja;
  const t0 = performance.now();
  Deno.writeTextFileSync(join(tree, source), text);
  const out = await run("ninja", ["-j", `${jobs}`, "-v"], tree);
  const totalMs = performance.now() - t0;
  const commands = decoder.decode(out.stdout).split("\n").filter((l) => /^\[\d+\/\d+\] /.test(l))
    .map((l) => l.replace(/^\[\d+\/\d+\] /, ""));
  if (commands.length !== 3) {
    throw new Error(`ninja ran ${commands.length} commands after editing ${source}, not 3`);
  }
  // The same commands again write the same content; the outputs then get
  // their modification times back, which ninja compares with its log.
  const outputs = expectedRules(source).map((t) => join(tree, t));
  const times = outputs.map((p) => Deno.statSync(p));
  const c0 = performance.now();
  for (const command of commands) await run("/bin/sh", ["-c", command], tree);
  const commandsMs = performance.now() - c0;
  outputs.forEach((p, i) => Deno.utimeSync(p, times[i].atime!, times[i].mtime!));
  return { source, totalMs, commandsMs };
}

function checkFinal(tree: string, graph: Synthetic, contents: Map<string, string>): void {
  const expected = graph.sources.map((s) => contents.get(s)).join("");
  if (Deno.readTextFileSync(join(tree, FINAL)) !== expected) {
    throw new Error(`Wrong ${FINAL} in ${tree}`);
  }
}

/**
 * Generates the graph, builds it in watch mode and measures edits one by
 * one, with ninja's incremental builds of the same edits in between.
 * @param options What to measure.
 * @returns The measurements.
 */
export async function measureWatchLatency(
  options: WatchLatencyOptions = {},
): Promise<WatchLatencyResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const n = options.n ?? 10000;
  const runs = options.runs ?? 15;
  const jobs = options.jobs ?? 2;
  const settleMs = options.settleMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const workDir = options.workDir ?? join(REPO, "bench/_work/watch");
  await ensureTools(log);
  const { dir, version } = await barchanUnderTest(
    options.barchan ?? "HEAD",
    join(REPO, "bench/_work/peers"),
  );
  log(`Measuring ${version}`);
  const mod = pathToFileURL(join(dir, "mod.ts")).href;
  const graph = await generate(join(workDir, `graph-${n}`), { shape: "graph", n, mod });
  log(`graph n=${n}: ${graph.rules} rules in ${relative(Deno.cwd(), graph.dir)}`);
  const picked = pickSources(graph.sources, runs);
  const contents = { barchan: new Map(graph.contents), ninja: new Map(graph.contents) };

  log("ninja: first build");
  await run("ninja", ["-j", `${jobs}`], graph.trees.ninja);

  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(dir, "cli.ts"),
      "build",
      "-w",
      "--json",
      "-j",
      `${jobs}`,
      "-C",
      graph.trees.barchan,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors: string[] = [];
  const stderr = (async () => {
    for await (const chunk of child.stderr) errors.push(decoder.decode(chunk));
  })();
  const events = new EventStream(child.stdout);
  const result: WatchLatencyResult = {
    n,
    rules: graph.rules,
    jobs,
    version,
    firstBuildMs: NaN,
    firstBuildRan: 0,
    extraBuilds: [],
    barchan: [],
    ninja: [],
  };
  const noteExtra = (after: string, builds: Stamped[][]) => {
    for (const b of builds) {
      const end = b[b.length - 1];
      result.extraBuilds.push({
        after,
        trigger: b[0].trigger ?? [],
        ran: end.ran ?? 0,
        durationMs: end.durationMs ?? NaN,
      });
    }
  };
  try {
    log("barchan: first build in watch mode");
    const first = await events.build(timeoutMs);
    const firstEnd = first[first.length - 1];
    if (!firstEnd.ok) throw new Error(`The first build failed: ${firstEnd.failures?.join("; ")}`);
    result.firstBuildMs = firstEnd.durationMs ?? NaN;
    result.firstBuildRan = firstEnd.ran ?? 0;
    log(`  ${formatMs(result.firstBuildMs)}, ${result.firstBuildRan} actions`);
    noteExtra("the first build", await settle(events, settleMs, timeoutMs));
    checkFinal(graph.trees.barchan, graph, contents.barchan);

    for (const [i, source] of picked.entries()) {
      const text = `${graph.contents.get(source)}/* watch edit ${i + 1} */\n`;
      contents.barchan.set(source, text);
      const path = join(graph.trees.barchan, source);
      const t0 = performance.now();
      Deno.writeTextFileSync(path, text);
      const m = measureBuild(source, t0, await events.build(timeoutMs));
      result.barchan.push(m);
      noteExtra(`editing ${source}`, await settle(events, settleMs, timeoutMs));
      checkFinal(graph.trees.barchan, graph, contents.barchan);

      contents.ninja.set(source, text);
      const nm = await ninjaEdit(graph, source, text, jobs);
      result.ninja.push(nm);
      log(
        `  ${i + 1}/${picked.length} ${source}: barchan ${formatMs(m.totalMs)} ` +
          `(actions ${formatMs(m.actionsMs)}, overhead ${formatMs(m.overheadMs)}), ` +
          `ninja ${formatMs(nm.totalMs)} (commands ${formatMs(nm.commandsMs)})`,
      );
    }
    checkFinal(graph.trees.barchan, graph, contents.barchan);
    checkFinal(graph.trees.ninja, graph, contents.ninja);
  } catch (error) {
    const tail = [...events.other, ...errors].join("\n").split("\n").slice(-20).join("\n");
    throw new Error(`${(error as Error).message}${tail.trim() === "" ? "" : `\n${tail}`}`);
  } finally {
    try {
      child.kill("SIGINT");
    } catch {
      // already exited
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, 10_000);
    await child.status;
    clearTimeout(timer);
    await stderr;
  }
  return result;
}

function stats(xs: readonly number[]): string {
  return `${formatMs(median(xs))} | ${formatMs(Math.min(...xs))}`;
}

/**
 * Renders the measurements as markdown: medians and minima of barchan's
 * total, actions and overhead with ninja's alongside, then the overhead's
 * parts.
 * @param r The measurements.
 * @returns The tables.
 */
export function watchTables(r: WatchLatencyResult): string {
  const b = r.barchan;
  const col = (f: (w: WatchRun) => number) => stats(b.map(f));
  const nin = r.ninja;
  const ninjaOverhead = nin.map((x) => x.totalMs - x.commandsMs);
  const lines = [
    "| per edit | median | min |",
    "| --- | ---: | ---: |",
    `| barchan -w: total (edit to build-finished) | ${col((w) => w.totalMs)} |`,
    `| barchan -w: the three actions | ${col((w) => w.actionsMs)} |`,
    `| barchan -w: overhead (total − actions) | ${col((w) => w.overheadMs)} |`,
    `| ninja -j ${r.jobs}: total (edit to exit) | ${stats(nin.map((x) => x.totalMs))} |`,
    `| ninja: the three commands via /bin/sh -c | ${stats(nin.map((x) => x.commandsMs))} |`,
    `| ninja: overhead (total − commands) | ${stats(ninjaOverhead)} |`,
    "",
    "| barchan's overhead, in parts | median | min |",
    "| --- | ---: | ---: |",
    `| write → build-started (file events, debounce, invalidation) | ${col((w) => w.noticeMs)} |`,
    `| build-started → first action | ${col((w) => w.beforeMs)} |`,
    `| between the actions | ${col((w) => w.betweenMs)} |`,
    `| last action → build-finished | ${col((w) => w.afterMs)} |`,
  ];
  return lines.join("\n");
}

function rawRuns(r: WatchLatencyResult): string {
  const f = (ms: number) => ms.toFixed(1);
  const lines = [
    "| source | total | actions | overhead | notice | before | between | after | " +
    "ninja total | ninja commands |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  r.barchan.forEach((w, i) => {
    const x = r.ninja[i];
    lines.push(
      `| ${w.source} | ${f(w.totalMs)} | ${f(w.actionsMs)} | ${f(w.overheadMs)} | ` +
        `${f(w.noticeMs)} | ${f(w.beforeMs)} | ${f(w.betweenMs)} | ${f(w.afterMs)} | ` +
        `${x === undefined ? "–" : f(x.totalMs)} | ${x === undefined ? "–" : f(x.commandsMs)} |`,
    );
  });
  return lines.join("\n");
}

/**
 * Measures and renders the report.
 * @param options What to measure.
 * @returns The measurements and the markdown report.
 */
export async function runWatchLatency(
  options: WatchLatencyOptions = {},
): Promise<{ result: WatchLatencyResult; report: string }> {
  const loadBefore = loadAverage();
  const started = performance.now();
  const result = await measureWatchLatency(options);
  const minutes = (performance.now() - started) / 60000;
  const extra = result.extraBuilds.length === 0
    ? "No build started without an edit."
    : `Builds that started without an edit: ${
      result.extraBuilds.map((x) =>
        `after ${x.after}, triggered by ${JSON.stringify(x.trigger)} ` +
        `(${x.ran} actions, ${formatMs(x.durationMs)})`
      ).join("; ")
    }.`;
  const report = [
    `# Watch latency on the synthetic graph (${new Date().toISOString().slice(0, 10)})`,
    "",
    `Machine: ${await describeMachine()}.`,
    `Measured: ${result.version}.`,
    `Graph: ${result.n.toLocaleString("en-US")} sources, ${result.rules} rules; ` +
    `-j ${result.jobs}; ${result.barchan.length} edits, each of a different source in ` +
    `a different place, each rebuilding 3 rules. The first build in watch mode took ` +
    `${formatMs(result.firstBuildMs)} (${result.firstBuildRan} actions). ${extra} ` +
    `${minutes.toFixed(1)} minutes in all. Load average (1, 5, 15 min) ${loadBefore} at the ` +
    `start, ${loadAverage()} at the end.`,
    "",
    watchTables(result),
    "",
    "Every run, in milliseconds:",
    "",
    rawRuns(result),
    "",
  ].join("\n");
  return { result, report };
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: "string", default: "10000" },
      runs: { type: "string", default: "15" },
      jobs: { type: "string", short: "j", default: "2" },
      barchan: { type: "string", default: "HEAD" },
      settle: { type: "string", default: "500" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno run -A bench/watch_latency.ts [--n 10000] [--runs 15] [-j 2]\n" +
        "         [--barchan REVISION|worktree] [--settle MS] [--out FILE]",
    );
    return 0;
  }
  const number = (name: string, text: string) => {
    const x = Number(text.replace(/_/g, ""));
    if (!Number.isInteger(x) || x < 1) {
      throw new RangeError(`--${name} takes a whole number, not "${text}"`);
    }
    return x;
  };
  const { report } = await runWatchLatency({
    n: number("n", values.n),
    runs: number("runs", values.runs),
    jobs: number("jobs", values.jobs),
    settleMs: number("settle", values.settle),
    barchan: values.barchan,
  });
  writeReport(report, "watch", values.out);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
