import assert from "node:assert/strict";
import { join } from "node:path";
import { statPath } from "../../memo/stat.ts";

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
