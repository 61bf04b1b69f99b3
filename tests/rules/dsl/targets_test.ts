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

Deno.test("a target that is empty, the project directory or holds a control character is refused at load, with the rule's line", async () => {
  const cases: [string, RegExp][] = [
    [`""`, /The rule at build\.ts:2 has an empty target name/],
    [`["a.txt", "."]`, /The rule at build\.ts:2 names the project directory itself \("\."\)/],
    [`"notes\\nfoo"`, /The rule at build\.ts:2 .*control character \(\\n\): "notes\\nfoo"/],
    [`"a\\u0000b"`, /The rule at build\.ts:2 .*control character \(\\u0000\)/],
    [`"bell\\u0007"`, /The rule at build\.ts:2 .*control character \(\\u0007\)/],
  ];
  for (const [targets, message] of cases) {
    const dir = await projectWith(`rule({ targets: ${targets}, action: write("x", "x") });`);
    await Deno.writeTextFile(join(dir, "notes"), "the user's notes");
    const error = await build({ root: dir }).catch((e) => e);
    assert.ok(error instanceof BuildFileError, `${targets}: ${error}`);
    assert.match(error.message, message);
    assert.equal(await Deno.readTextFile(join(dir, "notes")), "the user's notes");
    await assert.rejects(Deno.stat(join(dir, "x")), Deno.errors.NotFound);
  }
});

Deno.test('a dependency on "." or "" is refused at load, for a rule and for an alias, with its line', async () => {
  for (const deps of [`["."]`, `[""]`, `["./"]`]) {
    const dir = await projectWith(
      `rule({ targets: "x", deps: ${deps}, action: write("x", "x") });`,
    );
    const error = await build({ root: dir }).catch((e) => e);
    assert.ok(error instanceof BuildFileError, `${deps}: ${error}`);
    assert.match(error.message, /The rule at build\.ts:2 depends on the project directory itself/);
  }
  const dir = await projectWith(
    `import { alias } from ${JSON.stringify(modUrl)};\nalias("all", ".");`,
  );
  const error = await build({ root: dir }).catch((e) => e);
  assert.ok(error instanceof BuildFileError, String(error));
  assert.match(
    error.message,
    /The alias @all at build\.ts:3 depends on the project directory itself/,
  );
});
