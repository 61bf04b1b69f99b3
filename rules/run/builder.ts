/**
 * A `Builder` keeps one project's state open across builds: the lock, the
 * memo engine with its warm caches, the record of outputs, the scheduler.
 * `build()` uses one for a single build; watch mode keeps one alive and
 * rebuilds after each batch of changes.
 *
 * @module
 */
import { join } from "node:path";
import { CancelledError, isCancellation } from "../../fiber/cancel.ts";
import { errorsOf } from "../../fiber/parallel.ts";
import { Scheduler } from "../../fiber/scheduler.ts";
import { digestOf } from "../../memo/stat/digest.ts";
import { currentFrame } from "../../memo/context.ts";
import { Engine } from "../../memo/engine.ts";
import { FileLeaf, tickOf } from "../../memo/leaves/file.ts";
import { ListingLeaf } from "../../memo/leaves/listing.ts";
import { dropStatTakenAhead } from "../../memo/stat/stat.ts";
import type { Cell, Leaf } from "../../memo/node.ts";
import { CycleError, MemoError, messageOf } from "../../memo/errors.ts";
import { memo } from "../../memo/memo.ts";
import { currentEngine, readInput } from "../../memo/reads.ts";
import { RuleError } from "../dsl/errors.ts";
import { findBuildFile, loadProjectRecording } from "../project/load.ts";
import type { LoadReads } from "../project/load_reads.ts";
import { OutputLog } from "./outputs.ts";
import { BUILD_LOCK, STATE_DIR } from "../state.ts";
import type { DepSpec, Project } from "../project/project.ts";
import type { Reporter } from "../report/reporter.ts";
import { combineReporters } from "../report/combine.ts";
import { OneBuild, type RanRule } from "./one_build.ts";
import {
  type CheckedRecord,
  type UpToDateKey,
  type UpToDateVerdict,
  writeUpToDate,
} from "./up_to_date.ts";
import {
  cachedReads,
  projectFromCache,
  readRuleCache,
  type RuleCache,
  ruleCacheOf,
  storeStamp,
  writeRuleCache,
} from "./rule_cache.ts";

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

/** The build each engine runs, which the rule nodes of that engine belong to. */
const builds = new WeakMap<Engine, OneBuild>();

const buildRule = memo(
  "barchan.rule",
  async (id: string): Promise<Record<string, string>> => {
    const current = builds.get(currentEngine());
    if (current === undefined) throw new Error(`Rule "${id}" was demanded outside a build`);
    const rule = current.project.rules.get(id);
    if (rule === undefined) throw new Error(`No rule "${id}" in ${current.project.file}`);
    readInput(`rule ${id}`);
    await current.need(rule.deps, rule);
    return await current.execute(rule);
  },
  { description: (id: string) => `rule ${id}` },
);

/**
 * One target of a rule, as its dependents see it: a dependent of one target
 * of a rule with several is cut off when only another target changed. The
 * rule's "" entry (a dry run's marker of a rule that would run) is kept.
 */
const buildTarget = memo(
  "barchan.target",
  async (target: { path: string; rule: string }): Promise<[string, string]> => {
    const digests = await buildRule(target.rule);
    return [digests[target.path] ?? "", digests[""] ?? ""];
  },
  { description: (target: { path: string }) => `target ${target.path}` },
);

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
  /** The project as last loaded. */
  project: Project | undefined;
  #options: BuilderOptions;
  #reporter: Reporter;
  #outputs: OutputLog;
  #lock: Deno.FsFile | undefined;
  #loadReads: LoadReads | undefined;
  #loadStartedAt = 0;
  /** Whether the last load succeeded (its reads describe `project`). */
  #loaded = false;
  /** The rule cache the project came from, if it did. */
  #cache: RuleCache | undefined;
  /** What the last build demanded at top level, when it succeeded. */
  #roots: Cell[] | undefined;
  /** The checked record whose unchanged nodes the engine trusts, until the record is written. */
  #checked: CheckedRecord | undefined;

  private constructor(
    file: string,
    options: BuilderOptions,
    lock: Deno.FsFile | undefined,
  ) {
    this.file = file;
    this.root = join(file, "..");
    this.#options = options;
    this.#reporter = options.reporter ?? {};
    this.#lock = lock;
    const stateDir = join(this.root, STATE_DIR);
    this.engine = new Engine({
      dir: stateDir,
      root: this.root,
      readOnly: options.dryRun,
      onWarning: (m) => this.#reporter.note?.(m),
    });
    this.#outputs = new OutputLog(stateDir);
    this.scheduler = options.scheduler ?? new Scheduler({ jobs: options.jobs });
    if (options.scheduler !== undefined && options.jobs !== undefined) {
      this.scheduler.jobs = options.jobs;
    }
  }

  /**
   * Finds build.ts, takes the project's build lock (waiting for another
   * build to finish) and opens its state. A dry run takes no lock.
   * @param options Options.
   * @returns The builder; call `load()` next.
   */
  static async open(options: BuilderOptions = {}): Promise<Builder> {
    const file = findBuildFile(options.root ?? Deno.cwd());
    const stateDir = join(file, "..", STATE_DIR);
    const lock = options.dryRun
      ? undefined
      : await lockState(stateDir, options.reporter ?? {}, options.signal);
    try {
      return new Builder(file, options, lock);
    } catch (error) {
      lock?.close();
      throw error;
    }
  }

  /**
   * (Re)loads build.ts: new and removed rules and memo functions take
   * effect; outputs of removed rules are deleted if unchanged.
   * @returns The project.
   */
  async load(): Promise<Project> {
    this.#roots = undefined;
    this.#loadStartedAt = Date.now();
    // Kept when loading fails too: a change to what it read may fix it.
    const reads: LoadReads = this.#loadReads = { leaves: [], untracked: [] };
    this.#loaded = false;
    this.#cache = undefined;
    this.#checked = undefined;
    const project = await loadProjectRecording(this.file, reads);
    this.#loaded = true;
    return this.#use(project);
  }

  /**
   * @internal Takes the rules of the last load from the rule cache instead of
   * evaluating build.ts (see rule_cache.ts), when the check of the
   * up-to-date record found nothing build.ts is made of or read changed.
   * Otherwise nothing happens, and false is returned.
   * @param verdict What the check of the up-to-date record found.
   * @param checkedAt When that check began.
   * @returns Whether the cached rules are in use.
   */
  useCachedRules(verdict: UpToDateVerdict, checkedAt: number): boolean {
    if (!verdict.buildTsUnchanged || verdict.cacheId === "") return false;
    const cache = readRuleCache(join(this.root, STATE_DIR), verdict.cacheId);
    if (cache === undefined) return false;
    this.#roots = undefined;
    this.#loadStartedAt = checkedAt;
    this.#loadReads = { leaves: cachedReads(cache), untracked: [] };
    this.#cache = cache;
    this.#loaded = true;
    const project = projectFromCache(cache, this.root, this.file);
    // When no build touched the store since the record was written, the
    // store already holds these rules' specs, and the outputs they own.
    const stamp = storeStamp(join(this.root, STATE_DIR));
    if (stamp.length > 0 && stamp.join() === verdict.stamp.join()) {
      this.project = project;
      // Then the store is what the recorded build left: the nodes no changed
      // file lies under are as that build verified them.
      if (verdict.checked !== undefined) {
        this.#checked = verdict.checked;
        this.engine.trustUnchanged(verdict.checked.unchanged);
      }
    } else this.#use(project);
    return true;
  }

  /**
   * @internal Whether the engine takes the nodes the record check found
   * nothing changed under as up to date, until the record is written again.
   */
  get trustsRecord(): boolean {
    return this.#checked !== undefined;
  }

  /** @internal The modules build.ts is made of, as cached, when the rules came from the cache. */
  get cachedModules(): readonly string[] | undefined {
    return this.#cache?.modules;
  }

  #use(project: Project): Project {
    this.project = project;
    this.#removeStaleOutputs(project);
    for (const rule of project.rules.values()) {
      this.engine.setInput(`rule ${rule.id}`, rule.spec, "its definition in build.ts changed");
    }
    return project;
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
    const project = this.project ?? await this.load();
    this.#roots = undefined;
    const started = performance.now();
    const reporter = options.reporter === undefined
      ? this.#reporter
      : combineReporters(this.#reporter, options.reporter);
    const signal = [this.#options.signal, options.signal].filter((s) => s !== undefined);
    reporter.buildStarted?.({ trigger: options.trigger ?? [] });
    const oneBuild = new OneBuild({
      project,
      engine: this.engine,
      scheduler: this.scheduler,
      outputs: this.#outputs,
      reporter,
      signal: signal.length === 1 ? signal[0] : AbortSignal.any(signal),
      buildRule,
      buildTarget,
      dryRun: this.#options.dryRun ?? false,
    });
    builds.set(this.engine, oneBuild);
    this.engine.onExecute = (call) => {
      if (call.name !== "barchan.rule") return;
      oneBuild.willRun(call.input as string, oneBuild.explain(call));
    };
    const failed: BuildFailure[] = [];
    let roots: Cell[] | undefined;
    const flusher = this.#options.dryRun ? undefined : setInterval(() => this.engine.flush(), 1000);
    try {
      await this.engine.run(async () => {
        try {
          await oneBuild.need(requestsOf(project, targets), undefined);
        } finally {
          roots = currentFrame()?.deps;
        }
      });
    } catch (error) {
      if (isCancellation(error)) throw error;
      const aborted = signal.find((s) => s.aborted);
      if (aborted !== undefined) throw new CancelledError(aborted.reason);
      failed.push(...failuresOf(error));
    } finally {
      clearInterval(flusher);
      this.engine.onExecute = undefined;
      if (!this.#options.dryRun) this.engine.flush();
    }
    if (failed.length === 0 && !this.#options.dryRun) this.#roots = roots;
    const result: BuildResult = {
      ok: failed.length === 0,
      ran: oneBuild.ran,
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
   * @internal Records that the last build left its request up to date (see
   * up_to_date.ts), so that the same request can be answered later without
   * evaluating build.ts. Nothing is recorded when the last build failed or
   * was a dry run, when build.ts read something that cannot be checked
   * later, or when one of `modules` changed after build.ts was loaded.
   * @param key What the record answers for.
   * @param modules The files build.ts is made of: the modules it imports
   * and the configuration files that resolve them.
   * @returns Whether a record was written.
   */
  recordUpToDate(key: UpToDateKey, modules: readonly string[]): boolean {
    const reads = this.#loadReads;
    const roots = this.#roots;
    const checked = this.#checked;
    this.#checked = undefined;
    if (!this.#loaded || reads === undefined || roots === undefined || reads.untracked.length > 0) {
      return false;
    }
    const stateDir = join(this.root, STATE_DIR);
    // Saved first, so that the stamp is the store's state once this build ends.
    this.engine.flush();
    const stamp = storeStamp(stateDir);
    if (checked !== undefined && this.engine.sameGraphSinceTrust()) {
      // The patch leaves the modules' entries as the check found them: one
      // written since is found changed by the next check.
      checked.save(stateDir, this.engine.checkedFiles(), stamp);
      return true;
    }
    const graph = this.engine.graphUnder(roots);
    if (graph === undefined) return false;
    let leaves = graph.leaves;
    const sources: Leaf[] = [];
    for (const path of modules) {
      const leaf = new FileLeaf("", path);
      leaf.refresh(0, true);
      // Modules are checked after the build: one written since loading began
      // may not be what was evaluated.
      const since = this.#loadStartedAt;
      if (leaf.mtime >= since - tickOf(leaf.mtime) || leaf.ctime >= since - tickOf(leaf.ctime)) {
        return false;
      }
      sources.push(leaf);
    }
    const load = [...sources, ...reads.leaves];
    // Sources before targets: an edit is found before the check hashes again
    // the outputs the last build wrote (not yet old enough to be trusted).
    const targets = new Set<string>();
    const prefix = this.root + "/";
    for (const path of this.project?.producers.keys() ?? []) targets.add(prefix + path);
    const sourcesFirst: Leaf[] = [];
    const targetLeaves: Leaf[] = [];
    for (const leaf of leaves) {
      if (leaf instanceof FileLeaf && targets.has(leaf.path)) targetLeaves.push(leaf);
      else sourcesFirst.push(leaf);
    }
    leaves = [...sourcesFirst, ...targetLeaves];
    // Rules that came from the cache are the cache's: it stays as it is.
    let cache = this.#cache;
    if (cache === undefined) {
      cache = this.project === undefined
        ? undefined
        : ruleCacheOf(this.project, modules, reads.leaves);
      writeRuleCache(stateDir, cache);
    }
    writeUpToDate(stateDir, key, [...load, ...leaves], {
      loadLeaves: load.length,
      cacheId: cache?.id,
      stamp,
      graph,
    });
    return true;
  }

  /**
   * Whether a change at `path` may change what build.ts defines: a file it
   * read while it was last loaded, or an entry of a directory it listed.
   * @param path An absolute path.
   * @returns True when build.ts should be loaded again.
   */
  loadRead(path: string): boolean {
    for (const leaf of this.#loadReads?.leaves ?? []) {
      if (leaf instanceof FileLeaf && leaf.path === path) return true;
      if (leaf instanceof ListingLeaf && leaf.covers(path)) return true;
    }
    return false;
  }

  /** Saves the state and releases the lock. */
  close(): void {
    if (this.#options.dryRun) {
      this.#lock?.close();
      return;
    }
    this.engine.close();
    this.#outputs.close();
    this.#lock?.close();
    this.#lock = undefined;
  }

  #removeStaleOutputs(project: Project): void {
    const dry = this.#options.dryRun;
    for (const path of this.#outputs.paths()) {
      if (project.producers.has(path)) continue;
      const abs = join(project.root, path);
      let content: Uint8Array | undefined;
      try {
        content = Deno.readFileSync(abs);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      if (content !== undefined) {
        const wrote = this.#outputs.digest(path);
        if (wrote !== "" && digestOf(content) === wrote) {
          if (!dry) {
            Deno.removeSync(abs);
            dropStatTakenAhead(abs);
          }
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

function requestsOf(project: Project, targets: readonly string[]): DepSpec[] {
  if (targets.length > 0) return project.normalizeDeps(targets);
  if (project.aliases.has("default")) return [{ kind: "alias", name: "default" }];
  return [...project.rules.values()]
    .filter((r) => r.targets.length > 0)
    .map((r) => ({ kind: "rule", id: r.id }));
}

/** How often a busy build lock is tried again, in milliseconds. */
const LOCK_RETRY_MS = 20;

/**
 * Takes the project's build lock, waiting for a build or clean that holds it.
 * `clean` deletes the state, lock file included, while holding the lock; a
 * lock then granted on the deleted file guards nothing, so it is taken again.
 * @param stateDir The state directory.
 * @param reporter Told when the lock is busy.
 * @param signal Stops waiting: the wait then throws a {@linkcode CancelledError}.
 * @returns The locked file; closing it releases the lock.
 */
export async function lockState(
  stateDir: string,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<Deno.FsFile> {
  let told = false;
  for (;;) {
    Deno.mkdirSync(stateDir, { recursive: true });
    const path = join(stateDir, BUILD_LOCK);
    const lock = await Deno.open(path, { create: true, write: true });
    while (!(await lock.tryLock(true))) {
      if (!told) {
        reporter.note?.(`Waiting for another build of this project to finish (${stateDir})`);
      }
      told = true;
      if (signal?.aborted) {
        lock.close();
        throw new CancelledError(signal.reason);
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
    if (isSameFile(lock, path)) return lock;
    lock.close();
  }
}

function isSameFile(file: Deno.FsFile, path: string): boolean {
  const held = file.statSync();
  try {
    const named = Deno.statSync(path);
    return held.ino === named.ino && held.dev === named.dev;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Flattens an error tree into distinct failures. */
function failuresOf(error: unknown): BuildFailure[] {
  const seen = new Set<unknown>();
  const out: BuildFailure[] = [];
  const visit = (e: unknown): void => {
    for (const x of errorsOf(e)) {
      if (x instanceof MemoError) {
        visit(x.cause);
        continue;
      }
      if (seen.has(x)) continue;
      seen.add(x);
      if (x instanceof RuleError) out.push({ rule: x.rule, message: x.message, output: x.output });
      else if (x instanceof CycleError) out.push({ message: x.message });
      else out.push({ message: messageOf(x) });
    }
  };
  visit(error);
  return out;
}
