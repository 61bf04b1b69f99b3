import assert from "node:assert/strict";
import { HttpCache, type HttpCacheOptions } from "../../../rules/cache/http_cache.ts";
import { fileDigest, sha256Digest } from "../../../rules/reapi/digest.ts";
import { nginxTest } from "../../_servers/nginx.ts";
import { blob, key, warnings, withTempDir } from "./_util.ts";

/** A client that uploads, with warnings collected. */
function client(url: string, options: HttpCacheOptions = {}) {
  const seen = warnings();
  const cache = new HttpCache(url, {
    headers: {},
    upload: true,
    onWarning: seen.onWarning,
    ...options,
  });
  return { cache, warnings: seen.list };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

nginxTest(
  "HttpCache misses, uploads, then hits action results and blobs on nginx",
  async (nginx) => {
    await withTempDir(async (dir) => {
      const { cache, warnings } = client(`${nginx.url}/cache/`);
      const k = await key("link app");
      const a = await blob("object code");
      const tool = await blob("#!/bin/sh\necho from the remote cache\n");
      assert.equal(await cache.getActionResult(k), undefined);
      assert.equal(await cache.getBlob(a.digest), undefined);
      assert.equal(await cache.getBlobToFile(a.digest, `${dir}/a.o`), false);
      assert.deepEqual(await cache.findMissing([a.digest, tool.digest]), [a.digest, tool.digest]);

      await cache.putBlob(a.digest, a.bytes);
      await Deno.writeFile(`${dir}/tool.sh`, tool.bytes);
      await cache.putBlobFromFile(tool.digest, `${dir}/tool.sh`);
      await cache.putActionResult(k, new Uint8Array([8, 1]), { requires: [a.digest, tool.digest] });
      assert.equal(await cache.flush(10_000), true);

      assert.deepEqual(
        await Deno.readFile(`${nginx.root}/cache/ac/${k.hash}`),
        new Uint8Array([8, 1]),
      );
      assert.deepEqual(await cache.getActionResult(k), new Uint8Array([8, 1]));
      assert.deepEqual(await cache.findMissing([a.digest, tool.digest]), []);
      assert.deepEqual(await cache.getBlob(a.digest), a.bytes);
      assert.ok(
        await cache.getBlobToFile(tool.digest, `${dir}/out/bin/tool`, { executable: true }),
      );
      const run = await new Deno.Command(`${dir}/out/bin/tool`).output();
      assert.equal(new TextDecoder().decode(run.stdout), "from the remote cache\n");
      assert.deepEqual([...Deno.readDirSync(`${dir}/out/bin`)].map((e) => e.name), ["tool"]);
      assert.deepEqual(warnings, []);
      cache.close();
    });
  },
);

nginxTest("HttpCache uploads nothing unless uploads are on", async (nginx) => {
  const seen = warnings();
  const cache = new HttpCache(nginx.url, { headers: {}, onWarning: seen.onWarning });
  const a = await blob("read only");
  await cache.putBlob(a.digest, a.bytes);
  await cache.putActionResult(await key("x"), a.bytes);
  assert.equal(await cache.flush(1_000), true);
  assert.deepEqual([...Deno.readDirSync(nginx.root)], []);
  cache.close();
});

nginxTest(
  "HttpCache treats a blob with wrong bytes on the server as a miss, with a warning naming it",
  async (nginx) => {
    await withTempDir(async (dir) => {
      const { cache, warnings } = client(nginx.url);
      const a = await blob("the right content");
      const b = await blob("the wrong content");
      await Deno.mkdir(`${nginx.root}/cas`);
      // Same size, other bytes; then fewer bytes.
      await Deno.writeFile(`${nginx.root}/cas/${a.digest.hash}`, b.bytes);
      await Deno.writeTextFile(`${dir}/a`, "kept");
      assert.equal(await cache.getBlobToFile(a.digest, `${dir}/a`), false);
      assert.equal(await Deno.readTextFile(`${dir}/a`), "kept");
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a"]);
      assert.equal(await cache.getBlob(a.digest), undefined);
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0],
        new RegExp(`Blob ${a.digest.hash}/17 .* is corrupt .*${b.digest.hash}`),
      );

      const c = await blob("another");
      await Deno.writeTextFile(`${nginx.root}/cas/${c.digest.hash}`, "an");
      assert.equal(await cache.getBlobToFile(c.digest, `${dir}/c`), false);
      assert.equal(warnings.length, 2);
      assert.match(
        warnings[1],
        new RegExp(`Blob ${c.digest.hash}/7 .* is corrupt \\(got 2 bytes\\)`),
      );
      // The server is still used.
      assert.equal(cache.available, true);
      cache.close();
    });
  },
);

nginxTest(
  "HttpCache streams large blobs both ways, checking them, without holding them whole",
  async (nginx) => {
    await withTempDir(async (dir) => {
      // Large enough that holding it whole (or twice: a read and a copy)
      // stands out from the garbage streaming leaves until V8 collects it.
      const size = 160 * 1024 * 1024;
      {
        using file = await Deno.open(`${dir}/big`, { write: true, create: true });
        const chunk = new Uint8Array(1024 * 1024);
        for (let i = 0; i < size / chunk.length; i++) {
          chunk.fill(i & 0xff);
          chunk[0] = i >> 8;
          await file.write(chunk);
        }
      }
      const digest = await fileDigest(`${dir}/big`);
      const { cache, warnings } = client(nginx.url);
      const base = Deno.memoryUsage().rss;
      let peak = base;
      const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 5);
      try {
        await cache.putBlobFromFile(digest, `${dir}/big`);
        assert.equal(await cache.flush(60_000), true);
        assert.equal((await Deno.stat(`${nginx.root}/cas/${digest.hash}`)).size, size);
        assert.ok(await cache.getBlobToFile(digest, `${dir}/copy`));
      } finally {
        clearInterval(sampler);
      }
      assert.deepEqual(await fileDigest(`${dir}/copy`), digest);
      assert.ok(
        peak - base < size * 3 / 4,
        `memory grew by ${((peak - base) / 2 ** 20).toFixed(1)} MiB for a ${
          size / 2 ** 20
        } MiB blob`,
      );

      // The same size with one byte changed at the end: found corrupt after the whole stream.
      using server = await Deno.open(`${nginx.root}/cas/${digest.hash}`, { write: true });
      await server.seek(size - 1, Deno.SeekMode.Start);
      await server.write(new Uint8Array([0xee]));
      assert.equal(await cache.getBlobToFile(digest, `${dir}/copy2`), false);
      assert.equal(await exists(`${dir}/copy2`), false);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["big", "copy"]);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], new RegExp(`${digest.hash}/${size} .* is corrupt`));
      cache.close();
    });
  },
);

nginxTest("HttpCache does not upload a file that changed after it was hashed", async (nginx) => {
  await withTempDir(async (dir) => {
    const { cache, warnings } = client(nginx.url);
    const small = await blob("before");
    await Deno.writeTextFile(`${dir}/small`, "after!");
    const big = new Uint8Array(5 * 1024 * 1024).fill(1);
    const bigDigest = await sha256Digest(big);
    big[100] = 2;
    await Deno.writeFile(`${dir}/big`, big);
    const k = await key("uses the big file");
    await cache.putBlobFromFile(small.digest, `${dir}/small`);
    await cache.putBlobFromFile(bigDigest, `${dir}/big`);
    await cache.putActionResult(k, new Uint8Array([1]), { requires: [bigDigest] });
    assert.equal(await cache.flush(10_000), true);
    assert.deepEqual(await cache.findMissing([small.digest, bigDigest]), [small.digest, bigDigest]);
    assert.equal(await cache.getActionResult(k), undefined);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /Cannot store .*small as blob/);
    assert.match(warnings[1], /Cannot store .*big as blob/);
    assert.equal(cache.available, true);
    cache.close();
  });
});

nginxTest(
  "HttpCache writes to an auth server only with credentials, from headers or the URL",
  async (nginx) => {
    const a = await blob("guarded");
    const k = await key("guarded action");
    const path = `${nginx.authRoot}/cas/${a.digest.hash}`;

    const anonymous = client(nginx.authUrl);
    await anonymous.cache.putBlob(a.digest, a.bytes);
    await anonymous.cache.putActionResult(k, a.bytes);
    assert.equal(await anonymous.cache.flush(10_000), true);
    assert.equal(await exists(path), false);
    assert.equal(anonymous.warnings.length, 1);
    assert.match(anonymous.warnings[0], /refused an upload \(401 Unauthorized\).*credentials/);
    // Reading needs no credentials, and still works.
    assert.equal(await anonymous.cache.getActionResult(k), undefined);
    assert.equal(anonymous.cache.available, true);
    anonymous.cache.close();

    const token = btoa(`${nginx.user}:${nginx.password}`);
    Deno.env.set("BARCHAN_REMOTE_CACHE_HEADERS", `Authorization=Basic ${token},X-Build=ci`);
    try {
      const seen = warnings();
      const fromEnv = new HttpCache(nginx.authUrl, { upload: true, onWarning: seen.onWarning });
      await fromEnv.putBlob(a.digest, a.bytes);
      assert.equal(await fromEnv.flush(10_000), true);
      assert.deepEqual(await Deno.readFile(path), a.bytes);
      assert.deepEqual(seen.list, []);
      fromEnv.close();
    } finally {
      Deno.env.delete("BARCHAN_REMOTE_CACHE_HEADERS");
    }

    const password = encodeURIComponent(nginx.password);
    const withUser = client(nginx.authUrl.replace("//", `//${nginx.user}:${password}@`));
    assert.equal(withUser.cache.name, nginx.authUrl);
    await withUser.cache.putActionResult(k, a.bytes);
    assert.equal(await withUser.cache.flush(10_000), true);
    assert.deepEqual(await withUser.cache.getActionResult(k), a.bytes);
    assert.deepEqual(withUser.warnings, []);
    withUser.cache.close();

    const wrong = client(nginx.authUrl.replace("//", `//${nginx.user}:nope@`));
    const b = await blob("not stored");
    await wrong.cache.putBlob(b.digest, b.bytes);
    await wrong.cache.flush(10_000);
    assert.equal(wrong.warnings.length, 1);
    assert.doesNotMatch(wrong.warnings[0], /nope/);
    assert.equal(await exists(`${nginx.authRoot}/cas/${b.digest.hash}`), false);
    wrong.cache.close();
  },
);

nginxTest(
  "HttpCache gives one warning when nginx stops mid-use, then misses without errors",
  async (nginx) => {
    await withTempDir(async (dir) => {
      const { cache, warnings } = client(nginx.url, { retryDelayMs: 10 });
      const a = await blob("before the stop");
      const k = await key("stopped");
      await cache.putBlob(a.digest, a.bytes);
      await cache.putActionResult(k, a.bytes);
      await cache.flush(10_000);
      assert.deepEqual(await cache.getActionResult(k), a.bytes);

      await nginx.stop();
      assert.equal(await cache.getActionResult(k), undefined);
      assert.equal(await cache.getBlob(a.digest), undefined);
      assert.equal(await cache.getBlobToFile(a.digest, `${dir}/a`), false);
      assert.deepEqual(await cache.findMissing([a.digest]), [a.digest]);
      const b = await blob("after the stop");
      await cache.putBlob(b.digest, b.bytes);
      await cache.putBlobFromFile(a.digest, `${dir}/missing-file`);
      assert.equal(await cache.flush(1_000), true);
      assert.equal(cache.available, false);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /is unavailable \(.*\): going on without it/);
      cache.close();
    });
  },
);

Deno.test("HttpCache gives up on a server that accepts connections and never answers, within its time-out", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const seen = warnings();
    const cache = new HttpCache(`http://127.0.0.1:${listener.addr.port}`, {
      headers: {},
      upload: true,
      requestTimeoutMs: 300,
      onWarning: seen.onWarning,
    });
    const start = Date.now();
    assert.equal(await cache.getActionResult({ hash: "0".repeat(64), sizeBytes: 140 }), undefined);
    const waited = Date.now() - start;
    assert.ok(waited < 5_000, `gave up after ${waited} ms`);
    assert.equal(seen.list.length, 1);
    assert.match(seen.list[0], /did not answer GET \/ac\/0+ within 300 ms/);
    // Later calls do not wait.
    const a = await blob("never sent");
    assert.equal(await cache.getBlob(a.digest), undefined);
    await cache.putBlob(a.digest, a.bytes);
    assert.equal(await cache.flush(1_000), true);
    assert.equal(seen.list.length, 1);
    cache.close();
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
  }
});

Deno.test("HttpCache abandons uploads still running when flush() runs out of time", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const seen = warnings();
    const cache = new HttpCache(`http://127.0.0.1:${listener.addr.port}`, {
      headers: {},
      upload: true,
      requestTimeoutMs: 60_000,
      onWarning: seen.onWarning,
    });
    for (const text of ["one", "two", "three"]) {
      const b = await blob(text);
      await cache.putBlob(b.digest, b.bytes);
    }
    const start = Date.now();
    assert.equal(await cache.flush(300), false);
    assert.ok(Date.now() - start < 5_000);
    assert.equal(seen.list.length, 1);
    assert.match(seen.list[0], /3 upload\(s\) .* unfinished after 300 ms: abandoned/);
    cache.close();
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
  }
});

/**
 * A test double of a cache server that fails: answers 503 to the first
 * `failures` requests, then 404. nginx cannot be made to fail a given number
 * of times.
 */
function flakyTestServer(
  failures: number,
): { url: string; requests: () => number; server: Deno.HttpServer } {
  let count = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    count++;
    return new Response(null, { status: count <= failures ? 503 : 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, requests: () => count, server };
}

Deno.test("HttpCache retries 5xx answers a few times, then gives up on the server", async () => {
  const flaky = flakyTestServer(2);
  try {
    const { cache, warnings } = client(flaky.url, { retryDelayMs: 1 });
    assert.equal(await cache.getActionResult({ hash: "0".repeat(64), sizeBytes: 140 }), undefined);
    assert.equal(flaky.requests(), 3);
    assert.deepEqual(warnings, []);
    assert.equal(cache.available, true);
    cache.close();
  } finally {
    await flaky.server.shutdown();
  }
  const down = flakyTestServer(100);
  try {
    const { cache, warnings } = client(down.url, { retryDelayMs: 1, retries: 3 });
    assert.equal(await cache.getActionResult({ hash: "0".repeat(64), sizeBytes: 140 }), undefined);
    assert.equal(await cache.getActionResult({ hash: "1".repeat(64), sizeBytes: 140 }), undefined);
    assert.equal(down.requests(), 4);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /unavailable \(503 Service Unavailable on GET \/ac\/0+\)/);
    cache.close();
  } finally {
    await down.server.shutdown();
  }
});

Deno.test("HttpCache rejects a URL that is not http(s), without showing credentials", () => {
  assert.throws(
    () => new HttpCache("ftp://user:secret@example.com/cache", { headers: {} }),
    (error: Error) =>
      /expected an http:\/\/ or https:\/\/ URL/.test(error.message) &&
      !error.message.includes("secret"),
  );
});
