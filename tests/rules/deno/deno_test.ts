// The deno actions and moduleGraph() in builds: each depends on the module graph of its entries (or the
// files under its paths), so that an edit reruns exactly the rules whose
// graphs contain the file; deno.run's permissions are its rule's.

import assert from "node:assert/strict";
import { join } from "node:path";
import { buildIn, buildOk, MOD, readMaybe, withProject } from "../_util.ts";

const IMPORT_DENO = `import { alias, deno, rule, write } from "${MOD}";\n`;

/** A rule id as a test names it: an alias rule by its alias. */
function short(id: string): string {
  return id.startsWith("@") ? id.split("/")[0] : id;
}

/** Appends a comment to a file: an edit that changes no import. */
async function touchUp(root: string, path: string): Promise<void> {
  await Deno.writeTextFile(join(root, path), "// edited\n", { append: true });
}

Deno.test("deno actions rerun exactly the rules whose module graphs contain an edited module", async () => {
  await withProject({
    "deno.json": "{}",
    "build.ts": IMPORT_DENO + `
rule({ alias: "check", action: deno.check(["src/main.ts"]) });
rule({ alias: "test", action: deno.test(["src/"]) });
const app = rule({ action: deno.bundle("src/main.ts", "_build/app.js") });
const doc = rule({ action: deno.doc(["src/util.ts"], "_build/util.json") });
alias("default", ["@check", "@test", app, doc]);
`,
    "src/main.ts": `import { greet } from "./app.ts";\nconsole.log(greet("you"));\n`,
    "src/app.ts": "export function greet(name: string): string {\n  return `hi ${name}`;\n}\n",
    "src/util.ts":
      "/** Twice. */\nexport function twice(n: number): number {\n  return 2 * n;\n}\n",
    "src/util_test.ts": `import { twice } from "./util.ts";
Deno.test("twice", () => {
  if (twice(2) !== 4) throw new Error("twice(2) is not 4");
});
`,
    "src/old.ts": "export const old = 1;\n",
  }, async (root) => {
    const first = await buildOk(root);
    assert.deepEqual(first.ranIds.map(short).sort(), [
      "@check",
      "@test",
      "_build/app.js",
      "_build/util.json",
    ]);
    assert.match((await readMaybe(root, "_build/app.js"))!, /hi \$\{name\}/);
    assert.match((await readMaybe(root, "_build/util.json"))!, /"twice"/);

    await touchUp(root, "src/old.ts");
    assert.deepEqual((await buildOk(root)).ranIds, []);

    await touchUp(root, "src/app.ts");
    const app = await buildOk(root);
    assert.deepEqual(app.ranIds.map(short), ["@check", "_build/app.js"]);

    await touchUp(root, "src/util.ts");
    const util = await buildOk(root);
    assert.deepEqual(util.ranIds.map(short), ["@test", "_build/util.json"]);

    // An import added to a module: the graph changes, and so do the rules' dependencies.
    await Deno.writeTextFile(
      join(root, "src/app.ts"),
      `import "./old.ts";\nexport const greet = (n: string) => n;\n`,
    );
    await buildOk(root);
    await touchUp(root, "src/old.ts");
    const old = await buildOk(root);
    assert.deepEqual(old.ranIds.map(short), ["@check", "_build/app.js"]);
  });
});

Deno.test("deno.lint and deno.fmt depend on the files under their paths and the configuration", async () => {
  await withProject({
    "deno.json": `{ "fmt": { "lineWidth": 100 } }`,
    "build.ts": IMPORT_DENO + `
rule({ alias: "lint", action: deno.lint(["src/"]) });
rule({ alias: "fmt", action: deno.fmt(["src/"]) });
`,
    "src/a.ts": "export const a = 1;\n",
    "tools/b.ts": "export const b = 1;\n",
  }, async (root) => {
    await buildOk(root, ["@lint", "@fmt"]);
    await Deno.writeTextFile(join(root, "tools/b.ts"), "export const b = 2;\n");
    assert.deepEqual((await buildOk(root, ["@lint", "@fmt"])).ranIds, []);
    await Deno.writeTextFile(join(root, "src/new.ts"), "export const c = 3;\n");
    assert.equal((await buildOk(root, ["@lint", "@fmt"])).ranIds.length, 2);
    await Deno.writeTextFile(join(root, "deno.json"), `{ "fmt": { "lineWidth": 80 } }`);
    assert.equal((await buildOk(root, ["@lint", "@fmt"])).ranIds.length, 2);
    await Deno.writeTextFile(join(root, "src/a.ts"), "export const a  =  1\n");
    const failed = await buildIn(root, ["@fmt"]);
    assert.equal(failed.ok, false);
    assert.match(failed.failed[0].message, /deno fmt --check src\//);
  });
});

Deno.test("deno.run gives the script its dependencies to read and its targets to write, nothing else", async () => {
  await withProject({
    "build.ts": IMPORT_DENO + `
rule({
  targets: "_build/out.txt",
  deps: ["data.txt"],
  action: deno.run("copy.ts", ["data.txt", "_build/out.txt"]),
});
rule({ alias: "reads", action: deno.run("read.ts", ["secret.txt"]) });
rule({ targets: "_build/one.txt", action: deno.run("copy.ts", ["data.txt", "_build/other.txt"]) });
rule({ alias: "env", action: deno.run("env.ts") });
rule({ alias: "env-granted", action: deno.run("env.ts", [], { permissions: { env: ["HOME"] } }) });
`,
    "copy.ts": "Deno.writeTextFileSync(Deno.args[1], Deno.readTextFileSync(Deno.args[0]));\n",
    "read.ts": "console.log(Deno.readTextFileSync(Deno.args[0]));\n",
    "env.ts": `console.log(Deno.env.get("HOME") === undefined ? "unset" : "set");\n`,
    "data.txt": "data\n",
    "secret.txt": "secret\n",
  }, async (root) => {
    await buildOk(root, ["_build/out.txt", "@env-granted"]);
    assert.equal(await readMaybe(root, "_build/out.txt"), "data\n");

    const reads = await buildIn(root, ["@reads"]);
    assert.match(
      reads.failed[0].message,
      /the script read "secret\.txt", which is not among the rule's dependencies: add it to deps/,
    );
    const writes = await buildIn(root, ["_build/one.txt"]);
    assert.match(
      writes.failed[0].message,
      /the script (read "data\.txt"|wrote "_build\/other\.txt")/,
    );
    const envs = await buildIn(root, ["@env"]);
    assert.match(
      envs.failed[0].message,
      /needs env access to "HOME".*permissions: \{ env: \[\.\.\.\] \}/,
    );
  });
});

Deno.test("deno.run writing a file that is not a target fails naming it", async () => {
  await withProject({
    "build.ts": IMPORT_DENO + `
rule({ targets: "_build/a.txt", action: deno.run("write.ts") });
`,
    "write.ts":
      `Deno.writeTextFileSync("_build/a.txt", "a");\nDeno.writeTextFileSync("main.c", "gone");\n`,
    "main.c": "int main(void) { return 0; }\n",
  }, async (root) => {
    const result = await buildIn(root, ["_build/a.txt"]);
    assert.match(
      result.failed[0].message,
      /the script wrote "main\.c", which is not one of the rule's targets/,
    );
    assert.equal(await readMaybe(root, "main.c"), "int main(void) { return 0; }\n");
  });
});

Deno.test("a module generated by a rule is built before the graph that imports it is read", async () => {
  await withProject({
    "build.ts": IMPORT_DENO + `
const version = (await Deno.readTextFile(new URL("./version.txt", import.meta.url))).trim();
rule({ action: write("src/version.ts", \`export const version = "\${version}";\\n\`) });
rule({ alias: "check", action: deno.check(["src/main.ts"]) });
`,
    "version.txt": "1.0\n",
    "src/main.ts":
      `import { version } from "./version.ts";\nconst v: string = version;\nconsole.log(v);\n`,
  }, async (root) => {
    const first = await buildOk(root, ["@check"]);
    assert.deepEqual(
      first.ranIds.map(short),
      ["@check", "src/version.ts"].sort(),
    );
    await Deno.writeTextFile(join(root, "version.txt"), "2.0\n");
    const second = await buildOk(root, ["@check"]);
    assert.deepEqual(second.ranIds.map(short).sort(), [
      "@check",
      "src/version.ts",
    ]);
  });
});

Deno.test("deno.bundle's output is its rule's target, and one elsewhere is an error", async () => {
  await withProject({
    "build.ts": IMPORT_DENO + `
rule({ action: deno.bundle("main.ts", "_build/a.js") });
rule({ targets: "_build/b.js", action: deno.bundle("main.ts", "_build/elsewhere.js") });
`,
    "main.ts": "console.log(1);\n",
  }, async (root) => {
    await buildOk(root, ["_build/a.js"]);
    const wrong = await buildIn(root, ["_build/b.js"]);
    assert.match(
      wrong.failed[0].message,
      /writes "_build\/elsewhere\.js", which is not one of the rule's targets/,
    );
  });
});

Deno.test("deno.compile builds an executable with the runtime DENORT_BIN names", async () => {
  await withProject({
    "build.ts": IMPORT_DENO + `
rule({ action: deno.compile("main.ts", "_build/app", { env: { DENORT_BIN: ${
      JSON.stringify(Deno.execPath())
    } } }) });
`,
    "main.ts": "console.log(1);\n",
  }, async (root) => {
    await buildOk(root, ["_build/app"]);
    const info = await Deno.stat(join(root, "_build/app"));
    assert.ok(info.size > 0 && ((info.mode ?? 0o111) & 0o111) !== 0);
  });
});

Deno.test("a module edited while deno test ran makes the action run again", async () => {
  await withProject({
    "build.ts": IMPORT_DENO + `
rule({ alias: "test", action: deno.test(["edits_test.ts"], { flags: ["--allow-read", "--allow-write"] }) });
`,
    "lib.ts": "export const lib = 1;\n",
    "edits_test.ts": `import { lib } from "./lib.ts";
Deno.test("edits the module it imports, once", () => {
  Deno.writeTextFileSync("runs.log", "run\\n", { append: true });
  const text = Deno.readTextFileSync("lib.ts");
  if (!text.includes("edited")) Deno.writeTextFileSync("lib.ts", text + "// edited\\n");
  if (lib !== 1) throw new Error("lib");
});
`,
  }, async (root) => {
    await buildOk(root, ["@test"]);
    assert.equal(await readMaybe(root, "runs.log"), "run\nrun\n");
    assert.deepEqual((await buildOk(root, ["@test"])).ranIds, []);
  });
});

Deno.test("moduleGraph() in a build builds a generated module before reading its imports", async () => {
  await withProject({
    "build.ts": `import { moduleGraph, rule, write } from "${MOD}";
rule({ action: write("gen/version.ts", 'import "../src/extra.ts"; export const version = "1";\\n') });
rule({
  targets: "graph.json",
  action: async (ctx) => ctx.writeText("graph.json", JSON.stringify(await moduleGraph("src/main.ts"))),
});
`,
    "src/main.ts": `import { version } from "../gen/version.ts";\nconsole.log(version);\n`,
    "src/extra.ts": "export {};\n",
  }, async (root) => {
    await buildOk(root, ["graph.json"]);
    const graph = JSON.parse(await Deno.readTextFile(join(root, "graph.json")));
    assert.deepEqual(graph.modules, ["gen/version.ts", "src/extra.ts", "src/main.ts"]);
  });
});
