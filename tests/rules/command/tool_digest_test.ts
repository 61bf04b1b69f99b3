import assert from "node:assert/strict";
import { join } from "node:path";
import { findProgram, toolDigest } from "../../../rules/command/tool_digest.ts";

Deno.test("a tool's digest follows its file's content, not the PATH that finds it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const sub of ["one", "two"]) {
      await Deno.mkdir(join(dir, sub));
      await Deno.writeTextFile(join(dir, sub, "tool"), "#!/bin/sh\necho v1\n", { mode: 0o755 });
    }
    const one = await toolDigest("tool", dir, join(dir, "one"));
    const two = await toolDigest("tool", dir, `${join(dir, "missing")}:${join(dir, "two")}`);
    assert.equal(one?.path, join(dir, "one", "tool"));
    assert.deepEqual(one?.digest, two?.digest);
    await Deno.writeTextFile(join(dir, "two", "tool"), "#!/bin/sh\necho v2\n");
    const changed = await toolDigest("tool", dir, join(dir, "two"));
    assert.notDeepEqual(changed?.digest, one?.digest);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a program named by a path is found relative to the working directory; a file that is not executable is not a program", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    await Deno.writeTextFile(join(dir, "data"), "", { mode: 0o644 });
    assert.equal(findProgram("./run.sh", dir, ""), join(dir, "run.sh"));
    assert.equal(findProgram("data", "/", dir), null);
    assert.equal(await toolDigest("./data", dir, ""), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
