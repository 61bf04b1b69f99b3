/**
 * `barchan build`, from the command line's flags to an exit code.
 *
 * A build is sent to the project's build server, started in the background
 * when none listens (not with `--no-server`, `BARCHAN_SERVER=off`, or when
 * `CI` is set); a watch session (`build -w`) builds it too. When no server
 * can build it, it is built here.
 *
 * Only what a build sent to a server needs is imported here: the server's
 * client and the plain reporter (the JSON and trace reporters load when
 * asked for). A build in this process loads the request's check against the
 * store (rules/run/open_build.ts) next, and the engine, the scheduler and
 * the rest only when it has work.
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
import { buildThroughServer, type ServerAnswer } from "../rules/daemon/client.ts";
import type { BuildSettings } from "../rules/daemon/protocol.ts";
import type { Scheduler } from "../fiber/mod.ts";

/** A server's answer this command ends with: the build is done, or interrupted. */
type Served = Extract<ServerAnswer, { kind: "done" | "unanswered" }>;

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
  /** `--no-server`: build in this process, stopping the project's build server if one runs. */
  noServer?: boolean;
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

/** A setting that is not one of its values: a usage error. */
export class SettingError extends Error {}

/**
 * Whether builds go through a build server: `BARCHAN_SERVER` is `on`,
 * `off` or `auto` (the default: on, unless `CI` is set); `--no-server`
 * says off. Never on Windows, where servers would need Unix sockets.
 * @param noServer `--no-server`.
 * @returns True when a build server may build.
 * @throws {SettingError} For another value of `BARCHAN_SERVER`.
 */
export function serverWanted(noServer = false): boolean {
  if (noServer || Deno.build.os === "windows") return false;
  const setting = (Deno.env.get("BARCHAN_SERVER") ?? "").trim().toLowerCase();
  if (["off", "0", "false", "no"].includes(setting)) return false;
  if (["on", "1", "true", "yes"].includes(setting)) return true;
  if (setting !== "" && setting !== "auto") {
    throw new SettingError(`BARCHAN_SERVER takes on, off or auto, not "${setting}"`);
  }
  const ci = (Deno.env.get("CI") ?? "").trim().toLowerCase();
  return ci === "" || ci === "0" || ci === "false";
}

/**
 * `barchan build`: sends the request to the project's build server (started
 * now when none listens) or watch session; otherwise answers it from the
 * store's checkpoint when nothing changed, and builds (or watches), loading
 * the engine only then.
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
  /** Prints what a build in this process would print at its end, and gives its exit code. */
  const served = async (answer: Served) => {
    if (answer.kind === "unanswered") return await unanswered(root, answer);
    if (answer.fatal !== undefined) {
      console.error(`barchan: ${answer.fatal}`);
      return 1;
    }
    if (answer.interrupted === undefined && answer.code !== 130) {
      printFailures(answer.failures);
      return answer.code;
    }
    const signal = answer.interrupted ?? "SIGINT";
    if (answer.message !== undefined) console.error(answer.message);
    else reportInterrupt(signal, answer.stopped ?? []);
    return signal === "SIGTERM" ? 143 : 130;
  };
  if (flags.watch) return await watchCommand(cwd, root, targets, flags, reporter);
  // A dry run changes nothing: it runs here, beside any server.
  const server = !flags.dryRun && serverWanted(flags.noServer);
  // What a build in this process would be given, for one in a server.
  const ask = { server, jobs: flags.jobs, settings: settingsOf(flags) };
  if (!flags.dryRun) {
    const answer = await throughServer(root, targets, reporter, ask);
    if (answer !== undefined) return await served(answer);
  }
  // A server that starts listening while this build waits for the lock builds it.
  const session = awaitSession(root, targets, reporter, ask);
  let opened;
  try {
    const { openRequest } = await import("../rules/run/open_build.ts");
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
    return await served(answer);
  } finally {
    session.stop();
  }
  if (opened.upToDate) return 0;
  const building = import("../rules/run/open_build.ts");
  return await interruptible(flags.jobs, async (scheduler, signal) => {
    const result = await (await building).buildOpened(opened.state, {
      root,
      targets,
      scheduler,
      reporter,
      signal,
      dryRun: flags.dryRun,
      replay: flags.replay,
      sandbox: flags.sandbox,
      check: checks(flags),
      ...cacheOptionsOf(flags),
    });
    printFailures(result.failed.map((f) => f.message));
    return result.ok ? 0 : 1;
  });
}

/**
 * Runs `work` with a scheduler of `jobs` slots that Ctrl-C and SIGTERM stop
 * (saying which commands they stopped); a build they cancel exits with 130.
 */
async function interruptible(
  jobs: number | undefined,
  work: (scheduler: Scheduler, signal: AbortSignal, uninstall: () => void) => Promise<number>,
): Promise<number> {
  const { isCancellation, onInterrupt, Scheduler } = await import("../fiber/mod.ts");
  const scheduler = new Scheduler({ jobs });
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  const uninstall = onInterrupt(scheduler, async () => {
    controller.abort();
    await running.catch(() => {});
  }, { report: (signal, stopped) => reportInterrupt(signal, stopped) });
  try {
    return await (running = work(scheduler, controller.signal, uninstall));
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
  // A build server gives way to watching; a second watch session does not.
  const { stopServer } = await import("../rules/daemon/start.ts");
  const stop = await stopServer(root);
  if (stop.kind === "refused") {
    console.error("barchan: a watch session (build -w) already runs in this project");
    return 1;
  }
  const watching = import("../rules/daemon/watch.ts");
  return await interruptible(flags.jobs, async (scheduler, signal, uninstall) => {
    let restart: string | undefined;
    await (await watching).watchBuild({
      root,
      targets,
      scheduler,
      reporter,
      signal,
      dryRun: flags.dryRun,
      replay: flags.replay,
      sandbox: flags.sandbox,
      check: checks(flags),
      ...cacheOptionsOf(flags),
      onRestart: (changed) => restart = changed,
      serve: true,
      ignore: flags.traceFile === undefined ? [] : [resolve(cwd, flags.traceFile)],
    });
    if (restart === undefined) return 130;
    console.error(`${relative(root, restart)} changed: restarting to read it again`);
    uninstall();
    return await reexec();
  });
}

/** Says what a signal stopped: the commands that were running, or nothing. */
function reportInterrupt(
  signal: Deno.Signal,
  stopped: readonly { cmd: string; args: readonly string[]; label?: string }[],
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
 * Sends the build to the project's build server or watch session, starting
 * a build server when none listens and `server` allows it; says in one line
 * why not when one was meant to build it and could not.
 * @returns The server's answer, or undefined when the build is to run here.
 */
async function throughServer(
  root: string,
  targets: string[],
  reporter: Reporter,
  options: ServerRequest,
): Promise<Served | undefined> {
  const server = options.server;
  const ask = () => buildThroughServer(root, targets, reporter, options);
  const here = (why: string) => {
    reporter.note?.(`${why}: building here`);
    return undefined;
  };
  let answer = await ask();
  if (answer.kind === "done" || answer.kind === "unanswered") return answer;
  if (answer.kind === "silent") {
    const { killServer } = await import("../rules/daemon/start.ts");
    const pid = await killServer(root);
    return here(`The build server${pid === undefined ? "" : ` (pid ${pid})`} did not answer`);
  }
  if (answer.kind === "stopped" && !(server && answer.retry)) return here(answer.reason);
  if (!server) return undefined;
  const { serverIdle, startBuildServer } = await import("../rules/daemon/start.ts");
  const idle = serverIdle();
  if (typeof idle === "string") return here(`Cannot start a build server: ${idle}`);
  const start = await startBuildServer(root);
  // Another build holds the lock: this one waits for it, or for a server that listens meanwhile.
  if (!start.ok && start.busy) return undefined;
  if (!start.ok) return here(`Cannot start a build server: ${start.reason}`);
  answer = await ask();
  if (answer.kind === "done" || answer.kind === "unanswered") return answer;
  return here(
    answer.kind === "stopped"
      ? answer.reason
      : `The build server (pid ${start.pid}) did not take the build`,
  );
}

/** What a build sends to a server with: whether a build server may build it, `-j`, its settings. */
interface ServerRequest {
  server: boolean;
  jobs?: number;
  settings: BuildSettings;
}

/** The settings a server builds with: what a build in this process would be given. */
function settingsOf(flags: BuildFlags): BuildSettings {
  const settings: BuildSettings = {
    check: checks(flags),
    replay: flags.replay ?? false,
    sandbox: flags.sandbox ?? false,
  };
  if (flags.cache !== undefined) settings.cache = flags.cache;
  if (flags.remote !== undefined) settings.remote = flags.remote;
  return settings;
}

/**
 * A build interrupted here whose server did not say that it heard: it is
 * stopped (killed when it runs on), and what stopped it is said as a build
 * of its own would say it (build.ts's top level that never returned), when
 * its log tells.
 */
async function unanswered(
  root: string,
  answer: Extract<ServerAnswer, { kind: "unanswered" }>,
): Promise<number> {
  const [{ killServer }, { watchdogMessage }] = await Promise.all([
    import("../rules/daemon/start.ts"),
    import("../rules/daemon/_server_files.ts"),
  ]);
  const killed = await killServer(root);
  const what = answer.interrupted === "SIGTERM" ? "Terminated" : "Interrupted";
  const pid = killed ?? answer.pid;
  // Its watchdog's line is what stopped it: written once it is gone.
  const said = killed === undefined ? undefined : await watchdogMessage(root);
  console.error(
    said ??
      `${what}: the project's server${pid === undefined ? "" : ` (pid ${pid})`} did not answer` +
        (killed === undefined ? "" : ", and was stopped"),
  );
  return answer.interrupted === "SIGTERM" ? 143 : 130;
}

/**
 * Checks every 100 ms for a server of the project (a build server or a
 * watch session), while this build waits for the lock, and sends it the
 * request once one listens; `signal` is then aborted, and `answer()` gives
 * its answer.
 */
function awaitSession(
  root: string,
  targets: string[],
  reporter: Reporter,
  options: ServerRequest,
) {
  const found = new AbortController();
  let answer: Served | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const poll = async () => {
    const asked = await buildThroughServer(root, targets, reporter, options);
    if (asked.kind === "done" || asked.kind === "unanswered") {
      answer = asked;
      found.abort(new Error("Built by the project's server"));
    } else if (!stopped) timer = setTimeout(poll, 100);
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
