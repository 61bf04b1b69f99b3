// Directory targets over gRPC: run on the test executor (the tree comes back
// through its Tree blob, whole: subdirectories, modes, links), consumed by a
// later remote command as part of its input root, and restored by a second
// checkout from the executor's action cache; through the gRPC cache alone;
// and stored in BuildStream's CAS, the Tree and every file.

import assert from "node:assert/strict";
import { build } from "../../../mod.ts";
import type { ActionCacheOptions } from "../../../rules/cache/cache_options.ts";
import type { ActionFinished } from "../../../rules/report/reporter.ts";
import type { RemoteExecutionOptions } from "../../../rules/remote/executor_options.ts";
import { GrpcCache } from "../../../rules/remote/grpc_cache.ts";
import { type DirOutput, readDirOutput } from "../../../rules/run/dir_output.ts";
import { MOD, treeListing, writeFiles } from "../_util.ts";
import { withBuildStream, withExecutor, withTempDir } from "./_util.ts";

const PROJECT = `import { dir, rule, sh } from "${MOD}";
const docs = dir("out/docs");
rule({
  targets: docs,
  deps: "pages.txt",
  action: sh(
    "mkdir -p out/docs/p out/docs/empty; " +
      "for p in $(cat pages.txt); do echo page $p > out/docs/p/$p.html; done; " +
      "printf '#!/bin/sh\\\\necho from the tree\\\\n' > out/docs/tool.sh; chmod +x out/docs/tool.sh; " +
      "ln -s p/a.html out/docs/index.html",
  ),
});
rule({
  targets: "out/used.txt",
  deps: docs,
  action: sh("(./out/docs/tool.sh; cat out/docs/p/*.html; ls out/docs) > out/used.txt"),
});
`;
const RULES = ["out/docs", "out/used.txt"];

async function checkout(dir: string): Promise<string> {
  await writeFiles(dir, { "build.ts": PROJECT, "pages.txt": "a b\n" });
  return dir;
}

async function buildWith(
  root: string,
  cache: ActionCacheOptions,
  remote: RemoteExecutionOptions | false,
) {
  const finished: ActionFinished[] = [];
  const notes: string[] = [];
  const result = await build({
    root,
    jobs: 2,
    cache,
    remote,
    reporter: {
      actionFinished: (e) => void finished.push(e),
      note: (m) => void notes.push(m),
    },
  });
  assert.ok(result.ok, JSON.stringify(result.failed));
  const remotely = finished.filter((e) => e.remote).map((e) => e.rule).sort();
  const restored = finished.map((e) => [e.rule, e.restored]).sort();
  return { finished, notes, remotely, restored };
}

/** Every entry under `dir` but barchan's state. */
const listing = (dir: string) => treeListing(dir, "_build");

Deno.test("a directory target runs remotely, a later remote command reads it, and a second checkout restores both", async () => {
  await withExecutor({ workers: 2 }, async (server) => {
    await withTempDir(async (dir) => {
      const local = await checkout(`${dir}/local`);
      await buildWith(local, { cacheDir: `${dir}/c-local` }, false);
      const expected = await listing(local);
      assert.equal(expected["out/docs/tool.sh"], "file x #!/bin/sh\necho from the tree\n");
      assert.equal(expected["out/docs/empty"], "dir");
      assert.match(expected["out/used.txt"], /^file - from the tree\npage a\npage b\n/);

      const remote = { executor: server.url, jobs: 4 };
      const first = await checkout(`${dir}/remote`);
      const ran = await buildWith(first, { cacheDir: `${dir}/c-remote` }, remote);
      assert.deepEqual(ran.remotely, RULES);
      assert.deepEqual(ran.notes, []);
      assert.deepEqual(await listing(first), expected);

      const again = await checkout(`${dir}/again`);
      const hits = await buildWith(again, { cacheDir: `${dir}/c-again` }, remote);
      assert.deepEqual(hits.restored, [["out/docs", "remote"], ["out/used.txt", "remote"]]);
      assert.deepEqual(await listing(again), expected);
    });
  });
});

Deno.test("through a gRPC cache alone, a checkout with an empty local cache restores a directory target", async () => {
  await withExecutor({}, async (server) => {
    await withTempDir(async (dir) => {
      const ci = await checkout(`${dir}/ci`);
      await buildWith(ci, { cacheDir: `${dir}/c-ci`, remote: server.url, upload: true }, false);
      const dev = await checkout(`${dir}/dev`);
      const hits = await buildWith(dev, { cacheDir: `${dir}/c-dev`, remote: server.url }, false);
      assert.deepEqual(hits.remotely, []);
      assert.deepEqual(hits.restored, [["out/docs", "remote"], ["out/used.txt", "remote"]]);
      assert.deepEqual(await listing(dev), await listing(ci));
    });
  });
});

Deno.test("a directory target's Tree and every file of it are uploaded to BuildStream's CAS", async () => {
  await withBuildStream(async (url) => {
    await withTempDir(async (dir) => {
      const root = await checkout(`${dir}/ci`);
      const built = await buildWith(
        root,
        { cacheDir: `${dir}/c`, remote: url, upload: true },
        false,
      );
      assert.ok(built.notes.length <= 2, built.notes.join("\n")); // its missing action cache
      const tree = await readDirOutput(root, "out/docs") as DirOutput;
      const cache = new GrpcCache(url, {});
      try {
        const wanted = [tree.tree.digest, ...tree.files.map((f) => f.digest)];
        assert.equal(wanted.length, 4);
        assert.deepEqual(await cache.findMissing(wanted), []);
        assert.deepEqual(await cache.getBlob(tree.tree.digest), tree.tree.bytes);
      } finally {
        cache.close();
      }
    });
  });
});

Deno.test("an executor serving damaged blobs: one warning, and the directory target is written here, whole", async () => {
  await withExecutor({ corruptReads: true }, async (server) => {
    await withTempDir(async (dir) => {
      const local = await checkout(`${dir}/local`);
      await buildWith(local, { cacheDir: `${dir}/c-local` }, false);
      const root = await checkout(`${dir}/remote`);
      const built = await buildWith(root, { cacheDir: `${dir}/c-remote` }, {
        executor: server.url,
      });
      assert.equal(built.notes.length, 1, built.notes.join("\n"));
      assert.deepEqual(await listing(root), await listing(local));
    });
  });
});
