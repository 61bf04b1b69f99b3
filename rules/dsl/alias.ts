/**
 * `alias()`: names a set of dependencies that `build @name` builds.
 *
 * @module
 */
import type { Dep } from "./actions.ts";
import { loadingProject } from "../project/project.ts";
import { depProblem } from "./_names.ts";

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
  const site = () => capture !== undefined ? project.siteOf(capture) : project.findSite(name);
  const def = project.alias(name.replace(/^@/, ""), site);
  const normalized = project.normalizeDeps(deps);
  for (const dep of normalized) {
    const problem = depProblem(dep);
    if (problem !== undefined) throw new Error(`The alias @${def.name} at ${site()} ${problem}`);
  }
  def.deps.push(...normalized);
}
