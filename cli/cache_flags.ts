/**
 * From the cache's command-line options to the action cache's options and
 * the cache namespace, and from the remote executor's to remote execution's
 * options, with the environment (see rules/cache/cache_options.ts and
 * rules/remote/executor_options.ts for the names and the precedence: a flag
 * over its variable over the default).
 *
 * @module
 */
import type { CACHE_OPTIONS, OptionValues, REMOTE_OPTIONS } from "./args.ts";
import {
  type ActionCacheOptions,
  actionCacheOptionsFromEnv,
  type CacheFlags,
  cacheNamespaceFromEnv,
  type EnvReader,
} from "../rules/cache/cache_options.ts";
import {
  type RemoteExecutionOptions,
  remoteExecutionOptionsFromEnv,
} from "../rules/remote/executor_options.ts";

/**
 * The values of the cache's options as `parseCommandLine` returns them.
 *
 * @example Values by long name
 * ```ts
 * import type { CacheOptionValues } from "./cache_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const values: CacheOptionValues = { "cache-namespace": "main", "remote-cache-upload": true };
 * assert.equal(values["cache-namespace"], "main");
 * ```
 */
export type CacheOptionValues = OptionValues<typeof CACHE_OPTIONS>;

/**
 * The values of the remote executor's options (and the cache's, for
 * `--remote-instance`) as `parseCommandLine` returns them.
 *
 * @example Values by long name
 * ```ts
 * import type { RemoteOptionValues } from "./cache_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const values: RemoteOptionValues = { "remote-executor": "grpc://127.0.0.1:8980", "remote-jobs": "8" };
 * assert.equal(values["remote-only"], undefined);
 * ```
 */
export type RemoteOptionValues = OptionValues<typeof REMOTE_OPTIONS> & CacheOptionValues;

/**
 * What a build needs to use the cache: the cache's options, and the
 * namespace for its keys.
 *
 * @example The cache turned off
 * ```ts
 * import type { CacheSettings } from "./cache_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const settings: CacheSettings = { options: { enabled: false }, namespace: "" };
 * assert.equal(settings.options.enabled, false);
 * ```
 */
export interface CacheSettings {
  /** What `openActionCache` opens (`{ enabled: false }` when the cache is off). */
  options: ActionCacheOptions;
  /** The cache namespace, for the salt of every action's key; `""` when none. */
  namespace: string;
}

/**
 * The cache's flags by meaning, from the parsed command line.
 *
 * @param values The parsed options (others are ignored).
 * @returns The flags given.
 *
 * @example `--remote-cache-upload`
 * ```ts
 * import { cacheFlagsFromArgs } from "./cache_flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cacheFlagsFromArgs({ "remote-cache-upload": true }).remoteCacheUpload, true);
 * ```
 */
export function cacheFlagsFromArgs(
  values: CacheOptionValues & { "remote-ca"?: string },
): CacheFlags {
  return {
    cacheDir: values["cache-dir"],
    noCache: values["no-cache"],
    remoteCache: values["remote-cache"],
    remoteCacheUpload: values["remote-cache-upload"],
    cacheNamespace: values["cache-namespace"],
    remoteInstance: values["remote-instance"],
    cacheTrustedKeys: values["cache-trusted-keys"],
    cacheSigningKey: values["cache-signing-key"],
    remoteCa: values["remote-ca"],
  };
}

/**
 * The cache's options and namespace from the parsed command line and the
 * environment.
 *
 * @param values The parsed options.
 * @param env Reads an environment variable.
 * @returns The settings.
 * @throws {Error} If a flag or variable cannot be read (the message says
 * which); a usage error.
 *
 * @example A pull-request build: main's namespace, read only
 * ```ts
 * import { parseCommandLine, CACHE_OPTIONS } from "./args.ts";
 * import { cacheSettingsFromArgs } from "./cache_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const { values } = parseCommandLine(
 *   ["--remote-cache", "https://cache.example.com", "--cache-namespace", "main"],
 *   CACHE_OPTIONS,
 * );
 * const env = (name: string) => name === "HOME" ? "/home/ci" : undefined;
 * const settings = cacheSettingsFromArgs(values, env);
 * assert.equal(settings.namespace, "main");
 * assert.equal(settings.options.remote, "https://cache.example.com");
 * assert.equal(settings.options.upload, undefined);
 * ```
 */
export function cacheSettingsFromArgs(
  values: CacheOptionValues & { "remote-ca"?: string },
  env: EnvReader = (name) => Deno.env.get(name),
): CacheSettings {
  const flags = cacheFlagsFromArgs(values);
  return {
    options: actionCacheOptionsFromEnv(env, flags),
    namespace: cacheNamespaceFromEnv(env, flags),
  };
}

/**
 * Remote execution's options from the parsed command line and the
 * environment.
 *
 * @param values The parsed options.
 * @param env Reads an environment variable.
 * @returns The options, or `undefined` when no executor is configured.
 * @throws {Error} If a flag or variable cannot be used (the message says
 * which); a usage error.
 *
 * @example CI: 32 commands at a time on the executor, none here
 * ```ts
 * import { parseCommandLine, CACHE_OPTIONS, REMOTE_OPTIONS } from "./args.ts";
 * import { remoteSettingsFromArgs } from "./cache_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const { values } = parseCommandLine(
 *   ["--remote-executor", "grpcs://remote.example.com", "--remote-jobs", "32", "--remote-only"],
 *   { ...CACHE_OPTIONS, ...REMOTE_OPTIONS },
 * );
 * const remote = remoteSettingsFromArgs(values, () => undefined);
 * assert.deepEqual(remote, {
 *   executor: "grpcs://remote.example.com",
 *   jobs: 32,
 *   remoteOnly: true,
 * });
 * ```
 */
export function remoteSettingsFromArgs(
  values: RemoteOptionValues,
  env: EnvReader = (name) => Deno.env.get(name),
): RemoteExecutionOptions | undefined {
  return remoteExecutionOptionsFromEnv(env, {
    remoteExecutor: values["remote-executor"],
    remoteInstance: values["remote-instance"],
    remoteJobs: values["remote-jobs"],
    remoteOnly: values["remote-only"],
    remoteCa: values["remote-ca"],
    remoteDownload: values["remote-download"],
  });
}
