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
import { dirname, join, resolve } from "node:path";
import { MissingProgramError } from "../../fiber/missing_program.ts";
import { ProcessError } from "../../fiber/process_error.ts";
import type { Scheduler } from "../../fiber/scheduler.ts";
import type { SpawnResult } from "../../fiber/spawn_options.ts";
import { isCancellation } from "../../fiber/cancel.ts";
import { messageOf } from "../../memo/errors.ts";
import { readText, recordWrite } from "../../memo/reads.ts";
import { pathPresent } from "../../memo/stat/stat.ts";
import type { ActionContext, RunOptions } from "../dsl/actions.ts";
import { RuleError } from "../dsl/errors.ts";
import type { OutputLog } from "./outputs.ts";
import type { DepSpec, Project, Rule } from "../project/project.ts";
import type { Reporter } from "../report/reporter.ts";
import { removeIfPresent } from "../../fiber/_remove_if_present.ts";
import { problem } from "./_problem.ts";

/** What an {@linkcode ActionRunner} works with: its build's state, and how it builds dependencies. */
export interface ActionRunnerInit {
  /** The project the rules belong to. */
  project: Project;
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
  need(deps: readonly DepSpec[], from: Rule): Promise<void>;
  /** Builds one path an action reads (`ctx.readText`). */
  needPath(path: string, from: Rule): Promise<void>;
}

/** Runs rules' actions for one build. */
export class ActionRunner {
  readonly project: Project;
  readonly scheduler: Scheduler;
  readonly outputs: OutputLog;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  readonly dryRun: boolean;
  #need: (deps: readonly DepSpec[], from: Rule) => Promise<void>;
  #needPath: (path: string, from: Rule) => Promise<void>;

  constructor(init: ActionRunnerInit) {
    this.project = init.project;
    this.scheduler = init.scheduler;
    this.outputs = init.outputs;
    this.reporter = init.reporter;
    this.signal = init.signal;
    this.dryRun = init.dryRun;
    this.#need = init.need;
    this.#needPath = init.needPath;
  }

  /**
   * Runs a rule's action and returns the digests of its targets. In a dry
   * run it only reports the action, and returns digests that say so.
   * @param rule The rule.
   * @param reason Why it runs, for the reporter.
   * @returns Target path to content digest.
   */
  async run(rule: Rule, reason: string): Promise<Record<string, string>> {
    const root = this.project.root;
    if (this.dryRun) {
      this.reporter.actionStarted?.({
        rule: rule.id,
        command: rule.display,
        reason,
      });
      const unknown: Record<string, string> = { "": `would run ${performance.now()}` };
      for (const t of rule.targets) unknown[t] = "would be rebuilt";
      return await Promise.resolve(unknown);
    }
    const present = rule.targets.map((t) => pathPresent(join(root, t)));
    rule.targets.forEach((t, i) => {
      if (present[i] && !this.outputs.owns(t)) {
        throw problem(
          rule,
          `refusing to overwrite "${t}": it exists and barchan did not create it; ` +
            `move or delete it, or change the rule's targets`,
        );
      }
    });
    this.outputs.claim(rule.targets);
    rule.targets.forEach((t, i) => {
      if (present[i]) removeIfPresent(join(root, t));
      Deno.mkdirSync(dirname(join(root, t)), { recursive: true });
    });
    const output: Uint8Array[] = [];
    const started = performance.now();
    const event = { rule: rule.id, command: rule.display, reason };
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
      if (typeof rule.action === "function") await rule.action(ctx);
      else await rule.action.perform(ctx);
      const missing = rule.targets.filter((t) => !pathPresent(join(root, t)));
      if (missing.length > 0) {
        throw problem(
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
      const failure = this.#asRuleError(rule, error, decode(output));
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
    return digests;
  }

  #context(rule: Rule, output: Uint8Array[]): ActionContext {
    const project = this.project;
    return {
      rule: rule.id,
      targets: rule.targets,
      root: project.root,
      signal: this.signal,
      need: (...deps) => this.#need(project.normalizeDeps(deps), rule),
      run: (cmd, args = [], options = {}) => this.#spawn(rule, cmd, args, options, output),
      sh: (script, options = {}) => this.#spawn(rule, "sh", ["-c", script], options, output),
      readText: async (path) => {
        const p = project.normalizePath(path);
        await this.#needPath(p, rule);
        // A built file is already a dependency through its target's digest.
        // Tracking the file too would rerun this rule after its producer
        // repaired a target modified outside the build, content unchanged.
        if (project.producers.has(p)) return await Deno.readTextFile(resolve(project.root, p));
        return await readText(p);
      },
      writeText: async (path, text) => {
        const p = project.normalizePath(path);
        if (!rule.targets.includes(p)) {
          throw problem(rule, `writes "${p}", which is not one of its targets`);
        }
        await Deno.writeTextFile(join(project.root, p), text);
      },
    };
  }

  async #spawn(
    rule: Rule,
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
    const root = this.project.root;
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
          site: rule.site,
          message: `program not found: ${cmd}`,
        });
      }
      if (error instanceof ProcessError) {
        const how = error.signal !== null
          ? `was killed by ${error.signal}`
          : `exited with code ${error.code}`;
        throw new RuleError({
          rule: rule.id,
          site: rule.site,
          message: `command ${how}: ${[cmd, ...args].join(" ")}`,
          command: [cmd, ...args].join(" "),
          code: error.code,
        });
      }
      throw error;
    }
  }

  #asRuleError(rule: Rule, error: unknown, output: string): RuleError {
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
    return new RuleError({ rule: rule.id, site: rule.site, message: messageOf(error), output });
  }
}

function decode(chunks: Uint8Array[]): string {
  if (chunks.length === 0) return "";
  const decoder = new TextDecoder();
  let text = "";
  for (const c of chunks) text += decoder.decode(c, { stream: true });
  return text + decoder.decode();
}
