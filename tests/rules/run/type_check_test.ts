// build.ts type-checked during a build: beside the build, again only when
// build.ts or a module it imports changed, a type error reported as an error
// of build.ts with its place; --no-check (or BARCHAN_CHECK=off) skips it.

import assert from "node:assert/strict";
import { join } from "node:path";
import { build, type Reporter } from "../../../mod.ts";
import { cliWithEnv, IMPORT, withProject } from "../_util.ts";

/** Builds in this process with the type check, counting the checks that ran. */
async function checkedBuild(root: string): Promise<{ checks: number; error?: string }> {
  let checks = 0;
  const reporter: Reporter = {
    phase: (event) => void (event.name === "type-check build.ts" && checks++),
  };
  try {
    await build({ root, check: true, reporter, cache: false });
    return { checks };
  } catch (error) {
    return { checks, error: (error as Error).message };
  }
}

Deno.test("build type-checks build.ts and its modules once per change of them", async () => {
  // This build.ts imports no barchan module: checking it takes a moment only.
  await withProject({
    "build.ts": `import { twice } from "./lib/twice.ts";\nexport const four: number = twice(2);\n`,
    "lib/twice.ts": "export function twice(n: number): number {\n  return 2 * n;\n}\n",
    "data.txt": "",
  }, async (root) => {
    assert.deepEqual(await checkedBuild(root), { checks: 1 });
    assert.deepEqual(await checkedBuild(root), { checks: 0 });
    await Deno.writeTextFile(join(root, "data.txt"), "not a module\n");
    assert.deepEqual(await checkedBuild(root), { checks: 0 });

    await Deno.writeTextFile(
      join(root, "lib/twice.ts"),
      "export function twice(n: string): string {\n  return n + n;\n}\n",
    );
    const broken = await checkedBuild(root);
    assert.equal(broken.checks, 1);
    assert.match(broken.error!, /build\.ts: does not type-check/);
    assert.match(
      broken.error!,
      /build\.ts:2:35: Argument of type 'number' is not assignable to parameter of type 'string'\. \(TS2345\)/,
    );
    // The answer is kept: the next build reports it again without checking.
    const again = await checkedBuild(root);
    assert.equal(again.checks, 0);
    assert.match(again.error!, /build\.ts:2:35/);
  });
});

Deno.test("barchan build reports a type error of build.ts with its place; --no-check builds", async () => {
  await withProject({
    "build.ts": IMPORT +
      `const text: number = "built";\nrule({ targets: "out.txt", action: write("out.txt", String(text)) });\n`,
  }, async (root) => {
    const checked = await cliWithEnv({ NO_COLOR: "1", BARCHAN_CHECK: "on" }, root, "build");
    assert.equal(checked.code, 1);
    assert.match(
      checked.stderr,
      /build\.ts: does not type-check .*\n {2}build\.ts:2:7: Type 'string' is not assignable to type 'number'\. \(TS2322\)/,
    );
    const skipped = await cliWithEnv(
      { NO_COLOR: "1", BARCHAN_CHECK: "on" },
      root,
      "build",
      "--no-check",
    );
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.equal(await Deno.readTextFile(join(root, "out.txt")), "built");
  });
});
