import assert from "node:assert/strict";
import { join } from "node:path";
import { build, BuildFileError } from "../../../mod.ts";

const modUrl = new URL("../../../mod.ts", import.meta.url).href;

async function projectWith(rule: string): Promise<string> {
  const parent = await Deno.makeTempDir();
  const dir = join(parent, "project");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(
    join(dir, "build.ts"),
    `import { rule, write } from ${JSON.stringify(modUrl)};\n${rule}\n`,
  );
  return dir;
}

Deno.test("a target outside the project is refused when build.ts loads, and nothing is written", async () => {
  for (const target of ["../up.txt", "/tmp/barchan-outside-target.txt"]) {
    const dir = await projectWith(
      `rule({ targets: ${JSON.stringify(target)}, action: write(${
        JSON.stringify(target)
      }, "x") });`,
    );
    const error = await build({ root: dir }).catch((e) => e);
    assert.ok(error instanceof BuildFileError, String(error));
    assert.match(error.message, /outside the project: targets must be inside the directory/);
    await assert.rejects(Deno.stat(join(dir, "..", "up.txt")), Deno.errors.NotFound);
  }
});

Deno.test("a target inside barchan's state directory is refused", async () => {
  const dir = await projectWith(
    `rule({ targets: "_build/.barchan/memo.log", action: write("_build/.barchan/memo.log", "x") });`,
  );
  const error = await build({ root: dir }).catch((e) => e);
  assert.ok(error instanceof BuildFileError);
  assert.match(error.message, /inside barchan's state/);
});
