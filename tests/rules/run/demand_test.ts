// Demand-driven execution: only what the requested targets need runs, in
// parallel up to -j; how a dependency is resolved (a rule's target or a
// source file) and the errors when it cannot be.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  buildIn,
  buildOk,
  fixtureFiles,
  IMPORT,
  readMaybe,
  snapshot,
  withProject,
} from "../_util.ts";

const CHAINS = IMPORT + `
for (const name of ["a", "b", "c"]) {
  rule({ targets: "gen/" + name + "1.txt", action: write("gen/" + name + "1.txt", name) });
  rule({
    targets: "gen/" + name + "2.txt",
    deps: ["gen/" + name + "1.txt"],
    action: sh("cat gen/" + name + "1.txt gen/" + name + "1.txt > gen/" + name + "2.txt"),
  });
}
`;

Deno.test("only the rules a requested target needs run", async () => {
  await withProject({ "build.ts": CHAINS }, async (root) => {
    const result = await buildOk(root, ["gen/b2.txt"]);
    assert.deepEqual(result.ranIds, ["gen/b1.txt", "gen/b2.txt"]);
    assert.deepEqual(Object.keys(await snapshot(root, ["_build", "build.ts"])), [
      "gen/b1.txt",
      "gen/b2.txt",
    ]);
    assert.equal(await readMaybe(root, "gen/b2.txt"), "bb");
  });
});

Deno.test("a dependency's action finishes before its dependent's action starts", async () => {
  await withProject({ "build.ts": CHAINS }, async (root) => {
    const result = await buildOk(root, [], 4);
    for (const name of ["a", "b", "c"]) {
      const finished = result.events.indexOf(`finish gen/${name}1.txt`);
      const started = result.events.indexOf(`start gen/${name}2.txt`);
      assert.ok(finished >= 0 && started > finished, result.events.join(", "));
    }
    assert.equal(await readMaybe(root, "gen/c2.txt"), "cc");
  });
});

/**
 * Rules that meet: each marks itself running, waits (up to 10 s) until
 * `meet` markers exist, then records how many actions are running. The
 * first count is made before any marker is removed, so it sees everyone
 * who met.
 */
function meetingRules(count: number, meet: number): string {
  return IMPORT + `
for (let i = 0; i < ${count}; i++) {
  rule({
    targets: "seen/" + i,
    action: sh(
      "mkdir -p running; touch running/" + i + "; n=0; " +
        "while [ $(ls running | wc -l) -lt ${meet} ] && [ $n -lt 500 ]; do sleep 0.02; n=$((n+1)); done; " +
        "sleep 0.05; ls running | wc -l > seen/" + i + "; rm running/" + i,
    ),
  });
}
`;
}

async function seenCounts(root: string, count: number): Promise<number[]> {
  const counts: number[] = [];
  for (let i = 0; i < count; i++) {
    counts.push(Number((await readMaybe(root, `seen/${i}`))?.trim()));
  }
  return counts;
}

Deno.test("independent actions run at the same time when -j allows it", async () => {
  await withProject({ "build.ts": meetingRules(3, 3) }, async (root) => {
    await buildOk(root, [], 3);
    const counts = await seenCounts(root, 3);
    assert.ok(counts.some((n) => n === 3), `never 3 actions at once: ${counts}`);
  });
});

Deno.test("no more actions than -j run at once", async () => {
  await withProject({ "build.ts": meetingRules(8, 1) }, async (root) => {
    await buildOk(root, [], 2);
    const counts = await seenCounts(root, 8);
    assert.ok(counts.every((n) => n <= 2), `more than 2 actions ran at once: ${counts}`);
  });
});

Deno.test("with -j 1 actions run one at a time", async () => {
  await withProject({ "build.ts": meetingRules(4, 1) }, async (root) => {
    await buildOk(root, [], 1);
    assert.deepEqual(await seenCounts(root, 4), [1, 1, 1, 1]);
  });
});

Deno.test("a dep that no rule produces must exist as a source file", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "app", deps: ["src/mian.c"], action: sh("cat src/main.c > app") });
`,
    "src/main.c": "int main;\n",
  }, async (root) => {
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    assert.deepEqual(result.failed.map((f) => [f.rule, f.message]), [[
      "app",
      'no rule to build "src/mian.c" and no such file (did you mean "src/main.c"?) ' +
      "(rule app, build.ts:3)",
    ]]);
    assert.deepEqual(result.started, [], "the action did not run");
    assert.equal(await readMaybe(root, "app"), undefined);
  });
});

Deno.test("a missing dep with no similar name gets no suggestion", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "app", deps: ["completely/elsewhere.txt"], action: sh("touch app") });
`,
  }, async (root) => {
    const result = await buildIn(root);
    assert.equal(
      result.failed[0].message,
      'no rule to build "completely/elsewhere.txt" and no such file (rule app, build.ts:3)',
    );
  });
});

Deno.test("a misspelt dep on another rule's target suggests that target", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "gen/config.h", action: write("gen/config.h", "") });
rule({ targets: "app", deps: ["gen/confg.h"], action: sh("touch app") });
`,
  }, async (root) => {
    const result = await buildIn(root, ["app"]);
    assert.match(result.failed[0].message, /\(did you mean "gen\/config.h"\?\)/);
  });
});

Deno.test("requesting a path that is neither a target nor a file is an error", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", action: write("out.txt", "") });
`,
  }, async (root) => {
    const result = await buildIn(root, ["otu.txt"]);
    assert.equal(result.ok, false);
    assert.match(result.failed[0].message, /no rule to build "otu.txt".*did you mean "out.txt"/);
    assert.deepEqual(result.started, []);
  });
});

Deno.test("requesting an existing source file builds nothing and succeeds", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", action: write("out.txt", "") });
`,
    "docs/notes.txt": "",
  }, async (root) => {
    const result = await buildOk(root, ["docs/notes.txt"]);
    assert.deepEqual(result.started, []);
  });
});

Deno.test("a requested source file is found relative to the project root, not the process's directory", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", deps: ["src/in.txt"], action: sh("cp src/in.txt out.txt") });
`,
    "src/in.txt": "in",
  }, async (root) => {
    assert.notEqual(Deno.cwd(), root);
    await buildOk(root, ["src/in.txt", "out.txt"]);
    assert.equal(await readMaybe(root, "out.txt"), "in");
  });
});

Deno.test("an unknown alias is an error with a suggestion", async () => {
  await withProject({
    "build.ts": IMPORT + `
alias("runtest", []);
`,
  }, async (root) => {
    const result = await buildIn(root, ["@runtests"]);
    assert.equal(result.ok, false);
    assert.match(result.failed[0].message, /no alias "@runtests" \(did you mean "@runtest"\?\)/);
  });
});

Deno.test("a dep that is a directory is an error that suggests a glob", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", deps: ["src"], action: sh("ls src > out.txt") });
`,
    "src/a.c": "",
  }, async (root) => {
    const result = await buildIn(root);
    assert.equal(result.ok, false);
    assert.match(result.failed[0].message, /"src" is a directory.*"src\/\*\*"/);
  });
});

Deno.test("two rules for one target is an error naming both build.ts locations", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "out.txt", action: write("out.txt", "one") });
rule({ targets: ["other.txt", "out.txt"], action: sh("touch other.txt out.txt") });
`,
  }, async (root) => {
    await assert.rejects(
      buildIn(root),
      (error: Error) => {
        assert.equal(error.name, "BuildFileError");
        assert.match(error.message, /Two rules write "out.txt"/);
        assert.match(error.message, /build\.ts:3/);
        assert.match(error.message, /build\.ts:4/);
        return true;
      },
    );
    assert.equal(await readMaybe(root, "out.txt"), undefined, "nothing was built");
  });
});

Deno.test("a dependency cycle is reported, not waited on forever", async () => {
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "a.txt", deps: ["b.txt"], action: sh("cat b.txt > a.txt") });
rule({ targets: "b.txt", deps: ["a.txt"], action: sh("cat a.txt > b.txt") });
`,
  }, async (root) => {
    const result = await buildIn(root, ["a.txt"]);
    assert.equal(result.ok, false);
    assert.match(result.failed.map((f) => f.message).join("\n"), /cycle/i);
    assert.deepEqual(result.started, []);
  });
});

Deno.test("a C program is compiled, linked and run by cc through its rules", async () => {
  await withProject(await fixtureFiles("hello"), async (root) => {
    const first = await buildOk(root);
    assert.deepEqual(first.ranIds, [
      "_build/greet.o",
      "_build/hello",
      "_build/hello.out",
      "_build/main.o",
    ]);
    assert.equal(await readMaybe(root, "_build/hello.out"), "hello from barchan\n");
    assert.deepEqual((await buildOk(root)).ranIds, []);

    const greet = join(root, "src/greet.c");
    const source = await Deno.readTextFile(greet);
    await Deno.writeTextFile(greet, source.replace("The greeting", "The one greeting"));
    assert.deepEqual(
      (await buildOk(root)).ranIds,
      ["_build/greet.o"],
      "a comment changes no object code: linking is cut off",
    );

    await Deno.writeTextFile(greet, source.replace("hello from barchan", "hi again"));
    assert.deepEqual((await buildOk(root)).ranIds, [
      "_build/greet.o",
      "_build/hello",
      "_build/hello.out",
    ]);
    assert.equal(await readMaybe(root, "_build/hello.out"), "hi again\n");

    await Deno.writeTextFile(join(root, "src/greet.h"), "const char *greeting(void);\n\n");
    assert.deepEqual(
      (await buildOk(root)).ranIds.slice(0, 2),
      ["_build/greet.o", "_build/main.o"].sort(),
      "both objects depend on the header",
    );
  });
});
