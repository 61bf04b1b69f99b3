// The action cache of the tests' builds. `deno test --parallel` runs test
// modules side by side in one process, whose environment they share: the
// first module loaded points BARCHAN_CACHE_DIR at a directory of this run,
// so that no build of the tests touches the user's cache, and builds of
// different tests may restore each other's results (their outputs must be
// right either way). A test that needs a cache nothing else wrote uses
// `withOwnCache`, which hands its builds a directory of their own explicitly
// (in-process builds by option, the CLI by its environment), never through
// this process's environment.

// Likewise the CLI's builds type-check build.ts, which takes seconds for
// each new build.ts: the tests' CLI builds do not, but where a test asks for
// it (BARCHAN_CHECK=on in the child's environment, as type_check_test.ts does).
if (Deno.env.get("BARCHAN_CHECK") === undefined) Deno.env.set("BARCHAN_CHECK", "off");

// The tests' commands are fast (echo, cp); a build leaves out of the cache
// what ran in less than 20 ms, but for the tests every command is worth it.
if (Deno.env.get("BARCHAN_CACHE_MIN_MS") === undefined) Deno.env.set("BARCHAN_CACHE_MIN_MS", "0");

if (Deno.env.get("BARCHAN_CACHE_DIR") === undefined) {
  Deno.env.set("BARCHAN_CACHE_DIR", Deno.makeTempDirSync({ prefix: "barchan_test_cache_" }));
}

let own: string | undefined;

/** The cache directory `withOwnCache` gave the running test, if any. */
export function ownCacheDir(): string | undefined {
  return own;
}

/** What a CLI child needs in its environment to use the running test's own cache. */
export function ownCacheEnv(): Record<string, string> {
  return own === undefined ? {} : { BARCHAN_CACHE_DIR: own };
}

/**
 * Runs `fn` with an action cache of its own, empty at first and removed
 * afterwards: builds through the test helpers use it.
 */
export async function withOwnCache<T>(fn: () => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "barchan_test_own_cache_" });
  const before = own;
  own = dir;
  try {
    return await fn();
  } finally {
    own = before;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
