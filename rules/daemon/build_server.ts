/**
 * The project's build server: a process that `barchan build` starts in the
 * background (start.ts) and sends its builds to, as Bazel's server and
 * Gradle's daemon are. It keeps one `Builder` open, with build.ts loaded
 * and the memo graph verified, and learns of changes from a file watcher,
 * so that a build asks only about what changed since the last one.
 *
 * It holds the project's build lock for as long as it lives, and serves the
 * requests of protocol.ts on the project's socket (server.ts): each build
 * once the watcher has seen every change made before the request arrived (a
 * watcher mark), with the client's environment and working directory, `-j`,
 * console and settings (the type check, replay, the sandbox, the cache
 * namespace: each build's own; `_settings.ts`).
 *
 * It never answers from a stale memory:
 *
 * - lost file events make every file be checked again;
 * - files it does not watch (outside the project, under `.git` or the state
 *   directory) and the client's environment variables are checked on every
 *   build;
 * - a module build.ts imports that changed, another barchan asking (another
 *   version, checkout or runtime), barchan's own files changed (a checkout),
 *   a build asking for another action cache or remote executor than the
 *   server's builder was made with, make it stop: the client then starts a
 *   new one;
 * - its state directory deleted or replaced makes it stop at once, writing
 *   nothing more there, and cancel what it was building.
 *
 * It stops after a while without requests (15 minutes by default), when a
 * build asks for no server (`--no-server`) and when asked to
 * (`barchan server stop`); a build it has started is finished first, and the
 * clients still waiting are told to build on their own.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { isCancellation, Scheduler, watch, watchdogMessagesTo } from "../../fiber/mod.ts";
import { messageOf, pathPresent, Store, verifyRoot } from "../../memo/mod.ts";
import { findBuildFile } from "../project/build_file.ts";
import type { Reporter } from "../report/reporter.ts";
import { Builder } from "../run/builder.ts";
import { PROCESS_INPUT } from "../run/loader.ts";
import { isSameFile } from "../run/lock.ts";
import { isOsError, withOsHint } from "../run/os_errors.ts";
import { isRequest, requestId, requestKey, TOOL } from "../run/request.ts";
import { BUILD_LOCK, SERVER_LOG, STATE_DIR } from "../state.ts";
import { onCancel, relayTo, STUCK, unlessStuck } from "./_cancel.ts";
import { buildCallSettings, type BuilderSetup, requestSetup } from "./_settings.ts";
import { changedModule, changedPaths } from "./_batch.ts";
import { redirectConsole } from "./_console.ts";
import { takeEnvironment } from "./_environment.ts";
import { idleCollector } from "./_idle_collector.ts";
import { SourceFiles } from "./_sources.ts";
import {
  idleTimer,
  removePid,
  serverLog,
  takeLockPatiently,
  watchStateDir,
  writePid,
} from "./_server_files.ts";
import { formatDuration } from "./duration.ts";
import { DEFAULT_IDLE_MS } from "./start.ts";
import type { ServerStatus } from "./protocol.ts";
import { type BuildRequest, type BuildServer, serveBuilds } from "./server.ts";

/**
 * How long a server waits, after its last build or file event, to collect
 * garbage: a full collection of a large graph's heap takes a second or more
 * (N = 50,000 on a busy machine), and a build asked for meanwhile waits for
 * it; builds asked one after another come sooner than this.
 */
const IDLE_COLLECT_MS = 10_000;

/** How often a server checks that its state directory is still there, besides watching it. */
const LOCK_CHECK_MS = 1000;

/** How many of the last requests' roots a server verifies ahead after a change. */
const RECENT_REQUESTS = 4;

/** Options of {@linkcode runBuildServer}. */
export interface BuildServerOptions {
  /**
   * Where to look for build.ts (this directory or the nearest above it).
   * @default Deno.cwd()
   */
  root?: string;
  /**
   * How long to wait for a request before stopping, in milliseconds.
   * @default DEFAULT_IDLE_MS (15 minutes)
   */
  idleMs?: number;
  /**
   * Quiet period that closes a batch of file events, in milliseconds.
   * @default 8
   */
  debounceMs?: number;
  /**
   * Stops the server: a running build is cancelled, its client told to build on its own.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * Called once the server listens on the project's socket.
   * @default undefined
   */
  onListening?: () => void;
}

/** The build lock is held by another process: a build, a watch session or another server. */
export class ServerBusyError extends Error {
  /**
   * Says whose lock is held.
   * @param stateDir The state directory whose lock is held.
   */
  constructor(stateDir: string) {
    super(`Cannot serve builds: another build holds the lock in ${stateDir}`);
    this.name = "ServerBusyError";
  }
}

/**
 * Runs the project's build server until it stops: after `idleMs` without a
 * request, when asked to stop, when it must give way (see the module's
 * documentation) or when `signal` aborts. Its notes, and why it stopped, go
 * to `server.log` in the state directory; the console is the clients'.
 * @param options Where, how long to wait, and a signal.
 * @returns Why it stopped, in words.
 * @throws {ServerBusyError} When another process holds the project's build lock.
 *
 * @example Serving builds until the first quiet second
 * ```ts ignore
 * import { runBuildServer } from "@barchan/barchan/rules";
 *
 * console.log(await runBuildServer({ root: "/src/app", idleMs: 1000 }));
 * ```
 */
export async function runBuildServer(options: BuildServerOptions = {}): Promise<string> {
  const file = findBuildFile(options.root ?? Deno.cwd());
  const root = dirname(file);
  const stateDir = join(root, STATE_DIR);
  // The commands a build that did not end left running are stopped once the
  // lock is held; the first client hears of it, as a build of its own would.
  const leftovers: string[] = [];
  const lock = await takeLockPatiently(stateDir, { note: (message) => leftovers.push(message) });
  if (lock === undefined) throw new ServerBusyError(stateDir);
  const started = performance.now();
  const log = serverLog(stateDir);
  for (const message of leftovers) log(message);
  // Nobody reads this process's standard error: what a Ctrl-C while build.ts
  // never returns says goes to the log, where its client finds it.
  watchdogMessagesTo(join(stateDir, SERVER_LOG));
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  log(
    `Serving builds of ${root} (pid ${Deno.pid}, ${TOOL}); ` +
      `stopping after ${formatDuration(idleMs)} without a request`,
  );
  writePid(stateDir);
  const sources = new SourceFiles();
  /** The request being built, whose client gets the console. */
  let current: BuildRequest | undefined;
  const restoreConsole = redirectConsole((stream, text) => {
    if (current !== undefined) current.output(stream, text);
    else log(text.trimEnd());
  });
  const scheduler = new Scheduler();
  const reporter: Reporter = { note: (message) => log(message) };
  /**
   * The builder, made for the first request, with the action cache and the
   * remote executor it asks for (`setup`): the request is checked against
   * the store's checkpoint first, as a build of its own would be, and what
   * that found unchanged is taken as verified by its build.
   */
  let builder: Builder | undefined;
  /** The cache and executor the builder was made with: a request asking for others stops the server. */
  let builderSetup: BuilderSetup | undefined;
  const openBuilder = (id: string, setup: BuilderSetup, replay: boolean) => {
    const started = performance.now();
    const made = { root, scheduler, reporter, cache: setup.cache, remote: setup.remote };
    const store = new Store(stateDir, (m) => log(m), { lazy: true, roots: isRequest });
    try {
      const verdict = verifyRoot(store, id, root);
      if (verdict.refreshed.length > 0) store.append(store.lastRun + 1, verdict.refreshed);
      // Nothing to build (a replay needs the actions' values: the builder's): no builder yet.
      if (verdict.upToDate && !replay) {
        return { builder: new Builder({ file, lock, store }, made), started };
      }
      return { builder: new Builder({ file, lock, store, verdict }, made), started: undefined };
    } catch (error) {
      store.close();
      throw error;
    }
  };
  // Stopping: why, and whether the clients still waiting should start a new server.
  let stop: { reason: string; retry: boolean } | undefined;
  let server: BuildServer | undefined = undefined;
  const stopped = new AbortController();
  const requestStop = (reason: string, retry: boolean) => {
    if (stop !== undefined) return;
    stop = { reason, retry };
    log(`Stopping: ${reason}`);
    // New clients find nothing listening, and start or wait for another server.
    void server?.stopListening();
    stopped.abort();
  };
  const watcher = watch([root], {
    ignore: [STATE_DIR],
    debounceMs: options.debounceMs ?? 8,
    signal: stopped.signal,
    markDir: stateDir,
  });
  const watches = (path: string) => watcher.watches(path);
  // Requests, by the watcher mark that must be reached before each is built.
  const requests = new Map<number, BuildRequest>();
  // The roots of the requests built last, most recent last: verified ahead after a change.
  const recent: string[] = [];
  let building: { request: BuildRequest; cancel: AbortController } | undefined;
  let builds = 0;
  let lastActivity = performance.now();
  // The state directory deleted or replaced: stop at once, writing nothing more there.
  let lost = false;
  // What abandoning the builder still does (see Builder#abandon): awaited before exiting.
  let handingOver: Promise<void> | undefined;
  const lockPath = join(stateDir, BUILD_LOCK);
  const checkLock = () => {
    if (lost || isSameFile(lock, lockPath)) return;
    lost = true;
    if (builder !== undefined) handingOver = builder.abandon();
    else lock.close();
    building?.cancel.abort(new Error("The state directory was deleted"));
    requestStop(`${STATE_DIR} was deleted or replaced`, true);
  };
  const lockTimer = setInterval(() => {
    checkLock();
    // A project that went (build.ts deleted or moved) has nothing to serve.
    if (!lost && !pathPresent(file)) requestStop(`${file} is gone`, true);
  }, LOCK_CHECK_MS);
  const stateWatch = watchStateDir(stateDir, checkLock);
  const idle = idleTimer(idleMs, () => {
    if (building === undefined && requests.size === 0) {
      requestStop(`no request for ${formatDuration(idleMs)}`, true);
    }
  });
  const collector = await idleCollector(IDLE_COLLECT_MS);
  const onSignal = () => {
    building?.cancel.abort(options.signal?.reason);
    requestStop("terminated", true);
  };
  options.signal?.addEventListener("abort", onSignal, { once: true });

  server = serveBuilds(root, {
    kind: "server",
    build(request) {
      if (stop !== undefined) return request.withdraw(stoppedBefore(stop.reason), stop.retry);
      if (!request.server) {
        request.withdraw("The build server stopped: this build asked for none", false);
        return requestStop("a build asked for no server (--no-server)", false);
      }
      const changed = request.tool !== TOOL ? "barchan changed" : sourcesChanged(sources);
      if (changed !== undefined) {
        request.withdraw(`The build server stopped: ${changed}`, true);
        return requestStop(changed, true);
      }
      try {
        requests.set(watcher.mark(), request);
        idle.cancel();
      } catch (error) {
        checkLock();
        if (lost) return request.withdraw(stoppedBefore(stop!.reason), true);
        request.finish(1, [messageOf(error)]);
      }
    },
    status(): ServerStatus {
      return {
        kind: "server",
        pid: Deno.pid,
        root,
        tool: TOOL,
        uptimeMs: performance.now() - started,
        rssBytes: Deno.memoryUsage().rss,
        builds,
        idleExitMs: building === undefined && requests.size === 0
          ? Math.max(0, lastActivity + idleMs - performance.now())
          : undefined,
      };
    },
    stop() {
      requestStop("asked to stop (barchan server stop)", false);
    },
    foreign(reason) {
      requestStop(`another barchan asked: ${reason}`, true);
    },
  });
  if (stop !== undefined) await server.stopListening();
  else options.onListening?.();

  /** A cancelled build did not end: the server cannot build again, and stops. */
  const stuck = () => requestStop("a cancelled build did not end", true);

  /** Builds one request, with its client's environment, directory, `-j`, console and settings. */
  const serve = async (request: BuildRequest) => {
    if (request.signal.aborted) return request.finish(130, [], { stopped: [] });
    const cancel = new AbortController();
    building = { request, cancel };
    current = request;
    const id = requestId(requestKey(request.targets, request.settings.check ?? false));
    recent.splice(0, recent.length, ...recent.filter((r) => r !== id), id);
    if (recent.length > RECENT_REQUESTS) recent.shift();
    try {
      const changedEnv = takeEnvironment(request.env);
      enterDirectory(request.cwd, root);
      const setup = requestSetup(request.settings, request.env, Deno.cwd());
      if (builderSetup !== undefined && setup.key !== builderSetup.key) {
        const why = "a build asked for another action cache or remote executor";
        request.withdraw(`The build server stopped: ${why}`, true);
        return requestStop(why, true);
      }
      for (const message of leftovers.splice(0)) request.reporter.note?.(message);
      if (builder === undefined) {
        const opened = openBuilder(id, setup, request.settings.replay ?? false);
        builder = opened.builder;
        builderSetup = setup;
        // Up to date by the store's checkpoint: answered as a build of its own would be.
        if (opened.started !== undefined) answerUpToDate(request, opened.started);
        else if (!(await build(builder, request, cancel))) return stuck();
        // Answered. What the checkpoint vouched for is loaded and checked now,
        // so that the next build finds it known; which of its files the
        // watcher does not see is worked out now, not then.
        builder.engine.invalidateAll("all inputs checked once");
        builder.engine.verifyAhead(id);
        builder.engine.classifyUnwatched(watches);
        return;
      }
      if (changedEnv.length > 0) builder.engine.invalidateEnv(changedEnv, "changed");
      // What a load could not track is read again in every process: here, every build.
      if (loadReadsProcess(builder)) {
        builder.engine.setInput(PROCESS_INPUT, `${Deno.pid} ${performance.now()} ${Math.random()}`);
      }
      builder.engine.invalidateUnwatched(watches, "not watched");
      if (!(await build(builder, request, cancel))) return stuck();
      builder.engine.classifyUnwatched(watches);
    } catch (error) {
      if (!isCancellation(error)) {
        // Said as a build of its own says what it throws; the builder may be
        // past use (a store that writes nothing more after a full disk).
        request.finish(1, [], { fatal: thrownMessage(error) });
        requestStop(`a build failed: ${messageOf(error)}`, true);
      } else if (request.signal.aborted) request.finish(130, [], { stopped: [] });
      else request.withdraw(stoppedBefore(stop?.reason ?? "stopped"), stop?.retry ?? true);
    } finally {
      current = undefined;
      building = undefined;
      builds++;
    }
  };

  /** Builds the requests whose marks a batch reached, in order. */
  const serveMarked = async (marks: number[] | undefined) => {
    let served = false;
    for (const mark of marks ?? []) {
      const request = requests.get(mark);
      requests.delete(mark);
      if (request === undefined) continue;
      if (stop !== undefined) request.withdraw(stoppedBefore(stop.reason), stop.retry);
      else await serve(request);
      served = true;
    }
    collector.schedule();
    if (served && requests.size === 0) {
      lastActivity = performance.now();
      idle.arm();
    }
  };

  try {
    for await (const batch of watcher) {
      checkLock();
      if (lost) break;
      // Before the first build, nothing is known to invalidate: it checks everything.
      if (builder === undefined) {
        await serveMarked(batch.marks);
        continue;
      }
      if (batch.rescan) builder.engine.invalidateAll("file events were lost");
      const changed = changedPaths(builder, batch, new Set());
      const module = changedModule(builder, changed);
      if (module !== undefined) {
        requestStop(`${module} changed, which build.ts imports`, true);
        break;
      }
      let invalidated = changed.length > 0;
      if (builder.engine.trusting) {
        // What the first build trusted is not loaded, and not tracked: any path may matter.
        invalidated = batch.paths.length > 0;
        if (batch.paths.length > 100) builder.engine.invalidateAll("changed on disk");
        else if (invalidated) builder.engine.invalidatePaths(batch.paths, "changed on disk");
      } else if (invalidated) builder.engine.invalidatePaths(changed, "changed on disk");
      if (batch.rescan) invalidated = true;
      // Before the next request: what nothing changed under is verified now, so
      // that its build walks only what changed.
      if (invalidated && (batch.marks ?? []).length === 0) {
        for (const id of recent) builder.engine.verifyAhead(id);
      }
      await serveMarked(batch.marks);
    }
  } finally {
    options.signal?.removeEventListener("abort", onSignal);
    clearInterval(lockTimer);
    stateWatch.close();
    idle.cancel();
    collector.stop();
    await watcher.close();
    // In this order: what another server would make once it has the lock
    // (the socket, the pid file, the log) is gone or written before the
    // lock is released.
    await server.stopListening();
    if (lost) {
      await scheduler.killAll();
      await handingOver;
    } else {
      removePid(stateDir);
      log(`Stopped: ${stop?.reason ?? "stopped"}`);
      if (builder !== undefined) builder.close();
      else lock.close();
    }
    const why = stop ?? { reason: "stopped", retry: true };
    await server.close({ reason: stoppedBefore(why.reason), retry: why.retry });
    restoreConsole();
  }
  return stop?.reason ?? "stopped";
}

/** Whether the last evaluation of build.ts read what the engine cannot check later. */
function loadReadsProcess(builder: Builder): boolean {
  const deps = builder.engine.recordedDeps("barchan.load", "null");
  return deps === undefined || deps.includes(`i\u0000${PROCESS_INPUT}`);
}

/** Answers a request that the store's checkpoint found up to date: a build that ran nothing. */
function answerUpToDate(request: BuildRequest, started: number): void {
  request.reporter.buildStarted?.({ trigger: [] });
  request.reporter.buildFinished?.({
    ok: true,
    ran: 0,
    failed: 0,
    failures: [],
    durationMs: performance.now() - started,
    dryRun: false,
  });
  request.finish(0);
}

/**
 * Builds a request with the builder, as its settings say, and answers its client.
 * @returns False when its client cancelled it and it did not end: the builder is still in it.
 */
async function build(
  builder: Builder,
  request: BuildRequest,
  cancel: AbortController,
): Promise<boolean> {
  builder.scheduler.jobs = request.jobs ?? navigator.hardwareConcurrency;
  const cancelled = onCancel(request.signal, builder.scheduler);
  let result;
  try {
    result = await unlessStuck(
      builder.build(request.targets, {
        signal: AbortSignal.any([request.signal, cancel.signal]),
        reporter: relayTo(request),
        ...buildCallSettings(request.settings, request.env),
      }),
      request.signal,
    );
  } catch (error) {
    if (!isCancellation(error) || !request.signal.aborted) throw error;
    request.finish(130, [], cancelled());
    return true;
  }
  if (result === STUCK) {
    request.finish(130, [], cancelled());
    return false;
  }
  const failures = result.failed.map((f) => f.message);
  if (builder.loadFailure !== undefined) {
    request.finish(1, failures, { fatal: builder.loadFailure.message });
  } else request.finish(result.ok ? 0 : 1, failures);
  return true;
}

/** What a build of its own prints after `barchan: ` for what it throws. */
function thrownMessage(error: unknown): string {
  const message = messageOf(error);
  return isOsError(error) ? withOsHint(message) : message;
}

function stoppedBefore(reason: string): string {
  return `The build server stopped before this build was done (${reason})`;
}

/** barchan's own files changed since the server started, in words; undefined when none did. */
function sourcesChanged(sources: SourceFiles): string | undefined {
  const changed = sources.changed();
  return changed === undefined ? undefined : `barchan changed (${changed})`;
}

/** Goes to the client's directory, or to the project root when it is gone. */
function enterDirectory(cwd: string, root: string): void {
  try {
    Deno.chdir(cwd);
  } catch {
    Deno.chdir(root);
  }
}
