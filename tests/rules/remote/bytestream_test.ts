// Blobs over the batch limit through ByteStream, streamed from and to files.

import assert from "node:assert/strict";
import { join } from "node:path";
import { connectRemote } from "../../../rules/remote/remote.ts";
import { RemoteError } from "../../../rules/remote/errors.ts";
import { ByteStreamClient } from "../../../rules/remote/bytestream.ts";
import { fileDigest } from "../../../rules/reapi/digest.ts";
import { withBuildStream, withExecutor, withTempDir, writeRandomFile } from "./_util.ts";

async function sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([Deno.readFile(a), Deno.readFile(b)]);
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}

Deno.test("a 6 MB file goes up and comes back through ByteStream on BuildStream's CAS, byte for byte", async () => {
  await withBuildStream(async (url) => {
    await withTempDir(async (dir) => {
      const source = join(dir, "big.bin");
      await writeRandomFile(source, 6_000_003, 42);
      const digest = await fileDigest(source);
      const remote = await connectRemote(url);
      try {
        assert.equal(remote.cas.fitsInBatch(digest.sizeBytes), false);
        assert.deepEqual(await remote.uploadMissing([{ digest, path: source }]), [digest]);
        assert.deepEqual(await remote.cas.findMissing([digest]), []);
        assert.deepEqual(
          await remote.uploadMissing([{ digest, path: source }]),
          [],
          "held already",
        );
        const copy = join(dir, "out", "big.bin");
        assert.equal(await remote.byteStream.readToFile(digest, copy), true);
        assert.ok(await sameBytes(source, copy));
        assert.deepEqual([...Deno.readDirSync(join(dir, "out"))].map((e) => e.name), ["big.bin"]);
      } finally {
        remote.close();
      }
    });
  });
});

Deno.test("ByteStream reads a blob the server lacks as a miss", async () => {
  await withBuildStream(async (url) => {
    await withTempDir(async (dir) => {
      const remote = await connectRemote(url);
      try {
        const absent = { hash: "0".repeat(64), sizeBytes: 5_000_000 };
        assert.equal(await remote.byteStream.readToFile(absent, join(dir, "x")), false);
        assert.deepEqual([...Deno.readDirSync(dir)], [], "no partial file is left");
      } finally {
        remote.close();
      }
    });
  });
});

Deno.test("a large blob served with wrong bytes is rejected and leaves no file", async () => {
  await withExecutor({ corruptReads: true, instance: "big" }, async (executor) => {
    await withTempDir(async (dir) => {
      const source = join(dir, "big.bin");
      await writeRandomFile(source, 3_000_000, 9);
      const digest = await fileDigest(source);
      const remote = await connectRemote(executor.url, { instanceName: "big" });
      try {
        await remote.uploadMissing([{ digest, path: source }]);
        const target = join(dir, "copy.bin");
        await assert.rejects(
          remote.downloadToFile(digest, target),
          (error) => error instanceof RemoteError && error.codeName === "DATA_LOSS",
        );
        assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["big.bin"]);
      } finally {
        remote.close();
      }
    });
  });
});

Deno.test("an upload whose content does not match its digest is refused by the server", async () => {
  await withBuildStream(async (url) => {
    await withTempDir(async (dir) => {
      const source = join(dir, "big.bin");
      await writeRandomFile(source, 2_000_000, 3);
      const digest = { ...(await fileDigest(source)), hash: "1".repeat(64) };
      const remote = await connectRemote(url);
      try {
        await assert.rejects(remote.byteStream.writeFromFile(digest, source), RemoteError);
        assert.deepEqual(await remote.cas.findMissing([digest]), [digest]);
      } finally {
        remote.close();
      }
    });
  });
});

Deno.test("a ByteStream read cut midway resumes at its offset; a cut write starts again", async () => {
  await withExecutor({ cutStreams: true }, async (executor) => {
    await withTempDir(async (dir) => {
      const [a, b] = [join(dir, "a.bin"), join(dir, "b.bin")];
      await writeRandomFile(a, 3_000_000, 11);
      await writeRandomFile(b, 3_000_000, 12);
      const [digestA, digestB] = [await fileDigest(a), await fileDigest(b)];
      const remote = await connectRemote(executor.url);
      try {
        // Without retries the cuts show: each blob's first transfer fails.
        const strict = new ByteStreamClient(remote.channel, { retries: 0 });
        await assert.rejects(strict.writeFromFile(digestA, a), /write cut/);
        await strict.writeFromFile(digestA, a);
        await assert.rejects(strict.readToFile(digestA, join(dir, "x")), /read cut/);

        await remote.byteStream.writeFromFile(digestB, b);
        const copy = join(dir, "copy.bin");
        assert.equal(await remote.byteStream.readToFile(digestB, copy), true);
        assert.ok(await sameBytes(b, copy));
      } finally {
        remote.close();
      }
    });
  });
});
