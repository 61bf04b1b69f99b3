// What the file system refuses, told in one paragraph that names the rule or
// the path and says what to do, without a stack trace; and the build after
// the cause is gone is correct. A directory where a target should be is
// made for real; a read-only project and a full disk are made with
// bubblewrap (a read-only bind, a small tmpfs), since the tests may run as
// root, whom permissions do not stop.

import assert from "node:assert/strict";
import { join } from "node:path";
import { CLI, cli, IMPORT, NO_SERVER, readMaybe, withProject } from "../_util.ts";
import { ownCacheEnv } from "../../_own_cache.ts";

/** Whether bubblewrap can make a mount namespace here; says why not when it cannot. */
function bubblewrap(): boolean {
  try {
    const probe = new Deno.Command("bwrap", {
      args: ["--dev-bind", "/", "/", "--tmpfs", "/tmp", "true"],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (probe.code === 0) return true;
    console.log(`bwrap cannot run here, skipped: ${new TextDecoder().decode(probe.stderr)}`);
  } catch (error) {
    console.log(`bwrap is not installed, skipped: ${error}`);
  }
  return false;
}

/** Runs `script` (sh) in `root` inside bubblewrap with `mounts`; `$B` runs barchan. */
async function inBubblewrap(
  root: string,
  mounts: string[],
  script: string,
): Promise<{ code: number; output: string }> {
  const barchan = `${Deno.execPath()} run -A --quiet ${CLI}`;
  const out = await new Deno.Command("bwrap", {
    args: ["--dev-bind", "/", "/", ...mounts, "--chdir", root, "sh", "-c", `exec 2>&1\n${script}`],
    env: { NO_COLOR: "1", B: barchan, ...NO_SERVER, ...ownCacheEnv() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/** The part of a script's output between `--- name` and the next `---`. */
function section(output: string, name: string): string {
  const start = output.indexOf(`--- ${name}\n`);
  assert.ok(start >= 0, `no section "${name}" in:\n${output}`);
  const end = output.indexOf("\n---", start + 4);
  return output.slice(start, end < 0 ? undefined : end);
}

function assertNoTrace(text: string): void {
  assert.doesNotMatch(text, /Uncaught|^\s+at .*\.ts:\d+/m, "no stack trace");
}

Deno.test("a directory where a target should be is a one-paragraph error naming the rule; removing it fixes the build", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out", deps: ["src.txt"], action: sh("cp src.txt out") });
`,
    "src.txt": "one\n",
    "out/mine.txt": "the user's",
  }, async (root) => {
    const refused = await cli(root, "build");
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /"out" is a directory, where the rule's target file should be: .*rm -r out.* \(rule out, build\.ts:3\)/,
    );
    assertNoTrace(refused.stderr);
    assert.equal(await readMaybe(root, "out/mine.txt"), "the user's");
    await Deno.remove(join(root, "out"), { recursive: true });
    const fixed = await cli(root, "build");
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal(await readMaybe(root, "out"), "one\n");
  });
});

Deno.test("an action that makes a directory as its target fails with a paragraph, every time, until the rule names files", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out", deps: ["src.txt"], action: sh("mkdir -p out; cp src.txt out/x") });
`,
    "src.txt": "one\n",
  }, async (root) => {
    const first = await cli(root, "build");
    assert.equal(first.code, 1);
    assert.match(first.stderr, /the action made a directory at "out", where its target should be/);
    await Deno.writeTextFile(join(root, "src.txt"), "two\n");
    const second = await cli(root, "build");
    assert.equal(second.code, 1);
    assert.match(second.stderr, /"out" is a directory, where the rule's target file should be/);
    assertNoTrace(first.stderr + second.stderr);
    assert.doesNotMatch(second.stderr, /Directory not empty/);
    const cleaned = await cli(root, "clean");
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assertNoTrace(cleaned.stderr);

    await Deno.remove(join(root, "out"), { recursive: true });
    await Deno.writeTextFile(
      join(root, "build.ts"),
      IMPORT + `rule({ targets: "out/x", deps: ["src.txt"], action: sh("cp src.txt out/x") });\n`,
    );
    const fixed = await cli(root, "build");
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal(await readMaybe(root, "out/x"), "two\n");
  });
});

Deno.test({
  name:
    "a read-only project is a one-paragraph error without a trace; once writable, the build is correct",
  ignore: !bubblewrap(),
  fn: async () => {
    await withProject({
      "build.ts": IMPORT + `
rule({ targets: "out.txt", deps: ["src.txt"], action: copy("src.txt", "out.txt") });
`,
      "src.txt": "one\n",
    }, async (root) => {
      const readOnly = ["--ro-bind", root, root];
      const fresh = await inBubblewrap(root, readOnly, `$B build`);
      assert.equal(fresh.code, 1, fresh.output);
      assert.match(
        fresh.output,
        /^barchan: Read-only file system \(os error 30\): mkdir '.*_build\/\.barchan'\. The file system is read-only: .*make it writable/m,
      );
      assertNoTrace(fresh.output);

      assert.equal((await cli(root, "build")).code, 0);
      await Deno.writeTextFile(join(root, "src.txt"), "two\n");
      const built = await inBubblewrap(root, readOnly, `$B build`);
      assert.equal(built.code, 1, built.output);
      assert.match(built.output, /open '.*build\.lock'\. The file system is read-only/);
      assertNoTrace(built.output);

      // Only the state writable: the target cannot be replaced.
      const stateOnly = [...readOnly, "--bind", join(root, "_build"), join(root, "_build")];
      const target = await inBubblewrap(root, stateOnly, `$B build`);
      assert.equal(target.code, 1, target.output);
      assert.match(
        target.output,
        /Read-only file system \(os error 30\): remove '.*out\.txt'\. The file system is read-only: .* \(rule out\.txt, build\.ts:3\)/,
      );
      assertNoTrace(target.output);
      assert.equal(await readMaybe(root, "out.txt"), "one\n");

      const writable = await cli(root, "build");
      assert.equal(writable.code, 0, writable.stderr);
      assert.equal(await readMaybe(root, "out.txt"), "two\n");
      assert.match((await cli(root, "build")).stderr, /Done: 0 actions ran/);
    });
  },
});

Deno.test({
  name:
    "a full disk is a one-paragraph error naming the file and the rule; once space is freed, the build is correct",
  ignore: !bubblewrap(),
  fn: async () => {
    await withProject({
      "build.ts": IMPORT + `
rule({ targets: "_build/copy.txt", deps: ["src.txt"], action: copy("src.txt", "_build/copy.txt") });
rule({
  targets: "_build/data.txt",
  deps: ["src.txt"],
  action: async (ctx) => {
    const text = await Deno.readTextFile(ctx.root + "/src.txt");
    await Deno.writeTextFile(ctx.root + "/_build/data.txt", text.repeat(10000));
  },
});
`,
      "src.txt": "one\n",
      "_build/.keep": "",
    }, async (root) => {
      // A 512 KiB disk for _build, filled by a file that is not barchan's.
      const fill = "head -c 1000000 /dev/zero > _build/ballast 2>/dev/null";
      const script = [
        fill,
        "echo '--- full from the start'; $B build; echo exit $?",
        "rm _build/ballast",
        "echo '--- space freed'; $B build; echo exit $?; cat _build/copy.txt",
        "echo three-and-more > src.txt",
        fill,
        "echo '--- full again'; $B build; echo exit $?",
        "rm _build/ballast",
        "echo '--- space freed again'; $B build; echo exit $?; cat _build/copy.txt",
        "wc -c < _build/data.txt",
        "echo '--- then'; $B build; echo exit $?",
      ].join("\n");
      const tmpfs = ["--size", String(512 * 1024), "--tmpfs", join(root, "_build")];
      const { output } = await inBubblewrap(root, tmpfs, script);
      assertNoTrace(output);

      const full = section(output, "full from the start");
      assert.match(
        full,
        /^barchan: No space left on device \(os error 28\): write '.*_build\/\.barchan\/memo\.log'\. The disk is full: free some space/m,
      );
      assert.match(full, /exit 1/);
      assert.match(section(output, "space freed"), /Done: 2 actions ran[^]*exit 0\none$/);

      const again = section(output, "full again");
      assert.match(
        again,
        /No space left on device \(os error 28\): writefile '.*_build\/data\.txt'\. The disk is full: .* \(rule _build\/data\.txt, build\.ts:4\)/,
      );
      assert.equal(again.split("No space left").length, 2, `said once:\n${again}`);
      assert.match(again, /exit 1/);

      const freed = section(output, "space freed again");
      assert.match(freed, /Done: 1 action ran[^]*exit 0\nthree-and-more\n150000$/);
      assert.match(section(output, "then"), /Done: 0 actions ran[^]*exit 0/);
    });
  },
});
