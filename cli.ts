/**
 * The `barchan` command line: argument parsing and terminal output only;
 * everything else is the library's.
 *
 * ```sh
 * deno run -A cli.ts build [TARGET|@ALIAS ...] [-j N] [-C DIR]
 * ```
 *
 * @module
 */
import { parseCommandLine } from "./_cli_args.ts";
import {
  joinPath as join,
  relativePath as relative,
  resolvePath as resolve,
} from "./memo/stat/paths.ts";
import denoJson from "./deno.json" with { type: "json" };
import { BuildFileError } from "./rules/dsl/errors.ts";
import { findBuildFile } from "./rules/project/build_file.ts";
import { plainReporter } from "./rules/report/plain.ts";
import type { Reporter } from "./rules/report/reporter.ts";
import { combineReporters } from "./rules/report/combine.ts";
import { jsonReporter } from "./rules/report/json.ts";
import { traceRecorder } from "./rules/report/trace.ts";
import { STATE_DIR } from "./rules/state.ts";
import { checkUpToDate, type UpToDateKey } from "./rules/run/up_to_date.ts";
import { buildThroughServer, sessionListening } from "./rules/daemon/client.ts";
import { type PathStat, statRelativeTo, useStatsTakenAhead } from "./memo/stat/stat.ts";

// Only what a build with nothing to do needs is imported above; the engine,
// the scheduler and the rest load when a build has work.

/** The package version, as published. */
export const VERSION: string = denoJson.version;

const HELP = `barchan ${VERSION}: a build system for Deno

Usage: barchan <command> [options] [TARGET|@ALIAS ...]

Commands:
  build     Build targets and aliases (default: @default, or every target)
  clean     Remove what barchan built and its state, nothing else
  targets   List rules and aliases with their build.ts locations
  graph     Print the rule graph, with dependencies the last build found
            while running (--format dot|json, default dot)
  check     Type-check build.ts
  help      Show this help

Options:
  -C, --directory DIR  Run as if started in DIR (build.ts is searched upward)
  -j, --jobs N         Run at most N commands at once (default: CPUs)
  -w, --watch          Build, then rebuild whenever something the build read changes;
                       meanwhile other builds in the project are sent to this one
  -n, --dry-run        Print what would run and why; run and change nothing
      --explain        Print, for each action that runs, why it runs
      --json           Print events as JSON lines on standard output
      --trace-file F   Write a Chrome trace (opens in Perfetto) of each build to F
  -v, --verbose        Print each command as it starts
  -q, --quiet          Print only failures
  -h, --help           Show this help
  -V, --version        Print the version

Colours follow NO_COLOR and FORCE_COLOR.

Exit status: 0 success, 1 failed build, 2 bad usage.
`;

/**
 * Runs the command line and returns the exit code: 0 success, 1 a failed
 * build, 2 bad usage.
 *
 * @param args The arguments, without the program name.
 * @returns The exit code.
 *
 * @example Printing the version
 * ```ts
 * import { main } from "@barchan/barchan/cli";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await main(["--version"]), 0);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(args, {
      directory: { type: "string", short: "C" },
      jobs: { type: "string", short: "j" },
      verbose: { type: "boolean", short: "v" },
      watch: { type: "boolean", short: "w" },
      "dry-run": { type: "boolean", short: "n" },
      explain: { type: "boolean" },
      json: { type: "boolean" },
      "trace-file": { type: "string" },
      format: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    console.log(`barchan ${VERSION}`);
    return 0;
  }
  const [command = "help", ...rest] = positionals;
  if (values.help || command === "help") {
    console.log(HELP);
    return 0;
  }
  let jobs: number | undefined;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) {
      return usage(`-j takes a whole number of at least 1, not "${values.jobs}"`);
    }
  }
  const cwd = resolve(values.directory ?? ".");
  try {
    switch (command) {
      case "build":
        return await buildCommand(cwd, rest, {
          jobs,
          verbose: values.verbose,
          quiet: values.quiet,
          watch: values.watch,
          dryRun: values["dry-run"],
          explain: values.explain,
          json: values.json,
          traceFile: values["trace-file"],
        });
      case "clean": {
        if (await sessionListening(resolve(findBuildFile(cwd), ".."))) {
          console.error(
            "barchan: a watch session (build -w) runs in this project; stop it before cleaning",
          );
          return 1;
        }
        const { clean } = await import("./rules/run/clean.ts");
        const removed = await clean(cwd);
        if (!values.quiet) console.error(`Removed ${removed.length} built files and the state`);
        return 0;
      }
      case "targets":
        return await targetsCommand(cwd);
      case "check":
        return await checkCommand(cwd);
      case "graph": {
        const format = values.format ?? "dot";
        if (format !== "dot" && format !== "json") {
          return usage(`--format takes dot or json, not "${format}"`);
        }
        return await graphCommand(cwd, rest, format);
      }
      default:
        return usage(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof BuildFileError) {
      console.error(`barchan: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

interface BuildFlags {
  jobs?: number;
  verbose?: boolean;
  quiet?: boolean;
  watch?: boolean;
  dryRun?: boolean;
  explain?: boolean;
  json?: boolean;
  traceFile?: string;
}

async function buildCommand(cwd: string, requests: string[], flags: BuildFlags): Promise<number> {
  const started = performance.now();
  const file = findBuildFile(cwd);
  const root = resolve(file, "..");
  const targets = requests.map((t) => t.startsWith("@") ? t : relative(root, resolve(cwd, t)));
  const reporters: Reporter[] = [];
  const encoder = new TextEncoder();
  if (flags.json) {
    reporters.push(jsonReporter((l) => Deno.stdout.writeSync(encoder.encode(l + "\n"))));
  } else {
    reporters.push(plainReporter({
      verbose: flags.verbose || flags.dryRun,
      quiet: flags.quiet,
      explain: flags.explain || flags.dryRun,
      color: useColor(),
      statusLine: Deno.stderr.isTerminal() && !flags.verbose && !flags.quiet && !flags.dryRun,
    }));
  }
  // Files under the root are stat'ed relative to it, by a build that ends.
  if (!flags.watch) statRelativeTo(root);
  try {
    return await buildIn({ cwd, root, targets, flags, reporters, started });
  } finally {
    statRelativeTo(undefined);
  }
}

/** What buildIn needs from buildCommand. */
interface BuildContext {
  cwd: string;
  root: string;
  targets: string[];
  flags: BuildFlags;
  reporters: Reporter[];
  /** When the command started, from performance.now(). */
  started: number;
}

async function buildIn(
  { cwd, root, targets, flags, reporters, started }: BuildContext,
): Promise<number> {
  // A plain build of a request whose last build is still up to date is
  // answered from the record, without evaluating build.ts (up_to_date.ts).
  const recorded = !flags.watch && !flags.dryRun && flags.traceFile === undefined;
  // While a watch session runs in the project, it builds plain requests.
  if (recorded) {
    const reporter = combineReporters(...reporters);
    const answer = await buildThroughServer(root, targets, reporter);
    if (answer !== undefined) {
      if (!flags.json) {
        for (const failure of answer.failures) console.error(`Error: ${failure}`);
      }
      return answer.code;
    }
  }
  const key: UpToDateKey = {
    root,
    request: targets,
    tool: `barchan ${VERSION} ${import.meta.url} deno ${Deno.version.deno}`,
  };
  // When the answer is no, the stats taken for it serve the build's checks.
  const stats = new Map<string, PathStat | null>();
  const checkedAt = Date.now();
  const verdict = recorded ? checkUpToDate(join(root, STATE_DIR), key, stats) : undefined;
  if (verdict?.upToDate) {
    const reporter = combineReporters(...reporters);
    reporter.buildStarted?.({ trigger: [] });
    reporter.buildFinished?.({
      ok: true,
      ran: 0,
      failed: 0,
      failures: [],
      durationMs: performance.now() - started,
      dryRun: false,
    });
    return 0;
  }
  const [
    { isCancellation },
    { onInterrupt },
    { Scheduler },
    { Builder },
    { configFiles, importedModules },
  ] = await Promise.all([
    import("./fiber/cancel.ts"),
    import("./fiber/on_interrupt.ts"),
    import("./fiber/scheduler.ts"),
    import("./rules/run/builder.ts"),
    import("./rules/project/modules.ts"),
  ]);
  const scheduler = new Scheduler({ jobs: flags.jobs });
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  const uninstall = onInterrupt(scheduler, async () => {
    controller.abort();
    await running.catch(() => {});
  });
  const trace = flags.traceFile === undefined ? undefined : traceRecorder();
  if (trace !== undefined) {
    reporters.push(trace, {
      buildFinished: () => Deno.writeTextFileSync(resolve(cwd, flags.traceFile!), trace.toJSON()),
    });
  }
  const options = {
    root,
    targets,
    scheduler,
    reporter: combineReporters(...reporters),
    signal: controller.signal,
    dryRun: flags.dryRun,
  };
  try {
    if (flags.watch) {
      if (await sessionListening(root)) {
        console.error("barchan: a watch session (build -w) already runs in this project");
        return 1;
      }
      const { watchBuild } = await import("./rules/daemon/watch.ts");
      let restart: string | undefined;
      running = watchBuild({
        ...options,
        onRestart: (changed) => restart = changed,
        serve: true,
        ignore: flags.traceFile === undefined ? [] : [resolve(cwd, flags.traceFile)],
      });
      await running;
      if (restart === undefined) return 130;
      console.error(`${relative(root, restart)} changed: restarting to read it again`);
      uninstall();
      return await reexec();
    }
    // A watch session that starts while this build waits for the lock builds it.
    const session = awaitSession(root, targets, options.reporter);
    let builder;
    try {
      builder = await Builder.open({
        ...options,
        signal: AbortSignal.any([controller.signal, session.signal]),
      });
    } catch (error) {
      const answer = session.answer();
      if (answer === undefined) throw error;
      if (!flags.json) {
        for (const failure of answer.failures) console.error(`Error: ${failure}`);
      }
      return answer.code;
    } finally {
      session.stop();
    }
    useStatsTakenAhead(stats);
    const result = await (running = (async () => {
      try {
        // When nothing build.ts is made of or read changed, its rules come
        // from the cache (rule_cache.ts) instead of evaluating it again.
        const cached = verdict !== undefined && builder.useCachedRules(verdict, checkedAt);
        if (!cached) {
          await (trace?.phase("load build.ts", () => builder.load()) ?? builder.load());
        }
        // What build.ts is made of is asked of the runtime while the build runs.
        const modules = !recorded
          ? undefined
          : builder.cachedModules !== undefined
          ? Promise.resolve([...builder.cachedModules])
          : importedModules(builder.file);
        try {
          const result = await builder.build(targets);
          const list = await modules;
          if (result.ok && list !== undefined) {
            builder.recordUpToDate(key, [...list, ...configFiles([Deno.cwd(), root])]);
          }
          return result;
        } finally {
          await modules;
        }
      } finally {
        useStatsTakenAhead(undefined);
        builder.close();
      }
    })());
    if (!flags.json) {
      for (const failure of result.failed) console.error(`Error: ${failure.message}`);
    }
    return result.ok ? 0 : 1;
  } catch (error) {
    if (isCancellation(error)) return 130;
    throw error;
  } finally {
    uninstall();
  }
}

/**
 * Checks every 100 ms for a watch session of the project, while this build
 * waits for the lock, and sends it the request once one listens; `signal`
 * is then aborted, and `answer()` gives its answer.
 */
function awaitSession(root: string, targets: string[], reporter: Reporter) {
  const found = new AbortController();
  let answer: Awaited<ReturnType<typeof buildThroughServer>>;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const poll = async () => {
    answer = await buildThroughServer(root, targets, reporter);
    if (answer !== undefined) found.abort(new Error("Built by a watch session"));
    else if (!stopped) timer = setTimeout(poll, 100);
  };
  timer = setTimeout(poll, 100);
  return {
    signal: found.signal,
    answer: () => answer,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function useColor(): boolean {
  const force = Deno.env.get("FORCE_COLOR");
  if (force !== undefined) return force !== "0" && force !== "false";
  if ((Deno.env.get("NO_COLOR") ?? "") !== "") return false;
  return Deno.stderr.isTerminal();
}

/**
 * Starts this command afresh with the same arguments and returns its exit
 * code. The new process leads its own process group, so that the terminal's
 * Ctrl-C reaches this process only, which passes SIGINT and SIGTERM on: the
 * new process sees each signal once (a second one would make it exit without
 * saving its state), and a signal sent to this process alone does not leave
 * the new one running.
 */
async function reexec(): Promise<number> {
  const isWindows = Deno.build.os === "windows";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", Deno.mainModule, ...Deno.args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    detached: !isWindows,
  }).spawn();
  const signals: Deno.Signal[] = isWindows ? [] : ["SIGINT", "SIGTERM"];
  const forwards = signals.map((signal) => {
    const forward = () => {
      try {
        child.kill(signal);
      } catch (error) {
        if (!(error instanceof TypeError || error instanceof Deno.errors.NotFound)) throw error;
      }
    };
    Deno.addSignalListener(signal, forward);
    return () => Deno.removeSignalListener(signal, forward);
  });
  try {
    return (await child.status).code;
  } finally {
    for (const remove of forwards) remove();
  }
}

async function graphCommand(cwd: string, targets: string[], format: string): Promise<number> {
  const [{ loadProject }, { Engine }, { messageOf }, { graphToDot, ruleGraph }] = await Promise.all(
    [
      import("./rules/project/load.ts"),
      import("./memo/engine.ts"),
      import("./memo/errors.ts"),
      import("./rules/run/graph.ts"),
    ],
  );
  const file = findBuildFile(cwd);
  const root = resolve(file, "..");
  const project = await loadProject(file);
  const engine = new Engine({ dir: join(root, STATE_DIR), root, readOnly: true });
  let graph;
  try {
    graph = ruleGraph(
      project,
      engine,
      targets.map((t) => t.startsWith("@") ? t : relative(root, resolve(cwd, t))),
    );
  } catch (error) {
    console.error(`barchan: ${messageOf(error)}`);
    return 1;
  }
  console.log(format === "json" ? JSON.stringify(graph, null, 2) : graphToDot(graph));
  return 0;
}

async function targetsCommand(cwd: string): Promise<number> {
  const { loadProject } = await import("./rules/project/load.ts");
  const project = await loadProject(findBuildFile(cwd));
  for (const rule of project.rules.values()) {
    console.log(`${rule.id}\t${rule.site}\t${rule.display}`);
  }
  for (const alias of project.aliases.values()) {
    console.log(`@${alias.name}\t${alias.site}`);
  }
  return 0;
}

async function checkCommand(cwd: string): Promise<number> {
  const file = findBuildFile(cwd);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["check", file],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code === 0 ? 0 : 1;
}

function usage(message: string): number {
  console.error(`barchan: ${message}\nRun "barchan --help" for usage.`);
  return 2;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
