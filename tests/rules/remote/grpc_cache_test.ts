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
      const cache = new GrpcCache(executor.url, {
        upload: true,
        onWarning: (m) => warnings.push(m),
      });
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
        assert.equal(await cache.flush(30_000), true);
        assert.deepEqual(await cache.findMissing([small.digest, bigDigest]), []);
        assert.equal(cache.bytesUploaded, small.data.length + bigDigest.sizeBytes);
        assert.deepEqual(await cache.getBlob(small.digest), small.data);

        const restored = join(dir, "restored", "tool");
        assert.equal(await cache.getBlobToFile(bigDigest, restored, { executable: true }), true);
        assert.deepEqual(await fileDigest(restored), bigDigest);
        assert.equal((await Deno.stat(restored)).mode! & 0o777, 0o755);

        const action = (await blob("action")).digest;
        const result = encodeActionResult({ outputFiles: [], outputDirectories: [], exitCode: 0 });
        assert.equal(await cache.getActionResult(action), undefined);
        await cache.putActionResult(action, result, { requires: [small.digest] });
        assert.equal(await cache.flush(10_000), true);
        assert.deepEqual(await cache.getActionResult(action), result);
        const other = await blob("not uploaded yet");
        await assert.rejects(
          cache.putBlob(other.digest, new Uint8Array([1])),
          /Cannot store bytes/,
        );
        await assert.rejects(
          cache.getActionResult({ hash: "../x", sizeBytes: 1 }),
          TypeError,
        );
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
    assert.equal(await cache.getActionResult(b.digest), undefined);
    assert.deepEqual(await cache.findMissing([b.digest]), [b.digest]);
    assert.equal(await cache.getBlob(b.digest), undefined);
    await cache.putBlob(b.digest, b.data);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /unavailable .*UNAVAILABLE.*: going on without it/);
    assert.equal(cache.available, false);
  } finally {
    cache.close();
  }
});

Deno.test("GrpcCache over BuildStream's CAS: blobs work; its missing action cache is one warning for writes, one for reads", async () => {
  await withBuildStream(async (url) => {
    const warnings: string[] = [];
    const cache = new GrpcCache(url, { upload: true, onWarning: (m) => warnings.push(m) });
    try {
      const b = await blob("kept by BuildStream");
      await cache.putBlob(b.digest, b.data);
      assert.equal(await cache.flush(10_000), true);
      assert.deepEqual(await cache.getBlob(b.digest), b.data);
      await cache.putActionResult(b.digest, new Uint8Array([0x20, 1]));
      await cache.putActionResult(b.digest, new Uint8Array([0x20, 1]));
      assert.equal(await cache.flush(10_000), true);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /does not let clients write its action cache/);
      // It serves no action cache at all: one warning, and its blobs are still used.
      assert.equal(await cache.getActionResult(b.digest), undefined);
      assert.equal(await cache.getActionResult(b.digest), undefined);
      assert.equal(warnings.length, 2);
      assert.match(warnings[1], /offers no action cache/);
      assert.deepEqual(await cache.getBlob(b.digest), b.data);
    } finally {
      cache.close();
    }
  });
});

Deno.test("GrpcCache over BuildStream's CAS: a blob damaged on the server is a miss with one warning, never a file", async () => {
  await withBuildStream(async (url, server) => {
    await withTempDir(async (dir) => {
      const warnings: string[] = [];
      const writer = new GrpcCache(url, { upload: true, onWarning: (m) => warnings.push(m) });
      const good = await blob("the real program");
      await writer.putBlob(good.digest, good.data);
      assert.equal(await writer.flush(10_000), true);
      writer.close();
      const h = good.digest.hash;
      // Same size, other bytes: the server cannot tell, the client must.
      const objects = `${server.repo}/cas/objects`;
      await Deno.writeTextFile(`${objects}/${h.slice(0, 2)}/${h.slice(2)}`, "the evil program");

      const cache = new GrpcCache(url, { onWarning: (m) => warnings.push(m) });
      try {
        assert.deepEqual(await cache.findMissing([good.digest]), []);
        assert.equal(await cache.getBlob(good.digest), undefined);
        assert.equal(await cache.getBlobToFile(good.digest, join(dir, "app")), false);
        assert.deepEqual([...Deno.readDirSync(dir)], []);
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /DATA_LOSS.*treated as a miss/);
        assert.equal(cache.available, true);
      } finally {
        cache.close();
      }
    });
  });
});

Deno.test("GrpcCache refuses an endpoint it cannot parse, and a channel it cannot make is one warning", async () => {
  assert.throws(() => new GrpcCache("grpc://127.0.0.1:8980/main"), TypeError);
  const warnings: string[] = [];
  const cache = new GrpcCache("grpcs://127.0.0.1:8980", { onWarning: (m) => warnings.push(m) });
  try {
    assert.equal(await cache.getActionResult((await blob("a")).digest), undefined);
    assert.equal(await cache.getBlob((await blob("b")).digest), undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /TLS needs a host name/);
  } finally {
    cache.close();
  }
});
