// What `build @runtest` says: each test rule that ran, and that it passed.

import assert from "node:assert/strict";
import { cli, IMPORT, withProject } from "../_util.ts";

Deno.test("build @runtest prints a line for each test rule that ran and passed", async () => {
  await withProject({
    "build.ts": IMPORT + `
const hello = rule({ targets: "hello.txt", action: write("hello.txt", "hello\\n") });
rule({ alias: "runtest", deps: [hello], action: sh("grep -q hello hello.txt") });
rule({ alias: "runtest", deps: [hello], action: run("test", "-s", "hello.txt") });
`,
  }, async (root) => {
    const first = await cli(root, "build", "@runtest");
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stderr.trim().split("\n");
    assert.deepEqual(
      lines.filter((l) => l.startsWith("passed")).map((l) => l.replace(/ \(.*\)$/, "")).sort(),
      [
        "passed @runtest: grep -q hello hello.txt",
        "passed @runtest: test -s hello.txt",
      ],
    );
    assert.match(lines.at(-1)!, /^Done: 3 actions ran/);
    // Nothing changed: nothing ran, so nothing is said to have passed.
    const again = await cli(root, "build", "@runtest");
    assert.doesNotMatch(again.stderr, /passed/);
  });
});
