// How many dependencies of one rule are in progress at once: bounded, so
// that a cold build does not hold every rule of a wide graph suspended.

import assert from "node:assert/strict";
import { buildOk, IMPORT, withProject } from "../_util.ts";

const PROJECT = IMPORT + `
const state = (globalThis as { fanOut?: { running: number; peak: number } }).fanOut ??=
  { running: 0, peak: 0 };
const parts = Array.from({ length: 100 }, (_, i) => "out/" + i + ".txt");
for (const part of parts) {
  rule({
    targets: part,
    action: async (ctx) => {
      state.peak = Math.max(state.peak, ++state.running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      await ctx.writeText(part, part);
      state.running--;
    },
  });
}
rule({ targets: "all.txt", deps: parts, action: write("all.txt", "all") });
`;

Deno.test("a rule's dependencies are built at most 16 at a time with -j 1 and 4 per job slot above", async () => {
  for (const [jobs, bound] of [[1, 16], [8, 32]]) {
    await withProject({ "build.ts": PROJECT }, async (root) => {
      const state = { running: 0, peak: 0 };
      (globalThis as { fanOut?: typeof state }).fanOut = state;
      try {
        const built = await buildOk(root, ["all.txt"], jobs);
        assert.equal(built.ran.length, 101);
        assert.equal(state.peak, bound, `-j ${jobs}`);
      } finally {
        delete (globalThis as { fanOut?: typeof state }).fanOut;
      }
    });
  }
});
