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
import { dirname, join } from "node:path";
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
import { OUTPUT_DIR, STATE_DIR } from "../state.ts";
import { ActionSteps, type ActionStepsInit, RestartAction } from "./action_steps.ts";
import { InputSet } from "./inputs.ts";
import { currentProject, type RuleValue } from "./nodes.ts";
import { displayOf, ruleKey, type RuleSpec } from "./specs.ts";

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
  /** Builds dependencies an action discovers (`ctx.need`). */
  need(deps: readonly DepSpec[], from: RuleSpec): Promise<void>;
  /** Builds one path an action reads (`ctx.readText`); true when a rule produces it. */
  needPath(path: string, from: RuleSpec): Promise<boolean>;
  /** Where build.ts defines a rule, for messages. */
  siteOf(id: string): Promise<string>;
  /** Told when a rule's action starts for real (not replayed). */
  started(rule: RuleSpec): void;
  /** Told when a command of a rule was restored from the cache. */
  restored?(rule: RuleSpec, source: CacheSource): void;
  /** Told why a command of a rule was not found in the cache. */
  missed?(rule: RuleSpec, reason: string): void;
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

/** Runs rules' actions for one build. */
export class ActionRunner {
  readonly root: string;
  readonly scheduler: Scheduler;
  readonly outputs: OutputLog;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  readonly dryRun: boolean;
  #init: ActionRunnerInit;

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
      this.reporter.actionStarted?.({ rule: rule.id, command: display, reason });
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

  /** The last run's steps, when the targets are as it left them. */
  async #replayable(
    rule: RuleSpec,
    previous: RuleValue | undefined,
  ): Promise<ActionStepsInit["replay"]> {
    if (previous?.c === undefined || previous.c.length === 0) return undefined;
    const targets: Record<string, string> = {};
    for (const t of rule.targets) {
      const recorded = previous.t[t];
      if (recorded === undefined) return undefined;
      const path = join(this.root, t);
      const now = await contentDigest(path);
      if (now !== recorded) return undefined;
      const { sha256 } = await sha256OfFile(path, recorded);
      targets[t] = targetState(recorded, `${sha256.hash}/${sha256.sizeBytes}`);
    }
    if (Object.keys(previous.t).length !== rule.targets.length) return undefined;
    return { steps: previous.c as Step[], targets };
  }

  async #attempt(
    rule: RuleSpec,
    reason: string,
    replay: ActionStepsInit["replay"],
    mayRetry: boolean,
  ): Promise<ActionOutcome> {
    const root = this.root;
    // When its first command started, on the clock file times are stamped
    // with: a dependency found later whose time is not before it may have
    // been edited while the command read it.
    let firstStart: number | undefined;
    let raced = false;
    const found = (deps: readonly DepSpec[]) => {
      if (firstStart === undefined || raced) return;
      for (const dep of deps) {
        // A target built in this build is new anyway; its own rule tracks it.
        if (dep.kind !== "path" || this.outputs.owns(dep.path)) continue;
        const info = statPath(join(root, dep.path));
        if (info !== null && info.mtime >= firstStart) raced = true;
      }
    };
    const display = new CapturedOutput({ spillPath: this.#spillPath(rule, "log") });
    const event = { rule: rule.id, command: displayOf(rule), reason };
    let started = 0;
    let restored: CacheSource | undefined;
    let live = false;
    const goLive = async (remove: readonly string[]) => {
      if (replay === undefined) await this.#prepareTargets(rule);
      else {
        this.outputs.claim(rule.targets);
        for (const t of remove) removeIfPresent(join(root, t));
      }
      live = true;
      started = performance.now();
      this.reporter.actionStarted?.(event);
      this.#init.started(rule);
    };
    const inputs = new InputSet(root, this.#init.engine);
    inputs.add(rule.deps);
    const steps = new ActionSteps({
      root,
      targets: rule.targets,
      replay,
      inputs,
      cache: rule.cache ? this.#init.cache : undefined,
      namespace: this.#init.namespace ?? "",
      spillPath: (stream) => this.#spillPath(rule, stream),
      spawn: (spec, stdout, stderr) => {
        firstStart ??= fileClock() ?? Date.now() - CLOCK_SLACK_MS;
        return this.#spawn(rule, spec, stdout, stderr);
      },
      goLive,
      show: (chunk) => display.push(chunk),
      restored: (source) => {
        restored = source;
        this.#init.restored?.(rule, source);
      },
      missed: (why) => this.#init.missed?.(rule, why),
    });
    const finish = (error?: string) => {
      display.close();
      this.reporter.actionFinished?.({
        ...event,
        output: display.display(),
        durationMs: performance.now() - started,
        error,
        restored: steps.spawned ? undefined : restored,
      });
    };
    if (replay === undefined) await goLive([]);
    let recorded: Step[];
    try {
      const ctx = this.#context(rule, steps, inputs, found);
      if (rule.action.kind === "data") await actionOfSpec(rule.action.spec).perform(ctx);
      else await (await this.#functionOf(rule))(ctx);
      recorded = await steps.finish();
      if (raced) {
        // A file it found after a command started changed around then: what
        // the command read is not known to be what the file holds. Again.
        if (mayRetry) throw new RestartAction();
        readInput(PROCESS_INPUT);
        this.reporter.note?.(
          `${rule.id}: a file it depends on kept changing while its commands ran; ` +
            `the next build runs it again`,
        );
      }
      const missing = rule.targets.filter((t) => !pathPresent(join(root, t)));
      if (missing.length > 0) {
        throw await this.#problem(
          rule,
          `the action did not write its declared target${missing.length > 1 ? "s" : ""} ` +
            missing.map((t) => `"${t}"`).join(", "),
        );
      }
    } catch (error) {
      if (error instanceof RestartAction || steps.mustRestart) throw new RestartAction();
      if (!live) {
        // The replay failed before it touched anything: the targets are as
        // the last run left them, still barchan's.
        if (isCancellation(error)) throw error;
        throw await this.#asRuleError(rule, error, "");
      }
      // Nothing of barchan's is left at these paths: a file someone puts
      // there before the next build is theirs, and must not be overwritten.
      for (const t of rule.targets) {
        removeIfPresent(join(root, t));
        this.outputs.release(t);
        // The engine learns they are gone, so that a watch session does not
        // take their deletion for an edit to repair.
        recordWrite(t);
      }
      if (isCancellation(error)) throw error;
      const failure = await this.#asRuleError(rule, error, display.display());
      finish(failure.message);
      throw failure;
    }
    const digests: Record<string, string> = {};
    for (const t of rule.targets) {
      const digest = recordWrite(t) ?? "";
      digests[t] = digest;
      if (live) this.outputs.wrote(t, digest);
    }
    const value: RuleValue = recorded.length > 0 ? { t: digests, c: recorded } : { t: digests };
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
      if (present[i]) removeIfPresent(join(root, t));
      Deno.mkdirSync(dirname(join(root, t)), { recursive: true });
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
  ): ActionContext {
    const root = this.root;
    const command = async (spec: CommandSpec): Promise<SpawnResult> => {
      try {
        return await steps.command(spec);
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
    });
    return {
      rule: rule.id,
      targets: rule.targets,
      root,
      signal: this.signal,
      need: async (...deps) => {
        const normal = normalizeDeps(root, deps);
        await this.#init.need(normal, rule);
        inputs.add(normal);
        found(normal);
      },
      run: (cmd, args = [], options = {}) => command(spec(cmd, args, options)),
      sh: (script, options = {}) => command(spec("sh", ["-c", script], options)),
      readText: async (path) => {
        const p = normalizePath(root, path);
        inputs.add([{ kind: "path", path: p }]);
        found([{ kind: "path", path: p }]);
        // A built file is already a dependency through its target's digest.
        // Tracking the file too would rerun this rule after its producer
        // repaired a target modified outside the build, content unchanged.
        if (await this.#init.needPath(p, rule)) return await Deno.readTextFile(join(root, p));
        return await readText(p);
      },
      writeText: async (path, text) => {
        const p = normalizePath(root, path);
        if (!rule.targets.includes(p)) {
          throw await this.#problem(rule, `writes "${p}", which is not one of its targets`);
        }
        await steps.write(p, text);
      },
    };
  }

  async #spawn(
    rule: RuleSpec,
    spec: CommandSpec,
    stdout: (chunk: Uint8Array) => void,
    stderr: (chunk: Uint8Array) => void,
  ): Promise<{ durationMs: number }> {
    const result = await this.scheduler.spawn(spec.program, [...spec.args], {
      cwd: join(this.root, spec.cwd),
      env: { ...spec.env },
      stdin: spec.stdin === undefined ? "null" : { text: spec.stdin },
      stdout,
      stderr,
      signal: this.signal,
      label: rule.id,
    });
    return { durationMs: result.durationMs };
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
