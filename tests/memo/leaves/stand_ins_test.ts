// Stand-ins: an absent file the build knows by content alone counts as
// present with its digest, is asked about again at every check (never
// trusted by stat fields), and the disk wins as soon as a file is there.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  contentDigest,
  digestOf,
  Engine,
  FileLeaf,
  type FileStandIns,
  memo,
  readText,
  setFileStandIns,
} from "../../../memo/mod.ts";
import { Store } from "../../../memo/persist/store.ts";
import { verifyRoot } from "../../../memo/verify_root.ts";
import { withTempDir } from "../_util.ts";

/** Stand-ins over a map of absent paths, and of fetched files' fast digests to the digest they keep. */
function standIns(
  absent: Map<string, string>,
  fetched = new Map<string, [fast: string, kept: string]>(),
): FileStandIns {
  return {
    absent: (path) => absent.get(path),
    present: (path, digest) => {
      const known = fetched.get(path);
      return known !== undefined && known[0] === digest ? known[1] : digest;
    },
  };
}

async function withStandIns<T>(
  installed: FileStandIns,
  fn: () => T | Promise<T>,
): Promise<T> {
  setFileStandIns(installed);
  try {
    return await fn();
  } finally {
    setFileStandIns(undefined);
  }
}

Deno.test("an absent file stood in for is present with its digest, never trusted", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "out.bin");
    const absent = new Map([[path, "r:aa/3"]]);
    await withStandIns(standIns(absent), () => {
      const leaf = new FileLeaf("", path);
      assert.equal(leaf.refresh(1), true);
      assert.equal(leaf.digest, "r:aa/3");
      assert.equal(leaf.exists, true);
      assert.equal(leaf.standsIn, true);
      assert.equal(leaf.trusted, false);
      assert.equal(leaf.refresh(2), false, "asked again: the same");
      // Withdrawn: the file is missing at the next check.
      absent.delete(path);
      assert.equal(leaf.refresh(3), true);
      assert.equal(leaf.changedAt, 3);
      assert.equal(leaf.exists, false);
    });
  });
});

Deno.test("a file appearing where a stand-in was wins, unless it holds what the stand-in stood for", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "out.bin");
    const absent = new Map([[path, "r:aa/3"]]);
    const fetched = new Map<string, [string, string]>();
    await withStandIns(standIns(absent, fetched), () => {
      const leaf = new FileLeaf("", path);
      leaf.refresh(1);
      // Fetched: the file holds what the stand-in stood for, and keeps its digest.
      Deno.writeTextFileSync(path, "abc");
      fetched.set(path, [digestOf("abc"), "r:aa/3"]);
      assert.equal(leaf.refresh(2), true, "stat fields moved");
      assert.equal(leaf.digest, "r:aa/3");
      assert.notEqual(leaf.changedAt, 2, "the digest did not change");
      assert.equal(leaf.standsIn, false);
      // Edited: the disk wins.
      Deno.writeTextFileSync(path, "xyz!");
      leaf.refresh(3);
      assert.equal(leaf.digest, digestOf("xyz!"));
      assert.equal(leaf.changedAt, 3);
    });
  });
});

Deno.test("without stand-ins an absent file is missing, as always", async () => {
  await withTempDir((dir) => {
    const leaf = new FileLeaf("", join(dir, "out.bin"));
    leaf.refresh(1);
    assert.equal(leaf.exists, false);
    assert.equal(leaf.standsIn, false);
  });
});

const digestNode = memo(
  "standInDigest",
  async (path: string) => `seen ${await contentDigest(path)}`,
);

Deno.test("verifyRoot asks the stand-ins again: a withdrawn one is a change", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "out.bin");
    const absent = new Map([[path, "r:bb/9"]]);
    const root = `standInDigest\u0000${JSON.stringify(path)}`;
    const build = async () => {
      const engine = new Engine({ dir: join(dir, "state"), root: dir });
      try {
        const value = await engine.run(() => digestNode(path));
        engine.checkpoint();
        return { value, executed: engine.stats().get("standInDigest")?.executed ?? 0 };
      } finally {
        engine.close();
      }
    };
    const verdict = () => {
      const store = new Store(join(dir, "state"), (w) => {
        throw new Error(w);
      }, { lazy: true });
      try {
        return verifyRoot(store, root, dir).upToDate;
      } finally {
        store.close();
      }
    };
    await withStandIns(standIns(absent), async () => {
      assert.deepEqual(await build(), { value: "seen r:bb/9", executed: 1 });
      assert.equal(verdict(), true, "the stand-in still stands");
      assert.deepEqual(await build(), { value: "seen r:bb/9", executed: 0 });
      absent.delete(path);
      assert.equal(verdict(), false, "withdrawn: the file is missing");
      assert.deepEqual(await build(), { value: "seen null", executed: 1 });
    });
  });
});

const readNode = memo("standInRead", async (path: string) => await readText(path));

Deno.test("a tracked read of a file stood in for fetches it first; without a way to, a clear error", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "out.txt");
    const absent = new Map([[path, "r:cc/5"]]);
    const fetched = new Map<string, [string, string]>();
    const installed: FileStandIns = {
      ...standIns(absent, fetched),
      fetch: async (p) => {
        await Deno.writeTextFile(p, "hello");
        fetched.set(p, [digestOf("hello"), absent.get(p)!]);
        absent.delete(p);
      },
    };
    await withStandIns(installed, async () => {
      const engine = new Engine({ root: dir });
      assert.equal(await engine.run(() => readNode(path)), "hello");
      engine.close();
    });
    const other = join(dir, "other.txt");
    await withStandIns(standIns(new Map([[other, "r:dd/1"]])), async () => {
      const engine = new Engine({ root: dir });
      await assert.rejects(
        engine.run(() => readNode(other)),
        /Cannot read .*other\.txt: it is known by its content alone, not on disk here/,
      );
      engine.close();
    });
  });
});
