import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine, env, glob, memo, readDir, readText, stat, Var } from "../../memo/mod.ts";
import { executed, withTempDir } from "./_util.ts";

const textOf = memo("invText", (path: string) => readText(path));
const listOf = memo("invList", (dir: string) => readDir(dir));
const globOf = memo("invGlob", (dir: string) => glob("**/*.txt", { cwd: dir }));
const kindOf = memo("invKind", async (path: string) => (await stat(path))?.isDirectory ?? null);

const colour = new Var("invColour", "red");
const size = new Var("invSize", 1);
const colourLog: string[] = [];
const colourUser = memo("invColourUser", () => {
  colourLog.push("colour");
  return colour.get();
});
const sizeUser = memo("invSizeUser", () => {
  colourLog.push("size");
  return size.get();
});

Deno.test("Var#set() invalidates what read the var and nothing else", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => Promise.all([colourUser(null), sizeUser(null)]));
  assert.deepEqual(await run(), ["red", 1]);
  colourLog.length = 0;
  colour.set("blue", "the user picked blue");
  assert.deepEqual(await run(), ["blue", 1]);
  assert.deepEqual(colourLog, ["colour"]);
});

const tidy = new Var("invTidy", { tabs: false }, {
  cutoff: (a, b) => a.tabs === b.tabs,
});
const loose = new Var("invLoose", 1);
const setLog: string[] = [];
const tidyUser = memo("invTidyUser", () => {
  setLog.push("tidy");
  return tidy.get().tabs;
});
const looseUser = memo("invLooseUser", () => {
  setLog.push("loose");
  return loose.get();
});

Deno.test("a Var with a cutoff ignores a set to an equal value; one without counts every set", async () => {
  const engine = new Engine();
  const run = () => engine.run(() => Promise.all([tidyUser(null), looseUser(null)]));
  assert.deepEqual(await run(), [false, 1]);
  setLog.length = 0;
  tidy.set({ tabs: false });
  assert.deepEqual(await run(), [false, 1]);
  assert.deepEqual(setLog, [], "an ignored set does not even begin a new run");
  assert.equal(engine.stats().get("invTidyUser")?.revalidated, 0);
  loose.set(1);
  assert.deepEqual(await run(), [false, 1]);
  assert.deepEqual(setLog, ["loose"]);
  tidy.set({ tabs: true });
  assert.deepEqual(await run(), [true, 1]);
  assert.deepEqual(setLog, ["loose", "tidy"]);
});

Deno.test("a Var set between two calls of one computation is seen by the second call", async () => {
  const engine = new Engine();
  const [before, after] = await engine.run(async () => {
    const first = await sizeUser(null);
    size.set(first + 1);
    return [first, await sizeUser(null)];
  });
  assert.equal(after, before + 1);
});

Deno.test("engine.invalidatePaths() re-checks exactly the given files", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a"), "a1");
    await Deno.writeTextFile(join(dir, "b"), "b1");
    const engine = new Engine({ root: dir });
    const run = () => engine.run(() => Promise.all([textOf("a"), textOf("b")]));
    assert.deepEqual(await run(), ["a1", "b1"]);
    await Deno.writeTextFile(join(dir, "a"), "a2");
    await Deno.writeTextFile(join(dir, "b"), "b2");
    engine.invalidatePaths([join(dir, "a")], "watcher saw a write");
    assert.deepEqual(await run(), ["a2", "b1"], "b is trusted until it is invalidated");
    engine.invalidatePaths(["b"]);
    assert.deepEqual(await run(), ["a2", "b2"]);
    assert.equal(executed(engine, "invText"), 4);
  });
});

Deno.test("engine.invalidateAll() re-checks every input and executes only what changed", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a"), "a1");
    await Deno.writeTextFile(join(dir, "b"), "b1");
    const engine = new Engine({ root: dir });
    const run = () => engine.run(() => Promise.all([textOf("a"), textOf("b"), listOf(".")]));
    assert.deepEqual(await run(), ["a1", "b1", ["a", "b"]]);
    engine.invalidateAll("lost file events");
    assert.deepEqual(await run(), ["a1", "b1", ["a", "b"]]);
    assert.equal(executed(engine, "invText"), 2);
    assert.equal(engine.stats().get("invText")?.revalidated, 2);
    await Deno.writeTextFile(join(dir, "b"), "b2");
    await Deno.writeTextFile(join(dir, "c"), "c1");
    engine.invalidateAll("lost file events");
    assert.deepEqual(await run(), ["a1", "b2", ["a", "b", "c"]]);
    assert.equal(executed(engine, "invText"), 3);
    assert.equal(executed(engine, "invList"), 2);
  });
});

Deno.test("engine.invalidatePaths() on a directory re-checks files, listings and globs under it", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "top/src"), { recursive: true });
    await Deno.writeTextFile(join(dir, "top/src/a.txt"), "a1");
    const engine = new Engine({ root: dir });
    const run = () =>
      engine.run(() =>
        Promise.all([
          kindOf("top/src"),
          textOf("top/src/a.txt"),
          listOf("top/src"),
          globOf("top/src"),
        ])
      );
    assert.deepEqual(await run(), [true, "a1", ["a.txt"], ["a.txt"]]);
    // What a watcher reports when a whole tree is replaced at once (a rename
    // or a checkout): the directory, not each file in it.
    await Deno.writeTextFile(join(dir, "top/src/a.txt"), "a2");
    await Deno.writeTextFile(join(dir, "top/src/b.txt"), "b1");
    engine.invalidatePaths(["top/src"]);
    assert.deepEqual(await run(), [true, "a2", ["a.txt", "b.txt"], ["a.txt", "b.txt"]]);
    await Deno.writeTextFile(join(dir, "top/src/a.txt"), "a3");
    await Deno.writeTextFile(join(dir, "top/src/c.txt"), "c1");
    engine.invalidatePaths(["top"]);
    assert.deepEqual(await run(), [
      true,
      "a3",
      ["a.txt", "b.txt", "c.txt"],
      ["a.txt", "b.txt", "c.txt"],
    ]);
  });
});

const envOf = memo("invEnv", (name: string) => env(name));

Deno.test("engine.invalidateEnv() re-checks the variables named, and nothing else", async () => {
  const engine = new Engine();
  Deno.env.set("BARCHAN_INV_ENV_A", "a1");
  Deno.env.set("BARCHAN_INV_ENV_B", "b1");
  try {
    const run = () =>
      engine.run(() => Promise.all([envOf("BARCHAN_INV_ENV_A"), envOf("BARCHAN_INV_ENV_B")]));
    assert.deepEqual(await run(), ["a1", "b1"]);
    Deno.env.set("BARCHAN_INV_ENV_A", "a2");
    Deno.env.set("BARCHAN_INV_ENV_B", "b2");
    assert.deepEqual(await run(), ["a1", "b1"], "checked once an epoch");
    engine.invalidateEnv(["BARCHAN_INV_ENV_A", "BARCHAN_INV_ENV_UNREAD"], "another client's");
    assert.deepEqual(await run(), ["a2", "b1"]);
    assert.equal(executed(engine, "invEnv"), 3);
  } finally {
    Deno.env.delete("BARCHAN_INV_ENV_A");
    Deno.env.delete("BARCHAN_INV_ENV_B");
  }
});

Deno.test("engine.invalidateUnwatched() re-checks the files a watcher does not see, when they moved", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "watched"));
    await Deno.mkdir(join(dir, "outside"));
    await Deno.writeTextFile(join(dir, "watched/a"), "a1");
    await Deno.writeTextFile(join(dir, "outside/b"), "b1");
    const engine = new Engine({ root: dir });
    const watches = (path: string) => path.startsWith(join(dir, "watched") + "/");
    const run = () =>
      engine.run(() => Promise.all([textOf("watched/a"), textOf("outside/b"), listOf("outside")]));
    assert.deepEqual(await run(), ["a1", "b1", ["b"]]);
    // Nothing moved but the listing, which only listing again tells.
    assert.equal(engine.invalidateUnwatched(watches), 1);
    assert.deepEqual(await run(), ["a1", "b1", ["b"]]);
    assert.equal(executed(engine, "invText"), 2);
    await Deno.writeTextFile(join(dir, "watched/a"), "a2");
    await Deno.writeTextFile(join(dir, "outside/b"), "b2!");
    await Deno.writeTextFile(join(dir, "outside/c"), "c1");
    assert.equal(engine.invalidateUnwatched(watches, "not watched"), 2);
    assert.deepEqual(await run(), ["a1", "b2!", ["b", "c"]], "a waits for its watcher's event");
  });
});

Deno.test("engine.abandon() writes nothing more to the store", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a"), "a1");
    const engine = new Engine({ root: dir, dir: "state" });
    assert.equal(await engine.run(() => textOf("a")), "a1");
    const log = join(dir, "state/memo.log");
    const before = (await Deno.stat(log)).size;
    engine.abandon();
    engine.flush();
    engine.checkpoint();
    engine.close();
    assert.equal((await Deno.stat(log)).size, before);
  });
});

const aheadLog: string[] = [];
const aheadPart = memo("invAheadPart", async (path: string) => {
  aheadLog.push(path);
  return (await readText(path)).length;
});
const aheadSum = memo("invAheadSum", async (paths: string[]) => {
  aheadLog.push("sum");
  let total = 0;
  for (const path of paths) total += await aheadPart(path);
  return total;
});

Deno.test("engine.verifyAhead() verifies what nothing changed under, and executes nothing", async () => {
  await withTempDir(async (dir) => {
    for (const name of ["a", "b", "c"]) await Deno.writeTextFile(join(dir, name), name);
    const engine = new Engine({ root: dir });
    const paths = ["a", "b", "c"];
    assert.equal(await engine.run(() => aheadSum(paths)), 3);
    const id = `invAheadSum\u0000${JSON.stringify(paths)}`;
    // Rewritten with the same content: everything is verified ahead.
    await Deno.writeTextFile(join(dir, "b"), "b");
    engine.invalidatePaths(["b"]);
    aheadLog.length = 0;
    assert.equal(engine.verifyAhead(id), true);
    assert.deepEqual(aheadLog, []);
    // A change: its siblings are verified, it and the sum are left to the build.
    await Deno.writeTextFile(join(dir, "a"), "aaa");
    engine.invalidatePaths(["a"]);
    const revalidated = engine.stats().get("invAheadPart")!.revalidated;
    assert.equal(engine.verifyAhead(id), false);
    assert.deepEqual(aheadLog, [], "nothing executed");
    assert.equal(engine.stats().get("invAheadPart")!.revalidated, revalidated + 2);
    assert.equal(await engine.run(() => aheadSum(paths)), 5);
    assert.deepEqual(aheadLog.sort(), ["a", "sum"]);
    assert.equal(engine.verifyAhead("no such node"), false);
  });
});
