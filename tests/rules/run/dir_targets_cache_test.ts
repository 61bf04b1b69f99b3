// Directory targets in the action cache: a tree is stored as a REAPI Tree
// with every file, and restored whole (subdirectories, empty ones included,
// executable bits, symbolic links), through the local cache and through a
// real nginx (Bazel's HTTP cache); a tree whose file the cache lost is a
// miss, and the command runs.

import assert from "node:assert/strict";
import { join } from "node:path";
import { build, type BuildResult } from "../../../mod.ts";
import type { ActionCacheOptions } from "../../../rules/cache/cache_options.ts";
import { nginxTest } from "../../_servers/nginx.ts";
import { cliWithEnv, MOD, recorder, treeListing, writeFiles } from "../_util.ts";

/** A docs-like tree from a list of pages, and a dependent listing it. */
function project(log: string): Record<string, string> {
  return {
    "build.ts": `import { dir, rule, sh } from "${MOD}";
const docs = dir("_build/docs");
rule({
  targets: docs,
  deps: "src/pages.txt",
  action: sh(
    "echo docs >> ${log}; mkdir -p _build/docs/p _build/docs/empty/deeper; " +
      "for p in $(cat src/pages.txt); do echo page $p > _build/docs/p/$p.html; done; " +
      "printf '#!/bin/sh\\\\necho hi\\\\n' > _build/docs/run.sh; chmod +x _build/docs/run.sh; " +
      ": > _build/docs/p/blank.txt; ln -s p/a.html _build/docs/index.html",
  ),
});
rule({
  targets: "_build/count.txt",
  deps: docs,
  action: sh("echo count >> ${log}; (cd _build/docs && find . | sort) > _build/count.txt"),
});
`,
    "src/pages.txt": "a b c",
  };
}

/** Every entry under `dir` but barchan's state. */
const listing = (dir: string) => treeListing(dir, ".barchan");

async function buildWith(root: string, cache: ActionCacheOptions) {
  const reporter = recorder();
  const result: BuildResult = await build({ root, reporter, cache, jobs: 2 });
  assert.ok(result.ok, result.failed.map((f) => f.message).join("\n"));
  return { result, reporter };
}

async function spawned(log: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(log)).split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

async function withBase(fn: (base: string) => Promise<void>): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "barchan_dir_cache_" });
  try {
    await fn(base);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

Deno.test("a directory target restored from the local cache after rm -rf _build: nothing spawns, the tree is identical, modes and links kept", async () => {
  await withBase(async (base) => {
    const root = join(base, "project");
    const log = join(base, "log");
    const cache = { cacheDir: join(base, "cache") };
    await writeFiles(root, project(log));
    await buildWith(root, cache);
    assert.deepEqual(await spawned(log), ["docs", "count"]);
    const built = await listing(join(root, "_build"));
    assert.equal(built["docs/run.sh"], "file x #!/bin/sh\necho hi\n");
    assert.equal(built["docs/index.html"], "link p/a.html");
    assert.equal(built["docs/empty/deeper"], "dir");

    await Deno.remove(join(root, "_build"), { recursive: true });
    const { reporter } = await buildWith(root, cache);
    assert.deepEqual(await spawned(log), ["docs", "count"], "a command spawned again");
    // The dependent's key covers every file of the tree: it hits only if the tree is the same.
    assert.deepEqual(reporter.finished.map((e) => [e.rule, e.restored]).sort(), [
      ["_build/count.txt", "local"],
      ["_build/docs", "local"],
    ]);
    assert.deepEqual(await listing(join(root, "_build")), built);
    // The restored tree's digest is the one a run records: nothing is out of date.
    const again = await buildWith(root, cache);
    assert.deepEqual(again.reporter.started, []);
  });
});

Deno.test("a directory target whose file the local cache lost is a miss: the command runs and fills it", async () => {
  await withBase(async (base) => {
    const root = join(base, "project");
    const log = join(base, "log");
    const cacheDir = join(base, "cache");
    await writeFiles(root, project(log));
    await buildWith(root, { cacheDir });
    const built = await listing(join(root, "_build"));
    // The blob of p/b.html ("page b\n") is gone from the cache.
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("page b\n"));
    const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    let removed = 0;
    for await (const entry of walkFiles(cacheDir)) {
      if (entry.endsWith(hash)) {
        await Deno.remove(entry);
        removed++;
      }
    }
    assert.equal(removed, 1, "the test found no blob to remove");
    await Deno.remove(join(root, "_build"), { recursive: true });
    const { reporter } = await buildWith(root, { cacheDir });
    const docs = reporter.finished.find((e) => e.rule === "_build/docs")!;
    assert.equal(docs.restored, undefined);
    assert.match(docs.cacheMiss ?? "", /blob missing/);
    assert.deepEqual(await spawned(log), ["docs", "count", "docs"]);
    assert.deepEqual(await listing(join(root, "_build")), built);
  });
});

nginxTest(
  "through nginx, a checkout with an empty local cache restores a directory target CI uploaded",
  async (nginx) => {
    await withBase(async (base) => {
      const log = join(base, "log");
      const ci = join(base, "ci");
      const dev = join(base, "dev");
      await writeFiles(ci, project(log));
      await writeFiles(dev, project(log));
      await buildWith(ci, { cacheDir: join(base, "ci-cache"), remote: nginx.url, upload: true });
      await Deno.remove(log);
      const { reporter } = await buildWith(dev, {
        cacheDir: join(base, "dev-cache"),
        remote: nginx.url,
      });
      assert.deepEqual(await spawned(log), []);
      assert.deepEqual(reporter.finished.map((e) => e.restored), ["remote", "remote"]);
      assert.deepEqual(await listing(join(dev, "_build")), await listing(join(ci, "_build")));
    });
  },
);

async function* walkFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walkFiles(path);
    else if (entry.isFile) yield path;
  }
}

Deno.test("a directory target's command that ran in less than BARCHAN_CACHE_MIN_MS is not stored; a slower one is", async () => {
  await withBase(async (base) => {
    const buildTs = (name: string, sleep: string) =>
      `import { dir, rule, sh } from "${MOD}";
rule({ targets: dir("_build/${name}"), action: sh("${sleep}echo ${name} > _build/${name}/f") });
`;
    const env = { BARCHAN_CACHE_DIR: join(base, "cache"), BARCHAN_CACHE_MIN_MS: "200" };
    for (const checkout of ["one", "two"]) {
      await writeFiles(join(base, checkout), {
        "build.ts": buildTs("fast", "") + buildTs("slow", "sleep 0.3; ").replace(/^import.*\n/, ""),
      });
    }
    const first = await cliWithEnv(env, join(base, "one"), "build", "--explain");
    assert.equal(first.code, 0, first.stderr);
    const second = await cliWithEnv(env, join(base, "two"), "build", "--explain");
    assert.equal(second.code, 0, second.stderr);
    const said = second.stdout + second.stderr;
    assert.match(said, /_build\/slow: restored from local cache/);
    assert.doesNotMatch(said, /_build\/fast: restored/);
    assert.equal(await Deno.readTextFile(join(base, "two/_build/slow/f")), "slow\n");
  });
});

Deno.test("when one of two directory targets cannot be restored (a corrupt blob), the command runs with both empty", async () => {
  await withBase(async (base) => {
    const root = join(base, "project");
    const cacheDir = join(base, "cache");
    await writeFiles(root, {
      "build.ts": `import { dir, rule, sh } from "${MOD}";
rule({
  targets: [dir("_build/a"), dir("_build/b")],
  action: sh("ls _build/a > _build/b/before; echo x > _build/a/x; echo only in b > _build/b/y"),
});
`,
    });
    await buildWith(root, { cacheDir });
    const built = await listing(join(root, "_build"));
    assert.equal(built["b/before"], "file - ");
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("only in b\n"));
    const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    // Same size, other bytes: the lookup finds it, the restore refuses it.
    await Deno.writeTextFile(join(cacheDir, "cas", hash.slice(0, 2), hash), "ONLY IN B\n");
    await Deno.remove(join(root, "_build"), { recursive: true });
    const { reporter } = await buildWith(root, { cacheDir });
    assert.equal(reporter.finished[0].restored, undefined);
    assert.match(reporter.finished[0].cacheMiss ?? "", /corrupt: a file of _build\/b/);
    assert.deepEqual(await listing(join(root, "_build")), built);
  });
});
