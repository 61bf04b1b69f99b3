/**
 * `defaultPlatform()`: the platform of every rule of build.ts that gives
 * none, for projects whose commands run on a remote executor's workers.
 *
 * @module
 */
import { checkPlatform } from "../command/platform.ts";
import { loadingProject } from "../project/project.ts";

/**
 * Sets the platform of the rules that give no `platform` of their own: REAPI
 * properties a remote worker must have, such as `OSFamily` and
 * `container-image`. The commands of those rules are keyed by it instead of
 * by this machine's OS, CPU and programs, and run with `PATH` set to
 * `/usr/local/bin:/usr/bin:/bin` unless their action sets one (see
 * docs/remote.md). Call it once, anywhere at the top level of build.ts; a
 * second call replaces the first, and `{}` goes back to this machine.
 *
 * @param properties The properties, by name.
 * @throws {TypeError} When a property is not a string.
 *
 * @example Outside build.ts, defaultPlatform() says where to call it
 * ```ts
 * import { defaultPlatform } from "@barchan/barchan";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => defaultPlatform({ OSFamily: "linux", "container-image": "docker://debian:12" }),
 *   /outside a build description/,
 * );
 * ```
 */
export function defaultPlatform(properties: Readonly<Record<string, string>>): void {
  const project = loadingProject("defaultPlatform");
  project.defaultPlatform = checkPlatform(properties, "defaultPlatform()");
}
