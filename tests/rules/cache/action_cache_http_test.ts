// The action cache with nginx behind the local cache (Bazel's HTTP cache
// protocol over WebDAV): remote hits, corrupt and forged entries,
// signatures, a server that stops, uploads only when asked.

import assert from "node:assert/strict";
import { type ActionCache, openActionCache } from "../../../rules/cache/action_cache.ts";
import type { ActionCacheOptions } from "../../../rules/cache/cache_options.ts";
import { decodeActionResult, encodeActionResult } from "../../../rules/reapi/action_result.ts";
import { sha256Digest } from "../../../rules/reapi/digest.ts";
import { nginxTest } from "../../_servers/nginx.ts";
import { makeAction, type TestAction, writeKeyPair } from "./_action.ts";
import { warnings, withTempDir } from "./_util.ts";

/** Opens a cache on its own local directory, with warnings collected. */
async function open(
  dir: string,
  options: ActionCacheOptions,
): Promise<{ cache: ActionCache; warnings: string[] }> {
  const seen = warnings();
  const cache = await openActionCache({ warn: seen.onWarning, cacheDir: dir, ...options });
  return { cache: cache!, warnings: seen.list };
}

/** Stores actions through a cache that uploads (trusted CI), and waits for the uploads. */
async function fillRemote(
  dir: string,
  remote: string,
  actions: TestAction[],
  options: ActionCacheOptions = {},
): Promise<void> {
  const { cache, warnings } = await open(`${dir}/ci-cache`, { remote, upload: true, ...options });
  for (const made of actions) await cache.store(made.action, made.result, made.outputs, made.blobs);
  assert.ok(await cache.flush(10_000));
  assert.deepEqual(warnings, []);
  assert.ok(cache.stats().bytesUploaded > 0);
  cache.close();
}

async function restoreAll(cache: ActionCache, made: TestAction, to: string): Promise<void> {
  const found = await cache.lookup(made.action);
  assert.ok("result" in found, JSON.stringify(found));
  for (const file of found.result.outputFiles) {
    assert.ok(
      await cache.restoreFile(file.digest, `${to}/${file.path}`, {
        executable: file.isExecutable,
      }),
    );
    assert.deepEqual(await Deno.readFile(`${to}/${file.path}`), made.contents.get(file.path));
  }
}

function acPath(root: string, made: TestAction): string {
  return `${root}/ac/${made.action.hash}`;
}

nginxTest(
  "ActionCache: a remote hit is downloaded into the local cache, and hits there once nginx is gone",
  async (nginx) => {
    await withTempDir(async (dir) => {
      const made = await makeAction(`${dir}/ci`, "link", {
        "bin/tool.sh": "#!/bin/sh\necho remote\n",
        "lib/a.txt": "a",
        "lib/same-as-a.txt": "a",
      }, "linking\n");
      await fillRemote(dir, nginx.url, [made]);

      const first = await open(`${dir}/cache`, { remote: nginx.url });
      assert.match(first.cache.description, /remote cache http:\/\/127\.0\.0\.1:\d+ \(read only\)/);
      const found = await first.cache.lookup(made.action);
      assert.ok("result" in found && found.source === "remote", JSON.stringify(found));
      await restoreAll(first.cache, made, `${dir}/out`);
      assert.equal((await Deno.stat(`${dir}/out/bin/tool.sh`)).mode! & 0o777, 0o755);
      const stdout = await first.cache.getBlob(found.result.stdoutDigest!);
      assert.equal(new TextDecoder().decode(stdout), "linking\n");
      const stats = first.cache.stats();
      assert.equal(stats.remoteHits, 1);
      assert.ok(stats.bytesDownloaded > 0);
      assert.equal(stats.bytesUploaded, 0);
      assert.deepEqual(first.warnings, []);
      first.cache.close();

      await nginx.stop();
      const second = await open(`${dir}/cache`, { remote: nginx.url });
      const again = await second.cache.lookup(made.action);
      assert.ok("result" in again && again.source === "local", JSON.stringify(again));
      await restoreAll(second.cache, made, `${dir}/out2`);
      assert.deepEqual(second.warnings, []);
      second.cache.close();
    });
  },
);

nginxTest(
  "ActionCache uploads nothing unless upload is on, and writes the local cache always",
  async (nginx) => {
    await withTempDir(async (dir) => {
      const made = await makeAction(`${dir}/build`, "compile", { "a.o": "object" }, "ok\n");
      const { cache, warnings } = await open(`${dir}/cache`, { remote: nginx.url });
      await cache.store(made.action, made.result, made.outputs, made.blobs);
      assert.ok(await cache.flush(10_000));
      assert.deepEqual([...Deno.readDirSync(nginx.root)], []);
      assert.equal(cache.stats().bytesUploaded, 0);
      const found = await cache.lookup(made.action);
      assert.ok("result" in found && found.source === "local");
      assert.deepEqual(warnings, []);
      cache.close();
    });
  },
);

nginxTest(
  "ActionCache: a corrupted blob on nginx is a miss with one warning, never an output",
  async (nginx) => {
    await withTempDir(async (dir) => {
      const made = await makeAction(`${dir}/ci`, "compile", { "out/app": "the real program" });
      await fillRemote(dir, nginx.url, [made]);
      const blob = made.outputs[0].digest;
      await Deno.writeTextFile(`${nginx.root}/cas/${blob.hash}`, "the evil program");

      const { cache, warnings } = await open(`${dir}/cache`, { remote: nginx.url });
      assert.deepEqual(await cache.lookup(made.action), { miss: "blob corrupt: out/app" });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], new RegExp(`Blob ${blob.hash}/16 .* is corrupt`));
      // Nothing of it reached the local cache: not the blob, not the entry.
      assert.deepEqual(await cache.lookup(made.action), { miss: "blob corrupt: out/app" });
      assert.equal(await cache.restoreFile(blob, `${dir}/out/app`, { executable: false }), false);
      await assert.rejects(Deno.stat(`${dir}/out/app`), Deno.errors.NotFound);
      assert.equal(warnings.length, 1);
      assert.equal(cache.stats().misses, 2);
      cache.close();
    });
  },
);

nginxTest(
  "ActionCache with trusted keys: signed entries hit; unsigned, forged, replayed and foreign-signed ones miss",
  async (nginx) => {
    await withTempDir(async (dir) => {
      const ci = await writeKeyPair(`${dir}/ci-keys`, "ci");
      const stranger = await writeKeyPair(`${dir}/stranger-keys`, "stranger");
      await Deno.mkdir(`${dir}/trusted`);
      await Deno.copyFile(ci.publicKey, `${dir}/trusted/ci.pub`);
      const signed = await makeAction(`${dir}/signed`, "signed", { "bin/app": "good" });
      const forged = await makeAction(`${dir}/forged`, "forged", { "bin/app": "good too" });
      const replayed = await makeAction(`${dir}/replayed`, "replayed", { "bin/app": "other" });
      const unsigned = await makeAction(`${dir}/unsigned`, "unsigned", { "bin/app": "plain" });
      const foreign = await makeAction(`${dir}/foreign`, "foreign", { "bin/app": "theirs" });
      await fillRemote(dir, nginx.url, [signed, forged, replayed], { signingKey: ci.privateKey });
      await fillRemote(`${dir}/2`, nginx.url, [unsigned]);
      await fillRemote(`${dir}/3`, nginx.url, [foreign], { signingKey: stranger.privateKey });

      // Someone with write access to the server, without the private key:
      // a valid blob with other content, named by the signed entry.
      const evil = new TextEncoder().encode("evil");
      const evilDigest = await sha256Digest(evil);
      await Deno.writeFile(`${nginx.root}/cas/${evilDigest.hash}`, evil);
      const entry = decodeActionResult(await Deno.readFile(acPath(nginx.root, forged)));
      entry.outputFiles[0].digest = evilDigest;
      await Deno.writeFile(acPath(nginx.root, forged), encodeActionResult(entry));
      // And another action's signed entry, copied under this action's key.
      await Deno.copyFile(acPath(nginx.root, signed), acPath(nginx.root, replayed));

      const { cache, warnings } = await open(`${dir}/cache`, {
        remote: nginx.url,
        trustedKeys: `${dir}/trusted`,
      });
      assert.match(cache.description, /read only, signatures required/);
      assert.equal(((await cache.lookup(signed.action)) as { source: string }).source, "remote");
      assert.deepEqual(await cache.lookup(forged.action), { miss: "bad signature" });
      assert.deepEqual(await cache.lookup(replayed.action), { miss: "bad signature" });
      assert.deepEqual(await cache.lookup(unsigned.action), { miss: "entry unsigned" });
      assert.deepEqual(await cache.lookup(foreign.action), {
        miss: "entry signed by an unknown key",
      });
      assert.equal(warnings.length, 2);
      assert.match(warnings[0], /signature does not verify/);
      cache.close();

      // Without keys required, the unsigned entry is a hit (and so, alas,
      // is the forged one: what signatures are for).
      const open2 = await open(`${dir}/cache2`, { remote: nginx.url });
      assert.equal(
        ((await open2.cache.lookup(unsigned.action)) as { source: string }).source,
        "remote",
      );
      const fooled = await open2.cache.lookup(forged.action);
      assert.ok("result" in fooled);
      assert.deepEqual(fooled.result.outputFiles[0].digest, evilDigest);
      open2.cache.close();
    });
  },
);

nginxTest(
  "ActionCache: nginx stopped mid-build costs one warning, and later lookups do not contact the server",
  async (nginx) => {
    await withTempDir(async (dir) => {
      const made = await makeAction(`${dir}/ci`, "one", { "a": "a" });
      await fillRemote(dir, nginx.url, [made]);
      const { cache, warnings } = await open(`${dir}/cache`, { remote: nginx.url, upload: true });
      assert.equal(((await cache.lookup(made.action)) as { source: string }).source, "remote");

      await nginx.stop();
      const missing = await makeAction(`${dir}/build`, "missing", { "b": "b" });
      assert.deepEqual(await cache.lookup(missing.action), { miss: "remote cache unreachable" });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /unavailable/);

      // Anything listening on the port now would see the next calls: none come.
      const port = Number(new URL(nginx.url).port);
      const listener = Deno.listen({ hostname: "127.0.0.1", port });
      let connections = 0;
      const accepting = (async () => {
        for await (const conn of listener) {
          connections++;
          conn.close();
        }
      })();
      try {
        for (let i = 0; i < 5; i++) {
          const other = await makeAction(`${dir}/build`, `later ${i}`, { [`c${i}`]: `${i}` });
          assert.deepEqual(await cache.lookup(other.action), { miss: "remote cache unreachable" });
          await cache.store(other.action, other.result, other.outputs, other.blobs);
          assert.equal(((await cache.lookup(other.action)) as { source: string }).source, "local");
        }
        assert.ok(await cache.flush(10_000));
      } finally {
        listener.close();
        await accepting.catch(() => {});
      }
      assert.equal(connections, 0);
      assert.equal(warnings.length, 1);
      cache.close();
    });
  },
);

nginxTest(
  "ActionCache uploads through nginx's authenticated server only with credentials",
  async (nginx) => {
    await withTempDir(async (dir) => {
      const made = await makeAction(`${dir}/ci`, "auth", { "a": "content" });
      const url = new URL(nginx.authUrl);
      const anonymous = await open(`${dir}/anon`, { remote: nginx.authUrl, upload: true });
      await anonymous.cache.store(made.action, made.result, made.outputs, made.blobs);
      assert.ok(await anonymous.cache.flush(10_000));
      assert.equal(anonymous.warnings.length, 1);
      assert.match(anonymous.warnings[0], /refused an upload \(401 Unauthorized\)/);
      anonymous.cache.close();
      assert.deepEqual([...Deno.readDirSync(nginx.authRoot)], []);

      const token = btoa(`${nginx.user}:${nginx.password}`);
      await fillRemote(dir, nginx.authUrl, [made], {
        headers: { authorization: `Basic ${token}` },
      });
      const reader = await open(`${dir}/reader`, { remote: `${url.origin}` });
      assert.equal(
        ((await reader.cache.lookup(made.action)) as { source: string }).source,
        "remote",
      );
      assert.deepEqual(reader.warnings, []);
      reader.cache.close();
    });
  },
);
