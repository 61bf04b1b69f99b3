// Make-style depfiles: what gcc, clang and other tools write, and the
// dependencies needDepfile makes of them.

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseDepfile } from "../../../rules/command/depfile.ts";
import { buildOk, MOD, withProject } from "../_util.ts";

Deno.test("parseDepfile() reads continuation lines, escaped spaces and several targets", () => {
  const text = [
    "out/a.o out/a.d: src/a.c src/my\\ dir/x.h \\",
    "  src/cost\\#1.h src/$$HOME.h \\",
    "\tsrc/c\\:d.h",
    "",
  ].join("\n");
  assert.deepEqual(parseDepfile(text), {
    targets: ["out/a.o", "out/a.d"],
    deps: ["src/a.c", "src/my dir/x.h", "src/cost#1.h", "src/$HOME.h", "src/c:d.h"],
  });
});

Deno.test("parseDepfile() takes several rules (gcc -MP), comments and CRLF line ends, each file once", () => {
  const text = "# written by a tool\r\na.o: a.c a.h b.h\r\nb.o: b.c b.h\r\na.h:\r\nb.h:\r\n";
  assert.deepEqual(parseDepfile(text), {
    targets: ["a.o", "b.o", "a.h", "b.h"],
    deps: ["a.c", "a.h", "b.h", "b.c"],
  });
});

Deno.test("parseDepfile() keeps a Windows drive's colon in a path and rejects a line without a rule", () => {
  assert.deepEqual(parseDepfile("C:\\out\\a.o: C:\\src\\a.c\n").deps, ["C:\\src\\a.c"]);
  assert.throws(() => parseDepfile("a.o a.c\n"), /line 1 has no ":"/);
});

Deno.test("needDepfile() makes every header a compiler read, at any depth, a dependency", async () => {
  await withProject({
    "build.ts": `import { needDepfile, rule } from "${MOD}";
rule({
  targets: ["_build/a.o", "_build/a.o.d"],
  deps: ["a.c"],
  action: async (ctx) => {
    await ctx.run("cc", ["-MMD", "-MF", "_build/a.o.d", "-c", "a.c", "-o", "_build/a.o"]);
    await needDepfile(ctx, "_build/a.o.d");
  },
});
`,
    "a.c": '#include "inc/one.h"\nint a(void) { return ONE; }\n',
    "inc/one.h": '#include "two.h"\n#define ONE TWO\n',
    "inc/two.h": "#define TWO 2\n",
    "inc/unused.h": "#define UNUSED 0\n",
  }, async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(join(root, "inc/unused.h"), "#define UNUSED 1\n");
    assert.deepEqual((await buildOk(root)).ranIds, []);
    await Deno.writeTextFile(join(root, "inc/two.h"), "#define TWO 3\n");
    assert.deepEqual((await buildOk(root)).ranIds, ["_build/a.o"]);
  });
});
