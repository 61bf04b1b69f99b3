import assert from "node:assert/strict";
import { join } from "node:path";
import { CapturedOutput } from "../../../rules/command/captured_output.ts";

Deno.test("output within the limit is kept whole in memory, with no file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = new CapturedOutput({ limit: 1024, spillPath: join(dir, "spill") });
    out.push(new TextEncoder().encode("hello "));
    out.push(new TextEncoder().encode("world"));
    out.close();
    assert.equal(out.text(), "hello world");
    assert.equal(out.display(), "hello world");
    assert.equal(out.spillPath, undefined);
    assert.equal(await Deno.stat(join(dir, "spill")).catch(() => null), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("20 MB of output spill to a file; the display keeps head and tail within the limit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const limit = 64 * 1024;
    const out = new CapturedOutput({ limit, spillPath: join(dir, "spill") });
    const line = new TextEncoder().encode("x".repeat(1023) + "\n");
    const total = 20 * 1024 * 1024;
    for (let n = 0; n < total; n += line.length) out.push(line.slice());
    out.close();
    assert.equal(out.size, total);
    assert.equal((await Deno.stat(join(dir, "spill"))).size, total);
    const display = out.display();
    assert.ok(display.length < limit + 200, `display of ${display.length} characters`);
    assert.match(display, /bytes not shown: the whole output is in .*spill/);
    assert.equal(out.bytes().length, total);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a multi-byte character split across chunks is decoded whole", () => {
  const bytes = new TextEncoder().encode("é€");
  const out = new CapturedOutput();
  for (const b of bytes) out.push(new Uint8Array([b]));
  assert.equal(out.text(), "é€");
});
