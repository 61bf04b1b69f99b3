/**
 * The rule cache: the rules and aliases of the last load of build.ts, as
 * data, kept beside the up-to-date record, which names it. When the record
 * says a build is needed but nothing build.ts is made of or read while
 * loading changed, evaluating build.ts again would define these same rules
 * (each with the same spec digest): the build takes them from here instead,
 * at 10,000 rules in about 15 ms against 160 ms. What the memo store holds
 * does not matter: a rule whose stored spec differs (say, after a build of
 * another build.ts that failed) runs again, as after a load; and when the
 * store is as the recorded build left it (the record's stamp), setting the
 * specs again is skipped. A build that took its rules from the cache keeps
 * the cache as it is.
 *
 * Only a project whose actions are all data (`run`, `sh`, `write`, `copy`)
 * and that defines no memo functions is cached: a function action, or a memo
 * function a rule could reach, exists only in the evaluated module.
 *
 * @module
 */
import { join } from "node:path";
import { EnvLeaf } from "../../memo/leaves/env.ts";
import { FileLeaf, type FileState } from "../../memo/leaves/file.ts";
import { ListingLeaf } from "../../memo/leaves/listing.ts";
import type { Leaf } from "../../memo/node.ts";
import { actionOfSpec, type DataAction } from "../dsl/actions.ts";
import { type DepSpec, Project, type Rule } from "../project/project.ts";
import { RULE_CACHE_FILE } from "../state.ts";
import { STORE_FILE } from "../../memo/persist/store.ts";

const FORMAT = 3;

/** A dependency as cached: a path dependency as its path alone. */
type CachedDep = string | DepSpec;

/** A rule's dependencies and its action's spec. */
type RuleBody = [deps: CachedDep[], action: string[]];

/**
 * What the cache holds. The file is this, as JSON, on its first line, then
 * each rule's body ({@linkcode RuleCache.bodyOf}) on a line of its own: taking
 * the rules builds 10,000 rules from their ids, and parses the body of a rule
 * only when it runs.
 */
export interface RuleCache {
  format: number;
  /** Names this cache; the up-to-date record names the cache that goes with it. */
  id: string;
  /** Per rule, in definition order: its id. */
  ids: string[];
  /** Per rule: its targets, 0 when they are its id alone. */
  targets: (string[] | 0)[];
  /** Per rule: the digest of its definition. */
  specs: string[];
  /** The rules attached to an alias: the rule's index and the alias. */
  attached: [number, string][];
  /** Alias name and the deps its `alias()` calls listed. */
  aliases: [string, DepSpec[]][];
  /** The modules and configuration files build.ts is made of. */
  modules: string[];
  /** What build.ts read while loading: files, listings, environment variables. */
  reads: {
    files: [string, ...FileState][];
    listings: [string, string | null, string[], string][];
    env: [string, string | null][];
  };
  /** Rule `index`'s body, a JSON `[deps, action]` (not part of the first line). */
  bodyOf: (index: number) => string;
}

/**
 * The cache of a loaded project, or undefined when it cannot be cached.
 * @param project The project as loaded.
 * @param modules What build.ts is made of.
 * @param reads What build.ts read while loading.
 * @returns The cache's content.
 */
export function ruleCacheOf(
  project: Project,
  modules: readonly string[],
  reads: readonly Leaf[],
): RuleCache | undefined {
  if (project.memoFunctions.size > 0) return undefined;
  const bodies: string[] = [];
  const cache: RuleCache = {
    format: FORMAT,
    id: crypto.randomUUID(),
    ids: [],
    targets: [],
    specs: [],
    attached: [],
    aliases: [...project.aliases.values()].map((a) => [a.name, a.deps]),
    modules: [...modules],
    reads: { files: [], listings: [], env: [] },
    bodyOf: (index) => bodies[index],
  };
  for (const rule of project.rules.values()) {
    if (typeof rule.action === "function") return undefined;
    const index = cache.ids.length;
    cache.ids.push(rule.id);
    const alone = rule.targets.length === 1 && rule.targets[0] === rule.id;
    cache.targets.push(alone ? 0 : [...rule.targets]);
    cache.specs.push(rule.spec);
    if (rule.alias !== undefined) cache.attached.push([index, rule.alias]);
    const body: RuleBody = [
      rule.deps.map((dep) => dep.kind === "path" ? dep.path : dep),
      [...rule.action.spec],
    ];
    bodies.push(JSON.stringify(body));
  }
  for (const leaf of reads) {
    if (leaf instanceof FileLeaf) {
      cache.reads.files.push([leaf.path, ...leaf.state()]);
    } else if (leaf instanceof ListingLeaf) {
      cache.reads.listings.push([leaf.dir, leaf.pattern, [...leaf.skip], leaf.digest]);
    } else if (leaf instanceof EnvLeaf && leaf.value !== undefined) {
      cache.reads.env.push([leaf.name, leaf.value]);
    }
  }
  return cache;
}

/**
 * Writes the cache, or deletes an old one when there is none to write.
 * @param stateDir The state directory.
 * @param cache The cache, if any.
 */
export function writeRuleCache(stateDir: string, cache: RuleCache | undefined): void {
  const file = join(stateDir, RULE_CACHE_FILE);
  if (cache === undefined) {
    try {
      Deno.removeSync(file);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return;
  }
  const temp = `${file}.${Deno.pid}.tmp`;
  const lines = [JSON.stringify(cache)];
  for (let i = 0; i < cache.ids.length; i++) lines.push(cache.bodyOf(i));
  Deno.writeTextFileSync(temp, lines.join("\n"));
  Deno.renameSync(temp, file);
}

/**
 * Reads the cache, if it is the one named.
 * @param stateDir The state directory.
 * @param id The cache's id, as the up-to-date record names it.
 * @returns The cache, or undefined.
 */
export function readRuleCache(stateDir: string, id: string): RuleCache | undefined {
  try {
    const text = Deno.readTextFileSync(join(stateDir, RULE_CACHE_FILE));
    let end = text.indexOf("\n");
    if (end < 0) end = text.length;
    const cache = JSON.parse(text.slice(0, end)) as RuleCache;
    if (cache?.format !== FORMAT || cache.id !== id) return undefined;
    const count = cache.ids.length;
    const starts = new Uint32Array(count + 1);
    for (let i = 0; i < count; i++) {
      if (end >= text.length) return undefined;
      starts[i] = end + 1;
      end = text.indexOf("\n", end + 1);
      if (end < 0) end = text.length;
    }
    starts[count] = end + 1;
    cache.bodyOf = (index) => text.slice(starts[index], starts[index + 1] - 1);
    return cache;
  } catch {
    return undefined;
  }
}

/**
 * The memo store's stamp: the size, modification time and inode of its log.
 * Any build that records anything appends to the log or rewrites it.
 * @param stateDir The state directory.
 * @returns The stamp, empty when there is no log.
 */
export function storeStamp(stateDir: string): number[] {
  try {
    const st = Deno.statSync(join(stateDir, STORE_FILE));
    return [st.size, st.mtime?.getTime() ?? 0, st.ino ?? 0];
  } catch {
    return [];
  }
}

/**
 * The project the cache describes, as loading build.ts would give it.
 * @param cache The cache.
 * @param root The project root.
 * @param file The build.ts file.
 * @returns The project.
 */
export function projectFromCache(cache: RuleCache, root: string, file: string): Project {
  const project = new Project(root, file);
  for (const [name, deps] of cache.aliases) {
    project.alias(name, () => project.findSite(name)).deps.push(...deps);
  }
  const aliasOf = new Map(cache.attached);
  const { ids, targets, specs } = cache;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const ruleTargets = targets[i] === 0 ? [id] : targets[i] as string[];
    project.addRule(
      new CachedRuleDef(project, cache, i, id, ruleTargets, aliasOf.get(i), specs[i]),
    );
  }
  return project;
}

/**
 * A rule as the cache describes it; its dependencies and action are read
 * from its body when first needed (an edit needs them for the few rules that
 * run).
 */
class CachedRuleDef implements Rule {
  readonly id: string;
  readonly targets: readonly string[];
  readonly alias: string | undefined;
  readonly spec: string;
  readonly #project: Project;
  readonly #cache: RuleCache;
  readonly #index: number;
  #deps: readonly DepSpec[] | undefined;
  #action: DataAction | undefined;

  constructor(
    project: Project,
    cache: RuleCache,
    index: number,
    id: string,
    targets: readonly string[],
    alias: string | undefined,
    spec: string,
  ) {
    this.#project = project;
    this.#cache = cache;
    this.#index = index;
    this.id = id;
    this.targets = targets;
    this.alias = alias;
    this.spec = spec;
  }

  #read(): void {
    const [deps, action] = JSON.parse(this.#cache.bodyOf(this.#index)) as RuleBody;
    this.#deps = deps.map((dep) =>
      typeof dep === "string" ? { kind: "path" as const, path: dep } : dep
    );
    this.#action = actionOfSpec(action);
  }

  get deps(): readonly DepSpec[] {
    if (this.#deps === undefined) this.#read();
    return this.#deps!;
  }

  get action(): DataAction {
    if (this.#action === undefined) this.#read();
    return this.#action!;
  }

  get site(): string {
    return this.#project.findSite(this.targets[0] ?? this.alias ?? this.id);
  }

  get display(): string {
    return this.action.display;
  }
}

/**
 * The leaves of what build.ts read while loading, as cached.
 * @param cache The cache.
 * @returns The leaves.
 */
export function cachedReads(cache: RuleCache): Leaf[] {
  const leaves: Leaf[] = [];
  for (const entry of cache.reads.files) {
    leaves.push(FileLeaf.withState(entry[0] as string, entry, 1));
  }
  for (const [dir, pattern, skip, digest] of cache.reads.listings) {
    const leaf = new ListingLeaf("", dir, pattern, skip);
    leaf.digest = digest;
    leaves.push(leaf);
  }
  for (const [name, value] of cache.reads.env) {
    const leaf = new EnvLeaf("", name);
    leaf.value = value;
    leaves.push(leaf);
  }
  return leaves;
}
