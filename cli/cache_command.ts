/**
 * `barchan cache stats|trim|clear|keygen`: the local action cache's size and
 * upkeep, and the key pair that signs entries for a remote cache.
 *
 * @module
 */
import { cacheConfig, parseSize } from "../rules/cache/cache_dir.ts";
import type { EnvReader } from "../rules/cache/cache_options.ts";
import { LocalCache } from "../rules/cache/local_cache.ts";
import { generateKeyPair } from "../rules/reapi/signing.ts";

/**
 * Options of {@linkcode cacheCommand}.
 *
 * @example Statistics as JSON for a given directory
 * ```ts
 * import type { CacheCommandOptions } from "./cache_command.ts";
 * import assert from "node:assert/strict";
 *
 * const options: CacheCommandOptions = { cacheDir: "/tmp/cache", json: true };
 * assert.equal(options.json, true);
 * ```
 */
export interface CacheCommandOptions {
  /**
   * `--cache-dir DIR`: the cache's directory.
   *
   * @default {undefined} (`BARCHAN_CACHE_DIR`, else under `XDG_CACHE_HOME` or `HOME`)
   */
  cacheDir?: string;
  /**
   * The directory `keygen` writes its files in (`-C DIR`).
   *
   * @default {Deno.cwd()}
   */
  cwd?: string;
  /**
   * `--json`: `stats` prints one JSON object.
   *
   * @default {false}
   */
  json?: boolean;
  /**
   * Reads an environment variable.
   *
   * @default {Deno.env.get}
   */
  env?: EnvReader;
  /**
   * Receives each line of output.
   *
   * @default {console.log}
   */
  print?: (line: string) => void;
}

/** What `barchan cache` without a valid subcommand prints. */
const _USAGE = "barchan cache stats|trim [SIZE]|clear|keygen [NAME]";

/**
 * Runs `barchan cache <subcommand>`:
 * - `stats`: where the local cache is, how many entries and bytes it holds,
 *   and its cap;
 * - `trim [SIZE]`: removes the least recently used entries until the cache
 *   holds at most SIZE (`500M`, `2G`...; by default its cap,
 *   `BARCHAN_CACHE_MAX`);
 * - `clear`: removes every entry;
 * - `keygen [NAME]`: writes an Ed25519 key pair, `NAME.key` (private, mode
 *   0600) and `NAME.pub` (public), `barchan-cache` by default, and says
 *   which to commit and which to keep secret.
 *
 * @param args The subcommand and its arguments.
 * @param options The cache directory, JSON output, the environment, where
 * output goes.
 * @returns The exit code: 0 done, 1 failed (a key file already there), 2 bad
 * usage.
 *
 * @example Statistics of an empty cache
 * ```ts
 * import { cacheCommand } from "./cache_command.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const lines: string[] = [];
 * const code = await cacheCommand(["stats"], {
 *   cacheDir: dir,
 *   json: true,
 *   print: (line) => lines.push(line),
 * });
 * assert.equal(code, 0);
 * assert.equal(JSON.parse(lines[0]).entries, 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function cacheCommand(
  args: readonly string[],
  options: CacheCommandOptions = {},
): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const [subcommand, ...rest] = args;
  let config;
  try {
    config = cacheConfig({ cacheDir: options.cacheDir, env: options.env });
  } catch (error) {
    return _usage((error as Error).message);
  }
  switch (subcommand) {
    case "stats":
      if (rest.length > 0) return _usage(`cache stats takes no argument, not "${rest[0]}"`);
      return await _stats(config.dir, config.maxBytes, options.json ?? false, print);
    case "trim": {
      if (rest.length > 1) return _usage(`cache trim takes one size at most`);
      let size = config.maxBytes;
      try {
        if (rest[0] !== undefined) size = parseSize(rest[0]);
      } catch (error) {
        return _usage(`cache trim: ${(error as Error).message}`);
      }
      return await _trim(config.dir, size, print);
    }
    case "clear":
      if (rest.length > 0) return _usage(`cache clear takes no argument, not "${rest[0]}"`);
      return await _clear(config.dir, print);
    case "keygen":
      if (rest.length > 1) return _usage(`cache keygen takes one name at most`);
      return await _keygen(rest[0] ?? "barchan-cache", options.cwd, print);
    default:
      return _usage(
        subcommand === undefined
          ? `cache needs a subcommand: ${_USAGE}`
          : `unknown cache subcommand "${subcommand}": ${_USAGE}`,
      );
  }
}

async function _stats(
  dir: string,
  maxBytes: number,
  json: boolean,
  print: (line: string) => void,
): Promise<number> {
  const exists = await _isDirectory(dir);
  const stats = exists
    ? await _withCache(dir, (cache) => cache.stats())
    : { entries: 0, bytes: 0, actionResults: 0, blobs: 0 };
  if (json) {
    print(JSON.stringify({ dir, exists, ...stats, maxBytes }));
    return 0;
  }
  const share = maxBytes > 0 ? ` (${Math.round(stats.bytes / maxBytes * 100)} %)` : "";
  print(`Local cache ${dir}${exists ? "" : " (not created yet)"}`);
  print(
    `  ${stats.entries} entries: ${stats.actionResults} action results, ${stats.blobs} blobs`,
  );
  print(`  ${formatBytes(stats.bytes)} of a cap of ${formatBytes(maxBytes)}${share}`);
  return 0;
}

async function _trim(dir: string, size: number, print: (line: string) => void): Promise<number> {
  if (!await _isDirectory(dir)) {
    print(`Nothing to trim: no cache at ${dir}`);
    return 0;
  }
  const result = await _withCache(dir, (cache) => cache.trim(size));
  print(
    `Removed ${result.removedEntries} entries (${formatBytes(result.removedBytes)}) from ${dir}; ` +
      `${result.entries} entries (${formatBytes(result.bytes)}) left`,
  );
  return 0;
}

async function _clear(dir: string, print: (line: string) => void): Promise<number> {
  if (!await _isDirectory(dir)) {
    print(`Nothing to clear: no cache at ${dir}`);
    return 0;
  }
  const before = await _withCache(dir, async (cache) => {
    const stats = await cache.stats();
    await cache.clear();
    return stats;
  });
  print(`Removed every entry from ${dir}: ${before.entries} (${formatBytes(before.bytes)})`);
  return 0;
}

async function _keygen(
  name: string,
  cwd: string | undefined,
  print: (line: string) => void,
): Promise<number> {
  const privatePath = `${name}.key`;
  const publicPath = `${name}.pub`;
  const pair = await generateKeyPair();
  try {
    await _writeNew(_resolve(cwd, publicPath), pair.publicKeyPem, 0o644);
  } catch (error) {
    return _refused(publicPath, error);
  }
  try {
    await _writeNew(_resolve(cwd, privatePath), pair.privateKeyPem, 0o600);
  } catch (error) {
    await Deno.remove(_resolve(cwd, publicPath));
    return _refused(privatePath, error);
  }
  print(`Wrote an Ed25519 key pair for signing cache entries (key id ${pair.keyId.slice(0, 16)}):`);
  print(`  ${publicPath}  the public key: commit it; readers trust it with`);
  print(`      --cache-trusted-keys ${publicPath} (or BARCHAN_CACHE_TRUSTED_KEYS)`);
  print(`  ${privatePath}  the private key: keep it secret and never commit it; give it to`);
  print(`      trusted CI only, as a secret in BARCHAN_CACHE_SIGNING_KEY (the PEM text or a`);
  print(`      path) or with --cache-signing-key FILE, beside --remote-cache-upload`);
  return 0;
}

function _refused(path: string, error: unknown): number {
  if (error instanceof Deno.errors.AlreadyExists) {
    console.error(`barchan: ${path} exists already: keygen overwrites no key; choose another name`);
  } else {
    console.error(`barchan: cannot write ${path}: ${(error as Error).message}`);
  }
  return 1;
}

async function _writeNew(path: string, text: string, mode: number): Promise<void> {
  using file = await Deno.open(path, { write: true, createNew: true, mode });
  await Deno.chmod(path, mode); // whatever the umask
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

async function _withCache<T>(dir: string, f: (cache: LocalCache) => Promise<T>): Promise<T> {
  const cache = await LocalCache.open(dir, { maxBytes: Number.MAX_SAFE_INTEGER });
  try {
    return await f(cache);
  } finally {
    cache.close();
  }
}

async function _isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function _resolve(cwd: string | undefined, path: string): string {
  return cwd === undefined || path.startsWith("/") ? path : `${cwd}/${path}`;
}

function _usage(message: string): number {
  console.error(`barchan: ${message}\nRun "barchan --help" for usage.`);
  return 2;
}

/**
 * A size in bytes as people read it, in powers of 1024: `0 B`, `512 B`,
 * `1.5 KiB`, `20 MiB`, `10 GiB`.
 *
 * @param bytes The size.
 * @returns The size with a unit.
 *
 * @example Cache sizes
 * ```ts
 * import { formatBytes } from "./cache_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatBytes(512), "512 B");
 * assert.equal(formatBytes(1536), "1.5 KiB");
 * assert.equal(formatBytes(10 * 1024 ** 3), "10 GiB");
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 || value >= 100 ? String(Math.round(value)) : String(+value.toFixed(1));
  return `${text} ${units[unit]}`;
}
