// Dependency cycles through aliases and rules, as the command line reports
// them: each alias and rule in the cycle with its build.ts location, once,
// and exit 1 (not a stack overflow, not a hang).

import assert from "node:assert/strict";
import { cli, IMPORT, readMaybe, withProject } from "../_util.ts";

const PROJECT = IMPORT + `
rule({ targets: "x.txt", action: write("x.txt", "x") });
alias("all", ["@all", "x.txt"]);
alias("a", ["@b"]);
alias("b", ["y.txt"]);
rule({ targets: ["y.txt", "y2.txt"], deps: ["@a"], action: sh("touch y.txt y2.txt") });
rule({ targets: "f.txt", action: async (ctx) => { await ctx.need("g.txt"); } });
rule({ targets: "g.txt", deps: ["f.txt"], action: write("g.txt", "g") });
`;

/** The lines of a message from its first line on, trimmed. */
function linesFrom(text: string, first: string): string[] {
  const at = text.indexOf(first);
  assert.ok(at >= 0, `no "${first}" in:\n${text}`);
  return text.slice(at).split("\n").map((l) => l.trim());
}

Deno.test("an alias that contains itself is a cycle error naming it and its build.ts line", async () => {
  await withProject({ "build.ts": PROJECT }, async (root) => {
    const result = await cli(root, "build", "@all");
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(linesFrom(result.stderr, "Dependency cycle:").slice(0, 4), [
      "Dependency cycle:",
      "alias @all (build.ts:4)",
      "-> alias @all (build.ts:4)",
      "It depends on itself: remove it from its own dependencies.",
    ]);
    assert.equal(result.stderr.split("Dependency cycle").length, 2, "said once");
    assert.doesNotMatch(result.stderr, /RangeError|stack size/);
  });
});

Deno.test("a cycle through aliases and a rule with several targets lists each with its line", async () => {
  await withProject({ "build.ts": PROJECT }, async (root) => {
    const result = await cli(root, "build", "@a");
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(linesFrom(result.stderr, "Dependency cycle:").slice(0, 6), [
      "Dependency cycle:",
      "rule y.txt (build.ts:7)",
      "-> alias @a (build.ts:5)",
      "-> alias @b (build.ts:6)",
      "-> rule y.txt (build.ts:7)",
      "Each depends on the next: remove one of these dependencies.",
    ]);
    assert.equal(await readMaybe(root, "y.txt"), undefined);
  });
});

Deno.test("a cycle closed by ctx.need in a function action lists each rule with its line", async () => {
  await withProject({ "build.ts": PROJECT }, async (root) => {
    const result = await cli(root, "build", "g.txt");
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.split("Dependency cycle").length, 2, "said once");
    assert.deepEqual(linesFrom(result.stderr, "Dependency cycle:").slice(0, 4), [
      "Dependency cycle:",
      "rule f.txt (build.ts:8)",
      "-> rule g.txt (build.ts:9)",
      "-> rule f.txt (build.ts:8)",
    ]);
  });
});
