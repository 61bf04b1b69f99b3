/**
 * One build in progress: how dependencies are resolved (a rule's target, a
 * source file, an alias, a glob) and how an action runs (claiming targets,
 * spawning through the scheduler, checking what it wrote).
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { MissingProgramError } from "../fiber/missing_program.ts";
import { forkAndJoin, parallelIter } from "../fiber/parallel.ts";
import { ProcessError } from "../fiber/process_error.ts";
import type { Scheduler } from "../fiber/scheduler.ts";
import type { SpawnResult } from "../fiber/spawn_options.ts";
import { isCancellation } from "../fiber/cancel.ts";
import type { Engine, ExecutionInfo } from "../memo/engine.ts";
import { messageOf } from "../memo/errors.ts";
import { glob, readText, recordWrite, stat } from "../memo/reads.ts";
import { pathPresent } from "../memo/stat/stat.ts";
import type { ActionContext, RunOptions } from "./dsl/actions.ts";
import { closest, RuleError } from "./dsl/errors.ts";
import type { OutputLog } from "./outputs.ts";
import type { DepSpec, Project, Rule } from "./project/project.ts";
import type { Reporter } from "./report.ts";
import { BUILD_DIR } from "./state.ts";
import { removeIfPresent } from "../fiber/_remove_if_present.ts";

/** The least number of dependencies built at once (see `Session#fanOut`). */
const MIN_FAN_OUT = 16;

/** Directories globs never enter: build outputs and barchan's state. */
export const SKIPPED_BY_GLOBS: readonly string[] = [BUILD_DIR];

/** Builds one rule by id; supplied by the executor (it is a memo function). */
export type BuildRule = (id: string) => Promise<Record<string, string>>;

/** Builds one target of a rule; supplied by the executor (it is a memo function). */
export type BuildTarget = (target: { path: string; rule: string }) => Promise<unknown>;

/** A rule that executed in this build, and why. */
export interface RanRule {
  /** The rule id. */
  rule: string;
  /** Why it ran. */
  reason: string;
}

/** The state of one build: project, engine, scheduler, outputs, reporter. */
export class Session {
  readonly project: Project;
  readonly engine: Engine;
  readonly scheduler: Scheduler;
  readonly outputs: OutputLog;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  /** Say what would run; run and write nothing. */
  readonly dryRun: boolean;
  /** Rules whose action ran, in order. */
  readonly ran: RanRule[] = [];
  #buildRule: BuildRule;
  #buildTarget: BuildTarget;
  #reasons = new Map<string, string>();

  constructor(init: {
    project: Project;
    engine: Engine;
    scheduler: Scheduler;
    outputs: OutputLog;
    reporter: Reporter;
    signal: AbortSignal;
    buildRule: BuildRule;
    buildTarget: BuildTarget;
    dryRun?: boolean;
  }) {
    this.dryRun = init.dryRun ?? false;
    this.project = init.project;
    this.engine = init.engine;
    this.scheduler = init.scheduler;
    this.outputs = init.outputs;
    this.reporter = init.reporter;
    this.signal = init.signal;
    this.#buildRule = init.buildRule;
    this.#buildTarget = init.buildTarget;
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
    const rule = this.project.rules.get(call.input as string);
    if (call.reason === "new") return "new rule (never built, or its last build failed)";
    if (call.reason === "code changed") return "barchan's rule engine changed";
    if (call.changedInput !== undefined) {
      return "its definition in build.ts changed (action, deps or targets)";
    }
    if (call.changedFile !== undefined) {
      const path = this.project.normalizePath(call.changedFile);
      if (rule?.targets.includes(path)) {
        return pathPresent(call.changedFile)
          ? `target ${path} was modified outside the build`
          : `target ${path} is missing`;
      }
      return `dep ${path} changed`;
    }
    if (call.changedCall !== undefined) {
      const { name, input } = call.changedCall;
      if (name === "barchan.rule") {
        const dep = this.project.rules.get(input as string);
        const what = dep?.targets.join(", ") || String(input);
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
      return `dynamic dep ${name}(${JSON.stringify(input)}) changed`;
    }
    return call.reason;
  }

  /**
   * How many dependencies of one rule (or alias, or glob) are built at once.
   * Each one in progress holds a chain of suspended calls (its rule, its
   * action, its command waiting for a job slot), about 12 KB; with no bound,
   * a cold build of 10,000 copies held all of them at once, and peaked at
   * 380 MB against 265 MB. Four times the job slots keep every slot busy.
   */
  get #fanOut(): number {
    return Math.max(MIN_FAN_OUT, 4 * this.scheduler.jobs);
  }

  /**
   * Builds dependencies in parallel, reporting every failure.
   * @param deps The dependencies.
   * @param from The rule needing them, if any.
   */
  async need(deps: readonly DepSpec[], from: Rule | undefined): Promise<void> {
    if (deps.length === 1) return await this.#needOne(deps[0], from);
    await parallelIter(deps, (dep) => this.#needOne(dep, from), { limit: this.#fanOut });
  }

  async #needOne(dep: DepSpec, from: Rule | undefined): Promise<void> {
    switch (dep.kind) {
      case "path":
        return await this.needPath(dep.path, from);
      case "rule":
        await this.#buildRule(dep.id);
        return;
      case "alias":
        return await this.#needAlias(dep.name, from);
      case "glob": {
        const paths = await glob(dep.pattern, { skip: [...SKIPPED_BY_GLOBS] });
        await parallelIter(paths, (p) => this.needPath(p, from), { limit: this.#fanOut });
      }
    }
  }

  /**
   * Builds a path: runs its rule, or checks that the source file exists.
   * @param path Project-relative path.
   * @param from The rule needing it, if any.
   */
  async needPath(path: string, from: Rule | undefined): Promise<void> {
    const producer = this.project.producers.get(path);
    if (producer !== undefined) {
      // A rule's value is its targets' digests: for a single target, that is
      // the target's own digest, so only rules with several go through a
      // per-target node (for a cutoff per target).
      if (producer.targets.length === 1) await this.#buildRule(producer.id);
      else await this.#buildTarget({ path, rule: producer.id });
      return;
    }
    // Absolute, so that a path requested outside any rule (no memo frame to
    // resolve it against the root) is not looked up in the process's directory.
    const info = await stat(resolve(this.project.root, path));
    if (info === null) throw this.#problem(from, this.#missingMessage(path));
    if (info.isDirectory) {
      throw this.#problem(
        from,
        `"${path}" is a directory: depend on its files, or on a glob such as "${path}/**"`,
      );
    }
  }

  async #needAlias(name: string, from: Rule | undefined): Promise<void> {
    const def = this.project.aliases.get(name);
    if (def === undefined) {
      const guess = closest(name, this.project.aliases.keys());
      throw this.#problem(
        from,
        `no alias "@${name}"${guess === undefined ? "" : ` (did you mean "@${guess}"?)`}`,
      );
    }
    await forkAndJoin(
      () => this.need(def.deps, from),
      () => parallelIter(def.rules, (id) => this.#buildRule(id), { limit: this.#fanOut }),
    );
  }

  /**
   * Runs a rule's action and returns the digests of its targets.
   * @param rule The rule.
   * @returns Target path to content digest.
   */
  async execute(rule: Rule): Promise<Record<string, string>> {
    const root = this.project.root;
    this.ran.push({ rule: rule.id, reason: this.#reasons.get(rule.id) ?? "new" });
    if (this.dryRun) {
      this.reporter.actionStarted?.({
        rule: rule.id,
        command: rule.display,
        reason: this.#reasons.get(rule.id) ?? "new",
      });
      const unknown: Record<string, string> = { "": `would run ${performance.now()}` };
      for (const t of rule.targets) unknown[t] = "would be rebuilt";
      return await Promise.resolve(unknown);
    }
    const present = rule.targets.map((t) => pathPresent(join(root, t)));
    rule.targets.forEach((t, i) => {
      if (present[i] && !this.outputs.owns(t)) {
        throw this.#problem(
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
    const event = {
      rule: rule.id,
      command: rule.display,
      reason: this.#reasons.get(rule.id) ?? "new",
    };
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
        throw this.#problem(
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
      need: (...deps) => this.need(project.normalizeDeps(deps), rule),
      run: (cmd, args = [], options = {}) => this.#spawn(rule, cmd, args, options, output),
      sh: (script, options = {}) => this.#spawn(rule, "sh", ["-c", script], options, output),
      readText: async (path) => {
        const p = project.normalizePath(path);
        await this.needPath(p, rule);
        // A built file is already a dependency through its target's digest.
        // Tracking the file too would rerun this rule after its producer
        // repaired a target modified outside the build, content unchanged.
        if (project.producers.has(p)) return await Deno.readTextFile(resolve(project.root, p));
        return await readText(p);
      },
      writeText: async (path, text) => {
        const p = project.normalizePath(path);
        if (!rule.targets.includes(p)) {
          throw this.#problem(rule, `writes "${p}", which is not one of its targets`);
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

  #problem(from: Rule | undefined, message: string): Error {
    return from === undefined
      ? new Error(message)
      : new RuleError({ rule: from.id, site: from.site, message });
  }

  #missingMessage(path: string): string {
    const candidates = new Set(this.project.producers.keys());
    try {
      const dir = dirname(path);
      for (const e of Deno.readDirSync(join(this.project.root, dir))) {
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

function decode(chunks: Uint8Array[]): string {
  if (chunks.length === 0) return "";
  const decoder = new TextDecoder();
  let text = "";
  for (const c of chunks) text += decoder.decode(c, { stream: true });
  return text + decoder.decode();
}
