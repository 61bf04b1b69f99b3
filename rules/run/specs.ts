/**
 * What a build needs of build.ts, as data: each rule's spec (its targets,
 * its dependencies with the rule producing each path, its action as data or
 * the digest of the code a function action is made of), each alias's, the
 * rule producing a path, and the default request.
 *
 * These are the values of the `barchan.spec` memo nodes (nodes.ts): a build
 * whose build.ts and what it read did not change takes them from the store,
 * without evaluating build.ts. Each spec carries a `key`, the digest of what
 * decides whether it changed: where a rule is defined (its site) is shown in
 * messages but moving it changes nothing.
 *
 * @module
 */
import { digestOf } from "../../memo/stat/digest.ts";
import { globToRegExp } from "../../memo/leaves/glob.ts";
import { actionOfSpec } from "../dsl/actions.ts";
import type { AliasDef, DepSpec, Project, Rule } from "../project/project.ts";
import type { PlatformProperties } from "../command/platform.ts";

/** A dependency with what it resolves to in the project. */
export type ResolvedDep =
  | {
    readonly kind: "path";
    readonly path: string;
    /** The rule writing the path, null for a source. */
    readonly producer: string | null;
    /** Whether that rule writes this one target only. */
    readonly single: boolean;
  }
  | { readonly kind: "alias"; readonly name: string }
  | { readonly kind: "glob"; readonly pattern: string }
  | { readonly kind: "rule"; readonly id: string };

/** A rule's action: data (`run`, `sh`, `write`, `copy`), or a function and the digest of its code. */
export type ActionSpec =
  | { readonly kind: "data"; readonly spec: readonly string[] }
  | { readonly kind: "function"; readonly code: string };

/**
 * A rule as a build runs it. Where build.ts defines it is not part of it:
 * finding that costs time, moving a rule changes nothing, and only
 * messages show it (`BuildContext#siteOf`).
 */
export interface RuleSpec {
  /** Digest of every other field. */
  readonly key: string;
  readonly id: string;
  readonly targets: readonly string[];
  readonly deps: readonly ResolvedDep[];
  readonly action: ActionSpec;
  readonly alias: string | null;
  /** What the rule does, in words, when build.ts says. */
  readonly description: string | null;
  /** Whether the action cache may keep and restore its commands' results. */
  readonly cache: boolean;
  /** Whether its commands may run on a remote executor. */
  readonly remote: boolean;
  /** The platform its commands run on (its own, else the project's); null is this machine. */
  readonly platform: PlatformProperties | null;
  /** Whether its commands always run under bubblewrap. */
  readonly sandbox: boolean;
}

/** An alias as a build runs it. */
export interface AliasSpec {
  /** Digest of every other field. */
  readonly key: string;
  readonly name: string;
  readonly deps: readonly ResolvedDep[];
  readonly rules: readonly string[];
}

/** The rule producing a path. */
export interface ProducerSpec {
  readonly key: string;
  readonly rule: string;
  readonly single: boolean;
}

/** The targets a glob can match, with the rule producing each. */
export interface GlobSpec {
  readonly key: string;
  readonly produced: Readonly<Record<string, { readonly rule: string; readonly single: boolean }>>;
}

/** The dependencies a build with no target asks for. */
export interface DefaultSpec {
  readonly key: string;
  readonly deps: readonly ResolvedDep[];
}

/** Any spec: what a `barchan.spec` node holds (null when the project has none by that key). */
export type Spec = RuleSpec | AliasSpec | ProducerSpec | GlobSpec | DefaultSpec;

/** The key of a rule's spec. */
export function ruleKey(id: string): string {
  return `rule:${id}`;
}

/** The key of an alias's spec. */
export function aliasKey(name: string): string {
  return `alias:${name}`;
}

/** The key of the spec of the rule producing a path. */
export function producerKey(path: string): string {
  return `path:${path}`;
}

/** The key of the spec of what a glob can match among targets. */
export function globKey(pattern: string): string {
  return `glob:${pattern}`;
}

/** The key of the default request. */
export const DEFAULT_KEY = "default";

/** Every spec of a project, and the digest of them all. */
export interface ProjectSpecs {
  readonly specs: ReadonlyMap<string, Spec>;
  /** Digest of every spec's key, in order: changes exactly when one of them does. */
  readonly digest: string;
}

/**
 * The specs of a project's rules and aliases, and its default request.
 * Producers of paths are answered on demand ({@linkcode specOf}), as few
 * are asked outside the rules' own dependencies.
 * @param project The project.
 * @param code Digest of the code function actions are made of (build.ts,
 * the modules it imports, what it read).
 * @returns The specs and their digest.
 */
export function projectSpecs(project: Project, code: string): ProjectSpecs {
  const specs = new Map<string, Spec>();
  const keys: string[] = [];
  for (const rule of project.rules.values()) {
    const spec = ruleSpecOf(project, rule, code);
    specs.set(ruleKey(rule.id), spec);
    keys.push(spec.key);
  }
  for (const alias of project.aliases.values()) {
    const spec = aliasSpecOf(project, alias);
    specs.set(aliasKey(alias.name), spec);
    keys.push(spec.key);
  }
  const fallback = defaultSpecOf(project);
  specs.set(DEFAULT_KEY, fallback);
  keys.push(fallback.key);
  return { specs, digest: digestOf(keys.join("\n")) };
}

/**
 * The spec of one key, from the project's specs or (for a producer) made now.
 * @param project The project.
 * @param specs What {@linkcode projectSpecs} gave.
 * @param key The spec's key.
 * @returns The spec, or null when the project has none.
 */
export function specOf(project: Project, specs: ProjectSpecs, key: string): Spec | null {
  const known = specs.specs.get(key);
  if (known !== undefined) return known;
  if (key.startsWith("path:")) return producerSpecOf(project, key.slice(5));
  if (key.startsWith("glob:")) return globSpecOf(project, key.slice(5));
  return null;
}

function globSpecOf(project: Project, pattern: string): GlobSpec {
  const regex = globToRegExp(pattern);
  const produced: Record<string, { rule: string; single: boolean }> = {};
  for (const [path, rule] of project.producers) {
    if (regex.test(path)) produced[path] = { rule: rule.id, single: rule.targets.length === 1 };
  }
  return { key: digestOf(JSON.stringify(produced)), produced };
}

/**
 * How a rule's action is shown: its command line, or for a function its
 * description (`function` without one).
 * @param spec The rule.
 * @returns The text.
 */
export function displayOf(spec: RuleSpec): string {
  return spec.action.kind === "data"
    ? actionOfSpec(spec.action.spec).display
    : spec.description ?? "function";
}

/** Compares specs by their keys, for the cutoff of the nodes holding them. */
export function sameSpec(a: Spec | null, b: Spec | null): boolean {
  return a === null || b === null ? a === b : a.key === b.key;
}

function ruleSpecOf(project: Project, rule: Rule, code: string): RuleSpec {
  const deps = resolveDeps(project, rule.deps);
  const action: ActionSpec = typeof rule.action === "function"
    ? { kind: "function", code }
    : { kind: "data", spec: rule.action.spec };
  const alias = rule.alias ?? null;
  const description = rule.description ?? null;
  const cache = rule.cache !== false;
  const remote = rule.remote !== false;
  const given = rule.platform ?? project.defaultPlatform;
  const platform = given === undefined || Object.keys(given).length === 0 ? null : given;
  const keyed: unknown[] = [rule.id, rule.targets, deps, action, alias, description, cache];
  // Only what differs from the default enters the key: rules that set
  // neither keep the key they had before these options existed.
  if (!remote || platform !== null) keyed.push(remote, _sorted(platform));
  // Like --sandbox, the option changes where commands run, not what they
  // make: turning it on does not run again what already ran.
  const sandbox = rule.sandbox === true;
  return {
    key: digestOf(JSON.stringify(keyed)),
    id: rule.id,
    targets: rule.targets,
    deps,
    action,
    alias,
    description,
    cache,
    remote,
    platform,
    sandbox,
  };
}

function _sorted(platform: PlatformProperties | null): [string, string][] | null {
  return platform && Object.entries(platform).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
}

function aliasSpecOf(project: Project, alias: AliasDef): AliasSpec {
  const deps = resolveDeps(project, alias.deps);
  return {
    key: digestOf(JSON.stringify([alias.name, deps, alias.rules])),
    name: alias.name,
    deps,
    rules: alias.rules,
  };
}

function producerSpecOf(project: Project, path: string): ProducerSpec | null {
  const rule = project.producers.get(path);
  if (rule === undefined) return null;
  const single = rule.targets.length === 1;
  return { key: digestOf(JSON.stringify([rule.id, single])), rule: rule.id, single };
}

function defaultSpecOf(project: Project): DefaultSpec {
  const deps: DepSpec[] = project.aliases.has("default")
    ? [{ kind: "alias", name: "default" }]
    : [...project.rules.values()]
      .filter((r) => r.targets.length > 0)
      .map((r) => ({ kind: "rule", id: r.id }));
  const resolved = resolveDeps(project, deps);
  return { key: digestOf(JSON.stringify(resolved)), deps: resolved };
}

/**
 * Dependencies with the rule producing each path.
 * @param project The project.
 * @param deps The dependencies, normalised.
 * @returns Them resolved.
 */
export function resolveDeps(project: Project, deps: readonly DepSpec[]): ResolvedDep[] {
  return deps.map((dep): ResolvedDep => {
    if (dep.kind !== "path") return dep;
    const rule = project.producers.get(dep.path);
    return {
      kind: "path",
      path: dep.path,
      producer: rule?.id ?? null,
      single: rule !== undefined && rule.targets.length === 1,
    };
  });
}

/** A dependency as a spec node stores it: a source's path, or a tagged array. */
type StoredDep = string | [string, string, number] | ["@" | "*" | "#", string];

function storeDep(dep: ResolvedDep): StoredDep {
  switch (dep.kind) {
    case "path":
      return dep.producer === null ? dep.path : [dep.path, dep.producer, dep.single ? 1 : 0];
    case "alias":
      return ["@", dep.name];
    case "glob":
      return ["*", dep.pattern];
    case "rule":
      return ["#", dep.id];
  }
}

function loadDep(stored: StoredDep): ResolvedDep {
  if (typeof stored === "string") {
    return { kind: "path", path: stored, producer: null, single: false };
  }
  if (stored.length === 3) {
    return { kind: "path", path: stored[0], producer: stored[1], single: stored[2] === 1 };
  }
  const [tag, value] = stored;
  return tag === "@"
    ? { kind: "alias", name: value }
    : tag === "*"
    ? { kind: "glob", pattern: value }
    : { kind: "rule", id: value };
}

/**
 * How spec nodes store their values: arrays, without field names, since a
 * project has as many as it has rules and each is written whenever build.ts
 * changes it.
 */
export const specCodec: {
  encode(spec: Spec | null): unknown;
  decode(data: unknown): Spec | null;
} = {
  encode(spec) {
    if (spec === null) return null;
    if ("action" in spec) {
      const action = spec.action.kind === "data" ? spec.action.spec : { f: spec.action.code };
      return [
        "r",
        spec.key,
        spec.id,
        spec.targets,
        spec.deps.map(storeDep),
        action,
        spec.alias,
        spec.description,
        spec.cache ? 1 : 0,
        spec.remote ? 1 : 0,
        spec.platform,
        spec.sandbox ? 1 : 0,
      ];
    }
    if ("rules" in spec) return ["a", spec.key, spec.name, spec.deps.map(storeDep), spec.rules];
    if ("rule" in spec) return ["p", spec.key, spec.rule, spec.single ? 1 : 0];
    if ("produced" in spec) return ["g", spec.key, spec.produced];
    return ["d", spec.key, spec.deps.map(storeDep)];
  },
  decode(data) {
    if (data === null) return null;
    const a = data as unknown[];
    switch (a[0]) {
      case "r": {
        const stored = a[5] as string[] | { f: string };
        return {
          key: a[1] as string,
          id: a[2] as string,
          targets: a[3] as string[],
          deps: (a[4] as StoredDep[]).map(loadDep),
          action: Array.isArray(stored)
            ? { kind: "data", spec: stored }
            : { kind: "function", code: stored.f },
          alias: a[6] as string | null,
          description: a[7] as string | null,
          cache: a[8] !== 0,
          remote: a[9] !== 0,
          platform: (a[10] ?? null) as PlatformProperties | null,
          sandbox: a[11] === 1,
        };
      }
      case "a":
        return {
          key: a[1] as string,
          name: a[2] as string,
          deps: (a[3] as StoredDep[]).map(loadDep),
          rules: a[4] as string[],
        };
      case "p":
        return { key: a[1] as string, rule: a[2] as string, single: a[3] === 1 };
      case "g":
        return { key: a[1] as string, produced: a[2] as GlobSpec["produced"] };
      case "d":
        return { key: a[1] as string, deps: (a[2] as StoredDep[]).map(loadDep) };
    }
    throw new Error("not a stored spec");
  },
};
