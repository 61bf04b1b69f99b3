// The `remote` and `platform` rule options and defaultPlatform(): what they
// change in a rule's spec, and how a command runs under a platform.

import assert from "node:assert/strict";
import { buildIn, buildOk, MOD, readMaybe, withProject } from "../_util.ts";
import { PLATFORM_PATH } from "../../../rules/command/platform.ts";
import { type RuleSpec, specCodec } from "../../../rules/run/specs.ts";

const IMPORT_ALL = `import { defaultPlatform, rule, sh } from "${MOD}";\n`;

Deno.test("under the project's default platform a command runs with the platform's PATH; platform: {} is this machine", async () => {
  await withProject({
    "build.ts": IMPORT_ALL + `
defaultPlatform({ OSFamily: "linux", "container-image": "docker://debian:12" });
rule({ targets: "remote.txt", action: sh("echo $PATH > remote.txt") });
rule({
  targets: "own.txt",
  action: (ctx) => ctx.sh("echo $PATH > own.txt", { env: { PATH: "/usr/bin:/bin:/opt" } }).then(() => {}),
});
rule({ targets: "here.txt", platform: {}, action: sh("echo $PATH > here.txt") });
`,
  }, async (root) => {
    await buildOk(root);
    assert.equal(await readMaybe(root, "remote.txt"), PLATFORM_PATH + "\n");
    assert.equal(await readMaybe(root, "own.txt"), "/usr/bin:/bin:/opt\n");
    assert.equal(await readMaybe(root, "here.txt"), Deno.env.get("PATH") + "\n");
  });
});

Deno.test("changing the default platform reruns the rules that take it, and only those", async () => {
  const files = (image: string) => ({
    "build.ts": IMPORT_ALL + `
defaultPlatform({ "container-image": ${JSON.stringify(image)} });
rule({ targets: "a.txt", action: sh("echo a > a.txt") });
rule({ targets: "b.txt", platform: { OSFamily: "linux" }, action: sh("echo b > b.txt") });
`,
  });
  await withProject(files("docker://one"), async (root) => {
    await buildOk(root);
    await Deno.writeTextFile(`${root}/build.ts`, files("docker://two")["build.ts"]);
    const again = await buildOk(root);
    assert.deepEqual(again.ranIds, ["a.txt"]);
  });
});

Deno.test("rule() refuses a remote option that is not a boolean and a platform that is not strings", async () => {
  await withProject({
    "build.ts": IMPORT_ALL + `
rule({ targets: "a.txt", remote: "no", action: sh("true") });
`,
  }, async (root) => {
    await assert.rejects(buildIn(root), /remote option that is not true or false/);
  });
  await withProject({
    "build.ts": IMPORT_ALL + `
rule({ targets: "a.txt", platform: { cores: 4 }, action: sh("true") });
`,
  }, async (root) => {
    await assert.rejects(buildIn(root), /platform property "cores" with value 4/);
  });
});

Deno.test("a rule spec keeps remote and platform through the store's codec; older records read as the defaults", () => {
  const spec: RuleSpec = {
    key: "k",
    id: "out.txt",
    targets: ["out.txt"],
    deps: [],
    action: { kind: "data", spec: ["sh", "true"] },
    alias: null,
    description: null,
    cache: true,
    remote: false,
    platform: { OSFamily: "linux" },
    sandbox: false,
  };
  assert.deepEqual(specCodec.decode(JSON.parse(JSON.stringify(specCodec.encode(spec)))), spec);
  const older = (specCodec.encode(spec) as unknown[]).slice(0, 9);
  const decoded = specCodec.decode(older) as RuleSpec;
  assert.equal(decoded.remote, true);
  assert.equal(decoded.platform, null);
});
