import assert from "node:assert/strict";
import {
  cacheConfig,
  DEFAULT_CACHE_MAX_BYTES,
  ensureCacheDir,
  parseSize,
} from "../../../rules/cache/cache_dir.ts";
import { withTempDir } from "./_util.ts";

function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

Deno.test("cacheConfig() takes the directory from the option, then BARCHAN_CACHE_DIR, XDG_CACHE_HOME, HOME", () => {
  const all = {
    BARCHAN_CACHE_DIR: "/srv/cache",
    XDG_CACHE_HOME: "/home/ada/.xdg",
    HOME: "/home/ada",
  };
  assert.equal(cacheConfig({ cacheDir: "/tmp/c", env: envOf(all) }).dir, "/tmp/c");
  assert.equal(cacheConfig({ env: envOf(all) }).dir, "/srv/cache");
  const { BARCHAN_CACHE_DIR: _, ...xdg } = all;
  assert.equal(cacheConfig({ env: envOf(xdg) }).dir, "/home/ada/.xdg/barchan");
  assert.equal(cacheConfig({ env: envOf({ HOME: "/home/ada/" }) }).dir, "/home/ada/.cache/barchan");
  // A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
  const relativeXdg = envOf({ XDG_CACHE_HOME: "rel", HOME: "/home/ada" });
  assert.equal(cacheConfig({ env: relativeXdg }).dir, "/home/ada/.cache/barchan");
  assert.equal(cacheConfig({ cacheDir: "c", env: envOf({}) }).dir, `${Deno.cwd()}/c`);
  assert.throws(() => cacheConfig({ env: envOf({}) }), /HOME is not set.*BARCHAN_CACHE_DIR/);
});

Deno.test("cacheConfig() turns the cache off with BARCHAN_CACHE=off or the noCache option", () => {
  const home = { HOME: "/h" };
  assert.equal(cacheConfig({ env: envOf(home) }).enabled, true);
  assert.equal(cacheConfig({ env: envOf({ ...home, BARCHAN_CACHE: "off" }) }).enabled, false);
  assert.equal(cacheConfig({ env: envOf({ ...home, BARCHAN_CACHE: "OFF" }) }).enabled, false);
  assert.equal(cacheConfig({ env: envOf({ ...home, BARCHAN_CACHE: "on" }) }).enabled, true);
  assert.equal(cacheConfig({ noCache: true, env: envOf(home) }).enabled, false);
  assert.throws(
    () => cacheConfig({ env: envOf({ ...home, BARCHAN_CACHE: "sometimes" }) }),
    /BARCHAN_CACHE="sometimes": expected on or off/,
  );
});

Deno.test("cacheConfig() reads the size cap from BARCHAN_CACHE_MAX, 10 GiB by default", () => {
  const home = { HOME: "/h" };
  assert.equal(cacheConfig({ env: envOf(home) }).maxBytes, DEFAULT_CACHE_MAX_BYTES);
  assert.equal(DEFAULT_CACHE_MAX_BYTES, 10 * 1024 ** 3);
  assert.equal(
    cacheConfig({ env: envOf({ ...home, BARCHAN_CACHE_MAX: "500M" }) }).maxBytes,
    500 * 1024 ** 2,
  );
  assert.throws(
    () => cacheConfig({ env: envOf({ ...home, BARCHAN_CACHE_MAX: "10 parsecs" }) }),
    /BARCHAN_CACHE_MAX: "10 parsecs" is not a size.*500M or 10G/,
  );
});

Deno.test("parseSize() reads bytes, binary and decimal units, in any case", () => {
  assert.equal(parseSize("123"), 123);
  assert.equal(parseSize("123B"), 123);
  assert.equal(parseSize("4k"), 4096);
  assert.equal(parseSize("4KiB"), 4096);
  assert.equal(parseSize("4kb"), 4000);
  assert.equal(parseSize("10G"), 10 * 1024 ** 3);
  assert.equal(parseSize("10GB"), 10 * 1000 ** 3);
  assert.equal(parseSize(" 1.5 T "), 1.5 * 1024 ** 4);
  for (const bad of ["", "G", "-1G", "1e9", "10 X", "1.G", "toString"]) {
    assert.throws(() => parseSize(bad), /is not a size/, bad);
  }
});

Deno.test("ensureCacheDir() creates the directory with mode 0700 and keeps an existing one", async () => {
  await withTempDir(async (dir) => {
    await ensureCacheDir(`${dir}/a/b`);
    assert.equal((await Deno.stat(`${dir}/a/b`)).mode! & 0o777, 0o700);
    await Deno.chmod(`${dir}/a/b`, 0o770);
    await ensureCacheDir(`${dir}/a/b`);
    assert.equal((await Deno.stat(`${dir}/a/b`)).mode! & 0o777, 0o770);
  });
});
