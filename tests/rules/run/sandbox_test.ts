// --sandbox: commands run with the project read-only but for their targets.

import assert from "node:assert/strict";
import { join } from "node:path";
import { build } from "../../../mod.ts";
import { findSandbox } from "../../../rules/run/sandbox.ts";
import { cliWithEnv, MOD, readMaybe, recorder, withProject } from "../_util.ts";

const available = typeof findSandbox() !== "string";
if (!available) console.log("note: bubblewrap is not installed; the sandbox tests are skipped");

Deno.test({
  name:
    "under --sandbox, a command writing outside its targets fails naming what it wrote, and the file is intact",
  ignore: !available,
  async fn() {
    const buildTs = `import { rule, sh } from "${MOD}";
rule({ targets: "_build/x", deps: ["in"], action: sh("cat in > _build/x; echo pwned > main.c") });
rule({ targets: "_build/y", deps: ["in"], action: sh("cat in > _build/y") });
`;
    await withProject(
      { "build.ts": buildTs, "in": "in\n", "main.c": "int main;\n" },
      async (root) => {
        const reporter = recorder();
        const result = await build({ root, reporter, sandbox: true, cache: false });
        assert.equal(result.ok, false);
        assert.equal(result.failed.length, 1);
        assert.equal(result.failed[0].rule, "_build/x");
        assert.match(result.failed[0].message, /--sandbox.*main\.c: Read-only file system/s);
        assert.equal(await readMaybe(root, "main.c"), "int main;\n");
        assert.equal(await readMaybe(root, "_build/y"), "in\n", "a well-behaved rule builds");
        // Without the sandbox the same build would have clobbered main.c.
      },
    );
  },
});

Deno.test({
  name:
    "under --sandbox, targets are written as usual, a missing program is reported as such, and an unwritten target is not left behind",
  ignore: !available,
  async fn() {
    const buildTs = `import { rule, run, sh } from "${MOD}";
rule({ targets: ["_build/a", "_build/b"], action: sh("echo a > _build/a; : > _build/b") });
rule({ targets: "_build/c", action: run("no-such-program-anywhere") });
rule({ targets: "_build/d", action: sh("true") });
`;
    await withProject({ "build.ts": buildTs }, async (root) => {
      const result = await build({ root, reporter: recorder(), sandbox: true, cache: false });
      assert.equal(await readMaybe(root, "_build/a"), "a\n");
      assert.equal(await readMaybe(root, "_build/b"), "", "an empty target it wrote is kept");
      const messages = result.failed.map((f) => f.message).join("\n");
      assert.match(messages, /program not found: no-such-program-anywhere/);
      assert.match(messages, /did not write its declared target "_build\/d"/);
      assert.equal(await Deno.stat(join(root, "_build/d")).catch(() => null), null);
    });
  },
});

Deno.test("--sandbox where bubblewrap is missing is a clear error, not a build without one", async () => {
  const buildTs = `import { rule, sh } from "${MOD}";
rule({ targets: "x", action: sh("echo > x") });
`;
  await withProject({ "build.ts": buildTs }, async (root) => {
    const result = await cliWithEnv(
      { PATH: "/nowhere", NO_COLOR: "1" },
      root,
      "build",
      "--sandbox",
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /bubblewrap \(bwrap\), which is not on PATH: install it/);
    assert.equal(await readMaybe(root, "x"), undefined);
  });
});

Deno.test({
  name: "a rule with sandbox: true runs under bubblewrap without --sandbox; other rules do not",
  ignore: !available,
  async fn() {
    const buildTs = (sandboxed: boolean) =>
      `import { rule, sh } from "${MOD}";
rule({ targets: "_build/x", deps: ["in"], action: sh("cat in > _build/x; echo pwned > main.c")${
        sandboxed ? ", sandbox: true" : ""
      } });
rule({ targets: "_build/y", deps: ["in"], action: sh("cat in > _build/y; echo log > notes.txt") });
`;
    await withProject(
      { "build.ts": buildTs(true), "in": "in\n", "main.c": "int main;\n" },
      async (root) => {
        const result = await build({ root, reporter: recorder(), cache: false });
        assert.equal(result.ok, false);
        assert.equal(result.failed.length, 1);
        assert.equal(result.failed[0].rule, "_build/x");
        assert.match(result.failed[0].message, /under sandbox: true .*main\.c: Read-only/s);
        assert.equal(await readMaybe(root, "main.c"), "int main;\n");
        assert.equal(
          await readMaybe(root, "notes.txt"),
          "log\n",
          "the other rule is not sandboxed",
        );
      },
    );
  },
});

Deno.test("a rule with sandbox: true where bubblewrap is missing fails saying so, and runs nothing", async () => {
  const buildTs = `import { rule, sh } from "${MOD}";
rule({ targets: "x", action: sh("echo > x"), sandbox: true });
rule({ targets: "y", action: sh("echo > y") });
`;
  await withProject({ "build.ts": buildTs }, async (root) => {
    // A PATH with a shell and no bubblewrap.
    const bin = await Deno.makeTempDir();
    try {
      await Deno.symlink("/bin/sh", join(bin, "sh"));
      const result = await cliWithEnv({ PATH: bin, NO_COLOR: "1" }, root, "build");
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /x.*sandbox: true.*bubblewrap \(bwrap\), which is not on PATH/s);
      assert.match(result.stderr, /remove sandbox: true from the rule/);
      assert.equal(await readMaybe(root, "x"), undefined);
      assert.equal(await readMaybe(root, "y"), "\n", "a rule without the option builds");
    } finally {
      await Deno.remove(bin, { recursive: true });
    }
  });
});
