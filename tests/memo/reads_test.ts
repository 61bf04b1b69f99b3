import assert from "node:assert/strict";
import { join } from "node:path";
import {
  Engine,
  env,
  exists,
  glob,
  memo,
  readBytes,
  readDir,
  readText,
  stat,
  Var,
} from "../../memo/mod.ts";
import { executed, withTempDir } from "./_util.ts";

function sumOf(text: string): number {
  return new TextEncoder().encode(text).reduce((a, b) => a + b, 0);
}

const wordCount = memo("readsWordCount", async (path: string) => {
  return (await readText(path)).split(/\s+/).filter((w) => w !== "").length;
});
const byteSum = memo("readsByteSum", async (path: string) => {
  return (await readBytes(path)).reduce((a, b) => a + b, 0);
});
const kind = memo("readsKind", async (path: string) => {
  const info = await stat(path);
  return info === null ? "absent" : info.isDirectory ? "directory" : "file";
});
const present = memo("readsExists", (path: string) => exists(path));
const listing = memo("readsListing", (dir: string) => readDir(dir));
const sources = memo("readsGlob", (pattern: string) => glob(pattern, { skip: ["build"] }));
const flavour = memo("readsEnv", () => env("BARCHAN_READS_TEST_FLAVOUR") ?? "plain");
const level = new Var("readsLevel", 1);
const levelled = memo("readsVar", () => `level ${level.get()}`);

Deno.test("readText() and readBytes() re-run the body when the file's content changes", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a.txt"), "one two");
    await Deno.writeTextFile(join(dir, "b.txt"), "three");
    const engine = new Engine({ root: dir });
    const run = () =>
      engine.run(() =>
        Promise.all([wordCount("a.txt"), wordCount("b.txt"), byteSum(join(dir, "a.txt"))])
      );
    assert.deepEqual(await run(), [2, 1, sumOf("one two")]);
    await Deno.writeTextFile(join(dir, "a.txt"), "one two six");
    engine.invalidatePaths(["a.txt"]);
    assert.deepEqual(await run(), [3, 1, sumOf("one two six")]);
    assert.equal(executed(engine, "readsWordCount"), 3, "b.txt's reader did not run again");
    assert.equal(executed(engine, "readsByteSum"), 2, "an absolute path is the same file");
  });
});

Deno.test("reading a missing file is tracked: creating it re-runs the body", async () => {
  await withTempDir(async (dir) => {
    const engine = new Engine({ root: dir });
    const error = await engine.run(() => wordCount("late.txt")).catch((e) => e);
    assert.ok(error.cause instanceof Deno.errors.NotFound);
    await Deno.writeTextFile(join(dir, "late.txt"), "here at last");
    engine.invalidatePaths(["late.txt"]);
    assert.equal(await engine.run(() => wordCount("late.txt")), 3);
  });
});

Deno.test("exists() and stat() see a path appear, change kind and disappear", async () => {
  await withTempDir(async (dir) => {
    const engine = new Engine({ root: dir });
    const run = () => engine.run(() => Promise.all([kind("p"), present("p")]));
    assert.deepEqual(await run(), ["absent", false]);
    await Deno.writeTextFile(join(dir, "p"), "x");
    engine.invalidatePaths(["p"]);
    assert.deepEqual(await run(), ["file", true]);
    await Deno.remove(join(dir, "p"));
    await Deno.mkdir(join(dir, "p"));
    engine.invalidatePaths(["p"]);
    assert.deepEqual(await run(), ["directory", true]);
    await Deno.remove(join(dir, "p"));
    engine.invalidatePaths(["p"]);
    assert.deepEqual(await run(), ["absent", false]);
    assert.equal(executed(engine, "readsKind"), 4);
  });
});

Deno.test("stat() depends on the file's content: editing the file re-runs the body", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "s"), "1");
    const engine = new Engine({ root: dir });
    assert.equal(await engine.run(() => kind("s")), "file");
    await Deno.writeTextFile(join(dir, "s"), "2");
    engine.invalidatePaths(["s"]);
    assert.equal(await engine.run(() => kind("s")), "file");
    assert.equal(executed(engine, "readsKind"), 2);
  });
});

Deno.test("readDir() re-runs the body when an entry is added or removed, not when one is edited", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "d/sub"), { recursive: true });
    await Deno.writeTextFile(join(dir, "d/a.txt"), "a");
    const engine = new Engine({ root: dir });
    const run = () => engine.run(() => listing("d"));
    assert.deepEqual(await run(), ["a.txt", "sub/"]);
    await Deno.writeTextFile(join(dir, "d/b.txt"), "b");
    engine.invalidatePaths(["d/b.txt"]);
    assert.deepEqual(await run(), ["a.txt", "b.txt", "sub/"]);
    await Deno.writeTextFile(join(dir, "d/a.txt"), "edited");
    await Deno.writeTextFile(join(dir, "d/sub/deep.txt"), "deep");
    engine.invalidateAll();
    assert.deepEqual(await run(), ["a.txt", "b.txt", "sub/"]);
    assert.equal(executed(engine, "readsListing"), 2, "same entries: not executed again");
    await Deno.remove(join(dir, "d/a.txt"));
    engine.invalidatePaths(["d/a.txt"]);
    assert.deepEqual(await run(), ["b.txt", "sub/"]);
    assert.equal(executed(engine, "readsListing"), 3);
  });
});

Deno.test("glob() re-runs the body when a matching file is added or removed, and only then", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "src/x"), { recursive: true });
    await Deno.mkdir(join(dir, "build"), { recursive: true });
    await Deno.writeTextFile(join(dir, "src/x/a.c"), "");
    const engine = new Engine({ root: dir });
    const run = () => engine.run(() => sources("**/*.c"));
    assert.deepEqual(await run(), ["src/x/a.c"]);
    await Deno.writeTextFile(join(dir, "src/b.c"), "");
    engine.invalidatePaths(["src/b.c"]);
    assert.deepEqual(await run(), ["src/b.c", "src/x/a.c"]);
    assert.equal(executed(engine, "readsGlob"), 2);
    await Deno.writeTextFile(join(dir, "src/b.h"), "");
    await Deno.writeTextFile(join(dir, "build/out.c"), "");
    await Deno.writeTextFile(join(dir, "src/x/a.c"), "content does not matter");
    engine.invalidatePaths(["src/b.h", "build/out.c", "src/x/a.c"]);
    assert.deepEqual(await run(), ["src/b.c", "src/x/a.c"]);
    assert.equal(executed(engine, "readsGlob"), 2, "no matching file was added or removed");
    await Deno.remove(join(dir, "src/x/a.c"));
    engine.invalidatePaths(["src/x/a.c"]);
    assert.deepEqual(await run(), ["src/b.c"]);
    assert.equal(executed(engine, "readsGlob"), 3);
  });
});

Deno.test("env() re-runs the body when the variable changes, once inputs are re-checked", async () => {
  const name = "BARCHAN_READS_TEST_FLAVOUR";
  Deno.env.delete(name);
  try {
    const engine = new Engine();
    const run = () => engine.run(() => flavour(null));
    assert.equal(await run(), "plain");
    Deno.env.set(name, "salty");
    engine.invalidateAll("environment changed");
    assert.equal(await run(), "salty");
    engine.invalidateAll();
    assert.equal(await run(), "salty");
    assert.equal(executed(engine, "readsEnv"), 2);
    assert.equal(await new Engine().run(() => flavour(null)), "salty");
  } finally {
    Deno.env.delete(name);
  }
});

Deno.test("Var#get() inside a body is tracked and Var#set() re-runs the reader", async () => {
  const engine = new Engine();
  assert.equal(await engine.run(() => levelled(null)), "level 1");
  assert.equal(level.get(), 1, "a read outside a body is a plain read");
  level.set(2);
  assert.equal(await engine.run(() => levelled(null)), "level 2");
  assert.equal(executed(engine, "readsVar"), 2);
});

Deno.test("touching a file without changing its content executes nothing", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, ".store");
    await Deno.writeTextFile(join(dir, "t.txt"), "same words");
    const all = () => Promise.all([wordCount("t.txt"), kind("t.txt"), byteSum("t.txt")]);
    let engine = new Engine({ root: dir, dir: store });
    const first = await engine.run(all);
    const future = new Date(Date.now() + 60_000);
    await Deno.utime(join(dir, "t.txt"), future, future);
    engine.invalidatePaths(["t.txt"]);
    assert.deepEqual(await engine.run(all), first);
    await Deno.writeTextFile(join(dir, "t.txt"), "same words"); // rewritten, same bytes
    engine.invalidateAll();
    assert.deepEqual(await engine.run(all), first);
    assert.equal(executed(engine, "readsWordCount"), 1);
    assert.equal(executed(engine, "readsKind"), 1);
    assert.equal(executed(engine, "readsByteSum"), 1);
    engine.close();
    const later = new Date(Date.now() + 120_000);
    await Deno.utime(join(dir, "t.txt"), later, later);
    engine = new Engine({ root: dir, dir: store });
    assert.deepEqual(await engine.run(all), first);
    assert.equal([...engine.stats().values()].reduce((n, s) => n + s.executed, 0), 0);
    engine.close();
  });
});

Deno.test("a rewrite to the same size with the old modification time restored is still seen", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "r.txt");
    await Deno.writeTextFile(path, "aaaa");
    const old = new Date(Date.now() - 3_600_000);
    await Deno.utime(path, old, old);
    const engine = new Engine({ root: dir });
    assert.equal(await engine.run(() => byteSum("r.txt")), sumOf("aaaa"));
    await Deno.writeTextFile(path, "bbbb");
    await Deno.utime(path, old, old);
    engine.invalidatePaths([path]);
    assert.equal(await engine.run(() => byteSum("r.txt")), sumOf("bbbb"));
  });
});
