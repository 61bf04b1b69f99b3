/**
 * One build in progress: its state (engine, scheduler, outputs, reporter,
 * what ran and why) and how dependencies are resolved (a rule's target, a
 * source file, an alias, a glob). What a path resolves to comes from the
 * specs (specs.ts) through memo nodes, so a target moving to another rule
 * is a change the rules depending on it see. Running a rule's action is
 * action_runner.ts's.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { forkAndJoin, parallelIter, type Scheduler } from "../../fiber/mod.ts";
import {
  CycleError,
  directoryAt,
  type Engine,
  type ExecutionInfo,
  glob,
  messageOf,
  pathPresent,
  stat,
} from "../../memo/mod.ts";
import { closest, RuleError } from "../dsl/errors.ts";
import type { OutputLog } from "./outputs.ts";
import { type DepSpec, normalizeDeps, type Project } from "../project/project.ts";
import { cycleMessage } from "./cycle_message.ts";
import { isOsError, withOsHint } from "./os_errors.ts";
import type { ActionFinished, Reporter } from "../report/reporter.ts";
import { BUILD_DIR } from "../state.ts";
import { ActionRunner } from "./action_runner.ts";
import { isDirDigest } from "./dir_targets.ts";
import type { CommandCache } from "../command/command_cache.ts";
import type { Sandbox } from "./sandbox.ts";
import type { BuildExecutor } from "./build_executor.ts";
import type { RemoteFiles } from "./remote_files.ts";
import { globMatches } from "./remote_globs.ts";
import type { LoadedProject } from "./loader.ts";
import { buildAlias, buildRule, buildTarget, ruleSpec, type RuleValue } from "./nodes.ts";
import {
  type AliasSpec,
  globKey,
  type GlobSpec,
  producerKey,
  type ProducerSpec,
  type ResolvedDep,
  type RuleSpec,
} from "./specs.ts";

/** The least number of dependencies built at once (see `OneBuild#fanOut`). */
const MIN_FAN_OUT = 16;

/** Directories globs never enter: build outputs and barchan's state. */
export const SKIPPED_BY_GLOBS: readonly string[] = [BUILD_DIR];

/** A rule that executed in this build, and why. */
export interface RanRule {
  /** The rule id. */
  rule: string;
  /** Why it ran. */
  reason: string;
}

/** What a {@linkcode OneBuild} works with. */
export interface OneBuildInit {
  /** The project root. */
  root: string;
  engine: Engine;
  scheduler: Scheduler;
  outputs: OutputLog;
  reporter: Reporter;
  signal: AbortSignal;
  /** Say what would run; run and write nothing. */
  dryRun?: boolean;
  /** The action cache, unless it is off. */
  cache?: CommandCache;
  /** The cache namespace. @default "" */
  namespace?: string;
  /** Runs commands under bubblewrap. @default undefined */
  sandbox?: Sandbox;
  /** The remote executor, if the build has one. */
  executor?: BuildExecutor;
  /** The build's remote outputs (`--remote-download minimal`). */
  remoteFiles?: RemoteFiles;
  /**
   * The project evaluated in this process, without a dependency on it (for
   * messages), evaluating build.ts when needed.
   */
  project(): Promise<LoadedProject>;
}

/** A dependency as written, or as its spec resolved it. */
type Need = DepSpec | ResolvedDep;

/** The state of one build. */
export class OneBuild {
  readonly root: string;
  readonly engine: Engine;
  readonly scheduler: Scheduler;
  readonly outputs: OutputLog;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  /** Say what would run; run and write nothing. */
  readonly dryRun: boolean;
  /** Rules whose action ran, in order (restored ones included). */
  readonly ran: RanRule[] = [];
  /** Rules whose every command was restored from an action cache. */
  readonly restored: string[] = [];
  /** Why commands were not found in the action cache, by rule. */
  readonly misses = new Map<string, string>();
  /** Rules whose action ran a command on the remote executor. */
  readonly remote: string[] = [];
  #reasons = new Map<string, string>();
  #runner: ActionRunner;
  #project: () => Promise<LoadedProject>;
  #remoteJobs: number;
  /** The build's remote outputs (`--remote-download minimal`), if it may leave some. */
  readonly remoteFiles: RemoteFiles | undefined;

  constructor(init: OneBuildInit) {
    this.root = init.root;
    this.dryRun = init.dryRun ?? false;
    this.engine = init.engine;
    this.scheduler = init.scheduler;
    this.outputs = init.outputs;
    this.reporter = init.reporter;
    this.signal = init.signal;
    this.#project = init.project;
    this.#remoteJobs = init.executor?.jobs ?? 0;
    this.remoteFiles = init.remoteFiles;
    this.#runner = new ActionRunner({
      root: this.root,
      engine: this.engine,
      cache: init.cache,
      namespace: init.namespace,
      sandbox: init.sandbox,
      executor: init.executor?.configured ? init.executor : undefined,
      remoteFiles: init.remoteFiles,
      ranRemotely: (rule) => this.remote.push(rule.id),
      started: (rule) => this.ran.push({ rule: rule.id, reason: this.#reasonOf(rule.id) }),
      missed: (rule, reason) => this.misses.set(rule.id, reason),
      scheduler: this.scheduler,
      outputs: this.outputs,
      reporter: withHints(this.reporter),
      signal: this.signal,
      dryRun: this.dryRun,
      need: (deps, from) => this.#needFromAction(deps, from),
      needPath: (path, from) => this.needPath(path, from),
      siteOf: (id) => this.siteOf(id),
    });
  }

  /**
   * Records why a rule is about to be brought up to date. Its action may
   * still not run (a dependency may fail): `ran` gets it when the action starts.
   */
  willRun(rule: string, reason: string): void {
    this.#reasons.set(rule, reason);
  }

  /**
   * Says in words why a rule's action runs.
   * @param call What the engine says about the execution.
   * @returns The reason, e.g. `dep src/a.c changed`, `target out/a was modified outside the build`.
   */
  explain(call: ExecutionInfo): string {
    const id = call.input as string;
    if (call.reason === "new") return "new rule (never built before)";
    if (call.reason === "failed") return "its last build failed";
    if (call.reason === "code changed") return "barchan's rule engine changed";
    if (call.changedFile !== undefined) {
      const path = this.normalizePath(call.changedFile);
      const previous = this.engine.lastValue("barchan.rule", id) as RuleValue | undefined;
      if (previous !== undefined && (path in previous.t || insideTree(previous, path))) {
        return pathPresent(call.changedFile)
          ? `target ${path} was modified outside the build`
          : `target ${path} is missing`;
      }
      return `dep ${path} changed`;
    }
    if (call.changedCall !== undefined) {
      const { name, input } = call.changedCall;
      if (name === "barchan.spec") {
        return "its definition in build.ts changed (action, deps or targets)";
      }
      if (name === "barchan.rule") {
        const value = this.engine.lastValue("barchan.rule", input) as RuleValue | undefined;
        const what = Object.keys(value?.t ?? {}).filter((t) => t !== "").join(", ") ||
          String(input);
        return this.dryRun
          ? `dep ${what} would be rebuilt`
          : `dep ${what} was rebuilt with new content`;
      }
      if (name === "barchan.target") {
        const { path } = input as { path: string };
        return this.dryRun
          ? `dep ${path} would be rebuilt`
          : `dep ${path} was rebuilt with new content`;
      }
      if (name === "barchan.alias") return `alias @${input} changed`;
      return `dynamic dep ${name}(${JSON.stringify(input)}) changed`;
    }
    return call.reason;
  }

  /**
   * How many dependencies of one rule (or alias, or glob) are built at once.
   * Each one in progress holds a chain of suspended calls (its rule, its
   * action, its command waiting for a job slot), about 12 KB; with no bound,
   * a cold build of 10,000 copies held all of them at once, and peaked at
   * 380 MB against 265 MB. Four times the job slots, local and remote, keep
   * every slot busy.
   */
  get #fanOut(): number {
    return Math.max(MIN_FAN_OUT, 4 * (this.scheduler.jobs + this.#remoteJobs));
  }

  /** A path given on the command line or to a build, normalised. */
  normalizePath(path: string): string {
    const rel = path.startsWith(this.root + "/") ? path.slice(this.root.length + 1) : path;
    return normalizeDeps(this.root, [rel]).map((d) => d.kind === "path" ? d.path : rel)[0];
  }

  /**
   * What a request's targets and `@aliases` are as dependencies.
   * @param targets As given.
   * @returns Their normal form.
   */
  normalizeRequest(targets: readonly string[]): DepSpec[] {
    return normalizeDeps(this.root, [...targets]);
  }

  /**
   * Builds dependencies in parallel, reporting every failure.
   * @param deps The dependencies.
   * @param from The rule needing them, if any.
   */
  async need(deps: readonly Need[], from: RuleSpec | undefined): Promise<void> {
    if (deps.length === 1) return await this.#needOne(deps[0], from);
    await parallelIter(deps, (dep) => this.#needOne(dep, from), { limit: this.#fanOut });
  }

  /**
   * Builds what an action discovers (`ctx.need`). A cycle through it fails
   * the action, whose error keeps the message only: it is given here, with
   * the location of each rule and alias in the cycle.
   */
  async #needFromAction(deps: readonly Need[], from: RuleSpec): Promise<void> {
    try {
      await this.need(deps, from);
    } catch (error) {
      if (!(error instanceof CycleError)) throw error;
      let project: Project | undefined;
      try {
        project = (await this.#project()).project;
      } catch {
        // build.ts does not load: no locations.
      }
      throw await this.problem(from, cycleMessage(error.frames, project));
    }
  }

  async #needOne(dep: Need, from: RuleSpec | undefined): Promise<void> {
    switch (dep.kind) {
      case "path":
        await this.needPath(dep.path, from, "producer" in dep ? dep : undefined);
        return;
      case "rule":
        await buildRule(dep.id);
        return;
      case "alias":
        await buildAlias(dep.name);
        return;
      case "glob": {
        const [paths, produced] = await Promise.all([
          glob(dep.pattern, { skip: [...SKIPPED_BY_GLOBS] }),
          ruleSpec(globKey(dep.pattern)) as Promise<GlobSpec>,
        ]);
        const matched = globMatches(paths, produced.produced, this.remoteFiles?.isRemoteFn);
        await parallelIter(matched, (p) => {
          const producer = produced.produced[p];
          return this.needPath(
            p,
            from,
            { producer: producer?.rule ?? null, single: producer?.single ?? false },
          );
        }, { limit: this.#fanOut });
      }
    }
  }

  /**
   * Builds a path: runs its rule, or checks that the source file exists.
   * @param path Project-relative path.
   * @param from The rule needing it, if any.
   * @param resolved What produces it, when the rule's spec says.
   * @returns Whether a rule produces it.
   */
  async needPath(
    path: string,
    from: RuleSpec | undefined,
    resolved?: { producer: string | null; single: boolean },
  ): Promise<boolean> {
    const producer = resolved !== undefined
      ? (resolved.producer === null ? null : { rule: resolved.producer, single: resolved.single })
      : await ruleSpec(producerKey(path)) as ProducerSpec | null;
    if (producer !== null) {
      // A rule's value is its targets' digests: for a single target, that is
      // the target's own digest, so only rules with several go through a
      // per-target node (for a cutoff per target).
      if (producer.single) await buildRule(producer.rule);
      else await buildTarget({ path, rule: producer.rule });
      return true;
    }
    // Absolute, so that a path requested outside any rule (no memo frame to
    // resolve it against the root) is not looked up in the process's directory.
    const info = await stat(resolve(this.root, path));
    if (info === null) throw await this.problem(from, await this.#missingMessage(path));
    if (info.isDirectory) {
      throw await this.problem(
        from,
        `"${path}" is a directory: depend on its files, or on a glob such as "${path}/**"`,
      );
    }
    return false;
  }

  /**
   * Builds what an alias names: its dependencies and its rules, together.
   * @param spec The alias.
   */
  async needAlias(spec: AliasSpec): Promise<void> {
    await forkAndJoin(
      () => this.need(spec.deps, undefined),
      () => parallelIter(spec.rules, (id) => buildRule(id), { limit: this.#fanOut }),
    );
  }

  /**
   * The error for an alias that build.ts does not define.
   * @param name The alias.
   * @param from The rule that needed it, if any.
   * @returns The error, naming the closest alias there is.
   */
  async noSuchAlias(name: string, from: RuleSpec | undefined): Promise<Error> {
    const { project } = await this.#project();
    const guess = closest(name, project.aliases.keys());
    return await this.problem(
      from,
      `no alias "@${name}"${guess === undefined ? "" : ` (did you mean "@${guess}"?)`}`,
    );
  }

  /**
   * Runs a rule's action (action_runner.ts) and returns its value; the rule
   * is added to `ran` when its action starts for real (a replay that
   * matches every step of the last run does not count).
   * @param spec The rule.
   * @param previous Its value from its last successful run.
   * @returns Its value.
   */
  async execute(spec: RuleSpec, previous: RuleValue | undefined): Promise<RuleValue> {
    if (!this.dryRun) {
      const directory = spec.targets.find((t) =>
        !spec.dirs.includes(t) && !isDirDigest(this.outputs.digest(t)) &&
        directoryAt(join(this.root, t))
      );
      if (directory !== undefined) {
        throw await this.problem(
          spec,
          `"${directory}" is a directory, where the rule's target file should be: targets are ` +
            `files. Remove the directory if nothing in it is yours to keep (rm -r ${directory}), ` +
            `or change the rule's targets to name the files in it`,
        );
      }
    }
    let outcome;
    try {
      outcome = await this.#runner.run(spec, this.#reasonOf(spec.id), previous);
    } catch (error) {
      // What the file system refused around the action (removing its old
      // targets, recording its outputs), named with the rule; a
      // dependency's failure stays the dependency's.
      if (error instanceof RuleError || !isOsError(error)) throw error;
      throw await this.problem(spec, withOsHint(messageOf(error)));
    }
    const { value, status } = outcome;
    if (status === "restored") this.restored.push(spec.id);
    if (this.dryRun) return value;
    const made = spec.targets.find((t) =>
      !spec.dirs.includes(t) && directoryAt(join(this.root, t))
    );
    if (made !== undefined) {
      throw await this.problem(
        spec,
        `the action made a directory at "${made}", where its target should be a file: name ` +
          `the files it writes in that directory as the rule's targets instead`,
      );
    }
    return value;
  }

  #reasonOf(id: string): string {
    return this.#reasons.get(id) ?? "new rule (never built before)";
  }

  /**
   * Where build.ts defines a rule, for messages.
   * @param id The rule.
   * @returns `build.ts:line`, or `build.ts`.
   */
  async siteOf(id: string): Promise<string> {
    try {
      const { project } = await this.#project();
      return project.rules.get(id)?.site ?? project.file.slice(project.root.length + 1);
    } catch {
      return "build.ts";
    }
  }

  /**
   * The error for a problem found while building: a RuleError when a rule
   * needed what failed, a plain Error for a request from outside any rule.
   * @param from The rule, if any.
   * @param message What went wrong.
   * @returns The error.
   */
  async problem(from: RuleSpec | undefined, message: string): Promise<Error> {
    if (from === undefined) return new Error(message);
    return new RuleError({ rule: from.id, site: await this.siteOf(from.id), message });
  }

  async #missingMessage(path: string): Promise<string> {
    if (path.includes("\uFFFD")) {
      // The runtime lists a name that is not UTF-8 with U+FFFD in place of
      // the bytes it cannot decode, and no file has that name.
      return `cannot read "${path}": its name is not valid UTF-8 (\uFFFD stands for the ` +
        `bytes that are not), and barchan names files in UTF-8; rename it (for instance ` +
        `with convmv -f latin1 -t utf8), or keep it out of the rule's globs`;
    }
    const candidates = new Set<string>();
    try {
      const { project } = await this.#project();
      for (const target of project.producers.keys()) candidates.add(target);
    } catch {
      // build.ts does not load: no targets to suggest
    }
    try {
      const dir = dirname(path);
      for (const e of Deno.readDirSync(join(this.root, dir))) {
        candidates.add(dir === "." ? e.name : `${dir}/${e.name}`);
      }
    } catch {
      // the directory does not exist either
    }
    const guess = closest(path, candidates);
    return `no rule to build "${path}" and no such file` +
      (guess === undefined ? "" : ` (did you mean "${guess}"?)`);
  }
}

/**
 * The reporter, with what to do added to each failed action's
 * operating-system error; every other event passes as it is.
 */
function withHints(reporter: Reporter): Reporter {
  const finished = reporter.actionFinished;
  if (finished === undefined) return reporter;
  const actionFinished = (event: ActionFinished) =>
    finished.call(
      reporter,
      event.error === undefined ? event : { ...event, error: withOsHint(event.error) },
    );
  return new Proxy(reporter, {
    get(target, key) {
      if (key === "actionFinished") return actionFinished;
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Whether a path is inside one of the directory targets a rule's value records. */
function insideTree(value: RuleValue, path: string): boolean {
  for (const [target, digest] of Object.entries(value.t)) {
    if (isDirDigest(digest) && path.startsWith(target + "/")) return true;
  }
  return false;
}
