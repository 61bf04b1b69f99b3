// The rule cache: the project it gives back is the one build.ts defined,
// each rule's dependencies and action read from its own line when asked.

import assert from "node:assert/strict";
import { join } from "node:path";
import { Builder } from "../../../rules/run/builder.ts";
import { RULE_CACHE_FILE, STATE_DIR } from "../../../rules/state.ts";
import {
  projectFromCache,
  readRuleCache,
  ruleCacheOf,
  writeRuleCache,
} from "../../../rules/run/rule_cache.ts";
import type { Project } from "../../../rules/project/project.ts";
import { IMPORT, withProject } from "../_util.ts";

const BUILD_TS = IMPORT + `
const one = rule({ targets: "out/one.txt", deps: "src/a.txt", action: run("cp", "src/a.txt", "out/one.txt") });
rule({ targets: ["out/x.txt", "out/y.txt"], deps: [one, "src/*.txt"], action: sh("touch out/x.txt out/y.txt") });
rule({ alias: "check", deps: ["@other", "out/x.txt"], action: sh("test -f out/x.txt") });
rule({ alias: "check", action: sh("true") });
rule({ targets: "out/w.txt", alias: "other", action: write("out/w.txt", "tab\\there, \\"quotes\\"\\n") });
alias("all", ["out/one.txt", "@check"]);
`;

/** What a project's rules and aliases are, as plain data. */
function describe(project: Project) {
  return {
    rules: [...project.rules.values()].map((r) => ({
      id: r.id,
      targets: [...r.targets],
      deps: r.deps,
      action: r.action instanceof Function ? "function" : r.action.spec,
      alias: r.alias,
      spec: r.spec,
    })),
    producers: [...project.producers.keys()],
    aliases: [...project.aliases.values()].map((a) => ({ ...a, site: undefined })),
  };
}

Deno.test("the cached project has the rules, dependencies, actions and aliases build.ts defined", async () => {
  await withProject({ "build.ts": BUILD_TS, "src/a.txt": "a" }, async (root) => {
    const builder = await Builder.open({ root });
    try {
      const loaded = await builder.load();
      const stateDir = join(root, STATE_DIR);
      const cache = ruleCacheOf(loaded, [join(root, "build.ts")], [])!;
      writeRuleCache(stateDir, cache);
      const lines = (await Deno.readTextFile(join(stateDir, RULE_CACHE_FILE))).split("\n");
      assert.equal(lines.length, 1 + loaded.rules.size, "a first line, then a line per rule");
      const read = readRuleCache(stateDir, cache.id)!;
      assert.deepEqual(read.modules, [join(root, "build.ts")]);
      assert.deepEqual(describe(projectFromCache(read, root, builder.file)), describe(loaded));
      assert.equal(readRuleCache(stateDir, "another id"), undefined);
      // A cut file (a body line missing) is no cache.
      await Deno.writeTextFile(join(stateDir, RULE_CACHE_FILE), lines.slice(0, -1).join("\n"));
      assert.equal(readRuleCache(stateDir, cache.id), undefined);
    } finally {
      builder.close();
    }
  });
});
