import assert from "node:assert/strict";
import { LocalCache } from "../../../rules/cache/local_cache.ts";
import { sha256Digest } from "../../../rules/reapi/digest.ts";
import { DigestMismatchError } from "../../../rules/cache/errors.ts";
import { blob, key, warnings, withTempDir } from "./_util.ts";

const HAMMER = new URL("./_hammer.ts", import.meta.url).pathname;

Deno.test("LocalCache stores and returns action results and blobs", async () => {
  await withTempDir(async (dir) => {
    const cache = await LocalCache.open(`${dir}/cache`);
    const k = await key("compile a.c");
    assert.equal(await cache.getActionResult(k), undefined);
    await cache.putActionResult(k, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await cache.getActionResult(k), new Uint8Array([1, 2, 3]));
    await cache.putActionResult(k, new Uint8Array([4]));
    assert.deepEqual(await cache.getActionResult(k), new Uint8Array([4]));

    const a = await blob("int a;\n");
    const b = await blob("int b;\n");
    assert.deepEqual(await cache.findMissing([a.digest, b.digest]), [a.digest, b.digest]);
    await cache.putBlob(a.digest, a.bytes);
    await Deno.writeFile(`${dir}/b.o`, b.bytes);
    await cache.putBlobFromFile(b.digest, `${dir}/b.o`);
    assert.deepEqual(await cache.findMissing([a.digest, b.digest]), []);
    assert.deepEqual(await cache.getBlob(a.digest), a.bytes);
    assert.ok(await cache.getBlobToFile(b.digest, `${dir}/out/deep/b.o`));
    assert.deepEqual(await Deno.readFile(`${dir}/out/deep/b.o`), b.bytes);
    assert.deepEqual(await cache.stats(), {
      entries: 3,
      bytes: 1 + a.bytes.length + b.bytes.length,
      actionResults: 1,
      blobs: 2,
    });
    assert.equal(await cache.getBlobToFile((await blob("none")).digest, `${dir}/none`), false);
    cache.close();
  });
});

Deno.test("LocalCache shards entries by the first two hex digits of their key", async () => {
  await withTempDir(async (dir) => {
    const cache = await LocalCache.open(dir);
    const a = await blob("sharded");
    await cache.putBlob(a.digest, a.bytes);
    const k = await key("action");
    await cache.putActionResult(k, new Uint8Array([9]));
    const h = a.digest.hash;
    assert.deepEqual(await Deno.readFile(`${dir}/cas/${h.slice(0, 2)}/${h}`), a.bytes);
    assert.deepEqual(
      await Deno.readFile(`${dir}/ac/${k.hash.slice(0, 2)}/${k.hash}`),
      new Uint8Array([9]),
    );
    cache.close();
  });
});

Deno.test("LocalCache copies a blob from a file, so later edits of the file do not reach it", async () => {
  await withTempDir(async (dir) => {
    const cache = await LocalCache.open(`${dir}/cache`);
    const a = await blob("original");
    await Deno.writeFile(`${dir}/a`, a.bytes);
    await cache.putBlobFromFile(a.digest, `${dir}/a`);
    assert.equal((await Deno.stat(`${dir}/a`)).nlink, 1);
    await Deno.writeTextFile(`${dir}/a`, "changed!");
    assert.deepEqual(await cache.getBlob(a.digest), a.bytes);
    cache.close();
  });
});

Deno.test("LocalCache refuses content that does not match its digest, and stores nothing", async () => {
  await withTempDir(async (dir) => {
    const cache = await LocalCache.open(`${dir}/cache`);
    const a = await blob("a");
    const b = await blob("b");
    await assert.rejects(cache.putBlob(a.digest, b.bytes), DigestMismatchError);
    await Deno.writeFile(`${dir}/b`, b.bytes);
    await assert.rejects(cache.putBlobFromFile(a.digest, `${dir}/b`), DigestMismatchError);
    // A large file takes the streaming path.
    const big = new Uint8Array(3 * 1024 * 1024).fill(7);
    await Deno.writeFile(`${dir}/big`, big);
    const bigDigest = await sha256Digest(big);
    await Deno.writeFile(`${dir}/big`, new Uint8Array([8]), { append: true });
    await assert.rejects(cache.putBlobFromFile(bigDigest, `${dir}/big`), DigestMismatchError);
    assert.deepEqual(await cache.stats(), { entries: 0, bytes: 0, actionResults: 0, blobs: 0 });
    assert.deepEqual([...Deno.readDirSync(`${dir}/cache/tmp`)], []);
    await assert.rejects(cache.putBlobFromFile(a.digest, `${dir}/missing`), Deno.errors.NotFound);
    await assert.rejects(
      cache.getActionResult({ hash: "../../etc/passwd", sizeBytes: 1 }),
      TypeError,
    );
    cache.close();
  });
});

Deno.test("LocalCache restores the executable bit asked for", async () => {
  await withTempDir(async (dir) => {
    const cache = await LocalCache.open(`${dir}/cache`);
    const script = await blob("#!/bin/sh\necho restored\n");
    await Deno.writeFile(`${dir}/tool.sh`, script.bytes, { mode: 0o755 });
    await cache.putBlobFromFile(script.digest, `${dir}/tool.sh`);
    assert.ok(await cache.getBlobToFile(script.digest, `${dir}/out/tool.sh`, { executable: true }));
    assert.equal((await Deno.stat(`${dir}/out/tool.sh`)).mode! & 0o777, 0o755);
    const run = await new Deno.Command(`${dir}/out/tool.sh`).output();
    assert.equal(new TextDecoder().decode(run.stdout), "restored\n");
    assert.ok(await cache.getBlobToFile(script.digest, `${dir}/out/data.txt`));
    assert.equal((await Deno.stat(`${dir}/out/data.txt`)).mode! & 0o777, 0o644);
    // Restoring over an executable file makes it plain.
    assert.ok(await cache.getBlobToFile(script.digest, `${dir}/out/tool.sh`));
    assert.equal((await Deno.stat(`${dir}/out/tool.sh`)).mode! & 0o777, 0o644);
    cache.close();
  });
});

Deno.test("LocalCache restores nothing from a blob whose size does not match, and removes it", async () => {
  await withTempDir(async (dir) => {
    const seen = warnings();
    const cache = await LocalCache.open(`${dir}/cache`, { onWarning: seen.onWarning });
    const a = await blob("twelve bytes");
    await cache.putBlob(a.digest, a.bytes);
    const stored = `${dir}/cache/cas/${a.digest.hash.slice(0, 2)}/${a.digest.hash}`;
    await Deno.writeTextFile(stored, "short");
    await Deno.writeTextFile(`${dir}/out`, "before");
    assert.equal(await cache.getBlobToFile(a.digest, `${dir}/out`), false);
    assert.equal(await Deno.readTextFile(`${dir}/out`), "before");
    assert.equal(seen.list.length, 1);
    assert.match(seen.list[0], new RegExp(`${a.digest.hash}/12 .* has 5 bytes`));
    assert.deepEqual(await cache.findMissing([a.digest]), [a.digest]);
    cache.close();
  });
});

Deno.test("LocalCache restores nothing from a blob changed in place (same size), and removes it", async () => {
  await withTempDir(async (dir) => {
    const seen = warnings();
    const cache = await LocalCache.open(`${dir}/cache`, { onWarning: seen.onWarning });
    const a = await blob("twelve bytes");
    const b = await blob("other twelve");
    await cache.putBlob(a.digest, a.bytes);
    const stored = `${dir}/cache/cas/${a.digest.hash.slice(0, 2)}/${a.digest.hash}`;
    await Deno.writeFile(stored, b.bytes);
    assert.equal(await cache.getBlobToFile(a.digest, `${dir}/out/a`), false);
    assert.deepEqual([...Deno.readDirSync(`${dir}/out`)], []);
    assert.equal(seen.list.length, 1);
    assert.match(seen.list[0], new RegExp(`${a.digest.hash}/12 .* SHA-256 ${b.digest.hash}`));
    assert.deepEqual(await cache.findMissing([a.digest]), [a.digest]);
    // The same for a blob read whole.
    await cache.putBlob(a.digest, a.bytes);
    await Deno.writeFile(stored, b.bytes);
    assert.equal(await cache.getBlob(a.digest), undefined);
    assert.deepEqual(await cache.findMissing([a.digest]), [a.digest]);
    cache.close();
  });
});

Deno.test("LocalCache restores by hard link when asked, copying executables", async () => {
  await withTempDir(async (dir) => {
    const cache = await LocalCache.open(`${dir}/cache`, { hardLinks: true });
    const a = await blob("linked");
    await cache.putBlob(a.digest, a.bytes);
    assert.ok(await cache.getBlobToFile(a.digest, `${dir}/out/a`));
    assert.equal((await Deno.stat(`${dir}/out/a`)).nlink, 2);
    assert.ok(await cache.getBlobToFile(a.digest, `${dir}/out/x`, { executable: true }));
    const x = await Deno.stat(`${dir}/out/x`);
    assert.equal(x.nlink, 1);
    assert.equal(x.mode! & 0o777, 0o755);
    cache.close();
  });
});

Deno.test("LocalCache falls back to copies with one warning when a hard link crosses file systems", async (t) => {
  const shm = "/dev/shm";
  await withTempDir(async (dir) => {
    let other: string;
    try {
      other = await Deno.makeTempDir({ dir: shm, prefix: "barchan_cache_test_" });
    } catch {
      return void console.log(`note: ${shm} is not writable; the EXDEV fallback is not tested`);
    }
    try {
      if ((await Deno.stat(other)).dev === (await Deno.stat(dir)).dev) {
        return void console.log(`note: ${shm} is on the temp dir's file system; skipped`);
      }
      await t.step("two restores, one warning", async () => {
        const seen = warnings();
        const cache = await LocalCache.open(`${other}/cache`, {
          hardLinks: true,
          onWarning: seen.onWarning,
        });
        const a = await blob("across");
        await cache.putBlob(a.digest, a.bytes);
        assert.ok(await cache.getBlobToFile(a.digest, `${dir}/a1`));
        assert.ok(await cache.getBlobToFile(a.digest, `${dir}/a2`));
        assert.equal(await Deno.readTextFile(`${dir}/a2`), "across");
        assert.equal(seen.list.length, 1);
        assert.match(seen.list[0], /EXDEV.*restoring by copy/);
        cache.close();
      });
    } finally {
      await Deno.remove(other, { recursive: true });
    }
  });
});

Deno.test("LocalCache evicts the least recently used entries past its cap, a hit counting as a use", async () => {
  await withTempDir(async (dir) => {
    let clock = 1_700_000_000_000;
    const now = () => clock;
    const cache = await LocalCache.open(dir, { maxBytes: 10_000, now });
    const keys = await Promise.all([0, 1, 2, 3, 4].map((i) => key(`action ${i}`)));
    for (const k of keys) {
      clock += 1000;
      await cache.putActionResult(k, new Uint8Array(2000));
    }
    // 10,000 bytes: at the cap. Using the first two makes the third the oldest.
    for (const k of keys.slice(0, 2)) {
      clock += 1000;
      assert.ok(await cache.getActionResult(k));
    }
    clock += 1000;
    const extra = await key("action 5");
    await cache.putActionResult(extra, new Uint8Array(2000));
    // 12,000 bytes passed the cap: trimmed to 90 % of it, oldest first.
    const kept = [];
    for (const k of [...keys, extra]) kept.push(await cache.getActionResult(k) !== undefined);
    assert.deepEqual(kept, [true, true, false, false, true, true]);
    assert.deepEqual(await cache.stats(), { entries: 4, bytes: 8000, actionResults: 4, blobs: 0 });
    cache.close();
  });
});

Deno.test("LocalCache keeps a size journal, so that opening and storing scan nothing under the cap", async () => {
  await withTempDir(async (dir) => {
    const cache = await LocalCache.open(dir, { maxBytes: 1_000_000 });
    await cache.putActionResult(await key("a"), new Uint8Array(100));
    await cache.putActionResult(await key("a"), new Uint8Array(40));
    const b = await blob("b");
    await cache.putBlob(b.digest, b.bytes);
    await cache.putBlob(b.digest, b.bytes);
    cache.close();
    const journal = await Deno.readTextFile(`${dir}/size-journal`);
    // What a cache adds is appended in batches: here all at once, on close.
    assert.equal(journal, "barchan cache size v1\n=0\n+41\n");
    const again = await LocalCache.open(dir, { maxBytes: 1_000_000 });
    assert.equal(await Deno.readTextFile(`${dir}/size-journal`), journal);
    again.close();
  });
});

Deno.test("LocalCache trims an oversized cache when it is opened with a lower cap", async () => {
  await withTempDir(async (dir) => {
    const cache = await LocalCache.open(dir);
    for (let i = 0; i < 10; i++) {
      await cache.putActionResult(await key(`${i}`), new Uint8Array(100));
    }
    cache.close();
    const smaller = await LocalCache.open(dir, { maxBytes: 500 });
    assert.equal((await smaller.stats()).bytes, 400);
    smaller.close();
  });
});

Deno.test("LocalCache rebuilds a damaged size journal by scanning, with one warning", async () => {
  await withTempDir(async (dir) => {
    const cache = await LocalCache.open(dir);
    await cache.putActionResult(await key("a"), new Uint8Array(100));
    cache.close();
    await Deno.writeTextFile(`${dir}/size-journal`, "+1\ngarbage\n", { append: true });
    const seen = warnings();
    const reopened = await LocalCache.open(dir, { onWarning: seen.onWarning });
    assert.equal(seen.list.length, 1);
    assert.match(seen.list[0], /size journal .* damaged/);
    assert.equal(await Deno.readTextFile(`${dir}/size-journal`), "barchan cache size v1\n=100\n");
    reopened.close();
    // Under its cap, even by little, the rebuilt cache keeps every entry.
    await Deno.remove(`${dir}/size-journal`);
    const full = await LocalCache.open(dir, { maxBytes: 105, onWarning: seen.onWarning });
    assert.equal(seen.list.length, 2);
    assert.deepEqual(await full.stats(), { entries: 1, bytes: 100, actionResults: 1, blobs: 0 });
    full.close();
  });
});

Deno.test("LocalCache trim(), clear() and stats() report and remove entries", async () => {
  await withTempDir(async (dir) => {
    let clock = 1_700_000_000_000;
    const cache = await LocalCache.open(dir, { now: () => clock });
    const blobs = [];
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      const b = await blob(`blob number ${i}`);
      await cache.putBlob(b.digest, b.bytes);
      blobs.push(b);
    }
    assert.deepEqual(await cache.stats(), { entries: 5, bytes: 65, actionResults: 0, blobs: 5 });
    assert.deepEqual(await cache.trim(40), {
      removedEntries: 2,
      removedBytes: 26,
      entries: 3,
      bytes: 39,
    });
    assert.deepEqual(
      await cache.findMissing(blobs.map((b) => b.digest)),
      [blobs[0].digest, blobs[1].digest],
    );
    await cache.clear();
    assert.deepEqual(await cache.stats(), { entries: 0, bytes: 0, actionResults: 0, blobs: 0 });
    assert.equal(await Deno.readTextFile(`${dir}/size-journal`), "barchan cache size v1\n=0\n");
    // The cache is usable after a clear.
    await cache.putBlob(blobs[0].digest, blobs[0].bytes);
    assert.deepEqual(await cache.getBlob(blobs[0].digest), blobs[0].bytes);
    cache.close();
  });
});

Deno.test("LocalCache is safe for two processes writing and reading the same keys at once", async () => {
  await withTempDir(async (dir) => {
    const cacheDir = `${dir}/cache`;
    const children = ["1", "2"].map((id) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", HAMMER, cacheDir, id, "400"],
        stdout: "piped",
        stderr: "piped",
      }).spawn()
    );
    const outputs = await Promise.all(children.map((child) => child.output()));
    for (const output of outputs) {
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    }
    // Both stayed near the cap (2 MiB) together, and left no temporary file.
    // Near, not under: one evicting an entry the other is writing again at
    // that moment counts it out while it stays, and the two hammer 16 keys
    // under a cap that holds about 20 blobs. At most a few of their largest
    // blobs (200 KB) are left uncounted; a scan (trim) finds the real size.
    const cache = await LocalCache.open(cacheDir, { maxBytes: 2 * 1024 ** 2 });
    const { bytes } = await cache.stats();
    assert.ok(bytes <= 2 * 1024 ** 2 + 4 * 200_000, `${bytes} bytes`);
    await cache.trim(2 * 1024 ** 2);
    assert.ok((await cache.stats()).bytes <= 2 * 1024 ** 2);
    assert.deepEqual([...Deno.readDirSync(`${cacheDir}/tmp`)], []);
    cache.close();
  });
});
