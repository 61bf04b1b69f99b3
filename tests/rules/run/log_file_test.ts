import assert from "node:assert/strict";
import { join } from "node:path";
import { LogFile } from "../../../rules/run/_log_file.ts";

Deno.test("LogFile appends after its header, and after a replace appends to the new file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "x.log");
    const log = new LogFile(path, "header 1\n");
    log.append("a\n", 1);
    log.append("b\nc\n", 2);
    assert.equal(await Deno.readTextFile(path), "header 1\na\nb\nc\n");
    assert.equal(log.lines, 3);
    assert.equal(log.size, "header 1\na\nb\nc\n".length);
    // Written whole while open: later lines go to the file now at the path.
    log.stale = true;
    log.replace("z\n", 1);
    assert.equal(log.stale, false);
    log.append("y\n", 1);
    log.close();
    assert.equal(await Deno.readTextFile(path), "header 1\nz\ny\n");
    assert.equal(log.lines, 2);
    // Opened again where the last whole line ends.
    const again = new LogFile(path, "header 1\n");
    again.size = "header 1\nz\n".length;
    again.append("w\n", 1);
    again.close();
    assert.equal(await Deno.readTextFile(path), "header 1\nz\nw\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LogFile names its file when it cannot be written", () => {
  const log = new LogFile("/nonexistent-dir/x.log", "h\n");
  assert.throws(() => log.append("a\n", 1), /nonexistent-dir\/x\.log/);
  assert.throws(() => log.replace("a\n", 1), /nonexistent-dir\/x\.log/);
});
