// The CAS client against BuildStream's CAS server: FindMissingBlobs,
// BatchUpdateBlobs and BatchReadBlobs round trips, split by the server's
// batch limit (1 MiB); and damaged downloads refused.

import assert from "node:assert/strict";
import { connectRemote } from "../../../rules/remote/remote.ts";
import { RemoteError } from "../../../rules/remote/errors.ts";
import { blob, randomBytes, withBuildStream, withExecutor } from "./_util.ts";

Deno.test("capabilities of BuildStream's CAS server: SHA-256, a 1 MiB batch limit, no execution", async () => {
  await withBuildStream(async (url) => {
    const remote = await connectRemote(url);
    try {
      assert.equal(remote.capabilities.sha256, true);
      assert.equal(remote.capabilities.maxBatchTotalSizeBytes, 1024 * 1024);
      assert.equal(remote.capabilities.execEnabled, false);
      assert.equal(remote.capabilities.actionCacheUpdateEnabled, false);
    } finally {
      remote.close();
    }
  });
});

Deno.test("capabilities of the test executor: execution enabled, action cache writable", async () => {
  await withExecutor({ maxBatchBytes: 2 << 20 }, async (executor) => {
    const remote = await connectRemote(executor.url);
    try {
      assert.equal(remote.capabilities.execEnabled, true);
      assert.equal(remote.capabilities.actionCacheUpdateEnabled, true);
      assert.equal(remote.capabilities.maxBatchTotalSizeBytes, 2 << 20);
      assert.deepEqual(remote.capabilities.cachePriorities, [{ minPriority: 0, maxPriority: 0 }]);
      assert.equal(remote.capabilities.highApiVersion, "2.0");
    } finally {
      remote.close();
    }
  });
});

Deno.test("FindMissingBlobs, BatchUpdateBlobs and BatchReadBlobs round trip through BuildStream's CAS", async () => {
  await withBuildStream(async (url) => {
    const remote = await connectRemote(url);
    try {
      const blobs = await Promise.all(
        [..."abcdefgh"].map((c, i) => blob(randomBytes(1000 * (i + 1), c.charCodeAt(0)))),
      );
      const digests = blobs.map((b) => b.digest);
      assert.deepEqual(await remote.cas.findMissing([...digests, digests[0]]), digests);
      await remote.cas.batchUpdate(blobs.slice(0, 5));
      assert.deepEqual(await remote.cas.findMissing(digests), digests.slice(5));
      const read = await remote.cas.batchRead(digests);
      assert.equal(read.size, 5, "blobs the server lacks are absent");
      for (const b of blobs.slice(0, 5)) {
        assert.deepEqual(read.get(`${b.digest.hash}/${b.digest.sizeBytes}`), b.data);
      }
    } finally {
      remote.close();
    }
  });
});

Deno.test("batches over the server's limit are split: 24 blobs of 200 kB go in several requests", async () => {
  await withBuildStream(async (url) => {
    const remote = await connectRemote(url);
    try {
      const blobs = await Promise.all(
        Array.from({ length: 24 }, (_, i) => blob(randomBytes(200_000, 1000 + i))),
      );
      // BuildStream refuses a batch of more than 1 MiB with INVALID_ARGUMENT.
      await remote.cas.batchUpdate(blobs);
      assert.deepEqual(await remote.cas.findMissing(blobs.map((b) => b.digest)), []);
      const read = await remote.cas.batchRead(blobs.map((b) => b.digest));
      assert.equal(read.size, 24);
      for (const b of blobs) {
        assert.deepEqual(read.get(`${b.digest.hash}/${b.digest.sizeBytes}`), b.data);
      }
    } finally {
      remote.close();
    }
  });
});

Deno.test("a blob over the batch limit is refused by the batch calls, naming ByteStream", async () => {
  await withBuildStream(async (url) => {
    const remote = await connectRemote(url);
    try {
      const big = await blob(randomBytes(2 << 20, 7));
      assert.equal(remote.cas.fitsInBatch(big.digest.sizeBytes), false);
      await assert.rejects(remote.cas.batchUpdate([big]), /through ByteStream/);
      await assert.rejects(remote.cas.batchRead([big.digest]), /through ByteStream/);
    } finally {
      remote.close();
    }
  });
});

Deno.test("a blob served with wrong bytes is rejected with DATA_LOSS", async () => {
  await withExecutor({ corruptReads: true }, async (executor) => {
    const remote = await connectRemote(executor.url);
    try {
      const b = await blob("the right content\n");
      await remote.cas.batchUpdate([b]);
      await assert.rejects(
        remote.cas.batchRead([b.digest]),
        (error) =>
          error instanceof RemoteError && error.codeName === "DATA_LOSS" &&
          /arrived as SHA-256 [0-9a-f]{64}/.test(error.message),
      );
      assert.equal(await remote.download(b.digest).catch((e) => e.codeName), "DATA_LOSS");
    } finally {
      remote.close();
    }
  });
});

Deno.test("the instance name is sent with every CAS call", async () => {
  await withExecutor({ instance: "ci/main" }, async (executor) => {
    const wrong = await connectRemote(executor.url, { instanceName: "other" }).catch((e) => e);
    assert.ok(wrong instanceof RemoteError && wrong.codeName === "INVALID_ARGUMENT");
    const remote = await connectRemote(executor.url, { instanceName: "ci/main" });
    try {
      const b = await blob("instance");
      await remote.cas.batchUpdate([b]);
      assert.deepEqual(await remote.cas.findMissing([b.digest]), []);
      assert.deepEqual(await remote.download(b.digest), b.data);
    } finally {
      remote.close();
    }
  });
});
