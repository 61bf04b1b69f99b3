import assert from "node:assert/strict";
import { Engine, glob, memo, readDir, readText } from "../../memo/mod.ts";

const tracksGlob = memo("tracksGlob", () => glob("src/**/*.txt"));
const tracksListing = memo("tracksListing", () => readDir("docs"));
const tracksFile = memo("tracksFile", () => readText("config.json"));

async function project(): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/src/sub`, { recursive: true });
  await Deno.mkdir(`${dir}/docs/deep`, { recursive: true });
  await Deno.writeTextFile(`${dir}/src/a.txt`, "a");
  await Deno.writeTextFile(`${dir}/src/sub/b.txt`, "b");
  await Deno.writeTextFile(`${dir}/docs/x.md`, "x");
  await Deno.writeTextFile(`${dir}/config.json`, "{}");
  return dir;
}

Deno.test("tracks() counts a path a glob could match, and only those", async () => {
  const dir = await project();
  const engine = new Engine({ root: dir });
  await engine.run(() => tracksGlob(null));
  assert.equal(engine.tracks(`${dir}/src/new.txt`), true);
  assert.equal(engine.tracks(`${dir}/src/sub/b.txt`), true);
  assert.equal(engine.tracks(`${dir}/src/sub`), true, "a directory holding matches");
  assert.equal(engine.tracks(`${dir}/src`), true, "the glob's base directory");
  assert.equal(engine.tracks(`${dir}/src/readme.md`), false, "a file the pattern does not match");
  assert.equal(engine.tracks(`${dir}/build.log`), false, "a file outside the base directory");
  assert.equal(engine.tracks(`${dir}/src/.cache/x.txt`), false, "a hidden directory");
});

Deno.test("tracks() counts direct entries of a listed directory, not deeper ones", async () => {
  const dir = await project();
  const engine = new Engine({ root: dir });
  await engine.run(() => tracksListing(null));
  assert.equal(engine.tracks(`${dir}/docs/y.md`), true);
  assert.equal(engine.tracks(`${dir}/docs/deep/z.md`), false);
});

Deno.test("tracks() counts files read, and nothing else", async () => {
  const dir = await project();
  const engine = new Engine({ root: dir });
  await engine.run(() => tracksFile(null));
  assert.equal(engine.tracks(`${dir}/config.json`), true);
  assert.equal(engine.tracks(`${dir}/other.json`), false);
});

Deno.test("a change a glob cannot match does not re-run it; a new match does", async () => {
  const dir = await project();
  const engine = new Engine({ root: dir });
  assert.deepEqual(await engine.run(() => tracksGlob(null)), ["src/a.txt", "src/sub/b.txt"]);
  await Deno.writeTextFile(`${dir}/src/readme.md`, "r");
  engine.invalidatePaths([`${dir}/src/readme.md`]);
  await engine.run(() => tracksGlob(null));
  assert.equal(engine.stats().get("tracksGlob")?.executed, 1);
  await Deno.writeTextFile(`${dir}/src/sub/c.txt`, "c");
  engine.invalidatePaths([`${dir}/src/sub/c.txt`]);
  assert.deepEqual(await engine.run(() => tracksGlob(null)), [
    "src/a.txt",
    "src/sub/b.txt",
    "src/sub/c.txt",
  ]);
});

Deno.test("tracks() leaves out excluded files, also below a directory", async () => {
  const dir = await project();
  const engine = new Engine({ root: dir });
  await engine.run(() => tracksFile(null));
  const excluded = (path: string) => path.endsWith(".json");
  assert.equal(engine.tracks(`${dir}/config.json`, excluded), false);
  assert.equal(engine.tracks(dir, excluded), false);
  assert.equal(engine.tracks(dir), true);
});
