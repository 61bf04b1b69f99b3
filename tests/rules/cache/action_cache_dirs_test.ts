// The action cache with output directories: an entry names each tree by its
// Tree blob, which is stored with every file it names; a lookup checks them
// all; a signed entry with a tree verifies, locally and through nginx.

import assert from "node:assert/strict";
import { openActionCache } from "../../../rules/cache/action_cache.ts";
import type { ActionResult } from "../../../rules/reapi/action_result.ts";
import { decodeActionResult } from "../../../rules/reapi/action_result.ts";
import { decodeTree } from "../../../rules/reapi/directory.ts";
import { treeEntries } from "../../../rules/reapi/output_tree.ts";
import { importVerifyingKey, verifyActionResult } from "../../../rules/reapi/signing.ts";
import { type DirOutput, readDirOutput } from "../../../rules/run/dir_output.ts";
import { nginxTest } from "../../_servers/nginx.ts";
import { writeKeyPair } from "./_action.ts";
import { key, warnings, withTempDir } from "./_util.ts";

/** A tree in `root/out` and the result, outputs and blobs a command that made it stores. */
async function treeAction(root: string) {
  await Deno.mkdir(`${root}/out/bin`, { recursive: true });
  await Deno.mkdir(`${root}/out/empty`);
  await Deno.writeTextFile(`${root}/out/bin/run`, "#!/bin/sh\necho run\n", { mode: 0o755 });
  await Deno.chmod(`${root}/out/bin/run`, 0o755);
  await Deno.writeTextFile(`${root}/out/page.html`, "<p>page</p>\n");
  await Deno.symlink("page.html", `${root}/out/index.html`);
  const tree = await readDirOutput(root, "out") as DirOutput;
  const result: ActionResult = {
    outputFiles: [],
    outputDirectories: [{ path: "out", treeDigest: tree.tree.digest }],
    exitCode: 0,
  };
  return {
    tree,
    result,
    outputs: tree.files.map((f) => ({ path: f.path, digest: f.digest })),
    blobs: [{ digest: tree.tree.digest, bytes: tree.tree.bytes }],
  };
}

Deno.test("ActionCache stores a tree's Tree and files, signed; a lookup hits while every blob is there", async () => {
  await withTempDir(async (dir) => {
    const keys = await writeKeyPair(`${dir}/keys`, "ci");
    const seen = warnings();
    const cache = (await openActionCache({
      cacheDir: `${dir}/cache`,
      signingKey: keys.privateKey,
      warn: seen.onWarning,
    }))!;
    const made = await treeAction(`${dir}/build`);
    const action = await key("tree");
    await cache.store(action, made.result, made.outputs, made.blobs);
    const found = await cache.lookup(action);
    assert.ok("result" in found, JSON.stringify(found));
    assert.deepEqual(found.result.outputDirectories, made.result.outputDirectories);
    const stored = decodeActionResult(
      await Deno.readFile(`${dir}/cache/ac/${action.hash.slice(0, 2)}/${action.hash}`),
    );
    const trusted = [await importVerifyingKey(await Deno.readTextFile(keys.publicKey))];
    assert.equal((await verifyActionResult(stored, action, trusted)).valid, true);
    const tree = await cache.getBlob(made.tree.tree.digest);
    const entries = await treeEntries(decodeTree(tree!));
    assert.deepEqual(entries.map((e) => e.path), [
      "page.html",
      "index.html",
      "bin",
      "bin/run",
      "empty",
    ]);

    // The file blob of bin/run is gone: a miss that names it.
    const run = made.tree.files.find((f) => f.path.endsWith("bin/run"))!.digest.hash;
    await Deno.remove(`${dir}/cache/cas/${run.slice(0, 2)}/${run}`);
    assert.deepEqual(await cache.lookup(action), {
      miss: "blob missing: out/bin/run (evicted from the local cache)",
    });
    assert.deepEqual(seen.list, []);
    cache.close();
  });
});

Deno.test("ActionCache.store() refuses a result whose tree names a file it is not given, or whose Tree is not given", async () => {
  await withTempDir(async (dir) => {
    const cache = (await openActionCache({ cacheDir: `${dir}/cache` }))!;
    const made = await treeAction(`${dir}/build`);
    const action = await key("tree");
    await assert.rejects(
      cache.store(action, made.result, made.outputs.slice(1), made.blobs),
      /is neither among the outputs nor the blobs given/,
    );
    await assert.rejects(
      cache.store(action, made.result, made.outputs, []),
      /blob missing: the tree of out/,
    );
    assert.ok("miss" in await cache.lookup(action));
    cache.close();
  });
});

nginxTest(
  "through nginx, a signed entry with a tree is a remote hit for a reader requiring signatures",
  async (nginx) => {
    await withTempDir(async (dir) => {
      const keys = await writeKeyPair(`${dir}/keys`, "ci");
      await Deno.mkdir(`${dir}/trusted`);
      await Deno.copyFile(keys.publicKey, `${dir}/trusted/ci.pub`);
      const ci = (await openActionCache({
        cacheDir: `${dir}/ci-cache`,
        remote: nginx.url,
        upload: true,
        signingKey: keys.privateKey,
      }))!;
      const made = await treeAction(`${dir}/build`);
      const action = await key("tree");
      await ci.store(action, made.result, made.outputs, made.blobs);
      assert.ok(await ci.flush(30_000));
      ci.close();

      const dev = (await openActionCache({
        cacheDir: `${dir}/dev-cache`,
        remote: nginx.url,
        trustedKeys: `${dir}/trusted`,
      }))!;
      const found = await dev.lookup(action);
      assert.ok("result" in found && found.source === "remote", JSON.stringify(found));
      // Every blob is now local: restoring needs no server.
      for (const file of made.tree.files) {
        const to = `${dir}/restored/${file.digest.hash}`;
        assert.ok(await dev.restoreFile(file.digest, to, { executable: file.executable }));
      }
      assert.ok(await dev.getBlob(made.tree.tree.digest));
      dev.close();
    });
  },
);
