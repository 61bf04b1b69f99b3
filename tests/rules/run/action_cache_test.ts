// The action cache seen from builds: a second checkout restores instead of
// running, through the local cache and through a real nginx (Bazel's HTTP
// cache protocol); what the key covers makes a miss; a damaged or unreachable
// remote cache costs a warning, never a wrong output.

import assert from "node:assert/strict";
import { join } from "node:path";
import { build, type BuildResult } from "../../../mod.ts";
import type { ActionCacheOptions } from "../../../rules/cache/cache_options.ts";
import { nginxTest } from "../../_servers/nginx.ts";
import { cliWithEnv, type Files, MOD, recorder, snapshot, writeFiles } from "../_util.ts";

/** A small project: a compile-like step per source, an executable script, a link. */
function project(log: string, flag = "-O2"): Files {
  return {
    "build.ts": `import { rule, sh } from "${MOD}";
for (const name of ["a", "b", "c"]) {
  rule({
    targets: "_build/" + name + ".o",
    deps: ["src/" + name + ".c"],
    action: sh("echo compile >> ${log}; (echo ${flag}; cat src/" + name + ".c) > _build/" + name + ".o; echo compiled " + name),
  });
}
rule({
  targets: "_build/run.sh",
  deps: ["_build/a.o"],
  action: async (ctx) => {
    await ctx.sh("echo script >> ${log}; printf '#!/bin/sh\\\\necho ran\\\\n' > _build/run.sh; chmod +x _build/run.sh");
  },
});
rule({
  targets: "_build/app",
  deps: ["_build/a.o", "_build/b.o", "_build/c.o"],
  action: sh("echo link >> ${log}; cat _build/a.o _build/b.o _build/c.o > _build/app"),
});
`,
    "src/a.c": "int a;\n",
    "src/b.c": "int b;\n",
    "src/c.c": "int c;\n",
  };
}

interface Checkout {
  root: string;
  log: string;
}

/** Builds with the cache options given; returns the result, its events and warnings. */
async function buildWith(root: string, cache: ActionCacheOptions) {
  const reporter = recorder();
  const result: BuildResult = await build({ root, reporter, cache, jobs: 2 });
  assert.ok(result.ok, result.failed.map((f) => f.message).join("\n"));
  return { result, reporter };
}

async function withCheckouts(
  count: number,
  fn: (dirs: { base: string; checkouts: Checkout[] }) => Promise<void>,
): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "barchan_action_cache_" });
  try {
    const checkouts: Checkout[] = [];
    for (let i = 0; i < count; i++) {
      const root = join(base, `checkout-${i}`);
      checkouts.push({ root, log: join(base, `log-${i}`) });
    }
    await fn({ base, checkouts });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

async function spawned(log: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(log)).split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

Deno.test("a second checkout built against a warm local cache spawns no command; its outputs are byte-identical and keep their mode", async () => {
  await withCheckouts(2, async ({ base, checkouts: [one, two] }) => {
    const cache = { cacheDir: join(base, "cache") };
    // Both checkouts log to the same file: the commands are the same.
    const log = join(base, "log");
    await writeFiles(one.root, project(log));
    await writeFiles(two.root, project(log));
    await buildWith(one.root, cache);
    assert.equal((await spawned(log)).length, 5);
    await Deno.remove(log);
    const { reporter } = await buildWith(two.root, cache);
    assert.deepEqual(await spawned(log), [], "the second checkout spawned commands");
    assert.deepEqual(reporter.finished.map((e) => e.restored), Array(5).fill("local"));
    assert.deepEqual(await snapshot(two.root), await snapshot(one.root));
    const mode = (await Deno.stat(join(two.root, "_build/run.sh"))).mode! & 0o111;
    assert.notEqual(mode, 0, "the restored script is not executable");
    // A restored command's output is shown as if it ran.
    assert.match(reporter.finished.find((e) => e.rule === "_build/a.o")!.output, /compiled a/);
  });
});

Deno.test("a changed flag, an environment variable or a program misses the cache", async () => {
  await withCheckouts(2, async ({ base, checkouts: [one, two] }) => {
    const cache = { cacheDir: join(base, "cache") };
    const log = join(base, "log");
    await writeFiles(one.root, project(log, "-O2"));
    await buildWith(one.root, cache);
    await Deno.remove(log);
    // Another flag in the second checkout: the compiles miss, and so do the
    // rules reading what they wrote.
    await writeFiles(two.root, project(log, "-O0"));
    await buildWith(two.root, cache);
    assert.deepEqual((await spawned(log)).sort(), [
      "compile",
      "compile",
      "compile",
      "link",
      "script",
    ]);

    // The same commands under another time zone (an allowlisted variable)
    // miss: a build of their own, so that this process's environment stays.
    await Deno.remove(log);
    await Deno.remove(join(two.root, "_build"), { recursive: true });
    const other = await cliWithEnv(
      { TZ: "Pacific/Kiritimati", BARCHAN_CACHE_DIR: cache.cacheDir },
      two.root,
      "build",
    );
    assert.equal(other.code, 0, other.stderr);
    assert.equal((await spawned(log)).length, 5);
  });
});

Deno.test("another program of the same name on PATH misses the cache", async () => {
  await withCheckouts(1, async ({ base, checkouts: [one] }) => {
    const bin = join(base, "bin");
    await Deno.mkdir(bin);
    const tool = (version: string) =>
      Deno.writeTextFile(join(bin, "tool"), `#!/bin/sh\necho ${version} > "$1"\n`, { mode: 0o755 });
    await tool("v1");
    await writeFiles(one.root, {
      "build.ts": `import { rule } from "${MOD}";
rule({ targets: "out.txt", action: async (ctx) => { await ctx.run("tool", ["out.txt"], { env: { PATH: ${
        JSON.stringify(bin)
      } + ":/usr/bin:/bin" } }); } });
`,
    });
    const cache = { cacheDir: join(base, "cache") };
    await buildWith(one.root, cache);
    await Deno.remove(join(one.root, "out.txt"));
    const hit = await buildWith(one.root, cache);
    assert.deepEqual(hit.reporter.finished.map((e) => e.restored), ["local"]);
    await tool("v2");
    await Deno.remove(join(one.root, "out.txt"));
    const miss = await buildWith(one.root, cache);
    assert.deepEqual(miss.reporter.finished.map((e) => e.restored), [undefined]);
    assert.equal(await Deno.readTextFile(join(one.root, "out.txt")), "v2\n");
  });
});

nginxTest(
  "through nginx, a checkout with an empty local cache restores what CI uploaded",
  async (nginx) => {
    await withCheckouts(2, async ({ base, checkouts: [ci, dev] }) => {
      const log = join(base, "log");
      await writeFiles(ci.root, project(log));
      await writeFiles(dev.root, project(log));
      await buildWith(ci.root, {
        cacheDir: join(base, "ci-cache"),
        remote: nginx.url,
        upload: true,
      });
      await Deno.remove(log);
      const { reporter } = await buildWith(dev.root, {
        cacheDir: join(base, "dev-cache"),
        remote: nginx.url,
      });
      assert.deepEqual(await spawned(log), []);
      assert.deepEqual(reporter.finished.map((e) => e.restored), Array(5).fill("remote"));
      assert.deepEqual(await snapshot(dev.root), await snapshot(ci.root));
    });
  },
);

nginxTest("a corrupted blob on nginx is a miss and a warning, never an output", async (nginx) => {
  await withCheckouts(2, async ({ base, checkouts: [ci, dev] }) => {
    const log = join(base, "log");
    await writeFiles(ci.root, project(log));
    await writeFiles(dev.root, project(log));
    await buildWith(ci.root, { cacheDir: join(base, "ci-cache"), remote: nginx.url, upload: true });
    // Every blob the server holds is damaged (same size, other bytes).
    for await (const entry of Deno.readDir(join(nginx.root, "cas"))) {
      const path = join(nginx.root, "cas", entry.name);
      const bytes = await Deno.readFile(path);
      bytes[0] ^= 0xff;
      await Deno.writeFile(path, bytes);
    }
    const { reporter } = await buildWith(dev.root, {
      cacheDir: join(base, "dev-cache"),
      remote: nginx.url,
    });
    assert.ok(reporter.finished.every((e) => e.restored === undefined));
    assert.deepEqual(await snapshot(dev.root), await snapshot(ci.root));
    assert.ok(
      reporter.notes.some((n) => /damaged|corrupt|SHA-256/i.test(n)),
      reporter.notes.join("\n"),
    );
  });
});

nginxTest(
  "nginx stopped before a build: the build succeeds locally with one warning",
  async (nginx) => {
    await withCheckouts(1, async ({ base, checkouts: [one] }) => {
      const log = join(base, "log");
      await writeFiles(one.root, project(log));
      await nginx.stop();
      const { reporter } = await buildWith(one.root, {
        cacheDir: join(base, "cache"),
        remote: nginx.url,
        upload: true,
      });
      assert.equal((await spawned(log)).length, 5);
      const warnings = reporter.notes.filter((n) =>
        n.includes(nginx.url.replace(/^http:\/\//, ""))
      );
      assert.equal(warnings.length, 1, reporter.notes.join("\n"));
    });
  },
);

Deno.test("two builds sharing one local cache at once both succeed, and fill it once", async () => {
  await withCheckouts(2, async ({ base, checkouts: [one, two] }) => {
    const cache = { cacheDir: join(base, "cache") };
    await writeFiles(one.root, project(one.log));
    await writeFiles(two.root, project(one.log));
    await Promise.all([buildWith(one.root, cache), buildWith(two.root, cache)]);
    assert.deepEqual(await snapshot(two.root), await snapshot(one.root));
    await Deno.remove(join(two.root, "_build"), { recursive: true });
    const { reporter } = await buildWith(two.root, cache);
    assert.deepEqual(reporter.finished.map((e) => e.restored), Array(5).fill("local"));
  });
});

Deno.test("the cache's size cap evicts during builds", async () => {
  await withCheckouts(1, async ({ base, checkouts: [one] }) => {
    const big = "x".repeat(40_000);
    const files: Files = { "build.ts": `import { rule, sh } from "${MOD}";\n` };
    for (let i = 0; i < 10; i++) {
      files[`src/${i}.txt`] = `${i}${big}`;
      files["build.ts"] +=
        `rule({ targets: "_build/${i}", deps: ["src/${i}.txt"], action: sh("cp src/${i}.txt _build/${i}") });\n`;
    }
    await writeFiles(one.root, files);
    const cacheDir = join(base, "cache");
    await buildWith(one.root, { cacheDir, maxSize: 200_000 });
    let bytes = 0;
    for await (const shard of Deno.readDir(join(cacheDir, "cas"))) {
      for await (const blob of Deno.readDir(join(cacheDir, "cas", shard.name))) {
        bytes += (await Deno.stat(join(cacheDir, "cas", shard.name, blob.name))).size;
      }
    }
    assert.ok(bytes <= 200_000, `${bytes} bytes of blobs under a 200,000-byte cap`);
  });
});

Deno.test("a command that ran in less than BARCHAN_CACHE_MIN_MS is not stored; a slower one is", async () => {
  await withCheckouts(2, async ({ base, checkouts: [one, two] }) => {
    const buildTs = `import { rule, sh } from "${MOD}";
rule({ targets: "_build/fast", action: sh("echo fast > _build/fast") });
rule({ targets: "_build/slow", action: sh("sleep 0.3; echo slow > _build/slow") });
`;
    const env = { BARCHAN_CACHE_DIR: join(base, "cache"), BARCHAN_CACHE_MIN_MS: "200" };
    for (const checkout of [one, two]) await writeFiles(checkout.root, { "build.ts": buildTs });
    const first = await cliWithEnv(env, one.root, "build", "--explain");
    assert.equal(first.code, 0, first.stderr);
    const second = await cliWithEnv(env, two.root, "build", "--explain");
    assert.equal(second.code, 0, second.stderr);
    // The slow command is restored; the fast one ran again, never stored.
    assert.match(second.stdout + second.stderr, /_build\/slow: restored from local cache/);
    assert.doesNotMatch(second.stdout + second.stderr, /_build\/fast: restored/);
    assert.match(second.stdout + second.stderr, /1 restored/);
  });
});

Deno.test("BARCHAN_CACHE_MIN_MS that is not a number of milliseconds is an error saying so", async () => {
  await withCheckouts(1, async ({ checkouts: [one] }) => {
    await writeFiles(one.root, {
      "build.ts":
        `import { rule, sh } from "${MOD}";\nrule({ targets: "x", action: sh("echo > x") });\n`,
    });
    const result = await cliWithEnv({ BARCHAN_CACHE_MIN_MS: "fast" }, one.root, "build");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /BARCHAN_CACHE_MIN_MS is "fast": give a number of milliseconds/);
  });
});
