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
import { Engine, MemoError, messageOf, type RootVerdict, type Store } from "../../memo/mod.ts";
import { BuildFileError, RuleError } from "../dsl/errors.ts";
import { findBuildFile } from "../project/build_file.ts";
import { isSameFile, lockState } from "./lock.ts";
import { OutputLog } from "./outputs.ts";
import { BUILD_LOCK, STATE_DIR } from "../state.ts";
import type { Reporter } from "../report/reporter.ts";
import { combineReporters } from "../report/combine.ts";
import { type LoadedProject, PROCESS_INPUT, ProjectLoader } from "./loader.ts";
import { buildRequest, type LoadValue, useBuildContext } from "./nodes.ts";
import { OneBuild, type RanRule } from "./one_build.ts";
import { isRequest, requestId, TOOL } from "./request.ts";
import { digestOfFile } from "../../memo/stat/digest.ts";

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
  readonly loader: ProjectLoader;
  #options: BuilderOptions;
  #reporter: Reporter;
  #outputs: OutputLog;
  #lock: Deno.FsFile | undefined;
  #one: OneBuild | undefined;
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
      onWarning: (m) => this.#reporter.note?.(m),
    });
    // What a load could not track is read again in every process.
    // (Not crypto.randomUUID(): the crypto global costs 10 ms to load.)
    this.engine.setInput(PROCESS_INPUT, `${Deno.pid} ${performance.timeOrigin} ${Math.random()}`);
    if (state.verdict !== undefined) this.engine.trustUnchanged(state.verdict);
    const load = state.store?.indexOf(LOAD_ID) ?? -1;
    this.#loadDirty = state.verdict !== undefined && (load < 0 || !state.verdict.isClean(load));
    this.#outputs = new OutputLog(stateDir);
    this.scheduler = options.scheduler ?? new Scheduler({ jobs: options.jobs });
    if (options.scheduler !== undefined && options.jobs !== undefined) {
      this.scheduler.jobs = options.jobs;
    }
    this.loader = new ProjectLoader(this.file);
    useBuildContext(this.engine, {
      loader: this.loader,
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
   * The project as this process evaluated build.ts last, evaluating it now
   * when it did not (for messages, `targets`, `graph`).
   * @returns The project.
   */
  async project(): Promise<LoadedProject> {
    const loaded = this.loader.loaded;
    if (loaded !== undefined) return loaded;
    const last = this.engine.lastValue("barchan.load", null) as LoadValue | undefined;
    return await this.loader.project(last?.code ?? "");
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
    reporter.buildStarted?.({ trigger: options.trigger ?? [] });
    const one = this.#one = new OneBuild({
      root: this.root,
      engine: this.engine,
      scheduler: this.scheduler,
      outputs: this.#outputs,
      reporter,
      signal,
      dryRun: this.#options.dryRun ?? false,
      project: () => this.project(),
    });
    this.engine.onExecute = (call) => {
      if (call.name !== "barchan.rule") return;
      one.willRun(call.input as string, one.explain(call));
    };
    const failed: BuildFailure[] = [];
    this.loadFailure = undefined;
    const flusher = this.#options.dryRun ? undefined : setInterval(() => this.engine.flush(), 1000);
    try {
      await this.#registerMemoFunctions();
      const request = { targets: [...targets], tool: TOOL };
      await this.engine.run(() => buildRequest(request));
      this.engine.markVerified(requestId(request));
    } catch (error) {
      if (isCancellation(error)) throw error;
      const aborted = signals.find((s) => s.aborted);
      if (aborted !== undefined) throw new CancelledError(aborted.reason);
      failed.push(...failuresOf(error));
      this.loadFailure = loadFailure;
    } finally {
      clearInterval(flusher);
      this.engine.onExecute = undefined;
      this.#one = undefined;
      if (!this.#options.dryRun) this.engine.checkpoint();
    }
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
      ran: result.ran.length,
      failed: failed.length,
      failures: failed.map((f) => f.message),
      durationMs: result.durationMs,
      dryRun: result.dryRun,
    });
    return result;
  }

  /**
   * Evaluates build.ts before a build when it defines memo functions and
   * this process has not: their results in the store can only be checked
   * once they are defined. When build.ts changed, the load node evaluates it
   * anyway, before anything else.
   */
  async #registerMemoFunctions(): Promise<void> {
    if (this.loader.loaded !== undefined || this.#loadDirty) return;
    const last = this.engine.lastValue("barchan.load", null) as LoadValue | undefined;
    if (last === undefined || last.memo.length === 0) return;
    try {
      await this.loader.project(last.code);
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
    this.engine.close();
    this.#outputs.close();
    this.#lock?.close();
    this.#lock = undefined;
  }

  /**
   * Releases the lock and the store without writing anything more: for a
   * builder whose state directory was deleted or replaced under it (see
   * {@linkcode Builder.holdsLock}), whose writes would land in another
   * build's state. A build still running writes nothing to the store after
   * this; cancel it.
   */
  abandon(): void {
    this.#abandoned = true;
    this.engine.abandon();
    this.#lock?.close();
    this.#lock = undefined;
  }

  /** Deletes the outputs of rules build.ts no longer has, when unchanged since barchan wrote them. */
  #removeStaleOutputs({ project }: LoadedProject): void {
    const dry = this.#options.dryRun;
    for (const path of this.#outputs.paths()) {
      if (project.producers.has(path)) continue;
      const abs = join(project.root, path);
      let digest: string | undefined;
      try {
        digest = digestOfFile(abs);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      if (digest !== undefined) {
        const wrote = this.#outputs.digest(path);
        if (wrote !== "" && digest === wrote) {
          if (!dry) Deno.removeSync(abs);
          this.#reporter.note?.(
            `${dry ? "Would delete" : "Deleted"} ${path}: no rule produces it any more`,
          );
        } else {
          this.#reporter.note?.(
            `Kept ${path}: no rule produces it any more, but it changed since barchan wrote it`,
          );
        }
      }
      if (!dry) this.#outputs.release(path);
    }
  }
}

/**
 * Flattens an error tree into distinct failures, and notes the first that
 * is build.ts's own (see {@linkcode Builder.loadFailure}).
 */
function failuresOf(error: unknown): BuildFailure[] {
  const seen = new Set<unknown>();
  const out: BuildFailure[] = [];
  loadFailure = undefined;
  const visit = (e: unknown): void => {
    for (const x of errorsOf(e)) {
      if (x instanceof MemoError) {
        visit(x.cause);
        continue;
      }
      if (seen.has(x)) continue;
      seen.add(x);
      if (x instanceof RuleError) out.push({ rule: x.rule, message: x.message, output: x.output });
      else out.push({ message: messageOf(x) });
      if (x instanceof BuildFileError) loadFailure ??= x;
    }
  };
  visit(error);
  return out;
}
