/**
 * `barchan build`, from the command line's flags to an exit code.
 *
 * Only what a build with nothing to do needs is imported here: the watch
 * session's client, the request's check against the store
 * (rules/run/open_build.ts) and the plain reporter (the JSON and trace
 * reporters load when asked for). The engine, the scheduler and the rest
 * load when a build has work.
 *
 * @module
 */
// The memo files below are imported one by one, on the path of a build with
// nothing to do: memo/mod.ts would load all of memo.
import type { CacheSettings } from "./cache_flags.ts";
import type { ActionCacheOptions } from "../rules/cache/cache_options.ts";
import type { RemoteExecutionOptions } from "../rules/remote/executor_options.ts";
import { relativePath as relative, resolvePath as resolve } from "../memo/stat/paths.ts";
import { findBuildFile } from "../rules/project/build_file.ts";
import { plainReporter } from "../rules/report/plain.ts";
import type { Reporter } from "../rules/report/reporter.ts";
import { buildOpened, openRequest } from "../rules/run/open_build.ts";
import { buildThroughServer, sessionListening } from "../rules/daemon/client.ts";

/** The options of `barchan build`, as the command line gave them. */
export interface BuildFlags {
  /** `-j N`: commands at once. */
  jobs?: number;
  /** `-v`: print each command as it starts. */
  verbose?: boolean;
  /** `-q`: print only failures. */
  quiet?: boolean;
  /** `-w`: build, then rebuild on every change, serving other builds meanwhile. */
  watch?: boolean;
  /** `-n`: print what would run and why; run and change nothing. */
  dryRun?: boolean;
  /** `--explain`: print why each action runs. */
  explain?: boolean;
  /** `--json`: events as JSON lines on standard output. */
  json?: boolean;
  /** `--trace-file F`: a Chrome trace of each build. */
  traceFile?: string;
  /** `--no-check`: do not type-check build.ts (nor does `BARCHAN_CHECK=off`). */
  noCheck?: boolean;
  /** The cache flags, resolved with the environment; undefined: the environment alone. */
  cache?: CacheSettings;
  /** `--replay`: print also what up-to-date actions printed when they last ran. */
  replay?: boolean;
  /** `--sandbox`: commands run with the project read-only but for their targets. */
  sandbox?: boolean;
  /**
   * The remote executor flags, resolved with the environment (false: no
   * executor); undefined: the environment alone.
   */
  remote?: RemoteExecutionOptions | false;
}

/**
 * `barchan build`: sends the request to the project's watch session if one
 * runs, answers it from the up-to-date record when nothing changed, and
 * otherwise builds (or watches), loading the engine only then.
 * @param cwd The directory the command runs in (`-C`).
 * @param requests Targets (relative to `cwd`) and `@aliases`.
 * @param flags The options.
 * @returns The exit code: 0 built, 1 failed, 130 interrupted.
 */
export async function buildCommand(
  cwd: string,
  requests: string[],
  flags: BuildFlags,
): Promise<number> {
  const file = findBuildFile(cwd);
  const root = resolve(file, "..");
  const targets = requests.map((t) => t.startsWith("@") ? t : relative(root, resolve(cwd, t)));
  const reporters: Reporter[] = [];
  const encoder = new TextEncoder();
  const shown = new Set<string>();
  if (flags.json) {
    const { jsonReporter } = await import("../rules/report/json.ts");
    reporters.push(jsonReporter((l) => Deno.stdout.writeSync(encoder.encode(l + "\n"))));
  } else {
    reporters.push(notingFailures(
      plainReporter({
        verbose: flags.verbose || flags.dryRun,
        quiet: flags.quiet,
        explain: flags.explain || flags.dryRun,
        color: useColor(),
        statusLine: Deno.stderr.isTerminal() && !flags.verbose && !flags.quiet && !flags.dryRun,
      }),
      shown,
    ));
  }
  return await buildIn({ cwd, root, targets, flags, reporters, shown });
}

/**
 * The reporter, noting in `shown` the failure of each action it prints (with
 * the action's output): the list of errors after the build leaves those out,
 * so that each error is printed once.
 */
function notingFailures(reporter: Reporter, shown: Set<string>): Reporter {
  const finished = reporter.actionFinished;
  reporter.actionFinished = (event) => {
    if (event.error !== undefined) shown.add(event.error);
    finished?.(event);
  };
  return reporter;
}

/** What buildIn needs from buildCommand. */
interface BuildContext {
  cwd: string;
  root: string;
  targets: string[];
  flags: BuildFlags;
  reporters: Reporter[];
  /** The failures the reporter printed already. */
  shown: ReadonlySet<string>;
}

async function buildIn(
  { cwd, root, targets, flags, reporters, shown }: BuildContext,
): Promise<number> {
  const trace = flags.traceFile === undefined
    ? undefined
    : (await import("../rules/report/trace.ts")).traceRecorder();
  if (trace !== undefined) {
    reporters.push(trace, {
      buildFinished: () => Deno.writeTextFileSync(resolve(cwd, flags.traceFile!), trace.toJSON()),
    });
  }
  const reporter = await asOne(reporters);
  const printFailures = (failures: readonly string[]) => {
    if (flags.json) return;
    for (const failure of failures) if (!shown.has(failure)) console.error(`Error: ${failure}`);
  };
  if (flags.watch) return await watchCommand(cwd, root, targets, flags, reporter);
  // While a watch session runs in the project, it builds plain requests.
  if (!flags.dryRun && !flags.replay && !flags.sandbox) {
    const answer = await buildThroughServer(root, targets, reporter);
    if (answer !== undefined) {
      printFailures(answer.failures);
      return answer.code;
    }
  }
  // A watch session that starts while this build waits for the lock builds it.
  const session = awaitSession(root, targets, reporter);
  let opened;
  try {
    opened = await openRequest({
      root,
      targets,
      reporter,
      signal: session.signal,
      dryRun: flags.dryRun,
      replay: flags.replay,
      check: checks(flags),
    });
  } catch (error) {
    const answer = session.answer();
    if (answer === undefined) throw error;
    printFailures(answer.failures);
    return answer.code;
  } finally {
    session.stop();
  }
  if (opened.upToDate) return 0;
  const { isCancellation, onInterrupt, Scheduler } = await import("../fiber/mod.ts");
  const scheduler = new Scheduler({ jobs: flags.jobs });
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  const uninstall = onInterrupt(scheduler, async () => {
    controller.abort();
    await running.catch(() => {});
  }, { report: (signal, stopped) => reportInterrupt(signal, stopped) });
  try {
    const result = await (running = buildOpened(opened.state, {
      root,
      targets,
      scheduler,
      reporter,
      signal: controller.signal,
      dryRun: flags.dryRun,
      replay: flags.replay,
      sandbox: flags.sandbox,
      check: checks(flags),
      ...cacheOptionsOf(flags),
    }));
    printFailures(result.failed.map((f) => f.message));
    return result.ok ? 0 : 1;
  } catch (error) {
    if (isCancellation(error)) return 130;
    throw error;
  } finally {
    uninstall();
  }
}

/** `build -w`: a watch session in this process, started afresh when a module of build.ts changes. */
async function watchCommand(
  cwd: string,
  root: string,
  targets: string[],
  flags: BuildFlags,
  reporter: Reporter,
): Promise<number> {
  if (await sessionListening(root)) {
    console.error("barchan: a watch session (build -w) already runs in this project");
    return 1;
  }
  const [{ isCancellation, onInterrupt, Scheduler }, { watchBuild }] = await Promise.all([
    import("../fiber/mod.ts"),
    import("../rules/daemon/watch.ts"),
  ]);
  const scheduler = new Scheduler({ jobs: flags.jobs });
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  const uninstall = onInterrupt(scheduler, async () => {
    controller.abort();
    await running.catch(() => {});
  }, { report: (signal, stopped) => reportInterrupt(signal, stopped) });
  try {
    let restart: string | undefined;
    running = watchBuild({
      root,
      targets,
      scheduler,
      reporter,
      signal: controller.signal,
      dryRun: flags.dryRun,
      sandbox: flags.sandbox,
      check: checks(flags),
      ...cacheOptionsOf(flags),
      onRestart: (changed) => restart = changed,
      serve: true,
      ignore: flags.traceFile === undefined ? [] : [resolve(cwd, flags.traceFile)],
    });
    await running;
    if (restart === undefined) return 130;
    console.error(`${relative(root, restart)} changed: restarting to read it again`);
    uninstall();
    return await reexec();
  } catch (error) {
    if (isCancellation(error)) return 130;
    throw error;
  } finally {
    uninstall();
  }
}

/** Says what a signal stopped: the commands that were running, or nothing. */
function reportInterrupt(
  signal: Deno.Signal,
  stopped: readonly { cmd: string; args: readonly string[]; label: string | undefined }[],
): void {
  const what = signal === "SIGTERM" ? "Terminated" : "Interrupted";
  if (stopped.length === 0) {
    console.error(`${what}: no command was running`);
    return;
  }
  const shown = stopped.slice(0, 5).map((c) => {
    const line = [c.cmd, ...c.args].join(" ");
    const short = line.length > 60 ? line.slice(0, 57) + "..." : line;
    return c.label === undefined ? short : `${c.label} (${short})`;
  });
  const more = stopped.length > 5 ? ` and ${stopped.length - 5} more` : "";
  const n = `${stopped.length} running command${stopped.length === 1 ? "" : "s"}`;
  console.error(`${what}: stopped ${n}: ${shown.join(", ")}${more}`);
}

/**
 * The reporters as one. A single reporter is used as it is, so that a build
 * with nothing to do (one reporter) does not load combine.ts.
 */
async function asOne(reporters: Reporter[]): Promise<Reporter> {
  if (reporters.length === 1) return reporters[0];
  const { combineReporters } = await import("../rules/report/combine.ts");
  return combineReporters(...reporters);
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

/** Whether the build type-checks build.ts: unless `--no-check`, `-n` or `BARCHAN_CHECK=off`. */
function checks(flags: BuildFlags): boolean {
  return !flags.noCheck && !flags.dryRun && Deno.env.get("BARCHAN_CHECK") !== "off";
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

/** The builder options the cache and remote executor flags give. */
function cacheOptionsOf(
  flags: BuildFlags,
): {
  cache?: ActionCacheOptions;
  cacheNamespace?: string;
  remote?: RemoteExecutionOptions | false;
} {
  const remote = flags.remote === undefined ? {} : { remote: flags.remote };
  if (flags.cache === undefined) return remote;
  return { cache: flags.cache.options, cacheNamespace: flags.cache.namespace, ...remote };
}
