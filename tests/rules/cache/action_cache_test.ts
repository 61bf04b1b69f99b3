// The action cache with its local tier only: hits, misses, stores, the size
// cap, signing, key files, and two processes sharing one cache.

import assert from "node:assert/strict";
import { openActionCache } from "../../../rules/cache/action_cache.ts";
import { decodeActionResult } from "../../../rules/reapi/action_result.ts";
import {
  generateKeyPair,
  importVerifyingKey,
  verifyActionResult,
} from "../../../rules/reapi/signing.ts";
import { makeAction, writeKeyPair } from "./_action.ts";
import { warnings, withTempDir } from "./_util.ts";

Deno.test("ActionCache: a stored result is a local hit; outputs come back byte for byte, executables executable", async () => {
  await withTempDir(async (dir) => {
    const seen = warnings();
    const cache = (await openActionCache({ cacheDir: `${dir}/cache`, warn: seen.onWarning }))!;
    const made = await makeAction(`${dir}/build`, "link", {
      "bin/app.sh": "#!/bin/sh\necho app\n",
      "lib/data.txt": "data",
      "empty": "",
    }, "linked\n");
    assert.deepEqual(await cache.lookup(made.action), {
      miss: `no entry for key ${made.action.hash.slice(0, 12)}…`,
    });
    await cache.store(made.action, made.result, made.outputs, made.blobs);
    const found = await cache.lookup(made.action);
    assert.ok("result" in found, JSON.stringify(found));
    assert.equal(found.source, "local");
    assert.deepEqual(found.result, made.result);
    for (const file of found.result.outputFiles) {
      const to = `${dir}/restored/${file.path}`;
      assert.ok(await cache.restoreFile(file.digest, to, { executable: file.isExecutable }));
      assert.deepEqual(await Deno.readFile(to), made.contents.get(file.path));
      assert.equal((await Deno.stat(to)).mode! & 0o777, file.isExecutable ? 0o755 : 0o644);
    }
    const run = await new Deno.Command(`${dir}/restored/bin/app.sh`).output();
    assert.equal(new TextDecoder().decode(run.stdout), "app\n");
    assert.equal(
      new TextDecoder().decode(await cache.getBlob(found.result.stdoutDigest!)),
      "linked\n",
    );
    assert.deepEqual(cache.stats(), {
      localHits: 1,
      remoteHits: 0,
      misses: 1,
      stored: 1,
      bytesDownloaded: 0,
      bytesUploaded: 0,
    });
    assert.equal(cache.description, `local cache ${dir}/cache`);
    assert.ok(await cache.flush());
    assert.deepEqual(seen.list, []);
    cache.close();
  });
});

Deno.test("ActionCache never stores a failed result, and misses an entry whose blob is gone", async () => {
  await withTempDir(async (dir) => {
    const cache = (await openActionCache({ cacheDir: `${dir}/cache`, warn: () => {} }))!;
    const failed = await makeAction(`${dir}/build`, "failed", { "a.o": "half" });
    await cache.store(failed.action, { ...failed.result, exitCode: 1 }, failed.outputs, []);
    assert.match((await cache.lookup(failed.action) as { miss: string }).miss, /^no entry/);

    const made = await makeAction(`${dir}/build`, "compile", { "b.o": "object" });
    await cache.store(made.action, made.result, made.outputs, made.blobs);
    const hash = made.outputs[0].digest.hash;
    await Deno.remove(`${dir}/cache/cas/${hash.slice(0, 2)}/${hash}`);
    assert.deepEqual(await cache.lookup(made.action), {
      miss: "blob missing: b.o (evicted from the local cache)",
    });
    cache.close();
  });
});

Deno.test("ActionCache.store() refuses a result naming a blob it is not given, and skips an output changed since it was hashed", async () => {
  await withTempDir(async (dir) => {
    const seen = warnings();
    const cache = (await openActionCache({ cacheDir: `${dir}/cache`, warn: seen.onWarning }))!;
    const made = await makeAction(`${dir}/build`, "gen", { "gen.h": "#define X 1\n" }, "done\n");
    await assert.rejects(
      cache.store(made.action, made.result, made.outputs, []),
      /stdout's blob .* is neither among the outputs nor the blobs given/,
    );
    await Deno.writeTextFile(made.outputs[0].path, "#define X 2\n");
    await cache.store(made.action, made.result, made.outputs, made.blobs);
    assert.equal(seen.list.length, 1);
    assert.match(seen.list[0], /Not caching the result of action .*gen\.h/);
    assert.ok("miss" in await cache.lookup(made.action));
    assert.equal(cache.stats().stored, 0);
    cache.close();
  });
});

Deno.test("ActionCache keeps the local cache under its size cap, evicting whole entries' blobs as needed", async () => {
  await withTempDir(async (dir) => {
    const cache = (await openActionCache({
      cacheDir: `${dir}/cache`,
      maxSize: 20_000,
      warn: () => {},
    }))!;
    const made = [];
    for (let i = 0; i < 10; i++) {
      const action = await makeAction(`${dir}/build`, `big ${i}`, {
        [`out/${i}.bin`]: `${i}`.repeat(4_000),
      });
      await cache.store(action.action, action.result, action.outputs, action.blobs);
      made.push(action);
    }
    assert.ok(await cache.flush());
    let bytes = 0;
    for await (const kind of Deno.readDir(`${dir}/cache/cas`)) {
      for await (const entry of Deno.readDir(`${dir}/cache/cas/${kind.name}`)) {
        bytes += (await Deno.stat(`${dir}/cache/cas/${kind.name}/${entry.name}`)).size;
      }
    }
    assert.ok(bytes <= 20_000, `${bytes} bytes of blobs under a cap of 20000`);
    let misses = 0;
    for (const action of made) {
      const found = await cache.lookup(action.action);
      if ("miss" in found) {
        misses++;
        assert.match(found.miss, /^(no entry for key|blob missing: out\/\d\.bin)/);
      } else {
        const file = found.result.outputFiles[0];
        assert.ok(await cache.restoreFile(file.digest, `${dir}/r`, { executable: false }));
        assert.deepEqual(await Deno.readFile(`${dir}/r`), action.contents.get(file.path));
      }
    }
    assert.ok(misses >= 5, `${misses} of 10 evicted`);
    cache.close();
  });
});

Deno.test("ActionCache signs what it stores with the signing key, given as a file or as text", async () => {
  await withTempDir(async (dir) => {
    const keys = await writeKeyPair(`${dir}/keys`, "ci");
    const trusted = [await importVerifyingKey(await Deno.readTextFile(keys.publicKey))];
    for (const signingKey of [keys.privateKey, await Deno.readTextFile(keys.privateKey)]) {
      const cache = (await openActionCache({ cacheDir: `${dir}/cache`, signingKey }))!;
      const made = await makeAction(`${dir}/build`, `signed ${signingKey.length}`, { "a": "a" });
      await cache.store(made.action, made.result, made.outputs, made.blobs);
      const hash = made.action.hash;
      const stored = decodeActionResult(
        await Deno.readFile(`${dir}/cache/ac/${hash.slice(0, 2)}/${hash}`),
      );
      assert.deepEqual(await verifyActionResult(stored, made.action, trusted), {
        valid: true,
        keyId: keys.keyId,
      });
      cache.close();
    }
  });
});

Deno.test("openActionCache refuses key files it cannot use, saying which", async () => {
  await withTempDir(async (dir) => {
    const keys = await writeKeyPair(`${dir}/keys`, "ci");
    const open = (options: { trustedKeys?: string; signingKey?: string }) =>
      openActionCache({ cacheDir: `${dir}/cache`, ...options });
    await assert.rejects(open({ trustedKeys: `${dir}/keys` }), /holds a private key/);
    await Deno.mkdir(`${dir}/empty`);
    await assert.rejects(open({ trustedKeys: `${dir}/empty` }), /no public key found/);
    await assert.rejects(open({ trustedKeys: `${dir}/nowhere` }), /Cannot read the trusted keys/);
    await assert.rejects(open({ signingKey: keys.publicKey }), /Cannot use the signing key/);
    await assert.rejects(open({ signingKey: `${dir}/nowhere` }), /Cannot read the signing key/);
    // A directory of .pub files, and a file of base64 lines with comments.
    await Deno.mkdir(`${dir}/trusted`);
    await Deno.copyFile(keys.publicKey, `${dir}/trusted/ci.pub`);
    const cache = await open({ trustedKeys: `${dir}/trusted` });
    assert.ok(cache);
    cache.close();
    const raw = (await generateKeyPair()).publicKeyBase64;
    await Deno.writeTextFile(`${dir}/list`, `# the release key\n${raw}\n`);
    (await open({ trustedKeys: `${dir}/list` }))!.close();
  });
});

Deno.test("two processes storing and restoring the same actions in one local cache at once", async () => {
  await withTempDir(async (dir) => {
    const worker = new URL("./_store_worker.ts", import.meta.url).pathname;
    const run = (id: string) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", worker, `${dir}/cache`, `${dir}/${id}`, "40"],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const [a, b] = await Promise.all([run("a"), run("b")]);
    for (const out of [a, b]) {
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.equal(JSON.parse(new TextDecoder().decode(out.stdout)).localHits, 40);
    }
  });
});
