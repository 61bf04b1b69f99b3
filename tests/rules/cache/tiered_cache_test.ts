import assert from "node:assert/strict";
import { HttpCache } from "../../../rules/cache/http_cache.ts";
import { LocalCache } from "../../../rules/cache/local_cache.ts";
import { describeSource, TieredCache } from "../../../rules/cache/tiered_cache.ts";
import { nginxTest } from "../../_servers/nginx.ts";
import { blob, key, warnings, withTempDir } from "./_util.ts";

nginxTest(
  "TieredCache finds a remote hit and keeps its blobs locally; the result is kept once the caller stores it",
  async (nginx) => {
    await withTempDir(async (dir) => {
      // A warm remote cache, filled by another machine.
      const ci = new HttpCache(nginx.url, { headers: {}, upload: true });
      const k = await key("compile");
      const out = await blob("#!/bin/sh\necho built\n");
      await ci.putBlob(out.digest, out.bytes);
      await ci.putActionResult(k, new Uint8Array([1, 2]), { requires: [out.digest] });
      assert.ok(await ci.flush(10_000));
      ci.close();

      const seen = warnings();
      const local = await LocalCache.open(`${dir}/cache`, { onWarning: seen.onWarning });
      const remote = new HttpCache(nginx.url, { headers: {}, onWarning: seen.onWarning });
      const cache = new TieredCache(local, remote);
      const first = await cache.lookupActionResult(k);
      assert.deepEqual(first, { bytes: new Uint8Array([1, 2]), source: "remote" });
      assert.equal(describeSource(first!.source), "restored from remote cache");
      // Not checked, so not kept.
      assert.equal(await local.getActionResult(k), undefined);
      assert.equal(
        await cache.restoreBlob(out.digest, `${dir}/out/tool`, { executable: true }),
        "remote",
      );
      assert.equal((await Deno.stat(`${dir}/out/tool`)).mode! & 0o777, 0o755);
      await cache.local.putActionResult(k, first!.bytes);
      assert.deepEqual(await local.stats(), {
        entries: 2,
        bytes: 2 + out.bytes.length,
        actionResults: 1,
        blobs: 1,
      });

      // Without the server, everything comes from the local cache.
      await nginx.stop();
      const second = await cache.lookupActionResult(k);
      assert.deepEqual(second, { bytes: new Uint8Array([1, 2]), source: "local" });
      assert.equal(describeSource(second!.source), "restored from local cache");
      assert.equal(await cache.restoreBlob(out.digest, `${dir}/out/tool2`), "local");
      assert.equal(await cache.pullBlob(out.digest), "local");
      assert.deepEqual(await cache.getBlob(out.digest), out.bytes);
      assert.deepEqual(await cache.findMissing([out.digest]), []);
      assert.deepEqual(seen.list, []);
      // A miss in both asks the remote cache, which is down: one warning.
      assert.equal(await cache.lookupActionResult(await key("other")), undefined);
      assert.equal(await cache.lookupActionResult(await key("another")), undefined);
      assert.equal(seen.list.length, 1);
      assert.match(seen.list[0], /unavailable/);
      cache.close();
    });
  },
);

nginxTest("TieredCache stores in both tiers and finds what neither holds", async (nginx) => {
  await withTempDir(async (dir) => {
    const local = await LocalCache.open(`${dir}/cache`);
    const remote = new HttpCache(nginx.url, { headers: {}, upload: true });
    const cache = new TieredCache(local, remote);
    const a = await blob("a");
    const b = await blob("b");
    const c = await blob("c");
    const k = await key("both");
    await cache.putBlob(a.digest, a.bytes);
    await Deno.writeFile(`${dir}/b`, b.bytes);
    await cache.putBlobFromFile(b.digest, `${dir}/b`);
    await cache.putActionResult(k, new Uint8Array([5]), { requires: [a.digest, b.digest] });
    assert.ok(await cache.flush(10_000));
    assert.deepEqual(await local.findMissing([a.digest, b.digest]), []);
    assert.deepEqual(await remote.findMissing([a.digest, b.digest]), []);
    assert.deepEqual(await Deno.readFile(`${nginx.root}/ac/${k.hash}`), new Uint8Array([5]));
    // Only in the remote tier: not missing.
    await local.clear();
    assert.deepEqual(await cache.findMissing([a.digest, c.digest]), [c.digest]);
    assert.deepEqual(await cache.getBlob(a.digest), a.bytes);
    assert.deepEqual(await local.findMissing([a.digest]), []);
    assert.equal(await cache.getBlobToFile(c.digest, `${dir}/c`), false);
    cache.close();
  });
});
