// The cache storage interface over gRPC (`--remote-cache grpc://...`).

import assert from "node:assert/strict";
import { join } from "node:path";
import { GrpcCache } from "../../../rules/remote/grpc_cache.ts";
import { encodeActionResult } from "../../../rules/reapi/action_result.ts";
import { fileDigest } from "../../../rules/reapi/digest.ts";
import { blob, withBuildStream, withExecutor, withTempDir, writeRandomFile } from "./_util.ts";

Deno.test("GrpcCache stores and returns action results and blobs, small and large", async () => {
  await withExecutor({}, async (executor) => {
    await withTempDir(async (dir) => {
      const warnings: string[] = [];
      const cache = new GrpcCache(executor.url, { onWarning: (m) => warnings.push(m) });
      try {
        const small = await blob("small blob\n");
        const big = join(dir, "big.bin");
        await writeRandomFile(big, 2_500_000, 5);
        const bigDigest = await fileDigest(big);
        assert.deepEqual(await cache.findMissing([small.digest, bigDigest]), [
          small.digest,
          bigDigest,
        ]);
        await cache.putBlob(small.digest, small.data);
        await cache.putBlobFromFile(bigDigest, big);
        assert.deepEqual(await cache.findMissing([small.digest, bigDigest]), []);
        assert.deepEqual(await cache.getBlob(small.digest), small.data);

        const restored = join(dir, "restored", "tool");
        assert.equal(await cache.getBlobToFile(bigDigest, restored, { executable: true }), true);
        assert.deepEqual(await fileDigest(restored), bigDigest);
        assert.equal((await Deno.stat(restored)).mode! & 0o777, 0o755);

        const action = (await blob("action")).digest;
        const key = `${action.hash}/${action.sizeBytes}`;
        const result = encodeActionResult({ outputFiles: [], outputDirectories: [], exitCode: 0 });
        assert.equal(await cache.getActionResult(key), undefined);
        await cache.putActionResult(key, result);
        assert.deepEqual(await cache.getActionResult(action), result);
        await assert.rejects(cache.putBlob(small.digest, new Uint8Array([1])), /Cannot store blob/);
        assert.deepEqual(warnings, []);
      } finally {
        cache.close();
      }
    });
  });
});

Deno.test("GrpcCache: a server that is down is one warning, then misses", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const warnings: string[] = [];
  const cache = new GrpcCache(`grpc://127.0.0.1:${port}`, {
    retries: 1,
    backoffMs: 10,
    onWarning: (m) => warnings.push(m),
  });
  try {
    const b = await blob("x");
    assert.equal(await cache.getActionResult(`${b.digest.hash}/1`), undefined);
    assert.deepEqual(await cache.findMissing([b.digest]), [b.digest]);
    assert.equal(await cache.getBlob(b.digest), undefined);
    await cache.putBlob(b.digest, b.data);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /skipped from now on: .*UNAVAILABLE/);
  } finally {
    cache.close();
  }
});

Deno.test("GrpcCache over BuildStream's CAS: blobs work, its read-only action cache is one warning", async () => {
  await withBuildStream(async (url) => {
    const warnings: string[] = [];
    const cache = new GrpcCache(url, { onWarning: (m) => warnings.push(m) });
    try {
      const b = await blob("kept by BuildStream");
      await cache.putBlob(b.digest, b.data);
      assert.deepEqual(await cache.getBlob(b.digest), b.data);
      const key = `${b.digest.hash}/${b.digest.sizeBytes}`;
      await cache.putActionResult(key, new Uint8Array([0x20, 1]));
      await cache.putActionResult(key, new Uint8Array([0x20, 1]));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /does not let clients write its action cache/);
    } finally {
      cache.close();
    }
  });
});
