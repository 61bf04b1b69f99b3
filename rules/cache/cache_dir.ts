/**
 * Where the local action cache lives, whether it is on, and how large it may
 * grow, from options and the environment.
 *
 * - Directory: `cacheDir` (the `--cache-dir` flag), else `BARCHAN_CACHE_DIR`,
 *   else `$XDG_CACHE_HOME/barchan`, else `~/.cache/barchan`.
 * - On unless `noCache` (the `--no-cache` flag) or `BARCHAN_CACHE=off`.
 * - Size cap: `BARCHAN_CACHE_MAX`, a size such as `500M` or `10G`, by default
 *   10 GiB.
 *
 * @module
 */

/**
 * The size cap when `BARCHAN_CACHE_MAX` is not set: 10 GiB.
 *
 * @example The default cap
 * ```ts
 * import { cacheConfig, DEFAULT_CACHE_MAX_BYTES } from "./cache_dir.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_CACHE_MAX_BYTES, 10 * 1024 ** 3);
 * const env = (name: string) => name === "HOME" ? "/home/ada" : undefined;
 * assert.equal(cacheConfig({ env }).maxBytes, DEFAULT_CACHE_MAX_BYTES);
 * ```
 */
export const DEFAULT_CACHE_MAX_BYTES: number = 10 * 1024 ** 3;

/**
 * Options for {@linkcode cacheConfig}; each overrides the environment.
 *
 * @example `--no-cache` wins over the environment
 * ```ts
 * import { cacheConfig, type CacheConfigOptions } from "./cache_dir.ts";
 * import assert from "node:assert/strict";
 *
 * const options: CacheConfigOptions = {
 *   noCache: true,
 *   cacheDir: "/var/cache/barchan",
 *   env: (name) => name === "BARCHAN_CACHE" ? "on" : undefined,
 * };
 * assert.deepEqual(cacheConfig(options).enabled, false);
 * ```
 */
export interface CacheConfigOptions {
  /**
   * The cache directory, as given by `--cache-dir`; relative to the current
   * directory.
   *
   * @default {undefined} (from the environment)
   */
  cacheDir?: string;
  /**
   * Turns the cache off, as `--no-cache` does.
   *
   * @default {false}
   */
  noCache?: boolean;
  /**
   * Reads an environment variable.
   *
   * @default {Deno.env.get}
   */
  env?: (name: string) => string | undefined;
}

/**
 * The local cache's settings.
 *
 * @example Settings from BARCHAN_CACHE_DIR
 * ```ts
 * import { type CacheConfig, cacheConfig } from "./cache_dir.ts";
 * import assert from "node:assert/strict";
 *
 * const env = (name: string) => name === "BARCHAN_CACHE_DIR" ? "/srv/cache" : undefined;
 * const config: CacheConfig = cacheConfig({ env });
 * assert.equal(config.dir, "/srv/cache");
 * assert.equal(config.enabled, true);
 * ```
 */
export interface CacheConfig {
  /** Whether the cache is used at all. */
  enabled: boolean;
  /** The cache's directory, absolute. */
  dir: string;
  /** The size cap in bytes. */
  maxBytes: number;
}

/**
 * Reads the local cache's settings from options and the environment.
 *
 * @param options Flags that override the environment, and the environment.
 * @returns Where the cache is, whether it is on, and its size cap.
 * @throws {Error} If `BARCHAN_CACHE` or `BARCHAN_CACHE_MAX` cannot be read,
 * or no directory can be found (no `HOME`).
 *
 * @example The directory under XDG_CACHE_HOME, with a cap of 500 MiB
 * ```ts
 * import { cacheConfig } from "./cache_dir.ts";
 * import assert from "node:assert/strict";
 *
 * const env: Record<string, string> = {
 *   XDG_CACHE_HOME: "/home/ada/.cache-xdg",
 *   BARCHAN_CACHE_MAX: "500M",
 * };
 * const config = cacheConfig({ env: (name) => env[name] });
 * assert.deepEqual(config, {
 *   enabled: true,
 *   dir: "/home/ada/.cache-xdg/barchan",
 *   maxBytes: 500 * 1024 ** 2,
 * });
 * ```
 */
export function cacheConfig(options: CacheConfigOptions = {}): CacheConfig {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  return {
    enabled: !options.noCache && cacheSwitch(env("BARCHAN_CACHE")),
    dir: _absolute(options.cacheDir ?? _defaultDir(env)),
    maxBytes: _cacheMax(env("BARCHAN_CACHE_MAX")),
  };
}

function _defaultDir(env: (name: string) => string | undefined): string {
  const explicit = env("BARCHAN_CACHE_DIR");
  if (explicit) return explicit;
  // The XDG spec ignores a relative XDG_CACHE_HOME.
  const xdg = env("XDG_CACHE_HOME");
  if (xdg?.startsWith("/")) return `${xdg.replace(/\/+$/, "")}/barchan`;
  const home = env("HOME");
  if (home) return `${home.replace(/\/+$/, "")}/.cache/barchan`;
  throw new Error(
    "Cannot find a directory for the action cache: HOME is not set; set BARCHAN_CACHE_DIR or pass --cache-dir",
  );
}

function _absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

function _cacheMax(text: string | undefined): number {
  if (text === undefined || text.trim() === "") return DEFAULT_CACHE_MAX_BYTES;
  try {
    return parseSize(text);
  } catch (error) {
    throw new Error(`Cannot read BARCHAN_CACHE_MAX: ${(error as Error).message}`);
  }
}

/**
 * Whether a `BARCHAN_CACHE` value turns the cache on: unset, empty, `on`,
 * `1`, `true` or `yes` do; `off`, `0`, `false` or `no` turn it off (any case).
 *
 * @param value The variable's value.
 * @returns Whether the cache is on.
 * @throws {Error} On any other value.
 *
 * @example Turning the cache off
 * ```ts
 * import { cacheSwitch } from "./cache_dir.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cacheSwitch("off"), false);
 * assert.equal(cacheSwitch(undefined), true);
 * assert.throws(() => cacheSwitch("maybe"), /BARCHAN_CACHE/);
 * ```
 */
export function cacheSwitch(value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  if (["", "on", "1", "true", "yes"].includes(v)) return true;
  if (["off", "0", "false", "no"].includes(v)) return false;
  throw new Error(
    `Cannot read BARCHAN_CACHE=${JSON.stringify(value)}: expected on or off`,
  );
}

const UNITS: ReadonlyMap<string, number> = new Map(Object.entries({
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
}));

/**
 * Reads a size: a number of bytes, optionally with a unit. As in GNU
 * coreutils, `K`, `M`, `G`, `T` (also `KiB`...) are powers of 1024 and `KB`,
 * `MB`, `GB`, `TB` powers of 1000; units ignore case, and the number may have
 * a fraction (`1.5G`).
 *
 * @param text The size, such as `500M`, `10G` or `123456`.
 * @returns The size in bytes, rounded down.
 * @throws {Error} If the text is not such a size.
 *
 * @example Sizes with units
 * ```ts
 * import { parseSize } from "./cache_dir.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseSize("500M"), 500 * 1024 * 1024);
 * assert.equal(parseSize("10G"), 10 * 1024 ** 3);
 * assert.equal(parseSize("2KB"), 2000);
 * assert.equal(parseSize("1.5k"), 1536);
 * ```
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS.get(match[2].toLowerCase()) : undefined;
  if (!match || unit === undefined) {
    throw new Error(
      `${
        JSON.stringify(text)
      } is not a size: write a number of bytes with an optional unit, such as 500M or 10G (K, M, G, T are powers of 1024; KB, MB, GB, TB powers of 1000)`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}

/**
 * Creates the cache directory, readable by its owner only (mode 0700), with
 * its parents. A directory that already exists keeps its mode: a cache shared
 * on purpose may be group-writable.
 *
 * @param dir The directory.
 *
 * @example A new cache directory is private
 * ```ts
 * import { ensureCacheDir } from "./cache_dir.ts";
 * import assert from "node:assert/strict";
 *
 * const parent = await Deno.makeTempDir();
 * await ensureCacheDir(`${parent}/cache/barchan`);
 * assert.equal((await Deno.stat(`${parent}/cache/barchan`)).mode! & 0o777, 0o700);
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function ensureCacheDir(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
}
