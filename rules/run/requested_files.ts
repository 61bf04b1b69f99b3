/**
 * The files a build request asks for, which `--remote-download minimal`
 * brings here (Bazel's "top-level outputs"): each path named on the command
 * line, and for an alias (the default alias for a request that names
 * nothing) the files it names by path, the targets of the rules it lists,
 * and so on through the aliases it names. Files a rule depends on are not
 * requested, nor are those a glob matches.
 *
 * Read from the engine's values of the specs and rules, after the request
 * was built: build.ts need not be evaluated in this process.
 *
 * @module
 */
import type { Engine } from "../../memo/mod.ts";
import type { RuleValue } from "./nodes.ts";
import {
  aliasKey,
  type AliasSpec,
  DEFAULT_KEY,
  type DefaultSpec,
  type ResolvedDep,
} from "./specs.ts";

/**
 * The files a request asks for, as the engine's last values say.
 * @param engine The build's engine, after the request was built.
 * @param targets The request's targets (paths and `@aliases`), none for the default.
 * @returns Project-relative paths, each once, sorted.
 *
 * @example Paths named on the command line are requested as they are
 * ```ts
 * import { Engine } from "../../memo/mod.ts";
 * import { requestedFiles } from "./requested_files.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(requestedFiles(new Engine(), ["out/c.txt", "out/a.txt"]), [
 *   "out/a.txt",
 *   "out/c.txt",
 * ]);
 * ```
 */
export function requestedFiles(engine: Engine, targets: readonly string[]): string[] {
  const files = new Set<string>();
  const aliases = new Set<string>();
  const spec = (key: string) => engine.lastValue("barchan.spec", key) as unknown;
  const ruleTargets = (id: string) => {
    const value = engine.lastValue("barchan.rule", id) as RuleValue | undefined;
    for (const path of Object.keys(value?.t ?? {})) if (path !== "") files.add(path);
  };
  const alias = (name: string) => {
    if (aliases.has(name)) return;
    aliases.add(name);
    const found = spec(aliasKey(name)) as AliasSpec | null | undefined;
    if (found === null || found === undefined) return;
    found.deps.forEach(dep);
    found.rules.forEach(ruleTargets);
  };
  const dep = (d: ResolvedDep) => {
    if (d.kind === "path") files.add(d.path);
    else if (d.kind === "rule") ruleTargets(d.id);
    else if (d.kind === "alias") alias(d.name);
  };
  if (targets.length === 0) {
    (spec(DEFAULT_KEY) as DefaultSpec | null | undefined)?.deps.forEach(dep);
  }
  for (const target of targets) {
    if (target.startsWith("@")) alias(target.slice(1));
    else if (!/[*?[{]/.test(target)) files.add(target);
  }
  return [...files].sort();
}
