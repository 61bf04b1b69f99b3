/**
 * `rule()` and `alias()`: the build.ts DSL.
 *
 * @module
 */
import { isAbsolute, relative } from "node:path";
import { canonicalKey } from "../memo/key.ts";
import { digestOf } from "../memo/digest.ts";
import type { Action, Dep } from "./action.ts";
import { RuleHandle } from "./handle.ts";
import { loadingProject, type Project } from "./project.ts";
import { STATE_DIR } from "./state_dir.ts";

/** What `rule()` takes. */
export interface RuleOptions {
  /** The files the rule writes, relative to build.ts. A rule needs targets or an alias. */
  targets?: string | readonly string[];
  /** What the rule reads: paths, `"@alias"`, globs (`"src/**\/*.c"`), rule handles. */
  deps?: Dep;
  /** What the rule does. */
  action: Action;
  /** Attaches the rule to an alias; `build @alias` runs it. */
  alias?: string;
  /**
   * Values a function action uses from its surroundings: they are part of
   * what decides whether the rule changed (its source text already is).
   */
  inputs?: unknown;
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
  // Formatting a stack costs more the larger the calling function is (a
  // generated build.ts may call rule() thousands of times from one body), so
  // the stack is captured here and formatted only when a message needs it.
  const capture = project.captureSite();
  let siteText: string | undefined;
  const site = () =>
    siteText ??= capture !== undefined
      ? callerSite(capture, project)
      : project.findSite(rawTargets[0] ?? String(options.alias));
  const rawTargets = typeof options.targets === "string"
    ? [options.targets]
    : options.targets ?? [];
  const targets = rawTargets.map((t) => project.normalizePath(t));
  if (targets.length === 0 && options.alias === undefined) {
    throw new Error(`The rule at ${site()} has neither targets nor an alias: give it one of them`);
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
  const action = options.action;
  if (typeof action !== "function" && (typeof action !== "object" || action === null)) {
    throw new TypeError(
      `The rule at ${site()} has no valid action: use run(), sh(), write(), copy() or a function`,
    );
  }
  const extra = typeof action === "function" ? [] : action.reads;
  const deps = project.normalizeDeps([options.deps ?? [], ...extra]);
  const actionSpec = typeof action === "function"
    ? ["function", action.toString(), safeKey(options.inputs, site)]
    : [...action.spec];
  const spec = digestOf(JSON.stringify([targets, deps, actionSpec, options.alias ?? null]));
  const id = targets[0] ?? `@${options.alias}/${spec.slice(0, 8)}`;
  const added = project.addRule({
    id,
    targets,
    deps,
    action,
    alias: options.alias,
    spec,
    get site() {
      return site();
    },
    get display() {
      return typeof action === "function" ? `function at ${site()}` : action.display;
    },
  });
  return new RuleHandle(added.id, targets, site);
}

/**
 * Names a set of dependencies: `build @name` builds them all, and so does a
 * rule depending on `"@name"`. Calling it again for a name adds to it.
 *
 * @param name The alias name, without `@`.
 * @param deps What building the alias builds.
 *
 * @example Outside build.ts, alias() says where to call it
 * ```ts
 * import { alias } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => alias("default", ["out.txt"]), /outside a build description/);
 * ```
 */
export function alias(name: string, deps: Dep): void {
  const project = loadingProject("alias");
  const capture = project.captureSite();
  const def = project.alias(
    name.replace(/^@/, ""),
    () => capture !== undefined ? callerSite(capture, project) : project.findSite(name),
  );
  def.deps.push(...project.normalizeDeps(deps));
}

function safeKey(inputs: unknown, site: () => string): string {
  try {
    return canonicalKey(inputs ?? null);
  } catch (error) {
    throw new TypeError(`The rule at ${site()} has inputs that are not plain data: ${error}`);
  }
}

function callerSite(capture: Error, project: Project): string {
  const lines = capture.stack?.split("\n") ?? [];
  for (const line of lines.slice(1)) {
    const m = line.match(/(file:\/\/[^\s)]+?):(\d+):\d+\)?$/);
    if (m === null || /\/rules\/(rule|project)\.ts$/.test(m[1])) continue;
    const path = decodeURIComponent(new URL(m[1]).pathname);
    return `${relative(project.root, path) || path}:${m[2]}`;
  }
  return project.file;
}
