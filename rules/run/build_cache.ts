/**
 * The action cache of a builder, opened when the first command needs it: a
 * build where nothing runs never loads the cache's modules nor opens its
 * directory. When the cache cannot be opened (a directory that cannot be
 * written), the build goes on without it after one note.
 *
 * @module
 */
import type { ActionCache, ActionCacheStats } from "../cache/action_cache.ts";
import type { ActionCacheOptions } from "../cache/cache_options.ts";
import type { CacheLookup, CommandCache } from "../command/command_cache.ts";
import type { ActionResult, Digest } from "../reapi/mod.ts";
import type { BuildExecutor } from "./build_executor.ts";
import type { RemoteExecutionOptions } from "../remote/executor_options.ts";

/** How long the end of a build waits for uploads still running. */
const FLUSH_TIMEOUT_MS = 30_000;

/**
 * An action cache opened on first use.
 *
 * @example A cache that is off answers every lookup with a miss
 * ```ts
 * import { BuildCache } from "./build_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const cache = new BuildCache({ enabled: false }, () => {});
 * assert.equal(cache.opened, false);
 * const answer = await cache.lookup({ hash: "0".repeat(64), sizeBytes: 1 });
 * assert.ok("miss" in answer);
 * assert.equal(cache.opened, true);
 * ```
 */
export class BuildCache implements CommandCache {
  readonly #options: ActionCacheOptions | undefined;
  readonly #warn: (message: string) => void;
  readonly #executor: { options: RemoteExecutionOptions; executor: BuildExecutor } | undefined;
  #cache: Promise<ActionCache | undefined> | undefined;
  #opened = false;
  /** Stores run one after another, beside the build. */
  #queue: Promise<void> = Promise.resolve();
  #storing = new Set<Promise<void>>();

  /**
   * @param options What to open; undefined: as the environment says
   * (`BARCHAN_CACHE`, `BARCHAN_CACHE_DIR`, `BARCHAN_REMOTE_CACHE`...).
   * @param warn Where warnings go (a remote cache that is down, a bad blob).
   * @param executor The build's remote executor, whose endpoint is the
   * remote cache when the options name none; that cache finding the server
   * down is then the executor's one warning.
   */
  constructor(
    options: ActionCacheOptions | undefined,
    warn: (message: string) => void,
    executor?: { options: RemoteExecutionOptions; executor: BuildExecutor },
  ) {
    this.#options = options;
    this.#warn = warn;
    this.#executor = executor;
  }

  /** Whether a build used it yet. */
  get opened(): boolean {
    return this.#opened;
  }

  #open(): Promise<ActionCache | undefined> {
    this.#opened = true;
    return this.#cache ??= (async () => {
      const [{ openActionCache }, { actionCacheOptionsFromEnv }] = await Promise.all([
        import("../cache/action_cache.ts"),
        import("../cache/cache_options.ts"),
      ]);
      let options = this.#options ?? actionCacheOptionsFromEnv((name) => Deno.env.get(name));
      let warn = options.warn ?? this.#warn;
      if (options.enabled !== false && options.remote === undefined && this.#executor) {
        // As Bazel does: the executor's action cache and CAS are the remote cache.
        const { options: remote, executor } = this.#executor;
        options = {
          ...options,
          remote: remote.executor,
          instance: remote.instance,
          caFile: remote.caFile,
          headers: options.headers ?? (remote.headers && Object.fromEntries(remote.headers)),
        };
        const given = warn;
        const down = new RegExp(
          `^Remote cache ${
            _escape(remote.executor)
          }.* is unavailable \\((.*)\\): going on without it$`,
        );
        warn = (message) => {
          const match = down.exec(message);
          if (match) executor.serverDown(match[1]);
          else given(message);
        };
      }
      try {
        return await openActionCache({ ...options, warn });
      } catch (error) {
        this.#warn(
          `the action cache cannot be opened (${
            error instanceof Error ? error.message : error
          }); building without it`,
        );
        return undefined;
      }
    })();
  }

  /** @inheritdoc */
  async lookup(action: Digest): Promise<CacheLookup> {
    const cache = await this.#open();
    if (cache === undefined) return { miss: "the action cache is off" };
    return await cache.lookup(action);
  }

  /** @inheritdoc */
  async restoreFile(
    digest: Digest,
    path: string,
    options: { executable: boolean },
  ): Promise<boolean> {
    return (await this.#open())?.restoreFile(digest, path, options) ?? false;
  }

  /** @inheritdoc */
  async getBlob(digest: Digest): Promise<Uint8Array | undefined> {
    return await (await this.#open())?.getBlob(digest);
  }

  /**
   * Stores a result in the background: a rule's targets do not change again
   * in its build, so its dependents need not wait for the copy. The end of
   * the build waits for every store ({@linkcode BuildCache.flush}).
   */
  store(
    action: Digest,
    result: ActionResult,
    outputs: readonly { path: string; digest: Digest }[],
    blobs: readonly { digest: Digest; bytes: Uint8Array }[],
  ): Promise<void> {
    const task = async () => {
      try {
        await (await this.#open())?.store(action, result, outputs, blobs);
      } catch (error) {
        this.#warn(
          `not stored in the action cache: ${error instanceof Error ? error.message : error}`,
        );
      }
    };
    const queued = this.#queue.then(task, task);
    this.#queue = queued;
    this.#storing.add(queued);
    void queued.finally(() => this.#storing.delete(queued));
    return Promise.resolve();
  }

  /**
   * What the cache did so far, when it was opened.
   * @returns Hits, misses and bytes moved.
   */
  async stats(): Promise<ActionCacheStats | undefined> {
    if (this.#cache === undefined) return undefined;
    return (await this.#cache)?.stats();
  }

  /**
   * Waits (bounded) for uploads still running, at the end of a build.
   * @returns Whether everything finished.
   */
  async flush(): Promise<boolean> {
    if (this.#cache === undefined) return true;
    await Promise.all(this.#storing);
    return (await (await this.#cache)?.flush(FLUSH_TIMEOUT_MS)) ?? true;
  }

  /** Closes the cache if it was opened. */
  async close(): Promise<void> {
    if (this.#cache === undefined) return;
    (await this.#cache)?.close();
  }
}

function _escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
