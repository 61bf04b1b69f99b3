import assert from "node:assert/strict";
import { join } from "node:path";
import { digestOf } from "../../../memo/stat/digest.ts";
import { Engine } from "../../../memo/engine.ts";
import { tickOf } from "../../../memo/leaves/file.ts";
import { memo } from "../../../memo/memo.ts";
import { readText, recordWrite } from "../../../memo/reads.ts";
import {
  dropStatTakenAhead,
  pathPresent,
  statPath,
  statPathNow,
  statRelativeTo,
  statUnchanged,
  useStatsTakenAhead,
} from "../../../memo/stat/stat.ts";

function expected(path: string) {
  const st = Deno.statSync(path);
  return { isDirectory: st.isDirectory, mtime: st.mtime!.getTime(), size: st.size, ino: st.ino! };
}

Deno.test("statPath agrees with Deno.statSync on files, directories and symbolic links", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "a file with spaces é.txt");
  await Deno.writeTextFile(file, "hello");
  await Deno.utime(file, 1, new Date("2024-01-01T00:00:00.123Z"));
  await Deno.symlink(file, join(dir, "link"));
  await Deno.mkdir(join(dir, "sub"));
  for (const path of [file, join(dir, "link"), join(dir, "sub"), dir]) {
    const mine = statPath(path);
    assert.ok(mine !== null, path);
    const { ctime, ...rest } = mine;
    assert.deepEqual(rest, expected(path), path);
    assert.ok(Math.abs(ctime - Deno.statSync(path).ctime!.getTime()) < 1000, path);
  }
  assert.equal(statPath(file)?.mtime, Date.parse("2024-01-01T00:00:00.123Z"));
});

Deno.test("statPath returns null for a missing path or one below a file", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "f");
  await Deno.writeTextFile(file, "");
  assert.equal(statPath(join(dir, "missing")), null);
  assert.equal(statPath(join(file, "below")), null);
  await Deno.symlink(join(dir, "missing"), join(dir, "dangling"));
  assert.equal(statPath(join(dir, "dangling")), null);
});

Deno.test("statPath handles paths longer than its first buffer", async () => {
  const dir = await Deno.makeTempDir();
  let deep = dir;
  for (let i = 0; i < 12; i++) deep = join(deep, "d".repeat(100));
  await Deno.mkdir(deep, { recursive: true });
  await Deno.writeTextFile(join(deep, "f"), "xyz");
  assert.equal(statPath(join(deep, "f"))?.size, 3);
  assert.equal(statPath(join(deep, "g")), null);
});

Deno.test("statPath sees a file change size and time", async () => {
  const file = await Deno.makeTempFile();
  await Deno.writeTextFile(file, "a");
  const before = statPath(file)!;
  await Deno.writeTextFile(file, "abc");
  await Deno.utime(file, 1, before.mtime / 1000 + 5);
  const after = statPath(file)!;
  assert.equal(after.size, 3);
  assert.equal(after.mtime, before.mtime + 5000);
});

Deno.test("a stat taken ahead serves one check; a write is then stat'ed afresh", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "f");
  await Deno.writeTextFile(file, "aaa");
  // Old enough for the stat cache to trust the file's stat alone.
  const written = statPath(file)!;
  const until = Math.max(
    written.mtime + tickOf(written.mtime),
    written.ctime + tickOf(written.ctime),
  );
  await new Promise((r) => setTimeout(r, Math.max(0, until + 10 - Date.now())));
  const engine = new Engine();
  const read = memo("statAheadRead", (path: string) => readText(path));
  const write = memo("statAheadWrite", async (path: string) => {
    await Deno.writeTextFile(path, "bbb");
    return recordWrite(path);
  });
  assert.equal(await engine.run(() => read(file)), "aaa");
  try {
    useStatsTakenAhead(new Map([[file, { ...statPath(file)!, takenAt: Date.now() }]]));
    assert.equal(await engine.run(() => write(file)), digestOf(new TextEncoder().encode("bbb")));
  } finally {
    useStatsTakenAhead(undefined);
  }
});

Deno.test("stats taken ahead are used once, and can be dropped", async () => {
  const dir = await Deno.makeTempDir();
  const [a, b] = [join(dir, "a"), join(dir, "b")];
  await Deno.writeTextFile(a, "");
  await Deno.writeTextFile(b, "");
  const fake = { isDirectory: false, mtime: 1, ctime: 1, size: 42, ino: 7, takenAt: 1 };
  try {
    useStatsTakenAhead(new Map([[a, fake], [b, fake]]));
    assert.equal(statPath(a)?.size, 42);
    assert.equal(statPath(a)?.size, 0);
    assert.equal(statPathNow(b)?.size, 0);
    dropStatTakenAhead(b);
    assert.equal(statPath(b)?.size, 0);
  } finally {
    useStatsTakenAhead(undefined);
  }
});

Deno.test("statPath relative to a directory agrees with a whole-path stat", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  await Deno.mkdir(join(dir, "sub"));
  await Deno.writeTextFile(join(dir, "sub", "f"), "abc");
  const whole = [join(dir, "sub", "f"), join(dir, "sub"), join(dir, "missing"), dir];
  const expected = whole.map(statPathNow);
  try {
    statRelativeTo(dir);
    assert.deepEqual(whole.map(statPath), expected);
    assert.deepEqual(statPath("/"), statPathNow("/"));
  } finally {
    statRelativeTo(undefined);
  }
  assert.deepEqual(whole.map(statPath), expected);
});

Deno.test("statUnchanged is true exactly when a file's stat fields are the ones given", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  const file = join(dir, "f");
  await Deno.writeTextFile(file, "abc");
  const st = statPathNow(file)!;
  const same = (path: string, s = st) => statUnchanged(path, s.mtime, s.size, s.ino, s.ctime);
  assert.equal(same(file), true);
  for (const base of [dir, undefined]) {
    try {
      statRelativeTo(base);
      assert.equal(same(file), true);
      assert.equal(same(file, { ...st, size: 4 }), false);
      assert.equal(same(file, { ...st, mtime: st.mtime + 1 }), false);
      assert.equal(same(join(dir, "missing")), false);
      assert.equal(same(dir, statPathNow(dir)!), false, "a directory is not an unchanged file");
    } finally {
      statRelativeTo(undefined);
    }
  }
  await Deno.writeTextFile(file, "abcd");
  assert.equal(same(file), false);
});

Deno.test("pathPresent sees files, directories and links, dangling ones too, and throws nothing", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "a file é.txt");
  await Deno.writeTextFile(file, "x");
  await Deno.mkdir(join(dir, "sub"));
  await Deno.symlink(file, join(dir, "link"));
  await Deno.symlink(join(dir, "gone"), join(dir, "dangling"));
  for (const name of ["a file é.txt", "sub", "link", "dangling"]) {
    assert.equal(pathPresent(join(dir, name)), true, name);
  }
  for (const name of ["gone", "a file é.txt/below", "sub/missing", "nul\0byte"]) {
    assert.equal(pathPresent(join(dir, name)), false, name);
  }
  assert.equal(pathPresent(join(dir, "x".repeat(5000))), false, "a name too long for the system");
  await Deno.remove(dir, { recursive: true });
});
