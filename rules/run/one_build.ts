/**
 * One build in progress: its state (project, engine, scheduler, outputs,
 * reporter, what ran and why) and how its dependencies are resolved (a
 * rule's target, a source file, an alias, a glob). Running a rule's action
 * is action_runner.ts's.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { forkAndJoin, parallelIter } from "../../fiber/parallel.ts";
import type { Scheduler } from "../../fiber/scheduler.ts";
import type { Engine, ExecutionInfo } from "../../memo/engine.ts";
import { glob, stat } from "../../memo/reads.ts";
import { pathPresent } from "../../memo/stat/stat.ts";
import { closest } from "../dsl/errors.ts";
import type { OutputLog } from "./outputs.ts";
import type { DepSpec, Project, Rule } from "../project/project.ts";
import type { Reporter } from "../report/reporter.ts";
import { BUILD_DIR } from "../state.ts";
import { ActionRunner } from "./action_runner.ts";
import { problem } from "./_problem.ts";

/** The least number of dependencies built at once (see `OneBuild#fanOut`). */
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
export class OneBuild {
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
  #runner: ActionRunner;

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
    this.#runner = new ActionRunner({
      project: this.project,
      scheduler: this.scheduler,
      outputs: this.outputs,
      reporter: this.reporter,
      signal: this.signal,
      dryRun: this.dryRun,
      need: (deps, from) => this.need(deps, from),
      needPath: (path, from) => this.needPath(path, from),
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
    if (info === null) throw problem(from, this.#missingMessage(path));
    if (info.isDirectory) {
      throw problem(
        from,
        `"${path}" is a directory: depend on its files, or on a glob such as "${path}/**"`,
      );
    }
  }

  async #needAlias(name: string, from: Rule | undefined): Promise<void> {
    const def = this.project.aliases.get(name);
    if (def === undefined) {
      const guess = closest(name, this.project.aliases.keys());
      throw problem(
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
   * Runs a rule's action (action_runner.ts) and returns the digests of its
   * targets; the rule is added to `ran` first, with the reason it runs.
   * @param rule The rule.
   * @returns Target path to content digest.
   */
  async execute(rule: Rule): Promise<Record<string, string>> {
    const reason = this.#reasons.get(rule.id) ?? "new";
    this.ran.push({ rule: rule.id, reason });
    return await this.#runner.run(rule, reason);
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
