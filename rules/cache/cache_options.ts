/**
 * What configures the action cache, from command-line flags and the
 * environment. A flag wins over its variable, and a variable over the
 * default:
 *
 * | Flag                     | Variable                       | Default                        |
 * | ------------------------ | ------------------------------ | ------------------------------ |
 * | `--cache-dir DIR`        | `BARCHAN_CACHE_DIR`            | `$XDG_CACHE_HOME/barchan`, else `~/.cache/barchan` |
 * | `--no-cache`             | `BARCHAN_CACHE=off`            | on                             |
 * |                          | `BARCHAN_CACHE_MAX`            | `10G`                          |
 * | `--remote-cache URL`     | `BARCHAN_REMOTE_CACHE`         | none                           |
 * | `--remote-cache-upload`  | `BARCHAN_REMOTE_CACHE_UPLOAD=1`| read only                      |
 * |                          | `BARCHAN_REMOTE_CACHE_HEADERS` | none                           |
 * | `--remote-instance NAME` | `BARCHAN_REMOTE_INSTANCE`      | `""` (gRPC only)               |
 * | `--remote-ca FILE`       | `BARCHAN_REMOTE_CA`            | the system's roots (grpcs://)  |
 * | `--cache-namespace NAME` | `BARCHAN_CACHE_NAMESPACE`      | `""`                           |
 * | `--cache-trusted-keys P` | `BARCHAN_CACHE_TRUSTED_KEYS`   | none: signatures not required  |
 * | `--cache-signing-key F`  | `BARCHAN_CACHE_SIGNING_KEY`    | none: nothing signed           |
 *
 * `--no-cache` and `BARCHAN_CACHE=off` each turn the cache off. The
 * namespace is not the cache's business: the build puts it in the salt of
 * every action's key ({@linkcode cacheNamespaceFromEnv}).
 *
 * This module imports nothing that a cache needs, so that a build pays for
 * reading its flags only.
 *
 * @module
 */

import { cacheConfig, cacheSwitch } from "./cache_dir.ts";
import { remoteCacheHeaders } from "./cache_headers.ts";

/**
 * What `openActionCache` (in `action_cache.ts`) opens. Relative paths are relative to
 * the current directory.
 *
 * @example A local cache in a given directory, capped at 1 GiB
 * ```ts
 * import type { ActionCacheOptions } from "./cache_options.ts";
 * import { openActionCache } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const options: ActionCacheOptions = { cacheDir: dir, maxSize: 1024 ** 3 };
 * const cache = await openActionCache(options);
 * assert.equal(cache?.description, `local cache ${dir}`);
 * cache?.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface ActionCacheOptions {
  /**
   * The local cache's directory.
   *
   * @default {`$XDG_CACHE_HOME/barchan`, else `~/.cache/barchan`}
   */
  cacheDir?: string;
  /**
   * Whether there is a cache at all (`--no-cache`, `BARCHAN_CACHE=off`
   * turn it off).
   *
   * @default {true}
   */
  enabled?: boolean;
  /**
   * A remote cache behind the local one: `http://` or `https://` for Bazel's
   * HTTP cache protocol (nginx, bazel-remote...), `grpc://` or `grpcs://`
   * for the Remote Execution API's cache services.
   *
   * @default {undefined} (none)
   */
  remote?: string;
  /**
   * Whether this build writes to the remote cache (trusted CI only). The
   * local cache is always written.
   *
   * @default {false}
   */
  upload?: boolean;
  /**
   * The REAPI instance name, for a gRPC remote cache.
   *
   * @default {""}
   */
  instance?: string;
  /**
   * PEM file of the certificate authorities trusted for a `grpcs://`
   * remote cache.
   *
   * @default {undefined} (the system's roots)
   */
  caFile?: string;
  /**
   * Extra headers sent to the remote cache (a token).
   *
   * @default {undefined} (none over HTTP; `BARCHAN_REMOTE_HEADERS` over gRPC)
   */
  headers?: Record<string, string>;
  /**
   * A directory or a file of Ed25519 public keys (SPKI PEM, or base64 of
   * the raw 32 bytes, one a line). When set, an entry from the remote cache
   * is used only if one of these keys signed it.
   *
   * @default {undefined} (signatures not required)
   */
  trustedKeys?: string;
  /**
   * A PKCS#8 PEM private key, as a file or as the PEM text itself: entries
   * this build stores are signed with it.
   *
   * @default {undefined} (nothing signed)
   */
  signingKey?: string;
  /**
   * Receives warnings (a remote cache down, a damaged blob, a bad
   * signature); each is given once.
   *
   * @default {console.warn}
   */
  warn?: (message: string) => void;
  /**
   * The local cache's size cap in bytes.
   *
   * @default {10 GiB}
   */
  maxSize?: number;
}

/**
 * The cache's command-line flags, by meaning. Absent means not given.
 *
 * @example What `--remote-cache URL --remote-cache-upload` gives
 * ```ts
 * import { actionCacheOptionsFromEnv, type CacheFlags } from "./cache_options.ts";
 * import assert from "node:assert/strict";
 *
 * const flags: CacheFlags = { remoteCache: "http://cache:8080", remoteCacheUpload: true };
 * const options = actionCacheOptionsFromEnv((name) => name === "HOME" ? "/home/ci" : undefined, flags);
 * assert.equal(options.upload, true);
 * ```
 */
export interface CacheFlags {
  /** `--cache-dir DIR`. */
  cacheDir?: string;
  /** `--no-cache`. */
  noCache?: boolean;
  /** `--remote-cache URL`. */
  remoteCache?: string;
  /** `--remote-cache-upload`. */
  remoteCacheUpload?: boolean;
  /** `--cache-namespace NAME`. */
  cacheNamespace?: string;
  /** `--remote-instance NAME`. */
  remoteInstance?: string;
  /** `--cache-trusted-keys PATH`. */
  cacheTrustedKeys?: string;
  /** `--cache-signing-key FILE`. */
  cacheSigningKey?: string;
  /** `--remote-ca FILE`. */
  remoteCa?: string;
}

/**
 * Reads an environment variable, as `Deno.env.get` does.
 *
 * @example A fixed environment
 * ```ts
 * import type { EnvReader } from "./cache_options.ts";
 * import assert from "node:assert/strict";
 *
 * const env: EnvReader = (name) => ({ BARCHAN_CACHE: "off" } as Record<string, string>)[name];
 * assert.equal(env("BARCHAN_CACHE"), "off");
 * ```
 */
export type EnvReader = (name: string) => string | undefined;

const _REMOTE_SCHEMES = ["http:", "https:", "grpc:", "grpcs:"];

/**
 * The action cache's options from flags and the environment (see the module
 * doc for the names and the precedence). Everything read from the
 * environment is read here: `openActionCache` reads none.
 *
 * @param env Reads an environment variable.
 * @param flags The flags given.
 * @returns The options; `{ enabled: false }` when the cache is off.
 * @throws {Error} If a variable or flag cannot be read: a remote URL of
 * another scheme, a size or switch that is not one, headers that do not
 * parse, no `HOME` to put the cache under.
 *
 * @example Flags win over the environment
 * ```ts
 * import { actionCacheOptionsFromEnv } from "./cache_options.ts";
 * import assert from "node:assert/strict";
 *
 * const env: Record<string, string> = {
 *   HOME: "/home/ci",
 *   BARCHAN_REMOTE_CACHE: "http://cache.internal:8080/barchan",
 *   BARCHAN_REMOTE_CACHE_UPLOAD: "1",
 *   BARCHAN_CACHE_MAX: "2G",
 * };
 * const options = actionCacheOptionsFromEnv((name) => env[name], {
 *   remoteCache: "grpcs://cache.example.com",
 * });
 * assert.deepEqual(options, {
 *   enabled: true,
 *   cacheDir: "/home/ci/.cache/barchan",
 *   maxSize: 2 * 1024 ** 3,
 *   remote: "grpcs://cache.example.com",
 *   upload: true,
 * });
 * assert.deepEqual(actionCacheOptionsFromEnv((name) => env[name], { noCache: true }), {
 *   enabled: false,
 * });
 * ```
 */
export function actionCacheOptionsFromEnv(
  env: EnvReader,
  flags: CacheFlags = {},
): ActionCacheOptions {
  if (flags.noCache || !cacheSwitch(env("BARCHAN_CACHE"))) return { enabled: false };
  const config = cacheConfig({ cacheDir: flags.cacheDir, env });
  const options: ActionCacheOptions = {
    enabled: true,
    cacheDir: config.dir,
    maxSize: config.maxBytes,
  };
  const remote = _given(flags.remoteCache) ?? _given(env("BARCHAN_REMOTE_CACHE"));
  if (remote !== undefined) {
    options.remote = _checkRemote(remote);
    const upload = flags.remoteCacheUpload ||
      _flagVariable("BARCHAN_REMOTE_CACHE_UPLOAD", env("BARCHAN_REMOTE_CACHE_UPLOAD"));
    if (upload) options.upload = true;
    const instance = _given(flags.remoteInstance) ?? _given(env("BARCHAN_REMOTE_INSTANCE"));
    if (instance !== undefined) options.instance = instance;
    const ca = _given(flags.remoteCa) ?? _given(env("BARCHAN_REMOTE_CA"));
    if (ca !== undefined) options.caFile = _absolute(ca);
    if (env("BARCHAN_REMOTE_CACHE_HEADERS") !== undefined) {
      options.headers = remoteCacheHeaders(env);
    }
  }
  const trusted = _given(flags.cacheTrustedKeys) ?? _given(env("BARCHAN_CACHE_TRUSTED_KEYS"));
  if (trusted !== undefined) options.trustedKeys = _absolute(trusted);
  const signing = _given(flags.cacheSigningKey) ?? _given(env("BARCHAN_CACHE_SIGNING_KEY"));
  if (signing !== undefined) {
    options.signingKey = signing.trimStart().startsWith("-----BEGIN")
      ? signing
      : _absolute(signing);
  }
  return options;
}

/**
 * The cache namespace (`--cache-namespace`, else `BARCHAN_CACHE_NAMESPACE`,
 * else none): a name the build puts in the salt of every action's key, so
 * that builds of different namespaces never share entries. Pull-request
 * builds that use main's namespace read main's entries; without upload
 * rights they cannot write them.
 *
 * @param env Reads an environment variable.
 * @param flags The flags given.
 * @returns The namespace, `""` when none is set.
 * @throws {Error} If the name is longer than 128 characters or holds
 * characters other than letters, digits, `.`, `_`, `-` and `/`.
 *
 * @example The flag wins
 * ```ts
 * import { cacheNamespaceFromEnv } from "./cache_options.ts";
 * import assert from "node:assert/strict";
 *
 * const env = (name: string) => name === "BARCHAN_CACHE_NAMESPACE" ? "main" : undefined;
 * assert.equal(cacheNamespaceFromEnv(env, {}), "main");
 * assert.equal(cacheNamespaceFromEnv(env, { cacheNamespace: "release/1.x" }), "release/1.x");
 * assert.equal(cacheNamespaceFromEnv(() => undefined, {}), "");
 * assert.throws(() => cacheNamespaceFromEnv(env, { cacheNamespace: "a b" }), /namespace/);
 * ```
 */
export function cacheNamespaceFromEnv(env: EnvReader, flags: CacheFlags = {}): string {
  const name = flags.cacheNamespace ?? env("BARCHAN_CACHE_NAMESPACE") ?? "";
  if (name === "" || /^[A-Za-z0-9._\/-]{1,128}$/.test(name)) return name;
  throw new Error(
    `Cannot use ${JSON.stringify(name)} as a cache namespace: write up to 128 letters, ` +
      "digits, '.', '_', '-' or '/', as in main or release/1.x",
  );
}

function _given(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function _checkRemote(url: string): string {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    scheme = "";
  }
  if (_REMOTE_SCHEMES.includes(scheme)) return url;
  throw new Error(
    `Cannot use ${
      JSON.stringify(url.replace(/\/\/[^/@]*@/, "//"))
    } as a remote cache: write an http:// or https:// URL (Bazel's HTTP cache protocol: ` +
      "nginx, bazel-remote) or a grpc:// or grpcs:// one (the Remote Execution API's cache services)",
  );
}

function _flagVariable(name: string, value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  if (["", "0", "false", "no", "off"].includes(v)) return false;
  if (["1", "true", "yes", "on"].includes(v)) return true;
  throw new Error(`Cannot read ${name}=${JSON.stringify(value)}: expected 1 or 0`);
}

function _absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}
