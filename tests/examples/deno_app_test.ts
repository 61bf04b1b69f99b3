// examples/deno-app: a TypeScript app and library built from clean with the
// deno helpers, and which rules an edit reruns (their module graphs say).

import assert from "node:assert/strict";
import { join } from "node:path";
import { buildOk, MOD, withOwnCache } from "../rules/_util.ts";

/** Copies examples/deno-app into a temp dir, its build.ts importing this checkout's mod.ts. */
async function copyExample(): Promise<string> {
  const from = new URL("../../examples/deno-app/", import.meta.url).pathname;
  const to = await Deno.makeTempDir({ prefix: "barchan-example-deno-app-" });
  const copyTree = async (src: string, dst: string) => {
    for await (const entry of Deno.readDir(src)) {
      if (entry.name === "_build") continue;
      if (entry.isDirectory) {
        await Deno.mkdir(join(dst, entry.name));
        await copyTree(join(src, entry.name), join(dst, entry.name));
      } else await Deno.copyFile(join(src, entry.name), join(dst, entry.name));
    }
  };
  await copyTree(from, to);
  const buildTs = join(to, "build.ts");
  const text = await Deno.readTextFile(buildTs);
  await Deno.writeTextFile(buildTs, text.replace(`"../../mod.ts"`, JSON.stringify(MOD)));
  return to;
}

/** The commands of the rules a build ran, sorted. */
async function ranCommands(root: string, targets: string[] = []): Promise<string[]> {
  return (await buildOk(root, targets)).started.map((event) => event.command).sort();
}

async function edit(root: string, path: string, line = "// edited\n"): Promise<void> {
  await Deno.writeTextFile(join(root, path), line, { append: true });
}

const CHECK = "deno check app/main.ts lib/mod.ts";
const TEST_APP = "deno test app/";
const TEST_LIB = "deno test lib/";
const LINT = "deno lint app/ lib/ tools/";
const FMT = "deno fmt --check app/ lib/ tools/ deno.json";
const BUNDLE = "deno bundle -o _build/greeter.js app/main.ts";
const DOC = "deno doc --json lib/mod.ts > _build/lib-doc.json";
const VERSION = "deno run tools/gen_version.ts version.json _build/gen/version.ts";

Deno.test("examples/deno-app builds from clean: checked, tested, bundled, documented", async () => {
  const root = await copyExample();
  try {
    await withOwnCache(async () => {
      assert.deepEqual(
        await ranCommands(root),
        [BUNDLE, CHECK, DOC, FMT, LINT, VERSION, TEST_APP, TEST_LIB].sort(),
      );
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", join(root, "_build/greeter.js"), "ada lovelace"],
      }).output();
      assert.equal(new TextDecoder().decode(run.stdout), "Hello, Ada Lovelace (greeter 1.2.0)\n");
      assert.match(await Deno.readTextFile(join(root, "_build/lib-doc.json")), /"titleCase"/);
      assert.deepEqual(await ranCommands(root), []);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("examples/deno-app: an edit reruns exactly the rules whose module graphs hold it", async () => {
  const root = await copyExample();
  try {
    await withOwnCache(async () => {
      await buildOk(root);
      // Imported by nothing: nothing runs.
      await edit(root, "old/legacy.ts");
      assert.deepEqual(await ranCommands(root), []);
      // The app's greeting: the app's check, tests and bundle; lint and fmt see every file.
      await edit(root, "app/greeting.ts");
      assert.deepEqual(await ranCommands(root), [BUNDLE, CHECK, FMT, LINT, TEST_APP].sort());
      // The library, which the app imports: both tests, and the library's docs.
      await edit(root, "lib/text.ts");
      assert.deepEqual(
        await ranCommands(root),
        [BUNDLE, CHECK, DOC, FMT, LINT, TEST_APP, TEST_LIB].sort(),
      );
      // The generated module's source: the module, then what imports it.
      await Deno.writeTextFile(
        join(root, "version.json"),
        `{ "name": "greeter", "version": "1.3.0" }\n`,
      );
      assert.deepEqual(await ranCommands(root), [BUNDLE, CHECK, VERSION].sort());
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("examples/deno-app compiles with the runtime DENORT_BIN names", async () => {
  const root = await copyExample();
  const before = Deno.env.get("DENORT_BIN");
  // The installed deno stands in for the runtime Deno would download.
  Deno.env.set("DENORT_BIN", Deno.execPath());
  try {
    await withOwnCache(async () => {
      await buildOk(root, ["@compile"]);
      const info = await Deno.stat(join(root, "_build/greeter"));
      assert.ok(info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0);
    });
  } finally {
    if (before === undefined) Deno.env.delete("DENORT_BIN");
    else Deno.env.set("DENORT_BIN", before);
    await Deno.remove(root, { recursive: true });
  }
});
