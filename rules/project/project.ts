/**
 * A project: the rules and aliases that loading build.ts defined, indexed
 * by id, target and alias name, and validated (one rule per target).
 *
 * @module
 */
import { isAbsolute, normalize, relative, resolve } from "node:path";
import type { Action, Dep } from "../dsl/actions.ts";
import { RuleHandle } from "../dsl/handle.ts";
import type { PlatformProperties } from "../command/platform.ts";

/** A dependency after normalisation. */
export type DepSpec =
  | { readonly kind: "path"; readonly path: string }
  | { readonly kind: "alias"; readonly name: string }
  | { readonly kind: "glob"; readonly pattern: string }
  | { readonly kind: "rule"; readonly id: string };

/** A rule as the executor sees it. */
export interface Rule {
  /** First target, or `@alias/<digest>` for a rule without targets. */
  readonly id: string;
  /** Targets, relative to the project root. */
  readonly targets: readonly string[];
  /** Static dependencies. */
  readonly deps: readonly DepSpec[];
  /** What it does. */
  readonly action: Action;
  /** The alias it is attached to, if any. */
  readonly alias: string | undefined;
  /** What it does, in words, when build.ts says. */
  readonly description?: string;
  /** Whether the action cache may keep its commands' results. @default true */
  readonly cache?: boolean;
  /** Whether its commands may run on a remote executor. @default true */
  readonly remote?: boolean;
  /**
   * The platform its commands run on; `{}` is this machine.
   * @default the project's default platform
   */
  readonly platform?: PlatformProperties;
  /** Whether its commands always run under bubblewrap. @default false */
  readonly sandbox?: boolean;
  /** Where it is defined, `build.ts:line`. */
  readonly site: string;
  /**
   * A digest of its targets, deps, alias and action (a function's source
   * text), which names a rule without targets.
   */
  readonly spec: string;
  /** How the action is shown: its command line, or its description (`function` without). */
  readonly display: string;
}

/** An alias: a name for a set of dependencies and of rules attached to it. */
export interface AliasDef {
  /** The alias name, without `@`. */
  readonly name: string;
  /** Dependencies listed by `alias()` calls. */
  readonly deps: DepSpec[];
  /** Rules attached with `rule({ alias })`. */
  readonly rules: string[];
  /** Where it was first defined. */
  readonly site: string;
}

/** The rules and aliases of one build.ts. */
export class Project {
  /** Directory of build.ts; every path is relative to it. */
  readonly root: string;
  /** The build.ts file. */
  readonly file: string;
  /** Rules by id, in definition order. */
  readonly rules: Map<string, Rule> = new Map();
  /** The rule producing each target path. */
  readonly producers: Map<string, Rule> = new Map();
  /** Aliases by name. */
  readonly aliases: Map<string, AliasDef> = new Map();
  /** Problems found while loading, reported together. */
  readonly problems: string[] = [];
  /** Memo functions build.ts (or a module it imports) defined while it was loaded. */
  readonly memoFunctions: Set<string> = new Set();
  /** The platform of rules that give none (`defaultPlatform()`); none is this machine. */
  defaultPlatform: PlatformProperties | undefined;
  #captureMs = 0;
  #quoted: Map<string, number> | undefined;

  /**
   * Creates an empty project.
   * @param root The project root.
   * @param file The build.ts path.
   */
  constructor(root: string, file: string) {
    this.root = root;
    this.file = file;
  }

  /**
   * Captures the current stack, to tell later where a rule was defined.
   * Creating an error costs more the larger the calling function is; once
   * captures have cost 10 ms in one load (a generated build.ts with
   * thousands of rules in one body), this returns undefined and sites are
   * found with {@linkcode Project.findSite} instead.
   * @returns The captured stack, or undefined past the budget.
   */
  captureSite(): Error | undefined {
    if (this.#captureMs > 10) return undefined;
    const start = performance.now();
    const capture = new Error();
    this.#captureMs += performance.now() - start;
    return capture;
  }

  /**
   * Where a stack captured by {@linkcode Project.captureSite} says a rule or
   * an alias is defined, as `build.ts:LINE` relative to the root: the
   * outermost frame in build.ts itself (the call that made the rule, when a
   * helper makes rules for several calls), else the first frame outside
   * barchan's DSL and project modules.
   * @param capture The captured stack.
   * @returns The site.
   */
  siteOf(capture: Error): string {
    const lines = capture.stack?.split("\n") ?? [];
    let first: string | undefined;
    let outermost: string | undefined;
    for (const line of lines.slice(1)) {
      const m = line.match(/(file:\/\/[^\s)]+?):(\d+):\d+\)?$/);
      if (m === null || /\/rules\/(dsl\/(rule|alias)|project\/project)\.ts$/.test(m[1])) continue;
      const path = decodeURIComponent(new URL(m[1]).pathname);
      const site = `${relative(this.root, path) || path}:${m[2]}`;
      first ??= site;
      if (path === this.file) outermost = site;
    }
    return outermost ?? first ?? this.file;
  }

  /**
   * Finds where a rule is defined by searching build.ts for a quoted
   * string, such as its target: `build.ts:LINE`, or `build.ts` when absent.
   * @param text The string to look for.
   * @returns The site.
   */
  findSite(text: string): string {
    if (this.#quoted === undefined) {
      this.#quoted = new Map();
      const lines = Deno.readTextFileSync(this.file).split("\n");
      for (let i = 0; i < lines.length; i++) {
        for (const m of lines[i].matchAll(/"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`([^`$]*)`/g)) {
          const quoted = m[1] ?? m[2] ?? m[3];
          if (!this.#quoted.has(quoted)) this.#quoted.set(quoted, i + 1);
        }
      }
    }
    const name = this.file.slice(this.root.length + 1);
    const line = this.#quoted.get(text);
    return line === undefined ? name : `${name}:${line}`;
  }

  /**
   * Normalises a path given in build.ts: relative to the root, `/`-separated.
   * Paths outside the root stay absolute.
   * @param path The path.
   * @returns The normalised path.
   */
  normalizePath(path: string): string {
    return normalizePath(this.root, path);
  }

  /**
   * Normalises dependencies: paths, `@alias`, globs and handles.
   * @param deps The dependencies as written.
   * @returns Their normal form.
   */
  normalizeDeps(deps: Dep | undefined): DepSpec[] {
    return normalizeDeps(this.root, deps);
  }

  /**
   * Adds a rule, checking that no other rule has one of its targets.
   * @param rule The rule.
   * @returns The rule as added (a rule without targets may get a suffixed id).
   */
  addRule(rule: Rule): Rule {
    const previous = this.rules.get(rule.id);
    if (previous !== undefined && rule.targets.length === 0) {
      let n = 2;
      while (this.rules.has(`${rule.id}.${n}`)) n++;
      rule = renamed(rule, `${rule.id}.${n}`);
    }
    for (const target of rule.targets) {
      const other = this.producers.get(target);
      if (other !== undefined) {
        this.problems.push(
          `Two rules write "${target}": the rule at ${other.site} and the rule at ${rule.site}. ` +
            `Each target must have exactly one rule`,
        );
        return rule;
      }
    }
    this.rules.set(rule.id, rule);
    for (const target of rule.targets) this.producers.set(target, rule);
    if (rule.alias !== undefined) this.alias(rule.alias, () => rule.site).rules.push(rule.id);
    return rule;
  }

  /**
   * Returns an alias, creating it when first named.
   * @param name The alias name.
   * @param site Where it is named, or a function that says so when asked.
   * @returns The alias.
   */
  alias(name: string, site: string | (() => string)): AliasDef {
    let def = this.aliases.get(name);
    if (def === undefined) {
      let where = site;
      def = {
        name,
        deps: [],
        rules: [],
        get site() {
          if (typeof where === "function") where = where();
          return where;
        },
      };
      this.aliases.set(name, def);
    }
    return def;
  }
}

/**
 * Normalises a path given in build.ts or on the command line: relative to
 * the project root, `/`-separated. Paths outside the root stay absolute.
 * @param root The project root.
 * @param path The path.
 * @returns The normalised path.
 */
export function normalizePath(root: string, path: string): string {
  if (isNormalRelative(path)) return path;
  const abs = isAbsolute(path) ? normalize(path) : resolve(root, path);
  const rel = relative(root, abs);
  return rel.startsWith("..") ? abs : rel;
}

/**
 * Normalises dependencies: paths, `@alias`, globs and rule handles.
 * @param root The project root.
 * @param deps The dependencies as written.
 * @returns Their normal form.
 */
export function normalizeDeps(root: string, deps: Dep | undefined): DepSpec[] {
  const out: DepSpec[] = [];
  const add = (dep: Dep | undefined): void => {
    if (dep === undefined) return;
    if (dep instanceof RuleHandle) {
      if (dep.targets.length === 0) out.push({ kind: "rule", id: dep.id });
      else for (const t of dep.targets) out.push({ kind: "path", path: t });
    } else if (typeof dep === "string") {
      if (dep.startsWith("@")) out.push({ kind: "alias", name: dep.slice(1) });
      else if (/[*?[{]/.test(dep)) out.push({ kind: "glob", pattern: dep });
      else out.push({ kind: "path", path: normalizePath(root, dep) });
    } else if (Array.isArray(dep)) { for (const d of dep) add(d); }
    else throw new TypeError(`Cannot depend on ${String(dep)}: use a path, "@alias" or a rule`);
  };
  add(deps);
  return out;
}

/** A relative path with no `.`/`..` segments, empty segments or trailing slash. */
function isNormalRelative(path: string): boolean {
  return path !== "" && path[0] !== "/" && path[path.length - 1] !== "/" &&
    !path.includes("//") && !/(^|\/)\.\.?(\/|$)/.test(path);
}

let loading: Project | undefined;

/**
 * Sets the project that `rule()` and `alias()` add to while build.ts loads.
 * @param project The project, or undefined when loading ends.
 */
export function setLoadingProject(project: Project | undefined): void {
  loading = project;
}

/**
 * Returns the project being loaded.
 * @param what The function asking, for the error message.
 * @returns The project.
 */
export function loadingProject(what: string): Project {
  if (loading === undefined) {
    throw new Error(
      `${what}() was called outside a build description: call it at the top level of build.ts, ` +
        `which barchan loads with "barchan build" or build()`,
    );
  }
  return loading;
}

/** The same rule under another id (its site and display may be getters, so no spread). */
function renamed(rule: Rule, id: string): Rule {
  return {
    id,
    targets: rule.targets,
    deps: rule.deps,
    action: rule.action,
    alias: rule.alias,
    description: rule.description,
    cache: rule.cache,
    remote: rule.remote,
    platform: rule.platform,
    spec: rule.spec,
    get site() {
      return rule.site;
    },
    get display() {
      return rule.display;
    },
  };
}
