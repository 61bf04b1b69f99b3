/**
 * Running one rule's action: refusing to overwrite a file barchan did not
 * create, claiming the targets in the outputs log before anything is
 * written, giving a function action its {@linkcode ActionContext} (or
 * performing a data action), checking that it wrote every declared target,
 * and recording the targets' digests with the steps the action took. Each
 * command and write goes through action_steps.ts, which replays it from the
 * last run, restores it from the action cache, or runs it in a job slot.
 * The build it belongs to (one_build.ts) decides when it runs.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import {
  isCancellation,
  MissingProgramError,
  ProcessError,
  type Scheduler,
  type SpawnResult,
} from "../../fiber/mod.ts";
import {
  contentDigest,
  digestOf,
  type Engine,
  fileClock,
  messageOf,
  pathPresent,
  readInput,
  readText,
  recordWrite,
  statPath,
} from "../../memo/mod.ts";
import { PROCESS_INPUT } from "./loader.ts";
import { type ActionContext, actionOfSpec, type RunOptions } from "../dsl/actions.ts";
import { RuleError } from "../dsl/errors.ts";
import type { OutputLog } from "./outputs.ts";
import { type DepSpec, normalizeDeps, normalizePath } from "../project/project.ts";
import type { Reporter } from "../report/reporter.ts";
import { removeIfPresent } from "../../fiber/_remove_if_present.ts";
import { CapturedOutput } from "../command/captured_output.ts";
import type { CommandSpec } from "../command/command.ts";
import type { CacheSource, CommandCache } from "../command/command_cache.ts";
import { type Step, targetState } from "../command/steps.ts";
import { sha256OfFile } from "../command/file_sha256.ts";
import { BUILD_DIR, OUTPUT_DIR, STATE_DIR } from "../state.ts";
import { needDepfile } from "../command/depfile.ts";
import { commandLine } from "../command/command.ts";
import {
  ActionSteps,
  type ActionStepsInit,
  type BuildEnvironment,
  cacheMinMs,
  type CommandOutcome,
  RestartAction,
} from "./action_steps.ts";
import { allowlistedEnvironment } from "../command/command_key.ts";
import { InputSet, type Need } from "./inputs.ts";
import {
  findSandbox,
  refusedWrite,
  type Sandbox,
  sandboxed,
  type SandboxedCommand,
} from "./sandbox.ts";
import { findProgram } from "../command/tool_digest.ts";
import type { BuildExecutor } from "./build_executor.ts";
import type { RemoteFiles } from "./remote_files.ts";
import { currentProject, type RuleValue } from "./nodes.ts";
import { displayOf, ruleKey, type RuleSpec } from "./specs.ts";
import { isDirDigest, isRealDirectory, recordTree, removeOwned } from "./dir_targets.ts";
import { readDirOutput } from "./dir_output.ts";

/**
 * How many times an action runs in one build when it must start again (its
 * replay diverged where its targets could not follow, or a file it found
 * changed while its commands ran).
 */
const MAX_ATTEMPTS = 3;

/** How far behind the real clock file times may be, where the kernel's clock cannot be read. */
const CLOCK_SLACK_MS = 20;

/** What an {@linkcode ActionRunner} works with: its build's state, and how it builds dependencies. */
export interface ActionRunnerInit {
  /** The project root. */
  root: string;
  /** The build's engine (for the values of built rules). */
  engine: Engine;
  /** Runs the commands, in job slots. */
  scheduler: Scheduler;
  /** The record of outputs barchan wrote. */
  outputs: OutputLog;
  /** Receives each action's start and end. */
  reporter: Reporter;
  /** Cancels the commands. */
  signal: AbortSignal;
  /** Say what would run; run and write nothing. */
  dryRun: boolean;
  /** The action cache, unless it is off. */
  cache?: CommandCache;
  /** The cache namespace. @default "" */
  namespace?: string;
  /** The remote executor, for rules that allow it. */
  executor?: BuildExecutor;
  /** The build's remote outputs (`--remote-download minimal`). */
  remoteFiles?: RemoteFiles;
  /** Builds dependencies an action discovers (`ctx.need`). */
  need(deps: readonly DepSpec[], from: RuleSpec): Promise<void>;
  /** Builds one path an action reads (`ctx.readText`); true when a rule produces it. */
  needPath(path: string, from: RuleSpec): Promise<boolean>;
  /** Where build.ts defines a rule, for messages. */
  siteOf(id: string): Promise<string>;
  /** Runs commands under bubblewrap (`--sandbox`). @default undefined */
  sandbox?: Sandbox;
  /** Told when a rule's action starts for real (not replayed). */
  started(rule: RuleSpec): void;
  /** Told when a command of a rule was restored from the cache. */
  restored?(rule: RuleSpec, source: CacheSource): void;
  /** Told why a command of a rule was not found in the cache. */
  missed?(rule: RuleSpec, reason: string): void;
  /** Told when a rule's action finished with a command run on the remote executor. */
  ranRemotely?(rule: RuleSpec): void;
}

/** What running a rule's action gave. */
export interface ActionOutcome {
  /** The rule's new value. */
  value: RuleValue;
  /**
   * `ran`: it ran (some command may have come from the cache); `restored`:
   * every command came from the cache; `replayed`: every step was as last
   * time, nothing ran.
   */
  status: "ran" | "restored" | "replayed";
}

/** What a replay starts from: the last run's steps, targets and found dependencies. */
type Replayable =
  | (NonNullable<ActionStepsInit["replay"]> & { found?: readonly Need[] })
  | undefined;

/** Errors an action got from building a dependency: the dependency's failures, not the action's. */
const dependencyFailures = new WeakSet<object>();

/** Awaits a dependency being built, marking its failure as the dependency's. */
async function theirFailure<T>(building: Promise<T>): Promise<T> {
  try {
    return await building;
  } catch (error) {
    if (typeof error === "object" && error !== null) dependencyFailures.add(error);
    throw error;
  }
}

/** Runs rules' actions for one build. */
export class ActionRunner {
  readonly root: string;
  readonly scheduler: Scheduler;
  readonly outputs: OutputLog;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  readonly dryRun: boolean;
  #init: ActionRunnerInit;
  /** What keys see of the environment, read once per build. */
  /** Bubblewrap, or why it cannot be used, once a rule asked for it. */
  #bubblewrap: Sandbox | string | undefined;
  #environment: BuildEnvironment = {
    allowlisted: allowlistedEnvironment(),
    path: Deno.env.get("PATH") ?? "",
    programs: new Map(),
    cacheMinMs: cacheMinMs(Deno.env.get("BARCHAN_CACHE_MIN_MS")),
  };

  constructor(init: ActionRunnerInit) {
    this.root = init.root;
    this.scheduler = init.scheduler;
    this.outputs = init.outputs;
    this.reporter = init.reporter;
    this.signal = init.signal;
    this.dryRun = init.dryRun;
    this.#init = init;
  }

  /**
   * Brings a rule's targets up to date by its action: replayed from its
   * last run's steps when its targets are as that run left them (nothing is
   * spawned while the steps match), else run, each command restored from
   * the action cache when found there. In a dry run it only reports the
   * action, and returns digests that say so.
   * @param rule The rule.
   * @param reason Why it runs, for the reporter.
   * @param previous Its value from its last successful run.
   * @returns Its new value, and whether the action ran.
   */
  async run(rule: RuleSpec, reason: string, previous?: RuleValue): Promise<ActionOutcome> {
    const display = displayOf(rule);
    if (this.dryRun) {
      this.#init.started(rule);
      this.reporter.actionStarted?.({
        rule: rule.id,
        command: display,
        reason,
        showsCommand: true,
      });
      const unknown: Record<string, string> = { "": `would run ${performance.now()}` };
      for (const t of rule.targets) unknown[t] = "would be rebuilt";
      return { value: { t: unknown }, status: "ran" };
    }
    let replay = await this.#replayable(rule, previous);
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#attempt(rule, reason, replay, attempt < MAX_ATTEMPTS);
      } catch (error) {
        if (!(error instanceof RestartAction)) throw error;
        replay = undefined;
      }
    }
  }

  /**
   * Builds dependencies a previous run found (for a replay, or named by a
   * cache manifest) as the action's own.
   * @returns Whether they built.
   */
  async #needFound(rule: RuleSpec, deps: readonly Need[], inputs: InputSet): Promise<boolean> {
    try {
      await this.#init.need(deps as DepSpec[], rule);
    } catch (error) {
      // One of them is gone (the rule's own error: no such file): the
      // action runs for real and finds what it needs now. A rule that fails
      // building one of them fails this rule as it would have anyway.
      if (error instanceof RuleError && error.rule === rule.id) return false;
      if (typeof error === "object" && error !== null) dependencyFailures.add(error);
      throw error;
    }
    inputs.add(deps);
    return true;
  }

  /** The last run's steps and what it found, when the targets are as it left them. */
  async #replayable(rule: RuleSpec, previous: RuleValue | undefined): Promise<Replayable> {
    if (previous?.c === undefined || previous.c.length === 0) return undefined;
    const targets: Record<string, string> = {};
    for (const t of rule.targets) {
      const recorded = previous.t[t];
      if (recorded === undefined) return undefined;
      if (rule.dirs.includes(t)) {
        // A tree is replayed when it still holds what the last run left.
        const tree = await readDirOutput(this.root, t);
        if (typeof tree === "string" || tree.fast !== recorded) return undefined;
        targets[t] = targetState(
          recorded,
          `${tree.tree.digest.hash}/${tree.tree.digest.sizeBytes}`,
        );
        continue;
      }
      const path = join(this.root, t);
      const now = await contentDigest(path);
      if (now !== recorded) return undefined;
      const { sha256 } = await sha256OfFile(path, recorded);
      targets[t] = targetState(recorded, `${sha256.hash}/${sha256.sizeBytes}`);
    }
    if (Object.keys(previous.t).length !== rule.targets.length) return undefined;
    return { steps: previous.c as Step[], targets, found: previous.n as Need[] | undefined };
  }

  async #attempt(
    rule: RuleSpec,
    reason: string,
    replay: Replayable,
    mayRetry: boolean,
  ): Promise<ActionOutcome> {
    const root = this.root;
    // When its first command started, on the clock file times are stamped
    // with: a dependency found later whose time is not before it may have
    // been edited while the command read it.
    let firstStart: number | undefined;
    let firstSpawn: number | undefined;
    let raced = false;
    const remoteFiles = this.#init.remoteFiles;
    const found = (deps: readonly DepSpec[]) => {
      if (firstStart === undefined) return;
      for (const dep of deps) {
        // Fetched from the executor after a command started: that command did not find it here.
        if (dep.kind === "path" && remoteFiles?.fetchedSince(dep.path, firstSpawn!)) {
          raced = true;
          continue;
        }
        // A target built in this build is new anyway; its own rule tracks it.
        if (dep.kind !== "path" || this.outputs.owns(dep.path)) continue;
        const path = resolve(root, dep.path);
        const info = statPath(path);
        if (info !== null && info.mtime >= firstStart) {
          raced = true;
          // What this build saw of it may predate the edit: the next attempt looks again.
          const engine = this.#init.engine;
          engine.recheckFile(engine.fileLeaf(path));
        }
      }
    };
    const display = new CapturedOutput({ spillPath: this.#spillPath(rule, "log") });
    const showsCommand = rule.action.kind === "data" &&
      (rule.action.spec[0] === "copy" || rule.action.spec[0] === "write");
    const event = { rule: rule.id, command: displayOf(rule), reason, showsCommand };
    let started = 0;
    let restored: CacheSource | undefined;
    let cacheMiss: string | undefined;
    let live = false;
    const goLive = async (remove: readonly string[]) => {
      // What its last run left on the executor is not its output any more.
      for (const t of rule.targets) remoteFiles?.log.forget(t);
      if (replay === undefined) await this.#prepareTargets(rule);
      else {
        this.outputs.claim(rule.targets);
        for (const t of remove) {
          if (!rule.dirs.includes(t)) removeIfPresent(join(root, t));
          else {
            // Not there yet at that step: as before the action runs, empty.
            removeOwned(join(root, t));
            Deno.mkdirSync(join(root, t), { recursive: true });
          }
        }
      }
      live = true;
      started = performance.now();
      this.reporter.actionStarted?.(event);
      this.#init.started(rule);
    };
    const inputs = new InputSet(root, this.#init.engine, rule.deps, remoteFiles?.isRemoteFn);
    if (replay?.found !== undefined && !(await this.#needFound(rule, replay.found, inputs))) {
      // What the last run found cannot be built now: no replay.
      replay = undefined;
    }
    // An action that may read files itself (not only through its commands,
    // which fetch what they may read when they run here), or whose commands
    // all run here, has what it depends on here before it starts.
    const remotely = this.#init.executor !== undefined && rule.remote && rule.cache &&
      rule.dirs.length === 0;
    if (remoteFiles !== undefined && remoteFiles.log.remoteCount > 0) {
      const paths = (await inputs.files()).map((f) => f.path);
      // Its commands refer to what is left remote: lost, it is made again first.
      if (commandsOnly(rule) && remotely) await remoteFiles.check(paths);
      else await remoteFiles.materialize(paths);
    }
    // What the action found it needs, fetched when something here may read
    // it: the action itself, or a command that ran here (which, fetched
    // after it started, did not find it: the action runs again).
    const fetchFound = async () => {
      if (
        remoteFiles === undefined || (commandsOnly(rule) && remotely && firstSpawn === undefined)
      ) {
        return;
      }
      await remoteFiles.materialize((await inputs.files()).map((f) => f.path));
    };
    const steps = new ActionSteps({
      root,
      targets: rule.targets,
      dirs: rule.dirs,
      replay,
      inputs,
      cache: rule.cache ? this.#init.cache : undefined,
      namespace: this.#init.namespace ?? "",
      environment: this.#environment,
      platform: rule.platform ?? undefined,
      // Rules that must not be cached are not sent where results are cached.
      executor: rule.remote && rule.cache ? this.#init.executor : undefined,
      remoteFiles,
      signal: this.signal,
      spillPath: (stream) => this.#spillPath(rule, stream),
      spawn: (spec, stdout, stderr) => {
        firstStart ??= fileClock() ?? Date.now() - CLOCK_SLACK_MS;
        firstSpawn ??= performance.now();
        return this.#spawn(rule, spec, stdout, stderr);
      },
      goLive,
      show: (chunk) => display.push(chunk),
      restored: (source) => {
        restored = source;
        this.#init.restored?.(rule, source);
      },
      need: (deps) => this.#needFound(rule, deps, inputs),
      missed: (why) => {
        cacheMiss = why;
        this.#init.missed?.(rule, why);
      },
    });
    const finish = (error?: string) => {
      display.close();
      this.reporter.actionFinished?.({
        ...event,
        output: display.display(),
        durationMs: performance.now() - started,
        error,
        restored: steps.spawned ? undefined : restored,
        cacheMiss: steps.spawned ? cacheMiss : undefined,
        remote: steps.remote || undefined,
      });
      if (steps.remote) this.#init.ranRemotely?.(rule);
    };
    if (replay === undefined) await goLive([]);
    let recorded: Step[];
    try {
      const ctx = this.#context(rule, steps, inputs, found, fetchFound);
      if (rule.action.kind === "data") await actionOfSpec(rule.action.spec).perform(ctx);
      else await (await this.#functionOf(rule))(ctx);
      const missing = rule.targets.filter((t) =>
        !pathPresent(join(root, t)) && !remoteFiles?.isRemote(t)
      );
      const notDir = rule.dirs.find((d) => !isRealDirectory(join(root, d)));
      if (notDir !== undefined) {
        throw await this.#problem(
          rule,
          `the action left no directory at "${notDir}", which it should fill (a directory ` +
            `target): it is created empty before the action runs; leave a directory there`,
        );
      }
      if (missing.length > 0) {
        throw await this.#problem(
          rule,
          `the action did not write its declared target${missing.length > 1 ? "s" : ""} ` +
            missing.map((t) => `"${t}"`).join(", "),
        );
      }
      // A file it found after a command started changed around then: what
      // the command read is not known to be what the file holds. Again; and
      // never into the cache.
      if (raced && mayRetry) throw new RestartAction();
      recorded = await steps.finish({ store: !raced });
      if (raced) {
        readInput(PROCESS_INPUT);
        this.reporter.note?.(
          `${rule.id}: a file it depends on kept changing while its commands ran; ` +
            `the next build runs it again`,
        );
      }
    } catch (error) {
      if (error instanceof RestartAction || steps.mustRestart) throw new RestartAction();
      // A dependency's failure is that dependency's, reported once, as it is.
      const theirs = dependencyFailures.has(error as object);
      if (!live) {
        // The replay failed before it touched anything: the targets are as
        // the last run left them, still barchan's.
        if (isCancellation(error) || theirs) throw error;
        throw await this.#asRuleError(rule, error, "");
      }
      // Nothing of barchan's is left at these paths: a file someone puts
      // there before the next build is theirs, and must not be overwritten.
      for (const t of rule.targets) {
        if (rule.dirs.includes(t)) removeOwned(join(root, t));
        else removeIfPresent(join(root, t));
        this.outputs.release(t);
        remoteFiles?.log.forget(t);
        // The engine learns they are gone, so that a watch session does not
        // take their deletion for an edit to repair.
        recordWrite(t);
      }
      if (isCancellation(error)) throw error;
      if (theirs) {
        finish("a dependency it needed failed");
        throw error;
      }
      let failure = await this.#asRuleError(rule, error, display.display());
      const refused = this.#init.sandbox === undefined && !rule.sandbox
        ? undefined
        : refusedWrite(failure.output ?? "");
      if (refused !== undefined) {
        failure = new RuleError({
          rule: failure.rule,
          site: failure.site,
          message:
            `${failure.message}; under ${
              this.#init.sandbox === undefined ? "sandbox: true" : "--sandbox"
            } the project is read-only but for the ` +
            `rule's targets, and it tried to write elsewhere (${refused}): declare what it writes ` +
            `as targets`,
          command: failure.command,
          code: failure.code,
          output: failure.output,
        });
      }
      finish(failure.message);
      throw failure;
    }
    const digests: Record<string, string> = {};
    for (const t of rule.targets) {
      const digest = rule.dirs.includes(t) ? recordTree(root, t) : recordWrite(t) ?? "";
      digests[t] = digest;
      if (live) this.outputs.wrote(t, digest);
    }
    const value: RuleValue = { t: digests };
    if (recorded.length > 0) value.c = recorded;
    if (inputs.found.length > 0) value.n = [...inputs.found];
    if (!live) return { value, status: "replayed" };
    finish();
    return { value, status: steps.spawned || restored === undefined ? "ran" : "restored" };
  }

  /** Refuses to overwrite what barchan did not write, claims the targets, clears them. */
  async #prepareTargets(rule: RuleSpec): Promise<void> {
    const root = this.root;
    const present = rule.targets.map((t) => pathPresent(join(root, t)));
    for (let i = 0; i < rule.targets.length; i++) {
      const t = rule.targets[i];
      if (present[i] && !this.outputs.owns(t) && rule.dirs.includes(t)) {
        throw await this.#problem(
          rule,
          `refusing to fill "${t}": it exists and barchan did not create it, and a directory ` +
            `target is emptied before its action runs; move or delete it (rm -r ${t}), or ` +
            `change the rule's targets`,
        );
      }
      if (present[i] && !this.outputs.owns(t)) {
        throw await this.#problem(
          rule,
          `refusing to overwrite "${t}": it exists and barchan did not create it; ` +
            `move or delete it, or change the rule's targets`,
        );
      }
    }
    this.outputs.claim(rule.targets);
    rule.targets.forEach((t, i) => {
      const path = join(root, t);
      // What barchan wrote there, a tree included (a file target that was a directory target).
      if (present[i]) {
        if (isDirDigest(this.outputs.digest(t)) || rule.dirs.includes(t)) removeOwned(path);
        else removeIfPresent(path);
      }
      Deno.mkdirSync(rule.dirs.includes(t) ? path : dirname(path), { recursive: true });
    });
  }

  #spillPath(rule: RuleSpec, stream: string): string {
    return join(this.root, STATE_DIR, OUTPUT_DIR, `${digestOf(rule.id)}.${stream}`);
  }

  /** A function action, from build.ts as this process evaluated it. */
  async #functionOf(rule: RuleSpec): Promise<(ctx: ActionContext) => Promise<void> | void> {
    const { project, specs } = await currentProject();
    const defined = project.rules.get(rule.id);
    if (
      defined === undefined || typeof defined.action !== "function" ||
      specs.specs.get(ruleKey(rule.id))?.key !== rule.key
    ) {
      throw new Error(
        `build.ts defines rule "${rule.id}" differently each time it is evaluated: what it ` +
          `depends on is outside what barchan sees (the clock, the network, randomness)`,
      );
    }
    return defined.action;
  }

  #context(
    rule: RuleSpec,
    steps: ActionSteps,
    inputs: InputSet,
    found: (deps: readonly DepSpec[]) => void,
    fetchFound: () => Promise<void>,
  ): ActionContext {
    const root = this.root;
    const command = async (spec: CommandSpec, quiet?: boolean): Promise<CommandOutcome> => {
      try {
        return await steps.command(spec, { quiet });
      } catch (error) {
        throw await this.#commandError(rule, spec, error);
      }
    };
    const spec = (program: string, args: readonly string[], options: RunOptions) => ({
      program,
      args,
      env: options.env ?? {},
      cwd: options.cwd === undefined ? "" : normalizePath(root, options.cwd),
      stdin: options.stdin,
      outputs: rule.targets,
      dirs: rule.dirs,
    });
    // A command with a depfile: the depfile may be written too, and what it
    // names is needed once the command ran.
    const withDepfile = async (spec: CommandSpec, options: RunOptions): Promise<SpawnResult> => {
      if (options.depfile === undefined) return await command(spec, options.quiet);
      const path = normalizePath(root, options.depfile);
      const kept = rule.targets.includes(path);
      if (!kept && !path.startsWith(`${BUILD_DIR}/`)) {
        throw await this.#problem(
          rule,
          `names the depfile "${path}", which is neither one of its targets nor under ` +
            `${BUILD_DIR}/: make it a target, or write it under ${BUILD_DIR}/`,
        );
      }
      // A depfile left by a command that was stopped says nothing of this run.
      if (!kept) removeIfPresent(join(root, path));
      const outcome = await command(
        kept ? spec : { ...spec, outputs: [...spec.outputs, path] },
        options.quiet,
      );
      // A depfile that is a target may have stayed on the executor: it is read here.
      if (kept) await this.#init.remoteFiles?.materialize([path]);
      if (await Deno.lstat(join(root, path)).then(() => true, () => false)) {
        await needDepfile(context, path, {
          outside: options.depfileOutside ?? true,
          cwd: spec.cwd,
        });
        if (!kept) removeIfPresent(join(root, path));
      } else if (outcome.ran) {
        throw await this.#problem(
          rule,
          `ran ${commandLine(spec.program, spec.args)}, which did not write its depfile ` +
            `"${path}": make the command write it (gcc -MD -MF ${path})`,
        );
      }
      // Replayed or restored: the dependencies it found were needed before.
      return outcome;
    };
    const context: ActionContext = {
      rule: rule.id,
      targets: rule.targets,
      root,
      signal: this.signal,
      need: async (...deps) => {
        const normal = normalizeDeps(root, deps);
        await theirFailure(this.#init.need(normal, rule));
        inputs.add(normal);
        await fetchFound();
        found(normal);
      },
      inputs: async () => (await inputs.files()).map((file) => file.path),
      run: (cmd, args = [], options = {}) => withDepfile(spec(cmd, args, options), options),
      sh: (script, options = {}) => withDepfile(spec("sh", ["-c", script], options), options),
      readText: async (path) => {
        const p = normalizePath(root, path);
        inputs.add([{ kind: "path", path: p }]);
        found([{ kind: "path", path: p }]);
        // A built file is already a dependency through its target's digest.
        // Tracking the file too would rerun this rule after its producer
        // repaired a target modified outside the build, content unchanged.
        if (await theirFailure(this.#init.needPath(p, rule))) {
          await this.#init.remoteFiles?.materialize([p]);
          return await Deno.readTextFile(join(root, p));
        }
        return await readText(p);
      },
      writeText: async (path, text) => {
        const p = normalizePath(root, path);
        const inDir = rule.dirs.some((d) => p.startsWith(d + "/"));
        if (!rule.targets.includes(p) && !inDir) {
          throw await this.#problem(rule, `writes "${p}", which is not one of its targets`);
        }
        if (inDir) await Deno.mkdir(dirname(join(root, p)), { recursive: true });
        await steps.write(p, text);
      },
    };
    return context;
  }

  async #spawn(
    rule: RuleSpec,
    spec: CommandSpec,
    stdout: (chunk: Uint8Array) => void,
    stderr: (chunk: Uint8Array) => void,
  ): Promise<{ durationMs: number }> {
    const cwd = join(this.root, spec.cwd);
    let program = spec.program;
    let args = [...spec.args];
    let sandbox: SandboxedCommand | undefined;
    const bubblewrap = this.#init.sandbox ??
      (rule.sandbox ? await this.#ruleSandbox(rule) : undefined);
    if (bubblewrap !== undefined) {
      // Under bubblewrap a missing program would be bubblewrap's error.
      if (findProgram(spec.program, cwd, spec.env.PATH ?? this.#environment.path) === null) {
        throw new MissingProgramError(spec.program);
      }
      sandbox = sandboxed(bubblewrap, this.root, spec.outputs, spec.program, spec.args, {
        dirs: rule.dirs,
      });
      ({ program, args } = sandbox);
    }
    try {
      const result = await this.scheduler.spawn(program, args, {
        cwd,
        env: { ...spec.env },
        stdin: spec.stdin === undefined ? "null" : { text: spec.stdin },
        stdout,
        stderr,
        signal: this.signal,
        label: rule.id,
      });
      return { durationMs: result.durationMs };
    } finally {
      sandbox?.done();
    }
  }

  /** Bubblewrap for a rule with `sandbox: true`, found once per build. */
  async #ruleSandbox(rule: RuleSpec): Promise<Sandbox> {
    this.#bubblewrap ??= findSandbox();
    if (typeof this.#bubblewrap === "string") {
      throw new RuleError({
        rule: rule.id,
        site: await this.#init.siteOf(rule.id),
        message: `its rule says sandbox: true, and ${
          this.#bubblewrap.replace("--sandbox runs", "a sandbox runs")
            .replace("build without --sandbox", "remove sandbox: true from the rule")
        }`,
      });
    }
    return this.#bubblewrap;
  }

  async #commandError(rule: RuleSpec, spec: CommandSpec, error: unknown): Promise<unknown> {
    const line = [spec.program, ...spec.args].join(" ");
    if (error instanceof MissingProgramError) {
      return new RuleError({
        rule: rule.id,
        site: await this.#init.siteOf(rule.id),
        message: `program not found: ${spec.program}`,
      });
    }
    if (error instanceof ProcessError) {
      const how = error.signal !== null
        ? `was killed by ${error.signal}`
        : `exited with code ${error.code}`;
      return new RuleError({
        rule: rule.id,
        site: await this.#init.siteOf(rule.id),
        message: `command ${how}: ${line}`,
        command: line,
        code: error.code,
        cause: error,
      });
    }
    return error;
  }

  async #problem(rule: RuleSpec, message: string): Promise<RuleError> {
    return new RuleError({ rule: rule.id, site: await this.#init.siteOf(rule.id), message });
  }

  async #asRuleError(rule: RuleSpec, error: unknown, output: string): Promise<RuleError> {
    if (error instanceof RuleError) {
      return new RuleError({
        rule: error.rule,
        site: error.site,
        message: error.message.replace(/ \(rule [^)]*\)$/, ""),
        command: error.command,
        code: error.code,
        output,
      });
    }
    return new RuleError({
      rule: rule.id,
      site: await this.#init.siteOf(rule.id),
      message: messageOf(error),
      output,
    });
  }
}

/**
 * Whether a rule's action reads files only through the commands it runs
 * (`run` and `sh`): those fetch what they may read before running here.
 */
function commandsOnly(rule: RuleSpec): boolean {
  if (rule.action.kind !== "data") return false;
  const spec = rule.action.spec;
  // A command with a depfile: `depfile` and its two arguments first (dsl/actions.ts).
  const kind = spec[0] === "depfile" ? spec[3] : spec[0];
  return kind === "run" || kind === "sh";
}
