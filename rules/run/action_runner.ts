/**
 * Running one rule's action: refusing to overwrite a file barchan did not
 * create, claiming the targets in the outputs log before anything is
 * written, giving a function action its {@linkcode ActionContext} (or
 * performing a data action), spawning its commands through the scheduler
 * with their output captured, checking that it wrote every declared target,
 * and recording the targets' digests. The build it belongs to
 * (one_build.ts) decides when it runs.
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
import { messageOf, pathPresent, readText, recordWrite } from "../../memo/mod.ts";
import { type ActionContext, actionOfSpec, type RunOptions } from "../dsl/actions.ts";
import { RuleError } from "../dsl/errors.ts";
import type { OutputLog } from "./outputs.ts";
import { type DepSpec, normalizeDeps, normalizePath } from "../project/project.ts";
import type { Reporter } from "../report/reporter.ts";
import { removeIfPresent } from "../../fiber/_remove_if_present.ts";
import { currentProject, type RuleValue } from "./nodes.ts";
import { displayOf, ruleKey, type RuleSpec } from "./specs.ts";

/** What an {@linkcode ActionRunner} works with: its build's state, and how it builds dependencies. */
export interface ActionRunnerInit {
  /** The project root. */
  root: string;
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
  /** Builds dependencies an action discovers (`ctx.need`). */
  need(deps: readonly DepSpec[], from: RuleSpec): Promise<void>;
  /** Builds one path an action reads (`ctx.readText`); true when a rule produces it. */
  needPath(path: string, from: RuleSpec): Promise<boolean>;
  /** Where build.ts defines a rule, for messages. */
  siteOf(id: string): Promise<string>;
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
   * Runs a rule's action and returns the digests of its targets. In a dry
   * run it only reports the action, and returns digests that say so.
   * @param rule The rule.
   * @param reason Why it runs, for the reporter.
   * @returns Target path to content digest.
   */
  async run(rule: RuleSpec, reason: string, _previous?: RuleValue): Promise<RuleValue> {
    const root = this.root;
    const display = displayOf(rule);
    if (this.dryRun) {
      this.reporter.actionStarted?.({ rule: rule.id, command: display, reason });
      const unknown: Record<string, string> = { "": `would run ${performance.now()}` };
      for (const t of rule.targets) unknown[t] = "would be rebuilt";
      return { t: unknown };
    }
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
    const output: Uint8Array[] = [];
    const started = performance.now();
    const event = { rule: rule.id, command: display, reason };
    this.reporter.actionStarted?.(event);
    const finish = (error?: string) =>
      this.reporter.actionFinished?.({
        ...event,
        output: decode(output),
        durationMs: performance.now() - started,
        error,
      });
    try {
      const ctx = this.#context(rule, output);
      if (rule.action.kind === "data") await actionOfSpec(rule.action.spec).perform(ctx);
      else await (await this.#functionOf(rule))(ctx);
      const missing = rule.targets.filter((t) => !pathPresent(join(root, t)));
      if (missing.length > 0) {
        throw await this.#problem(
          rule,
          `the action did not write its declared target${missing.length > 1 ? "s" : ""} ` +
            missing.map((t) => `"${t}"`).join(", "),
        );
      }
    } catch (error) {
      // Nothing of barchan's is left at these paths: a file someone puts
      // there before the next build is theirs, and must not be overwritten.
      for (const t of rule.targets) {
        removeIfPresent(join(root, t));
        this.outputs.release(t);
      }
      if (isCancellation(error)) throw error;
      const failure = await this.#asRuleError(rule, error, decode(output));
      finish(failure.message);
      throw failure;
    }
    const digests: Record<string, string> = {};
    for (const t of rule.targets) {
      const digest = recordWrite(t) ?? "";
      digests[t] = digest;
      this.outputs.wrote(t, digest);
    }
    finish();
    return { t: digests };
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

  #context(rule: RuleSpec, output: Uint8Array[]): ActionContext {
    const root = this.root;
    return {
      rule: rule.id,
      targets: rule.targets,
      root,
      signal: this.signal,
      need: (...deps) => this.#init.need(normalizeDeps(root, deps), rule),
      run: (cmd, args = [], options = {}) => this.#spawn(rule, cmd, args, options, output),
      sh: (script, options = {}) => this.#spawn(rule, "sh", ["-c", script], options, output),
      readText: async (path) => {
        const p = normalizePath(root, path);
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
        await Deno.writeTextFile(join(root, p), text);
      },
    };
  }

  async #spawn(
    rule: RuleSpec,
    cmd: string,
    args: readonly string[],
    options: RunOptions,
    output: Uint8Array[],
  ): Promise<SpawnResult> {
    const stdout: Uint8Array[] = [];
    const stderr: Uint8Array[] = [];
    const sink = (into: Uint8Array[]) => (chunk: Uint8Array) => {
      into.push(chunk);
      output.push(chunk);
    };
    const root = this.root;
    try {
      const result = await this.scheduler.spawn(cmd, [...args], {
        cwd: options.cwd === undefined ? root : join(root, options.cwd),
        env: options.env,
        stdin: options.stdin === undefined ? "null" : { text: options.stdin },
        stdout: sink(stdout),
        stderr: sink(stderr),
        signal: this.signal,
        label: rule.id,
      });
      return { ...result, stdout: decode(stdout), stderr: decode(stderr) };
    } catch (error) {
      if (error instanceof MissingProgramError) {
        throw new RuleError({
          rule: rule.id,
          site: await this.#init.siteOf(rule.id),
          message: `program not found: ${cmd}`,
        });
      }
      if (error instanceof ProcessError) {
        const how = error.signal !== null
          ? `was killed by ${error.signal}`
          : `exited with code ${error.code}`;
        throw new RuleError({
          rule: rule.id,
          site: await this.#init.siteOf(rule.id),
          message: `command ${how}: ${[cmd, ...args].join(" ")}`,
          command: [cmd, ...args].join(" "),
          code: error.code,
        });
      }
      throw error;
    }
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

function decode(chunks: Uint8Array[]): string {
  if (chunks.length === 0) return "";
  const decoder = new TextDecoder();
  let text = "";
  for (const c of chunks) text += decoder.decode(c, { stream: true });
  return text + decoder.decode();
}
