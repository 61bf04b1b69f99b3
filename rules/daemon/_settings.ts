// How a long-lived process (the build server, a watch session) builds a
// request as the client's flags and environment say, as a build in the
// client's own process would.
//
// Some settings are each build's (Builder#build options): the type check of
// build.ts, replay, the sandbox, the cache namespace. The others are the
// builder's for as long as it lives, made once: the action cache and the
// remote executor. A request whose cache or executor differs from those of
// the builder cannot be built by it: the build server then stops, for a new
// one to build it, and a watch session leaves it to wait for the lock.

import { canonicalKey } from "../../memo/key.ts";
import { type ActionCacheOptions, actionCacheOptionsFromEnv } from "../cache/cache_options.ts";
import {
  type RemoteExecutionOptions,
  remoteExecutionOptionsFromEnv,
} from "../remote/executor_options.ts";
import type { BuildCallOptions } from "../run/builder.ts";
import type { BuildSettings } from "./protocol.ts";

/** Reads a variable of an environment. */
type Env = (name: string) => string | undefined;

/** The cache and the executor a builder is made with. */
export interface BuilderSetup {
  /** The action cache's options; undefined when the environment's cannot be read now (the builder then reads them, and fails, as a build of its own does). */
  cache: ActionCacheOptions | undefined;
  /** The remote executor's options, or false for none. */
  remote: RemoteExecutionOptions | false;
  /** Equal for two setups that make the same cache and executor. */
  key: string;
}

/**
 * The cache and the executor that the flags (resolved already, when given)
 * and an environment say, with relative paths taken from `cwd`.
 * @param given The cache's options and the executor's, as flags gave them; undefined: the environment says.
 * @param env The environment.
 * @param cwd The directory relative paths of the environment are relative to.
 * @returns The setup.
 * @throws {Error} When the environment's remote execution variables cannot be used.
 */
export function builderSetup(
  given: { cache?: ActionCacheOptions | false; remote?: RemoteExecutionOptions | false },
  env: Env,
  cwd: string,
): BuilderSetup {
  return inDirectory(cwd, () => {
    let cache = given.cache === false ? { enabled: false } : given.cache;
    let cacheKey: unknown = cache;
    if (cache === undefined) {
      try {
        cache = actionCacheOptionsFromEnv(env);
        cacheKey = cache;
      } catch (error) {
        cacheKey = { unusable: error instanceof Error ? error.message : String(error) };
      }
    }
    const remote = given.remote ?? remoteExecutionOptionsFromEnv(env) ?? false;
    // The executor's headers (and a gRPC cache's) are read from the environment when it connects.
    const headers = env("BARCHAN_REMOTE_HEADERS") ?? null;
    const key = canonicalKey(
      JSON.parse(JSON.stringify({ cache: cacheKey ?? null, remote, headers })),
    );
    return { cache, remote, key };
  });
}

/**
 * The setup a request asks for, from its settings and its client's environment and directory.
 * @param settings The request's settings.
 * @param env The client's environment.
 * @param cwd The client's working directory.
 * @returns The setup.
 * @throws {Error} When the environment's remote execution variables cannot be used.
 */
export function requestSetup(
  settings: BuildSettings,
  env: Readonly<Record<string, string>>,
  cwd: string,
): BuilderSetup {
  return builderSetup(
    { cache: settings.cache?.options, remote: settings.remote },
    (name) => Object.hasOwn(env, name) ? env[name] : undefined,
    cwd,
  );
}

/**
 * The options of one build that a request's settings give.
 * @param settings The request's settings.
 * @param env The client's environment.
 * @returns The options for `Builder#build`.
 */
export function buildCallSettings(
  settings: BuildSettings,
  env: Readonly<Record<string, string>>,
): Pick<BuildCallOptions, "check" | "replay" | "sandbox" | "cacheNamespace"> {
  return {
    check: settings.check ?? false,
    replay: settings.replay ?? false,
    sandbox: settings.sandbox ?? false,
    cacheNamespace: settings.cache?.namespace ?? env.BARCHAN_CACHE_NAMESPACE ?? "",
  };
}

/** Runs `fn` with `dir` as the working directory (when it exists), then goes back. */
function inDirectory<T>(dir: string, fn: () => T): T {
  const here = Deno.cwd();
  if (dir === here) return fn();
  try {
    Deno.chdir(dir);
  } catch {
    return fn();
  }
  try {
    return fn();
  } finally {
    Deno.chdir(here);
  }
}
