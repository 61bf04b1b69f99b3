import assert from "node:assert/strict";
import { join } from "node:path";
import { pathPresent, statPath, statRelativeTo, statUnchanged } from "../../../memo/stat/stat.ts";

function expected(path: string) {
  const st = Deno.statSync(path);
  return {
    isDirectory: st.isDirectory,
    mtime: st.mtime!.getTime(),
    size: st.size,
    ino: st.ino!,
    executable: ((st.mode ?? 0) & 0o111) !== 0,
  };
}

Deno.test("statPath agrees with Deno.statSync on files, directories and symbolic links", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "a file with spaces é.txt");
  await Deno.writeTextFile(file, "hello");
  await Deno.utime(file, 1, new Date("2024-01-01T00:00:00.123Z"));
  const tool = join(dir, "tool");
  await Deno.writeTextFile(tool, "#!/bin/sh\n");
  await Deno.chmod(tool, 0o755);
  await Deno.symlink(file, join(dir, "link"));
  await Deno.mkdir(join(dir, "sub"));
  assert.equal(statPath(tool)?.executable, true);
  assert.equal(statPath(file)?.executable, false);
  for (const path of [file, tool, join(dir, "link"), join(dir, "sub"), dir]) {
    const mine = statPath(path);
    assert.ok(mine !== null, path);
    const { ctime, special, mtime, ...rest } = mine;
    const { mtime: theirs, ...others } = expected(path);
    assert.deepEqual(rest, others, path);
    assert.equal(special, undefined, path);
    assert.equal(Math.floor(mtime), theirs, "the same time, with nanoseconds kept");
    assert.ok(Math.abs(ctime - Deno.statSync(path).ctime!.getTime()) < 1000, path);
  }
  assert.equal(statPath(file)?.mtime, Date.parse("2024-01-01T00:00:00.123Z"));
});

Deno.test("statPath says what a path is when it is neither a file nor a directory", async () => {
  const dir = await Deno.makeTempDir();
  const fifo = join(dir, "fifo");
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.ok(made.success);
  assert.equal(statPath(fifo)?.special, "a FIFO");
  assert.equal(statPath("/dev/null")?.special, "a device");
  assert.equal(statPath(dir)?.special, undefined);
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
  assert.ok(Math.abs(after.mtime - (before.mtime + 5000)) < 1, `${after.mtime}`);
});

Deno.test("statPath relative to a directory agrees with a whole-path stat", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  await Deno.mkdir(join(dir, "sub"));
  await Deno.writeTextFile(join(dir, "sub", "f"), "abc");
  const whole = [join(dir, "sub", "f"), join(dir, "sub"), join(dir, "missing"), dir];
  const expected = whole.map(statPath);
  try {
    statRelativeTo(dir);
    assert.deepEqual(whole.map(statPath), expected);
    assert.deepEqual(statPath("/"), statPath("/"));
  } finally {
    statRelativeTo(undefined);
  }
  assert.deepEqual(whole.map(statPath), expected);
});

Deno.test("statUnchanged is true exactly when a file's stat fields are the ones given", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  const file = join(dir, "f");
  await Deno.writeTextFile(file, "abc");
  const st = statPath(file)!;
  const same = (path: string, s = st) => statUnchanged(path, s.mtime, s.size, s.ino, s.ctime);
  assert.equal(same(file), true);
  for (const base of [dir, undefined]) {
    try {
      statRelativeTo(base);
      assert.equal(same(file), true);
      assert.equal(same(file, { ...st, size: 4 }), false);
      assert.equal(same(file, { ...st, mtime: st.mtime + 1 }), false);
      assert.equal(same(join(dir, "missing")), false);
      assert.equal(same(dir, statPath(dir)!), false, "a directory is not an unchanged file");
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
