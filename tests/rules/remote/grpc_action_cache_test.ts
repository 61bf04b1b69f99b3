// The action cache with a REAPI server behind the local cache
// (`--remote-cache grpc://...`), against the test executor, which serves
// the ActionCache and CAS services: remote hits, damaged blobs, a server
// that stops.

import assert from "node:assert/strict";
import { openActionCache } from "../../../rules/cache/action_cache.ts";
import { makeAction } from "../cache/_action.ts";
import { withExecutor, withTempDir } from "./_util.ts";

Deno.test("ActionCache over gRPC: results uploaded by CI are remote hits, then local ones", async () => {
  await withExecutor({ instance: "main" }, async (executor) => {
    await withTempDir(async (dir) => {
      const made = await makeAction(`${dir}/ci`, "compile", {
        "bin/tool.sh": "#!/bin/sh\necho over grpc\n",
        "big.bin": "x".repeat(1_500_000),
      }, "compiled\n");
      const warnings: string[] = [];
      const warn = (m: string) => warnings.push(m);
      const remote = executor.url;
      const ci = (await openActionCache({
        cacheDir: `${dir}/ci-cache`,
        remote,
        instance: "main",
        upload: true,
        warn,
      }))!;
      await ci.store(made.action, made.result, made.outputs, made.blobs);
      assert.equal(await ci.flush(30_000), true);
      assert.ok(ci.stats().bytesUploaded >= 1_500_000);
      ci.close();

      const cache = (await openActionCache({
        cacheDir: `${dir}/cache`,
        remote,
        instance: "main",
        warn,
      }))!;
      assert.match(cache.description, /remote cache grpc:\/\/.* \(instance main\) \(read only\)/);
      const found = await cache.lookup(made.action);
      assert.ok("result" in found && found.source === "remote", JSON.stringify(found));
      for (const file of found.result.outputFiles) {
        const to = `${dir}/out/${file.path}`;
        assert.ok(await cache.restoreFile(file.digest, to, { executable: file.isExecutable }));
        assert.deepEqual(await Deno.readFile(to), made.contents.get(file.path));
      }
      assert.equal((await Deno.stat(`${dir}/out/bin/tool.sh`)).mode! & 0o777, 0o755);
      assert.equal(
        new TextDecoder().decode(await cache.getBlob(found.result.stdoutDigest!)),
        "compiled\n",
      );
      assert.ok(cache.stats().bytesDownloaded >= 1_500_000);
      const again = await cache.lookup(made.action);
      assert.ok("result" in again && again.source === "local");
      assert.deepEqual(warnings, []);
      cache.close();
    });
  });
});

Deno.test("ActionCache over gRPC: blobs served damaged are a miss with one warning", async () => {
  await withExecutor({ corruptReads: true }, async (executor) => {
    await withTempDir(async (dir) => {
      const made = await makeAction(`${dir}/ci`, "link", { "app": "the real program" });
      const ci = (await openActionCache({
        cacheDir: `${dir}/ci-cache`,
        remote: executor.url,
        upload: true,
      }))!;
      await ci.store(made.action, made.result, made.outputs, made.blobs);
      assert.equal(await ci.flush(30_000), true);
      ci.close();

      const warnings: string[] = [];
      const cache = (await openActionCache({
        cacheDir: `${dir}/cache`,
        remote: executor.url,
        warn: (m) => warnings.push(m),
      }))!;
      assert.deepEqual(await cache.lookup(made.action), { miss: "blob corrupt: app" });
      assert.deepEqual(await cache.lookup(made.action), { miss: "blob corrupt: app" });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /DATA_LOSS/);
      assert.equal(
        await cache.restoreFile(made.outputs[0].digest, `${dir}/out/app`, { executable: false }),
        false,
      );
      cache.close();
    });
  });
});

Deno.test("ActionCache over gRPC: a server stopped mid-build is one warning, then skipped", async () => {
  await withTempDir(async (dir) => {
    const warnings: string[] = [];
    let url = "";
    let cache;
    await withExecutor({}, async (executor) => {
      url = executor.url;
      cache = (await openActionCache({
        cacheDir: `${dir}/cache`,
        remote: url,
        upload: true,
        warn: (m) => warnings.push(m),
      }))!;
      const first = await makeAction(`${dir}/build`, "first", { "a": "a" });
      assert.match((await cache.lookup(first.action) as { miss: string }).miss, /^no entry/);
    });
    assert.deepEqual(warnings, []);
    for (let i = 0; i < 3; i++) {
      const later = await makeAction(`${dir}/build`, `later ${i}`, { [`b${i}`]: `${i}` });
      assert.deepEqual(await cache!.lookup(later.action), { miss: "remote cache unreachable" });
      await cache!.store(later.action, later.result, later.outputs, later.blobs);
    }
    assert.equal(await cache!.flush(10_000), true);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /unavailable .*UNAVAILABLE/);
    cache!.close();
  });
});

Deno.test("ActionCache over gRPC uploads nothing unless upload is on", async () => {
  await withExecutor({}, async (executor) => {
    await withTempDir(async (dir) => {
      const made = await makeAction(`${dir}/dev`, "local only", { "a.o": "object" });
      const dev = (await openActionCache({ cacheDir: `${dir}/dev-cache`, remote: executor.url }))!;
      await dev.store(made.action, made.result, made.outputs, made.blobs);
      assert.equal(await dev.flush(10_000), true);
      assert.equal(dev.stats().bytesUploaded, 0);
      dev.close();
      const other = (await openActionCache({ cacheDir: `${dir}/other`, remote: executor.url }))!;
      assert.match((await other.lookup(made.action) as { miss: string }).miss, /^no entry for key/);
      other.close();
    });
  });
});
