// A graph 10,000 rules deep builds, and is checked again, without
// overflowing the stack: one chain whose links take every shape of rule in
// turn (a copy with two deps, a shell command, a function action that finds
// its dependency with ctx.need, one target of a rule with several, a rule
// reached through an alias), and beside it a chain of 10,000 aliases.
//
// BARCHAN_DEEP=n builds chains n deep instead.

import assert from "node:assert/strict";
import { cli, IMPORT, readMaybe, withProject } from "../_util.ts";

const DEPTH = Number(Deno.env.get("BARCHAN_DEEP") ?? 10_000);

const BUILD_TS = IMPORT + `
const N = ${DEPTH};
const c = (i) => \`c/\${i}\`;
const here = (ctx, path) => \`\${ctx.root}/\${path}\`;
rule({ targets: c(0), deps: ["src.txt"], action: copy("src.txt", c(0)) });
for (let i = 1; i < N; i++) {
  const prev = c(i - 1);
  switch (i % 5) {
    case 0:
      rule({ targets: c(i), deps: [prev, "src.txt"], action: copy(prev, c(i)) });
      break;
    case 1:
      rule({ targets: c(i), deps: [prev], action: sh(\`cp \${prev} \${c(i)}\`) });
      break;
    case 2:
      rule({
        targets: c(i),
        action: async (ctx) => {
          await ctx.need(prev);
          await Deno.copyFile(here(ctx, prev), here(ctx, c(i)));
        },
      });
      break;
    case 3:
      rule({
        targets: [c(i) + ".log", c(i)],
        deps: [prev],
        action: async (ctx) => {
          await Deno.copyFile(here(ctx, prev), here(ctx, c(i)));
          await Deno.writeTextFile(here(ctx, c(i) + ".log"), "copied");
        },
      });
      break;
    case 4:
      alias(\`link\${i}\`, [prev]);
      rule({
        targets: c(i),
        deps: [\`@link\${i}\`],
        action: (ctx) => Deno.copyFile(here(ctx, prev), here(ctx, c(i))),
      });
      break;
  }
}
alias("a0", [c(0)]);
for (let i = 1; i < N; i++) alias(\`a\${i}\`, [\`@a\${i - 1}\`]);
`;

Deno.test(`chains of every rule shape ${DEPTH} deep build and are checked again without a stack overflow`, async () => {
  await withProject({ "build.ts": BUILD_TS, "src.txt": "sand\n" }, async (root) => {
    const last = `c/${DEPTH - 1}`;
    const first = await cli(root, "build", "-j", "2", last, `@a${DEPTH - 1}`);
    assert.equal(first.code, 0, first.stderr.slice(-2000));
    assert.match(first.stderr, new RegExp(`Done: ${DEPTH} actions ran`));
    assert.equal(await readMaybe(root, last), "sand\n");

    // Requests never built before: a new process checks each chain node by
    // node, from the store.
    for (const request of [last, `@a${DEPTH - 1}`]) {
      const again = await cli(root, "build", "-j", "2", request);
      assert.equal(again.code, 0, again.stderr.slice(-2000));
      assert.match(again.stderr, /Done: 0 actions ran/);
    }
  });
});
