// barchan init: a build.ts written from what a directory holds, which builds at once.

import assert from "node:assert/strict";
import { join } from "node:path";
import { cliWithEnv, withProject } from "../rules/_util.ts";

Deno.test("init in a Deno project writes a build.ts that checks, tests, lints, formats and bundles it", async () => {
  await withProject({
    "deno.json": `{ "exports": "./mod.ts", "tasks": { "test": "deno test --allow-read" } }\n`,
    "mod.ts": `export { twice } from "./src/twice.ts";\n`,
    "main.ts": `import { twice } from "./src/twice.ts";\nconsole.log(twice(21));\n`,
    "src/twice.ts": "export function twice(n: number): number {\n  return 2 * n;\n}\n",
    "src/twice_test.ts": `import { twice } from "./twice.ts";
Deno.test("twice", () => {
  const text = Deno.readTextFileSync("src/twice.ts");
  if (text === "" || twice(2) !== 4) throw new Error("twice");
});
`,
  }, async (root) => {
    const init = await cliWithEnv({ NO_COLOR: "1" }, root, "init");
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /Wrote .*build\.ts: @check, @test, @lint, @fmt, _build\/main\.js/);
    const text = await Deno.readTextFile(join(root, "build.ts"));
    assert.match(text, /deno\.check\(\["mod\.ts", "main\.ts"\]\)/);
    assert.match(text, /deno\.test\(\["src\/"\], \{ flags: \["--allow-read"\] \}\)/);

    // It builds at once, type-checked, and its own fmt and lint rules pass on it.
    const built = await cliWithEnv({ NO_COLOR: "1", BARCHAN_CHECK: "on" }, root, "build");
    assert.equal(built.code, 0, built.stderr);
    for (const alias of ["@check", "@test", "@lint", "@fmt"]) {
      assert.match(built.stderr, new RegExp(`^passed ${alias}: `, "m"));
    }
    assert.match(await Deno.readTextFile(join(root, "_build/main.js")), /twice/);
    const again = await cliWithEnv({ NO_COLOR: "1", BARCHAN_CHECK: "on" }, root, "build");
    assert.match(again.stderr, /Done: 0 actions ran/);

    const twice = await cliWithEnv({ NO_COLOR: "1" }, root, "init");
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /build\.ts exists already/);
  });
});

Deno.test("init in a directory of C sources writes objects with depfiles and a link", async () => {
  await withProject({
    "app/src/main.c": `#include "util.h"\nint main(void) { return util() - 3; }\n`,
    "app/src/util.c":
      `#include "util.h"\n#include "../include/config.h"\nint util(void) { return VALUE; }\n`,
    "app/src/util.h": "int util(void);\n",
    "app/include/config.h": "#define VALUE 3\n",
  }, async (parent) => {
    const root = join(parent, "app");
    const init = await cliWithEnv({ NO_COLOR: "1" }, root, "init");
    assert.equal(init.code, 0, init.stderr);
    const built = await cliWithEnv({ NO_COLOR: "1" }, root, "build");
    assert.equal(built.code, 0, built.stderr);
    assert.equal((await new Deno.Command(join(root, "_build/app")).output()).code, 0);
    // A header included from another directory is a dependency of the object that includes it.
    await Deno.writeTextFile(join(root, "include/config.h"), "#define VALUE 4\n");
    const rebuilt = await cliWithEnv({ NO_COLOR: "1" }, root, "build", "--explain");
    assert.match(rebuilt.stderr, /_build\/src\/util\.o: dep include\/config\.h changed/);
    assert.doesNotMatch(rebuilt.stderr, /main\.o:/);
    assert.equal((await new Deno.Command(join(root, "_build/app")).output()).code, 1);
  });
});
