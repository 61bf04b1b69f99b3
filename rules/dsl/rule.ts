/**
 * `rule()`: a build.ts defines its rules with it. `alias()` is in alias.ts,
 * the actions in actions.ts.
 *
 * @module
 */
import { isAbsolute } from "node:path";
import { digestOf } from "../../memo/mod.ts";
import type { Action, Dep } from "./actions.ts";
import { RuleHandle } from "./handle.ts";
import { type DepSpec, loadingProject, type Project, type Rule } from "../project/project.ts";
import { STATE_DIR } from "../state.ts";
import { depProblem, targetProblem } from "./_names.ts";
import { checkPlatform, type PlatformProperties } from "../command/platform.ts";

/** What `rule()` takes. */
export interface RuleOptions {
  /**
   * The files the rule writes, relative to build.ts. A rule needs targets or
   * an alias.
   * @default what its action writes by construction: `write(path, ...)`'s
   * path, `copy(from, to)`'s `to`, the output file of `deno.bundle`,
   * `deno.compile` and `deno.doc`; else none
   */
  targets?: string | readonly string[];
  /** What the rule reads: paths, `"@alias"`, globs (`"src/**\/*.c"`), rule handles. */
  deps?: Dep;
  /** What the rule does. */
  action: Action;
  /** Attaches the rule to an alias; `build @alias` runs it. */
  alias?: string;
  /**
   * What the rule does, in a few words: shown with its first target (or
   * alias) where its action is shown, in place of `function` for a function
   * action.
   */
  description?: string;
  /**
   * Whether the action cache may keep and restore its commands' results.
   * Turn it off for actions that use the network, the clock or anything
   * else their key does not cover (see docs/concepts.md).
   * @default true
   */
  cache?: boolean;
  /**
   * Whether its commands may run on a remote executor
   * (`--remote-executor`). Turn it off for actions that need this machine:
   * its files outside the project, its devices, its credentials. Rules with
   * `cache: false` always run here.
   * @default true
   */
  remote?: boolean;
  /**
   * The platform its commands run on: REAPI properties a remote worker must
   * have, as `{ OSFamily: "linux", "container-image": "docker://gcc:14" }`
   * (see docs/remote.md). They replace this machine's OS, CPU and program
   * digest in the commands' keys. `{}` is this machine.
   * @default the project's `defaultPlatform()`, else this machine
   */
  platform?: Readonly<Record<string, string>>;
  /**
   * Run its commands under bubblewrap, as `--sandbox` runs every command:
   * the project read-only but for the rule's targets, so that a write
   * anywhere else fails the rule naming the path. Where bubblewrap is
   * missing, the rule fails saying so; it never runs unsandboxed. Turning
   * it on does not run again commands that already ran (as with
   * `--sandbox`): they run sandboxed the next time they run.
   * @default false (unless the build runs with `--sandbox`)
   */
  sandbox?: boolean;
}

/**
 * Defines a rule: it reads `deps` and writes `targets` with `action`. Call it
 * at the top level of build.ts (or in functions build.ts calls).
 *
 * @param options The rule.
 * @returns A handle other rules can depend on.
 *
 * @example Outside build.ts, rule() says where to call it
 * ```ts
 * import { rule, run } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => rule({ targets: "out.txt", action: run("touch", "out.txt") }),
 *   /outside a build description/,
 * );
 * ```
 */
export function rule(options: RuleOptions): RuleHandle {
  const project = loadingProject("rule");
  const action = options.action;
  const rawTargets = typeof options.targets === "string"
    ? [options.targets]
    : options.targets ?? (typeof action === "object" && action !== null ? action.writes : []) ??
      [];
  // The stack is captured now, and formatted only when a message needs it.
  const where = new RuleSite(
    project,
    project.captureSite(),
    rawTargets[0] ?? String(options.alias),
  );
  const site = () => where.site;
  const targets = rawTargets.map((t) => typeof t === "string" ? project.normalizePath(t) : "");
  if (targets.length === 0 && options.alias === undefined) {
    throw new Error(`The rule at ${site()} has neither targets nor an alias: give it one of them`);
  }
  for (let i = 0; i < targets.length; i++) {
    const problem = targetProblem(rawTargets[i], targets[i]);
    if (problem !== undefined) throw new Error(`The rule at ${site()} ${problem}`);
  }
  for (const target of targets) {
    if (isAbsolute(target)) {
      throw new Error(
        `The rule at ${site()} writes "${target}", outside the project: ` +
          `targets must be inside the directory of build.ts`,
      );
    }
    if (target === STATE_DIR || target.startsWith(STATE_DIR + "/")) {
      throw new Error(
        `The rule at ${site()} writes "${target}", inside barchan's state (${STATE_DIR}): ` +
          `choose another target`,
      );
    }
  }
  if (typeof action !== "function" && (typeof action !== "object" || action === null)) {
    throw new TypeError(
      `The rule at ${site()} has no valid action: use run(), sh(), write(), copy() or a function`,
    );
  }
  const extra = typeof action === "function" ? [] : action.reads;
  const deps = project.normalizeDeps([options.deps ?? [], ...extra]);
  for (const dep of deps) {
    const problem = depProblem(dep);
    if (problem !== undefined) throw new Error(`The rule at ${site()} ${problem}`);
  }
  if (options.description !== undefined && typeof options.description !== "string") {
    throw new TypeError(`The rule at ${site()} has a description that is not a string`);
  }
  if (options.cache !== undefined && typeof options.cache !== "boolean") {
    throw new TypeError(`The rule at ${site()} has a cache option that is not true or false`);
  }
  if (options.remote !== undefined && typeof options.remote !== "boolean") {
    throw new TypeError(`The rule at ${site()} has a remote option that is not true or false`);
  }
  if (options.sandbox !== undefined && typeof options.sandbox !== "boolean") {
    throw new TypeError(`The rule at ${site()} has a sandbox option that is not true or false`);
  }
  const platform = options.platform === undefined
    ? undefined
    : checkPlatform(options.platform, `The rule at ${site()}`) ?? {};
  // A rule without targets is named by what it is, which stays the same
  // when build.ts changes elsewhere.
  const actionSpec = typeof action === "function"
    ? ["function", action.toString()]
    : [...action.spec];
  const spec = digestOf(JSON.stringify([targets, deps, actionSpec, options.alias ?? null]));
  const id = targets[0] ?? `@${options.alias}/${spec.slice(0, 8)}`;
  const defined = new DefinedRule(
    id,
    targets,
    deps,
    action,
    options.alias,
    options.description,
    spec,
    where,
  );
  if (options.cache === false) defined.cache = false;
  if (options.remote === false) defined.remote = false;
  if (platform !== undefined) defined.platform = platform;
  if (options.sandbox === true) defined.sandbox = true;
  const added = project.addRule(defined);
  return new RuleHandle(added.id, targets, where);
}

/**
 * Where a rule is defined, found when first asked. Formatting a stack costs
 * more the larger the calling function is (a generated build.ts may call
 * rule() thousands of times from one body), so the stack is captured when
 * the rule is defined and formatted only when a message needs it; past the
 * project's budget for captures, build.ts is searched for the rule's first
 * target instead.
 */
class RuleSite {
  readonly #project: Project;
  readonly #capture: Error | undefined;
  readonly #text: string;
  #site: string | undefined;

  constructor(project: Project, capture: Error | undefined, text: string) {
    this.#project = project;
    this.#capture = capture;
    this.#text = text;
  }

  get site(): string {
    return this.#site ??= this.#capture !== undefined
      ? this.#project.siteOf(this.#capture)
      : this.#project.findSite(this.#text);
  }
}

/**
 * A rule as `rule()` defines it. A class, with its site and display on the
 * prototype, keeps the ten thousand rules of a large build.ts small (an
 * object literal with getters is a dictionary).
 */
class DefinedRule implements Rule {
  readonly id: string;
  readonly targets: readonly string[];
  readonly deps: readonly DepSpec[];
  readonly action: Action;
  readonly alias: string | undefined;
  readonly description: string | undefined;
  readonly spec: string;
  cache = true;
  remote = true;
  platform: PlatformProperties | undefined;
  sandbox = false;
  readonly #where: RuleSite;

  constructor(
    id: string,
    targets: readonly string[],
    deps: readonly DepSpec[],
    action: Action,
    alias: string | undefined,
    description: string | undefined,
    spec: string,
    where: RuleSite,
  ) {
    this.id = id;
    this.targets = targets;
    this.deps = deps;
    this.action = action;
    this.alias = alias;
    this.description = description;
    this.spec = spec;
    this.#where = where;
  }

  get site(): string {
    return this.#where.site;
  }

  get display(): string {
    const action = this.action;
    return typeof action === "function" ? this.description ?? "function" : action.display;
  }
}
