// The idle collector of watch sessions gives back the young generation a
// burst of allocation grew, in a process of its own (tests/fixtures).

import assert from "node:assert/strict";

const FIXTURE = new URL("../../fixtures/idle_collector.ts", import.meta.url).pathname;

Deno.test("idleCollector() shrinks the young generation a burst of allocation grew", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", FIXTURE],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const { before, after } = JSON.parse(text);
  assert.ok(before >= 8 * 1024 * 1024, `the young generation did not grow: ${text}`);
  assert.ok(after <= before / 8, `it was not given back: ${text}`);
});

Deno.test({
  name: "nativeTrimmer() gives back the memory glibc kept after hundreds of commands",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        new URL("../../fixtures/native_trim.ts", import.meta.url).pathname,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const { trimmer, before, after } = JSON.parse(text);
    assert.equal(trimmer, true, text);
    assert.ok(after <= before - 4096, `less than 4 MB given back: ${text}`);
  },
});
