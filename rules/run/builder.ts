/**
 * A `Builder` keeps one project's state open across builds: the lock, the
 * memo engine with its warm caches, the record of outputs, the scheduler.
 * `build()` and the CLI use one for a single build (open_build.ts); a watch
 * session keeps one alive and builds again after each batch of changes.
 *
 * Everything a build does is a memo node (nodes.ts), build.ts included: a
 * build evaluates it only when what it is made of or read changed, or when
 * it needs a function action or a memo function defined there.
 *
 * @module
 */
import { join } from "node:path";
import { CancelledError, errorsOf, isCancellation, Scheduler } from "../../fiber/mod.ts";
import {
  CycleError,
  digestOf,
  Engine,
  MemoError,
  messageOf,
  pathPresent,
  type RootVerdict,
  type Store,
} from "../../memo/mod.ts";
import { LostBlobError } from "../command/command_executor.ts";
import { installStandIns, RemoteOutputLog } from "./remote_outputs.ts";
import { LOST_INPUT, RemoteFiles } from "./remote_files.ts";
import { requestedFiles } from "./requested_files.ts";
import { BuildFileError, RuleError } from "../dsl/errors.ts";
import { findBuildFile } from "../project/build_file.ts";
import { isSameFile, lockState } from "./lock.ts";
import { isOutputPath, OutputLog, regularFileDigest } from "./outputs.ts";
import { BUILD_LOCK, STATE_DIR } from "../state.ts";
import type { Reporter } from "../report/reporter.ts";
import { combineReporters } from "../report/combine.ts";
import { type LoadedProject, PROCESS_INPUT, ProjectLoader } from "./loader.ts";
import { buildRequest, loadBuild, type LoadValue, useBuildContext } from "./nodes.ts";
import { BuildCache } from "./build_cache.ts";
import { findSandbox, type Sandbox } from "./sandbox.ts";
import { commandLine } from "../command/command.ts";
import { replayOutput } from "./replay_output.ts";
import type { ActionCacheOptions } from "../cache/cache_options.ts";
import { BuildExecutor } from "./build_executor.ts";
import {
  type RemoteExecutionOptions,
  remoteExecutionOptionsFromEnv,
} from "../remote/executor_options.ts";
import { OneBuild, type RanRule } from "./one_build.ts";
import { isRequest, requestId, requestKey } from "./request.ts";
import { cycleMessage } from "./cycle_message.ts";
import { recordedOutputs, withFetched } from "./recorded_outputs.ts";
import { isDirDigest, isRealDirectory } from "./dir_targets.ts";
import { RunningLog } from "./running_log.ts";
import { withOsHint } from "./os_errors.ts";
import { deletionSettled } from "./_deletion.ts";
import type { Project } from "../project/project.ts";

export { lockState, STATE_DIR };

/** Options of {@linkcode Builder.open}. */
export interface BuilderOptions {
  /**
   * Where to look for build.ts (this directory or the nearest above it).
   * @default Deno.cwd()
   */
  root?: string;
  /**
   * How many commands run at once.
   * @default navigator.hardwareConcurrency
   */
  jobs?: number;
  /**
   * Receives what happens.
   * @default a reporter that prints nothing
   */
  reporter?: Reporter;
  /**
   * Cancels builds (running commands are killed), and a wait for the build lock.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * The scheduler commands run on.
   * @default a new scheduler with `jobs` slots
   */
  scheduler?: Scheduler;
  /**
   * Say what would run and why, run nothing, change nothing on disk.
   * @default false
   */
  dryRun?: boolean;
  /**
   * The action cache: where it is and what is behind it, or false for
   * none. Opened when the first command would run.
   * @default as the environment says: a local cache under
   * `$XDG_CACHE_HOME/barchan`, unless `BARCHAN_CACHE=off` (see docs/cache.md)
   */
  cache?: ActionCacheOptions | false;
  /**
   * Run every command under bubblewrap, the project read-only but for the
   * targets of its rule (`build --sandbox`).
   * @default false
   */
  sandbox?: boolean;
  /**
   * Also print what the actions that were up to date printed when they last
   * ran (`build --replay`), from their rules' values.
   * @default false
   */
  replay?: boolean;
  /**
   * The cache namespace, part of every command's key: builds of different
   * namespaces never share results.
   * @default `BARCHAN_CACHE_NAMESPACE`, or none
   */
  cacheNamespace?: string;
  /**
   * The remote executor commands run on, or false for none: every command
   * runs here. Unless the cache options name a remote cache, the executor's
   * endpoint serves as one.
   * @default as the environment says: `BARCHAN_REMOTE_EXECUTOR` and the
   * variables beside it (see docs/remote.md), else none
   */
  remote?: RemoteExecutionOptions | false;
  /**
   * Type-check build.ts and the local modules it imports (`deno check`,
   * beside the build, again only when one of them changed); a type error
   * fails the build as an error of build.ts. The CLI's `build` does.
   * @default false
   */
  check?: boolean;
}

/** Options of {@linkcode Builder.build}. */
export interface BuildCallOptions {
  /**
   * What triggered the build (changed paths, project-relative), for the reporter.
   * @default []
   */
  trigger?: string[];
  /**
   * Cancels this build only, on top of the builder's own `signal`.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * Receives this build's events, on top of the builder's own reporter.
   * @default undefined
   */
  reporter?: Reporter;
  /**
   * Type-check build.ts in this build (a build server builds each request
   * as its client asks).
   * @default the builder's `check`
   */
  check?: boolean;
  /**
   * Print also what up-to-date actions printed when they last ran, in this build.
   * @default the builder's `replay`
   */
  replay?: boolean;
  /**
   * Run this build's commands under bubblewrap.
   * @default the builder's `sandbox`
   */
  sandbox?: boolean;
  /**
   * The cache namespace of this build.
   * @default the builder's `cacheNamespace`
   */
  cacheNamespace?: string;
}

/** One failure of a build. */
export interface BuildFailure {
  /** The failing rule, when the failure belongs to one. */
  rule?: string;
  /** What went wrong, in one or more lines. */
  message: string;
  /** Captured output of the failed command, if any. */
  output?: string;
}

/** What a build did. */
export interface BuildResult {
  /** True when everything requested was built. */
  ok: boolean;
  /** Rules whose action ran (or, in a dry run, would run), with the reason. */
  ran: RanRule[];
  /** Every failure, each once. */
  failed: BuildFailure[];
  /** The build.ts that was loaded. */
  file: string;
  /** Whether this was a dry run. */
  dryRun: boolean;
  /** Wall-clock duration in milliseconds. */
  durationMs: number;
}

/** The parts of an opened project a builder can be made from (open_build.ts). */
export interface OpenedState {
  /** build.ts. */
  file: string;
  /** The build lock, held; closing the builder releases it. */
  lock: Deno.FsFile | undefined;
  /** The store, opened. */
  store?: Store;
  /** What a check of the request found, to take its clean nodes as verified. */
  verdict?: RootVerdict;
  /** The record of remote outputs the check read, if it read it. */
  remoteOutputs?: RemoteOutputLog;
}

/** The id of the load node (nodes.ts) in the store. */
const LOAD_ID = "barchan.load\u0000null";

/** The failure of build.ts itself in the failures {@linkcode failuresOf} flattened last. */
let loadFailure: BuildFileError | undefined;

/** One project's open state, across builds. */
export class Builder {
  /** The build.ts file. */
  readonly file: string;
  /** The project root, the directory of build.ts. */
  readonly root: string;
  /** The memo engine, kept warm across builds. */
  readonly engine: Engine;
  /** The scheduler commands run on. */
  readonly scheduler: Scheduler;
  /** Loads build.ts. */
  readonly #loader: ProjectLoader;
  /** The action cache, opened when a command first needs it. */
  readonly #cache: BuildCache | undefined;
  /** Bubblewrap, under `--sandbox`. */
  readonly #sandbox: Sandbox | undefined;
  /** The remote executor, connected when a command first goes remote. */
  readonly #executor: BuildExecutor;
  #options: BuilderOptions;
  #reporter: Reporter;
  /** The reporter of the build under way, which also gets the builder's own notes. */
  #active: Reporter | undefined;
  #outputs: OutputLog;
  /** Outputs left on the remote executor (`--remote-download minimal`). */
  #remote: RemoteFiles;
  /** Removes the record's stand-ins from the file leaves of this process. */
  #uninstallStandIns: () => void;
  /** How many times a build built again after losing outputs (the value of LOST_INPUT). */
  #lostRounds = 0;
  #lock: Deno.FsFile | undefined;
  #one: OneBuild | undefined;
  /** The commands the build under way started, for the next build if this one is killed. */
  #running: RunningLog | undefined;
  #unobserve: (() => void) | undefined;
  /** Why build.ts could not be evaluated, when that failed the last build. */
  loadFailure: BuildFileError | undefined;
  /** Whether the check of the request found build.ts changed: the build evaluates it anyway. */
  #loadDirty: boolean;
  /** Set by {@linkcode Builder.abandon}: nothing is written any more. */
  #abandoned = false;

  /**
   * Makes a builder from a project opened by {@linkcode openProjectState}
   * (or by the caller: build lock held, store open).
   * @param state The opened state.
   * @param options Options.
   */
  constructor(state: OpenedState, options: BuilderOptions = {}) {
    this.file = state.file;
    this.root = join(state.file, "..");
    this.#options = options;
    this.#reporter = options.reporter ?? {};
    this.#lock = state.lock;
    const stateDir = join(this.root, STATE_DIR);
    this.engine = new Engine({
      dir: stateDir,
      store: state.store,
      root: this.root,
      readOnly: options.dryRun,
      roots: isRequest,
      onWarning: (m) => this.#note(m),
    });
    // What a load could not track is read again in every process.
    // (Not crypto.randomUUID(): the crypto global costs 10 ms to load.)
    this.engine.setInput(PROCESS_INPUT, `${Deno.pid} ${performance.timeOrigin} ${Math.random()}`);
    if (state.verdict !== undefined) this.engine.trustUnchanged(state.verdict);
    const load = state.store?.indexOf(LOAD_ID) ?? -1;
    this.#loadDirty = state.verdict !== undefined && (load < 0 || !state.verdict.isClean(load));
    this.engine.setInput(LOST_INPUT, "");
    const remoteLog = state.remoteOutputs ??
      new RemoteOutputLog(stateDir, { note: (m) => this.#note(m) });
    this.#outputs = new OutputLog(stateDir, {
      root: this.root,
      recorded: () => withFetched(recordedOutputs(this.engine), remoteLog),
      note: (m) => this.#note(m),
    });
    this.scheduler = options.scheduler ?? new Scheduler({ jobs: options.jobs });
    if (options.scheduler !== undefined && options.jobs !== undefined) {
      this.scheduler.jobs = options.jobs;
    }
    if (!options.dryRun) {
      this.#running = new RunningLog(stateDir);
      this.#unobserve = this.scheduler.observeProcesses(this.#running);
    }
    this.#loader = new ProjectLoader(this.file);
    if (options.sandbox) {
      const found = findSandbox();
      if (typeof found === "string") throw new Error(found);
      this.#sandbox = found;
    }
    const remote = options.remote === false || options.dryRun
      ? undefined
      : options.remote ?? remoteExecutionOptionsFromEnv((name) => Deno.env.get(name));
    this.#executor = new BuildExecutor(remote, (message) => this.#note(message));
    this.#remote = new RemoteFiles(this.root, remoteLog, this.#executor, this.#outputs);
    this.#uninstallStandIns = installStandIns(this.root, this.#remote.standIns());
    this.#cache = options.cache === false || options.dryRun ? undefined : new BuildCache(
      options.cache,
      (message) => this.#note(message),
      remote && { options: remote, executor: this.#executor },
    );
    useBuildContext(this.engine, {
      loader: this.#loader,
      runner: this.scheduler,
      one: () => {
        if (this.#one === undefined) throw new Error("No build is under way");
        return this.#one;
      },
      loaded: (loaded) => this.#removeStaleOutputs(loaded),
    });
  }

  /**
   * Finds build.ts, takes the project's build lock (waiting for another
   * build to finish) and opens its state. A dry run takes no lock.
   * @param options Options.
   * @returns The builder.
   */
  static async open(options: BuilderOptions = {}): Promise<Builder> {
    const file = findBuildFile(options.root ?? Deno.cwd());
    const stateDir = join(file, "..", STATE_DIR);
    const lock = options.dryRun
      ? undefined
      : await lockState(stateDir, options.reporter ?? {}, options.signal);
    try {
      return new Builder({ file, lock }, options);
    } catch (error) {
      lock?.close();
      throw error;
    }
  }

  /**
   * The modules build.ts is made of, as this process evaluated it last: a
   * change to one other than build.ts needs a new process (a watch session
   * restarts).
   */
  get modules(): ReadonlySet<string> {
    return this.#loader.modules;
  }

  /** The project as this process evaluated build.ts last, evaluating it now when it did not. */
  async #project(): Promise<LoadedProject> {
    const loaded = this.#loader.loaded;
    if (loaded !== undefined) return loaded;
    const last = this.engine.lastValue("barchan.load", null) as LoadValue | undefined;
    return await this.#loader.project(last?.code ?? "");
  }

  /**
   * Builds targets (project-relative paths) and `@aliases`; no target means
   * `@default`, or every target when there is no default alias.
   * @param targets What to build.
   * @param options What triggered the build, a signal and a reporter of its own.
   * @returns What ran and what failed.
   */
  async build(
    targets: readonly string[] = [],
    options: BuildCallOptions = {},
  ): Promise<BuildResult> {
    const started = performance.now();
    const reporter = options.reporter === undefined
      ? this.#reporter
      : combineReporters(this.#reporter, options.reporter);
    const signals = [this.#options.signal, options.signal].filter((s) => s !== undefined);
    const signal = signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const check = options.check ?? this.#options.check;
    const replay = options.replay ?? this.#options.replay;
    const sandbox = this.#sandboxFor(options.sandbox);
    const namespace = options.cacheNamespace ?? this.#options.cacheNamespace ??
      Deno.env.get("BARCHAN_CACHE_NAMESPACE") ?? "";
    reporter.buildStarted?.({ trigger: options.trigger ?? [] });
    this.#active = reporter;
    const one = this.#one = new OneBuild({
      root: this.root,
      engine: this.engine,
      scheduler: this.scheduler,
      outputs: this.#outputs,
      remoteFiles: this.#options.dryRun ? undefined : this.#remote,
      reporter,
      signal,
      dryRun: this.#options.dryRun ?? false,
      cache: this.#cache,
      namespace,
      sandbox,
      executor: this.#executor,
      project: () => this.#project(),
    });
    this.engine.onExecute = (call) => {
      if (call.name !== "barchan.rule") return;
      one.willRun(call.input as string, one.explain(call));
    };
    const failed: BuildFailure[] = [];
    this.loadFailure = undefined;
    // Commands holding job slots, as the reporter sees them (not actions
    // waiting for their dependencies or for a slot).
    const unlisten = this.scheduler.listen((event) => {
      if (event.label === undefined || (event.kind !== "started" && event.kind !== "finished")) {
        return;
      }
      const command = commandLine(event.cmd, event.args);
      const base = { rule: event.label, command, slot: event.slot };
      if (event.kind === "started") reporter.commandStarted?.(base);
      else reporter.commandFinished?.({ ...base, durationMs: event.durationMs, code: event.code });
    });
    let unsaved: unknown;
    const save = (write: () => void) => {
      try {
        write();
      } catch (error) {
        unsaved ??= error;
      }
    };
    const flusher = this.#options.dryRun
      ? undefined
      : setInterval(() => save(() => this.engine.flush()), 1000);
    try {
      await this.#registerMemoFunctions();
      const request = requestKey(targets, check);
      if (!this.#options.dryRun) await this.#fetchAllRemote(reporter);
      this.#remote.wanted = new Set(targets.filter((t) => !t.startsWith("@")));
      // Losses an earlier build survived (its code caught them) are not this one's.
      this.#remote.takeLost();
      for (let attempt = 1;; attempt++) {
        try {
          await this.engine.run(async () => {
            // build.ts first: evaluating it redefines its memo functions, which
            // starts a new run; the request, begun after, is built as of that
            // run, as the specs it reads are.
            await loadBuild(null).catch(() => {});
            await buildRequest(request);
          });
          if (this.#remote.minimal) await this.#fetchRequested(targets, requestId(request));
          break;
        } catch (error) {
          const lost = this.#remote.takeLost();
          if (lost.length === 0 || isCancellation(error) || signal.aborted) throw error;
          if (attempt > 1) throw lostAgain(lost, error);
          // Evicted from the executor's CAS: forgotten, so missing; their rules run again.
          reporter.note?.(
            `${lost.join(", ")}: evicted from the remote executor's CAS, where ` +
              `--remote-download minimal left ${
                lost.length === 1 ? "it" : "them"
              }; building again, making ${lost.length === 1 ? "it" : "them"} anew`,
          );
          this.engine.invalidatePaths(lost, "evicted from the remote executor's CAS");
          this.engine.setInput(LOST_INPUT, String(++this.#lostRounds));
        }
      }
      this.engine.markVerified(requestId(request));
      if (replay) replayOutput(this.engine, request, one, reporter);
    } catch (error) {
      if (isCancellation(error)) throw error;
      const aborted = signals.find((s) => s.aborted);
      if (aborted !== undefined) throw new CancelledError(aborted.reason);
      failed.push(...await this.#withSites(failuresOf(error)));
      this.loadFailure = loadFailure;
    } finally {
      unlisten();
      clearInterval(flusher);
      this.engine.onExecute = undefined;
      this.#one = undefined;
      if (!this.#options.dryRun) save(() => this.engine.checkpoint());
      // Every command of this build has ended.
      save(() => this.#running?.clear());
      if (this.#cache?.opened && !(await this.#cache.flush())) {
        reporter.note?.("uploads to the remote cache did not finish in time: some were dropped");
      }
      this.#active = undefined;
    }
    if (unsaved !== undefined) failed.push({ message: unsavedMessage(unsaved) });
    const result: BuildResult = {
      ok: failed.length === 0,
      ran: one.ran,
      failed,
      file: this.file,
      dryRun: this.#options.dryRun ?? false,
      durationMs: performance.now() - started,
    };
    reporter.buildFinished?.({
      ok: result.ok,
      ran: result.ran.length - one.restored.length,
      restored: one.restored.length,
      remote: one.remote.length,
      failed: failed.length,
      failures: failed.map((f) => f.message),
      durationMs: result.durationMs,
      dryRun: result.dryRun,
    });
    return result;
  }

  /**
   * Without `--remote-download minimal`, every output left on the executor
   * by an earlier build is fetched before the build (switching modes leaves
   * no file missing); those the executor lost, or all of them without an
   * executor, are forgotten, and the rules that made them run again.
   */
  async #fetchAllRemote(reporter: Reporter): Promise<void> {
    if (this.#remote.minimal) return;
    const paths = this.#remote.log.remotePaths();
    if (paths.length === 0) return;
    let why = "without one";
    if (this.#remote.canFetch) {
      try {
        await this.#remote.materialize(paths);
      } catch (error) {
        if (isCancellation(error)) throw error;
        if (!(error instanceof LostBlobError)) why = `(${messageOf(error)})`;
      }
    }
    // Those that could not be fetched are made again.
    const unfetched = this.#remote.log.remotePaths();
    for (const path of unfetched) this.#remote.log.forget(path);
    if (unfetched.length > 0) {
      reporter.note?.(
        `${unfetched.length} output${unfetched.length === 1 ? "" : "s"} left on a remote ` +
          `executor by --remote-download minimal cannot be fetched ${why}: the rules that made ` +
          `${unfetched.length === 1 ? "it run" : "them run"} again`,
      );
    }
    const lost = paths.filter((p) => this.#remote.log.get(p) === undefined);
    this.#remote.takeLost();
    if (lost.length > 0) this.engine.invalidatePaths(lost, "left on the remote executor, lost");
  }

  /**
   * Under `--remote-download minimal`: fetches the files the request asked
   * for that are still on the executor, and records which they are, for the
   * check of a build with nothing to do (open_build.ts).
   */
  async #fetchRequested(targets: readonly string[], request: string): Promise<void> {
    const files = requestedFiles(this.engine, targets);
    await this.#remote.materialize(files);
    this.#remote.log.setRequested(digestOf(request), files);
  }

  /**
   * Bubblewrap for a build that asks for the sandbox (`wanted`), or the
   * builder's own when it does not say.
   * @throws {Error} When the sandbox is asked for and bubblewrap is missing.
   */
  #sandboxFor(wanted: boolean | undefined): Sandbox | undefined {
    if (wanted === undefined || (wanted && this.#sandbox !== undefined)) return this.#sandbox;
    if (!wanted) return undefined;
    const found = findSandbox();
    if (typeof found === "string") throw new Error(found);
    return found;
  }

  /** Failures, with each cycle's rules and aliases shown with their build.ts locations. */
  async #withSites(failures: FoundFailure[]): Promise<BuildFailure[]> {
    if (!failures.some((f) => f.cycle !== undefined)) return failures;
    let project: Project | undefined;
    try {
      project = (await this.#project()).project;
    } catch {
      // build.ts does not load: the cycle is shown without locations.
    }
    return failures.map((f) =>
      f.cycle === undefined ? f : { message: cycleMessage(f.cycle.frames, project) }
    );
  }

  /**
   * Evaluates build.ts before a build when it defines memo functions and
   * this process has not: their results in the store can only be checked
   * once they are defined. When build.ts changed, the load node evaluates it
   * anyway, before anything else.
   */
  async #registerMemoFunctions(): Promise<void> {
    if (this.#loader.loaded !== undefined || this.#loadDirty) return;
    const last = this.engine.lastValue("barchan.load", null) as LoadValue | undefined;
    if (last === undefined || last.memo.length === 0) return;
    try {
      await this.#loader.project(last.code);
    } catch {
      // build.ts does not load now: the load node reports it.
    }
  }

  /**
   * Whether the build lock this builder holds still guards the project: its
   * file was not deleted (with the state directory) or replaced.
   * @returns False when another build could take the lock meanwhile.
   */
  holdsLock(): boolean {
    const lock = this.#lock;
    return lock === undefined || isSameFile(lock, join(this.root, STATE_DIR, BUILD_LOCK));
  }

  /** Saves the state and releases the lock (after {@linkcode Builder.abandon}, nothing). */
  close(): void {
    if (this.#abandoned) return;
    if (this.#options.dryRun) {
      this.engine.close();
      this.#lock?.close();
      return;
    }
    this.#unobserve?.();
    // A state that cannot be written (a full disk) costs the next build
    // work, not correctness: said, not thrown.
    const closes = [
      () => this.engine.close(),
      () => this.#outputs.close(),
      () => this.#remote.log.close(),
      () => this.#uninstallStandIns(),
      () => this.#running?.clear(),
    ];
    for (const close of closes) {
      try {
        close();
      } catch (error) {
        this.#note(unsavedMessage(error));
      }
    }
    this.#lock?.close();
    this.#lock = undefined;
    void this.#cache?.close();
    this.#executor.close();
  }

  /**
   * A note of the builder's own (the cache, the executor, the logs): to the
   * build under way when there is one (in a build server, its client), else
   * to the builder's reporter.
   */
  #note(message: string): void {
    (this.#active ?? this.#reporter).note?.(message);
  }

  /**
   * Releases the lock and the store without writing anything more: for a
   * builder whose state directory was deleted or replaced under it (see
   * {@linkcode Builder.holdsLock}), whose writes would land in another
   * build's state. A build still running writes nothing to the store after
   * this; cancel it.
   * @returns Settles once the outputs barchan wrote, unchanged since, are
   * handed over to a new state directory, made when the deletion of the old
   * one is over (up to five seconds); at once when there is nothing to do.
   */
  abandon(): Promise<void> {
    const handOver = !this.#abandoned && !this.#options.dryRun;
    this.#abandoned = true;
    // Nothing more lands in the deleted directory, nor in one made again meanwhile.
    this.#outputs.stopRecording();
    this.engine.abandon();
    this.#remote.log.abandon();
    this.#uninstallStandIns();
    // The running log's path too may name another build's record now.
    this.#unobserve?.();
    this.#unobserve = undefined;
    this.#running?.abandon();
    this.#running = undefined;
    this.#lock?.close();
    this.#lock = undefined;
    return handOver ? this.#handOver() : Promise.resolve();
  }

  /**
   * After the state directory was deleted (not replaced): the outputs still
   * as barchan wrote them stay its own, in a new state directory made once
   * the deletion is over, so as not to fail the `rm`.
   */
  async #handOver(): Promise<void> {
    try {
      if (!(await deletionSettled(join(this.root, STATE_DIR)))) return;
      const kept = this.#outputs.handOver();
      if (kept !== undefined) {
        this.#note(
          `${kept} output${kept === 1 ? "" : "s"} barchan wrote, unchanged since, stay its own ` +
            `in a new ${STATE_DIR}`,
        );
      }
    } catch (error) {
      this.#note(
        `Cannot make ${STATE_DIR} again: ${withOsHint(String((error as Error)?.message ?? error))}`,
      );
    }
  }

  /** Deletes the outputs of rules build.ts no longer has, when unchanged since barchan wrote them. */
  #removeStaleOutputs({ project }: LoadedProject): void {
    const dry = this.#options.dryRun;
    // What a rule that is gone left on the executor is forgotten.
    for (const path of this.#remote.log.paths()) {
      if (!project.producers.has(path) && !dry) this.#remote.log.forget(path);
    }
    for (const path of this.#outputs.paths()) {
      if (project.producers.has(path)) continue;
      // Nothing is deleted on the word of a line naming no path a rule can write.
      if (!isOutputPath(path)) {
        if (!dry) this.#outputs.release(path);
        continue;
      }
      const abs = join(project.root, path);
      if (isDirDigest(this.#outputs.digest(path))) {
        // A directory target whose rule is gone: its tree was all barchan's.
        if (isRealDirectory(abs)) {
          if (!dry) Deno.removeSync(abs, { recursive: true });
          this.#note(
            `${dry ? "Would delete" : "Deleted"} ${path}/: no rule fills it any more`,
          );
        }
        if (!dry) this.#outputs.release(path);
        continue;
      }
      const digest = regularFileDigest(abs);
      if (digest === undefined && pathPresent(abs)) {
        this.#note(
          `Kept ${path}: no rule produces it any more, and it is not a file barchan wrote`,
        );
      } else if (digest !== undefined) {
        const wrote = this.#outputs.digest(path);
        if (wrote !== "" && digest === wrote) {
          if (!dry) Deno.removeSync(abs);
          this.#note(
            `${dry ? "Would delete" : "Deleted"} ${path}: no rule produces it any more`,
          );
        } else {
          this.#note(
            `Kept ${path}: no rule produces it any more, but it changed since barchan wrote it`,
          );
        }
      }
      if (!dry) this.#outputs.release(path);
    }
  }
}

/** A failure as {@linkcode failuresOf} finds it: a cycle keeps its calls, to be shown with sites. */
type FoundFailure = BuildFailure & { cycle?: CycleError };

/**
 * Flattens an error tree into distinct failures, and notes the first that
 * is build.ts's own (see {@linkcode Builder.loadFailure}).
 */
function failuresOf(error: unknown): FoundFailure[] {
  const seen = new Set<unknown>();
  const out: FoundFailure[] = [];
  loadFailure = undefined;
  const visit = (e: unknown): void => {
    for (const x of errorsOf(e)) {
      if (x instanceof MemoError) {
        visit(x.cause);
        continue;
      }
      if (seen.has(x)) continue;
      seen.add(x);
      if (x instanceof RuleError) {
        out.push({ rule: x.rule, message: withOsHint(x.message), output: x.output });
      } else if (x instanceof CycleError) out.push({ message: x.message, cycle: x });
      else out.push({ message: withOsHint(messageOf(x)) });
      if (x instanceof BuildFileError) loadFailure ??= x;
    }
  };
  visit(error);
  return out;
}

/** Why the build's state could not be saved, and what that means. */
function unsavedMessage(error: unknown): string {
  const message = `Cannot save the build's state: ${messageOf(error)}`;
  const hinted = withOsHint(message);
  return hinted !== message ? hinted : `${message}; the next build redoes what was not recorded`;
}

/**
 * The error of a build whose outputs left on the executor were lost again
 * after it built them anew: it names them and says what to do.
 */
function lostAgain(lost: readonly string[], error: unknown): Error {
  return new Error(
    `${lost.join(", ")}: evicted from the remote executor's CAS again while this build needed ` +
      `${lost.length === 1 ? "it" : "them"}, after building ${
        lost.length === 1 ? "it" : "them"
      } anew once. Build again with --remote-download all, which downloads every output ` +
      `(${messageOf(error).split("\n")[0]})`,
    { cause: error },
  );
}
