// `barchan cache stats|trim|clear|keygen`, run as a separate process on a
// real cache directory, and the cache options `build` accepts.

import assert from "node:assert/strict";
import { openActionCache } from "../../rules/cache/action_cache.ts";
import { CACHE_OPTIONS, parseCommandLine } from "../../cli/args.ts";
import { cacheSettingsFromArgs } from "../../cli/cache_flags.ts";
import {
  generateKeyPair,
  importSigningKey,
  importVerifyingKey,
} from "../../rules/reapi/signing.ts";
import { makeAction } from "../rules/cache/_action.ts";
import { withTempDir } from "../rules/cache/_util.ts";
import { cli, cliWithEnv, IMPORT, withProject } from "../rules/_util.ts";

/** A cache directory holding three stored actions. */
async function fillCache(dir: string): Promise<void> {
  const cache = (await openActionCache({ cacheDir: `${dir}/cache` }))!;
  for (const name of ["a", "b", "c"]) {
    const made = await makeAction(`${dir}/build`, name, { [`${name}.o`]: name.repeat(1000) });
    await cache.store(made.action, made.result, made.outputs, made.blobs);
  }
  cache.close();
}

Deno.test("barchan cache stats, trim and clear work on a real cache directory", async () => {
  await withTempDir(async (dir) => {
    await fillCache(dir);
    const stats = await cli(dir, "cache", "stats", "--json", "--cache-dir", `${dir}/cache`);
    assert.equal(stats.code, 0, stats.stderr);
    const json = JSON.parse(stats.stdout);
    assert.equal(json.dir, `${dir}/cache`);
    assert.equal(json.exists, true);
    assert.equal(json.actionResults, 3);
    assert.equal(json.blobs, 3);
    assert.equal(json.maxBytes, 10 * 1024 ** 3);

    // The directory from the environment, the cap from BARCHAN_CACHE_MAX.
    const env = { BARCHAN_CACHE_DIR: `${dir}/cache`, BARCHAN_CACHE_MAX: "1M" };
    const text = await cliWithEnv(env, dir, "cache", "stats");
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(
        `^Local cache ${dir}/cache\n  6 entries: 3 action results, 3 blobs\n  [\\d.]+ KiB of a cap of 1 MiB \\(0 %\\)\n$`,
      ),
    );

    const trim = await cliWithEnv(env, dir, "cache", "trim", "2K");
    assert.equal(trim.code, 0, trim.stderr);
    assert.match(
      trim.stdout,
      /^Removed \d+ entries \([\d.]+ K?i?B\) from .*; \d+ entries \(.*\) left\n$/,
    );
    const after = JSON.parse((await cliWithEnv(env, dir, "cache", "stats", "--json")).stdout);
    assert.ok(after.bytes <= 2048, `${after.bytes} bytes left`);

    const clear = await cliWithEnv(env, dir, "cache", "clear");
    assert.equal(clear.code, 0, clear.stderr);
    assert.match(clear.stdout, /^Removed every entry from /);
    const cleared = JSON.parse((await cliWithEnv(env, dir, "cache", "stats", "--json")).stdout);
    assert.equal(cleared.entries, 0);
  });
});

Deno.test("barchan cache on a directory that does not exist creates nothing", async () => {
  await withTempDir(async (dir) => {
    for (const sub of ["stats", "trim", "clear"]) {
      const result = await cli(dir, "cache", sub, "--cache-dir", `${dir}/none`);
      assert.equal(result.code, 0, result.stderr);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("barchan cache keygen writes a private key only its owner reads and a public key, and overwrites neither", async () => {
  await withTempDir(async (dir) => {
    const result = await cli(dir, "cache", "keygen", "ci");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ci\.pub {2}the public key: commit it/);
    assert.match(result.stdout, /ci\.key {2}the private key: keep it secret and never commit it/);
    assert.equal((await Deno.stat(`${dir}/ci.key`)).mode! & 0o777, 0o600);
    const signing = await importSigningKey(await Deno.readTextFile(`${dir}/ci.key`));
    const verifying = await importVerifyingKey(await Deno.readTextFile(`${dir}/ci.pub`));
    assert.equal(signing.keyId, verifying.keyId);

    const again = await cli(dir, "cache", "keygen", "ci");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /ci\.pub exists already/);
    assert.equal(
      (await importSigningKey(await Deno.readTextFile(`${dir}/ci.key`))).keyId,
      signing.keyId,
    );
  });
});

Deno.test("barchan cache says how to use it when the subcommand or its argument is wrong", async () => {
  await withTempDir(async (dir) => {
    for (const args of [["cache"], ["cache", "purge"], ["cache", "trim", "lots"]]) {
      const result = await cli(dir, ...args, "--cache-dir", dir);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, /Run "barchan --help" for usage/);
    }
  });
});

Deno.test("barchan build accepts the cache options", async () => {
  await withProject({
    "build.ts": IMPORT + `rule({ targets: "out.txt", action: write("out.txt", "x") });\n`,
  }, async (root) => {
    const result = await cli(
      root,
      "build",
      "--cache-dir",
      `${root}/cache`,
      "--remote-cache",
      "http://127.0.0.1:9/cache",
      "--remote-cache-upload",
      "--cache-namespace",
      "main",
      "--remote-instance",
      "ci",
      "--cache-trusted-keys",
      "keys",
      "--cache-signing-key",
      "ci.key",
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await cli(root, "build", "--no-cache")).code, 0);
  });
});

Deno.test("cacheSettingsFromArgs() puts a flag over its variable, and gives the namespace apart", async () => {
  const pair = await generateKeyPair();
  const env: Record<string, string> = {
    HOME: "/home/ci",
    BARCHAN_REMOTE_CACHE: "http://env-cache",
    BARCHAN_CACHE_NAMESPACE: "main",
    BARCHAN_CACHE_SIGNING_KEY: pair.privateKeyPem,
  };
  const { values } = parseCommandLine(
    ["--remote-cache", "grpc://flag-cache:8980", "--cache-namespace", "pr-7"],
    CACHE_OPTIONS,
  );
  const settings = cacheSettingsFromArgs(values, (name) => env[name]);
  assert.equal(settings.namespace, "pr-7");
  assert.equal(settings.options.remote, "grpc://flag-cache:8980");
  assert.equal(settings.options.signingKey, pair.privateKeyPem.trim());
  assert.equal(cacheSettingsFromArgs({}, (name) => env[name]).namespace, "main");
});
