/**
 * A command's platform: the REAPI platform properties (`OSFamily`,
 * `container-image`...) a worker must have to run it, given by the rule's
 * `platform` option or the project's `defaultPlatform()`.
 *
 * Without a platform, a command's key names this machine (its operating
 * system and CPU) and the digest of the program found on this machine's
 * `PATH`: the command is taken to need exactly this machine's tools. With
 * one, the key names the platform instead, and the program is whatever the
 * platform has under that name: the local program's digest stays out of the
 * key, and the command runs with `PATH` set to {@linkcode PLATFORM_PATH}
 * unless the action sets `PATH` itself, locally as remotely, since the key
 * says so.
 *
 * @module
 */
import type { CommandSpec } from "./command.ts";

/**
 * Platform properties by name: what a remote worker must offer (Buildbarn
 * and BuildBuddy match them against their workers' own).
 *
 * @example A container image
 * ```ts
 * import type { PlatformProperties } from "./platform.ts";
 * import assert from "node:assert/strict";
 *
 * const linux: PlatformProperties = {
 *   OSFamily: "linux",
 *   "container-image": "docker://ghcr.io/example/build@sha256:0123",
 * };
 * assert.equal(Object.keys(linux).length, 2);
 * ```
 */
export type PlatformProperties = Readonly<Record<string, string>>;

/**
 * The `PATH` of a command under a platform whose action does not set one:
 * where Debian, Ubuntu, Alpine and Fedora images keep their programs.
 *
 * @example The directories it names
 * ```ts
 * import { PLATFORM_PATH } from "./platform.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(PLATFORM_PATH.split(":").includes("/usr/bin"));
 * ```
 */
export const PLATFORM_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * Checks a `platform` option: an object of non-empty names to strings.
 *
 * @param value The option as build.ts gave it.
 * @param where What gave it, for the message (`the rule at build.ts:3`).
 * @returns The properties, copied and frozen; `undefined` for an empty object.
 * @throws {TypeError} When it is not such an object.
 *
 * @example What a platform option may be
 * ```ts
 * import { checkPlatform } from "./platform.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(checkPlatform({ OSFamily: "linux" }, "a rule"), { OSFamily: "linux" });
 * assert.equal(checkPlatform({}, "a rule"), undefined);
 * assert.throws(() => checkPlatform({ cores: 4 }, "a rule"), /platform property "cores"/);
 * ```
 */
export function checkPlatform(value: unknown, where: string): PlatformProperties | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `${where} has a platform that is not an object of properties, as { OSFamily: "linux" }`,
    );
  }
  const properties: Record<string, string> = {};
  for (const [name, property] of Object.entries(value)) {
    if (name === "" || typeof property !== "string") {
      throw new TypeError(
        `${where} has platform property ${JSON.stringify(name)} with value ${
          JSON.stringify(property)
        }: give each property a name and a string value`,
      );
    }
    properties[name] = property;
  }
  return Object.keys(properties).length === 0 ? undefined : Object.freeze(properties);
}

/**
 * A command as it runs under a platform: with `PATH` set to
 * {@linkcode PLATFORM_PATH} when its action sets none. Without a platform,
 * the command as it is.
 *
 * @param spec The command.
 * @param platform Its platform, if any.
 * @returns The command to key and run.
 *
 * @example PATH under a platform
 * ```ts
 * import { PLATFORM_PATH, underPlatform } from "./platform.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = { program: "cc", args: [], env: {}, cwd: "", outputs: [] };
 * assert.equal(underPlatform(spec, undefined), spec);
 * assert.equal(underPlatform(spec, { OSFamily: "linux" }).env.PATH, PLATFORM_PATH);
 * const own = { ...spec, env: { PATH: "/opt/cc/bin" } };
 * assert.equal(underPlatform(own, { OSFamily: "linux" }).env.PATH, "/opt/cc/bin");
 * ```
 */
export function underPlatform(
  spec: CommandSpec,
  platform: PlatformProperties | undefined,
): CommandSpec {
  if (platform === undefined || spec.env.PATH !== undefined) return spec;
  return { ...spec, env: { ...spec.env, PATH: PLATFORM_PATH } };
}
