/**
 * The files a rule's commands may read: every file its dependencies come to
 * (a path, each path a glob matches, each file of an alias, each target of a
 * rule), with the SHA-256 digests a command's key needs (command_key.ts).
 * A built file's fast digest comes from its rule's value, a source's from
 * the file itself; both are dependencies the rule has already recorded.
 *
 * @module
 */
import { join } from "node:path";
import {
  contentDigest,
  digestOfFile,
  type Engine,
  glob,
  pathPresent,
  statPath,
} from "../../memo/mod.ts";
import { sha256OfFile } from "../command/file_sha256.ts";
import { parseRemoteDigest } from "../command/remote_digest.ts";
import { globMatches } from "./remote_globs.ts";
import type { InputFile } from "../reapi/mod.ts";
import type { DepSpec } from "../project/project.ts";
import { ruleSpec, type RuleValue } from "./nodes.ts";
import {
  aliasKey,
  type AliasSpec,
  globKey,
  type GlobSpec,
  producerKey,
  type ProducerSpec,
  type ResolvedDep,
} from "./specs.ts";
import { BUILD_DIR } from "../state.ts";
import { isDirDigest, treeEmptyDirs, treeFiles } from "./dir_targets.ts";

/** A dependency as written, or as its spec resolved it. */
export type Need = DepSpec | ResolvedDep;

/**
 * The input files of one execution of a rule's action, growing as it needs
 * more.
 *
 * @example
 * ```ts
 * import { InputSet } from "./inputs.ts";
 * import assert from "node:assert/strict";
 *
 * const inputs = new InputSet("/project", {} as never);
 * assert.deepEqual(await inputs.files(), []);
 * inputs.add([{ kind: "alias", name: "none" }]);
 * assert.equal(inputs.found.length, 1);
 * ```
 */
export class InputSet {
  readonly #root: string;
  readonly #engine: Engine;
  readonly #pending: Need[] = [];
  readonly #files = new Map<string, InputFile>();
  readonly #directories = new Set<string>();
  readonly #aliases = new Set<string>();
  readonly #found: Need[] = [];
  readonly #foundKeys = new Set<string>();
  readonly #isRemote: ((path: string) => boolean) | undefined;

  /**
   * @param root The project root.
   * @param engine The build's engine (for the values of built rules).
   * @param deps The rule's static dependencies.
   * @param isRemote Whether a path is an output left on the remote executor
   * (`--remote-download minimal`), which a glob matches though it is not on disk.
   */
  constructor(
    root: string,
    engine: Engine,
    deps: readonly Need[] = [],
    isRemote?: (path: string) => boolean,
  ) {
    this.#root = root;
    this.#engine = engine;
    this.#isRemote = isRemote;
    this.#pending.push(...deps);
  }

  /**
   * Adds dependencies the action found while running (`ctx.need`,
   * `ctx.readText`, a cache manifest).
   * @param deps The dependencies, already built.
   */
  add(deps: readonly Need[]): void {
    this.#pending.push(...deps);
    for (const dep of deps) {
      const key = JSON.stringify(dep);
      if (this.#foundKeys.has(key)) continue;
      this.#foundKeys.add(key);
      this.#found.push(dep);
    }
  }

  /** The dependencies found while running, each once, in the order found. */
  get found(): readonly Need[] {
    return this.#found;
  }

  /**
   * Every input file so far, sorted by path.
   * @returns The files with their SHA-256 digests.
   */
  async files(): Promise<InputFile[]> {
    while (this.#pending.length > 0) {
      const deps = this.#pending.splice(0);
      for (const dep of deps) await this.#resolve(dep);
    }
    return [...this.#files.values()].sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  }

  /**
   * The empty directories of the directory targets among the input files
   * so far (after {@linkcode InputSet.files}), sorted.
   * @returns Project-relative paths.
   */
  directories(): string[] {
    return [...this.#directories].sort();
  }

  async #resolve(dep: Need): Promise<void> {
    switch (dep.kind) {
      case "path": {
        const producer = "producer" in dep
          ? dep.producer
          : (await ruleSpec(producerKey(dep.path)) as ProducerSpec | null)?.rule ?? null;
        await this.#file(dep.path, producer);
        return;
      }
      case "glob": {
        const [paths, produced] = await Promise.all([
          glob(dep.pattern, { skip: [BUILD_DIR] }),
          ruleSpec(globKey(dep.pattern)) as Promise<GlobSpec>,
        ]);
        for (const path of globMatches(paths, produced.produced, this.#isRemote)) {
          await this.#file(path, produced.produced[path]?.rule ?? null);
        }
        return;
      }
      case "rule":
        await this.#targetsOf(dep.id);
        return;
      case "alias": {
        if (this.#aliases.has(dep.name)) return;
        this.#aliases.add(dep.name);
        const spec = await ruleSpec(aliasKey(dep.name)) as AliasSpec | null;
        if (spec === null) return;
        for (const d of spec.deps) await this.#resolve(d);
        for (const id of spec.rules) await this.#targetsOf(id);
      }
    }
  }

  async #targetsOf(rule: string): Promise<void> {
    const value = this.#engine.lastValue("barchan.rule", rule) as RuleValue | undefined;
    for (const path of Object.keys(value?.t ?? {})) {
      if (path !== "") await this.#file(path, rule);
    }
  }

  async #file(path: string, producer: string | null): Promise<void> {
    if (this.#files.has(path)) return;
    const absolute = join(this.#root, path);
    const targets = producer === null
      ? undefined
      : (this.#engine.lastValue("barchan.rule", producer) as RuleValue | undefined)?.t;
    let fast = producer === null ? await contentDigest(absolute) : targets?.[path];
    if (isDirDigest(fast ?? undefined)) {
      // A directory target: every file of its tree, which its rule's value covers.
      for (const file of treeFiles(this.#root, path)) await this.#file(file, producer);
      for (const empty of treeEmptyDirs(this.#root, path)) this.#directories.add(empty);
      return;
    }
    if (fast === undefined && targets !== undefined && insideTree(targets, path)) {
      // A file of a directory target (the tree's digest covers it).
      try {
        fast = digestOfFile(absolute);
      } catch {
        return;
      }
    }
    if (fast === null || fast === undefined) return;
    // An output left on the remote executor: its digest says it all.
    const remote = parseRemoteDigest(fast);
    if (remote !== undefined && !pathPresent(absolute)) {
      this.#files.set(path, { path, digest: remote.digest, isExecutable: remote.executable });
      return;
    }
    // Through FFI where it can: one stat a command input, thousands for a module graph.
    let executable: boolean;
    try {
      const info = statPath(absolute);
      if (info === null) return;
      executable = info.executable;
    } catch {
      return;
    }
    const { sha256 } = await sha256OfFile(absolute, fast);
    this.#files.set(path, { path, digest: sha256, isExecutable: executable });
  }
}

/** Whether a path is inside one of a rule's directory targets. */
function insideTree(targets: Record<string, string>, path: string): boolean {
  for (const [target, digest] of Object.entries(targets)) {
    if (isDirDigest(digest) && path.startsWith(target + "/")) return true;
  }
  return false;
}
