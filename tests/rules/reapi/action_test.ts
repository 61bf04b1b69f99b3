import assert from "node:assert/strict";
import {
  type ActionSpec,
  buildAction,
  decodeAction,
  decodeCommand,
  type Digest,
  sha256Digest,
} from "../../../rules/reapi/mod.ts";
import { python, pythonMissing, toHex } from "./_python.ts";

const ignore = pythonMissing !== undefined;
const utf8 = (s: string) => new TextEncoder().encode(s);

async function fileOf(path: string, text: string, isExecutable = false) {
  return { path, digest: await sha256Digest(utf8(text)), isExecutable };
}

async function compileSpec(): Promise<ActionSpec> {
  return {
    arguments: ["cc", "-O2", "-c", "src/a.c", "-o", "out/a.o"],
    environment: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", "😀": "x", "\uff61": "y", EMPTY: "" },
    outputPaths: ["out/a.o", "out/a.d", "out/a.o"],
    workingDirectory: "build/debug",
    platform: [
      { name: "OSFamily", value: "linux" },
      { name: "ISA", value: "x86-64" },
      { name: "ISA", value: "aarch64" },
    ],
    inputs: [
      await fileOf("build/debug/src/a.c", "int main() { return 0; }\n"),
      await fileOf("build/debug/include/a.h", "#pragma once\n"),
      await fileOf("tools/cc-wrapper", '#!/bin/sh\nexec cc "$@"\n', true),
    ],
    salt: "barchan/1 main",
    timeoutMs: 90_500,
    doNotCache: true,
  };
}

interface PythonAction {
  command: string;
  action: string;
  actionDigest: Digest;
}

async function assertSameAsPython(spec: ActionSpec): Promise<void> {
  const built = await buildAction(spec);
  const theirs = await python<PythonAction>("action", {
    ...spec,
    platform: Array.isArray(spec.platform)
      ? spec.platform
      : Object.entries(spec.platform ?? {}).map(([name, value]) => ({ name, value })),
    inputs: (spec.inputs ?? []).map((f) => ({
      path: f.path,
      hash: f.digest.hash,
      size: f.digest.sizeBytes,
      executable: f.isExecutable ?? false,
    })),
  });
  assert.equal(toHex(built.command), theirs.command);
  assert.equal(toHex(built.action), theirs.action);
  assert.deepEqual(built.actionDigest, theirs.actionDigest);
}

Deno.test({
  name: "buildAction() gives the Command, Action and digest Python builds from the same spec",
  ignore,
  async fn() {
    await assertSameAsPython(await compileSpec());
    await assertSameAsPython({ arguments: ["true"] });
    await assertSameAsPython({
      arguments: ["sh", "-c", "echo hi > out"],
      outputPaths: ["out"],
      platform: { "container-image": "docker://debian:12" },
      timeoutMs: 1,
    });
  },
});

Deno.test("buildAction() sorts what REAPI requires sorted, by code point", async () => {
  const built = await buildAction(await compileSpec());
  const command = decodeCommand(built.command);
  assert.deepEqual(
    command.environmentVariables.map((v) => v.name),
    ["EMPTY", "LANG", "PATH", "\uff61", "😀"],
  );
  assert.deepEqual(command.outputPaths, ["out/a.d", "out/a.o"]);
  assert.deepEqual(command.platform?.properties, [
    { name: "ISA", value: "aarch64" },
    { name: "ISA", value: "x86-64" },
    { name: "OSFamily", value: "linux" },
  ]);
  const action = decodeAction(built.action);
  assert.deepEqual(action.platform, command.platform);
  assert.deepEqual(action.timeout, { seconds: 90, nanos: 500_000_000 });
  assert.deepEqual(action.salt, utf8("barchan/1 main"));
  assert.equal(action.doNotCache, true);
  assert.deepEqual(action.commandDigest, built.commandDigest);
  assert.deepEqual(action.inputRootDigest, built.inputRoot.root);
});

Deno.test("buildAction() returns every blob under the digest of its bytes", async () => {
  const built = await buildAction(await compileSpec());
  assert.equal(built.blobs.get(built.actionDigest.hash), built.action);
  assert.equal(built.blobs.get(built.commandDigest.hash), built.command);
  for (const [hash, bytes] of built.inputRoot.directories) {
    assert.equal(built.blobs.get(hash), bytes);
  }
  for (const [hash, bytes] of built.blobs) {
    assert.equal((await sha256Digest(bytes)).hash, hash);
  }
});

Deno.test("buildAction() creates the working directory in the input root even with no file in it", async () => {
  const withDir = await buildAction({ arguments: ["pwd"], workingDirectory: "a/b" });
  const without = await buildAction({ arguments: ["pwd"] });
  assert.notDeepEqual(withDir.inputRoot.root, without.inputRoot.root);
  assert.equal(withDir.inputRoot.directories.size, 3);
});

Deno.test("buildAction() gives another key when anything the command sees changes", async () => {
  const spec = await compileSpec();
  const key = (await buildAction(spec)).actionDigest;
  const changes: [string, ActionSpec][] = [
    ["an argument", { ...spec, arguments: [...spec.arguments, "-g"] }],
    ["an environment value", { ...spec, environment: { ...spec.environment, LANG: "C" } }],
    ["an output path", { ...spec, outputPaths: ["out/a.o"] }],
    ["the working directory", { ...spec, workingDirectory: "build" }],
    ["a platform property", { ...spec, platform: [{ name: "OSFamily", value: "linux" }] }],
    ["an input's content", {
      ...spec,
      inputs: [
        await fileOf("build/debug/src/a.c", "int main() { return 1; }\n"),
        ...spec.inputs!.slice(1),
      ],
    }],
    ["an input's mode", {
      ...spec,
      inputs: spec.inputs!.map((f) => ({ ...f, isExecutable: !f.isExecutable })),
    }],
    ["an empty input directory", { ...spec, inputDirectories: ["tmp"] }],
    ["the salt", { ...spec, salt: "barchan/1 pr-12" }],
    ["the salt as bytes", { ...spec, salt: new Uint8Array([1]) }],
    ["the timeout", { ...spec, timeoutMs: 90_501 }],
    ["doNotCache", { ...spec, doNotCache: false }],
  ];
  const seen = new Set([key.hash]);
  for (const [what, changed] of changes) {
    const other = (await buildAction(changed)).actionDigest;
    assert.ok(!seen.has(other.hash), `changing ${what} gave a key seen before`);
    seen.add(other.hash);
  }
  // The same spec, rebuilt, and the same output listed once: the same key.
  assert.deepEqual((await buildAction(await compileSpec())).actionDigest, key);
  assert.deepEqual(
    (await buildAction({ ...spec, outputPaths: ["out/a.d", "out/a.o"] })).actionDigest,
    key,
  );
});

Deno.test("buildAction() treats a zero timeout, an empty salt and no platform as absent", async () => {
  const plain = await buildAction({ arguments: ["true"] });
  const explicit = await buildAction({
    arguments: ["true"],
    timeoutMs: 0,
    salt: "",
    platform: {},
    doNotCache: false,
    environment: {},
    outputPaths: [],
  });
  assert.deepEqual(explicit.actionDigest, plain.actionDigest);
});

Deno.test("buildAction() refuses what REAPI cannot express", async () => {
  await assert.rejects(buildAction({ arguments: [] }), /without arguments/);
  await assert.rejects(buildAction({ arguments: ["a\0b"] }), /contains NUL/);
  await assert.rejects(buildAction({ arguments: ["env"], environment: { "A=B": "1" } }), /"A=B"/);
  await assert.rejects(
    buildAction({ arguments: ["env"], environment: { "": "1" } }),
    /environment/,
  );
  await assert.rejects(
    buildAction({ arguments: ["x"], outputPaths: ["/abs"] }),
    /output path "\/abs"/,
  );
  await assert.rejects(buildAction({ arguments: ["x"], outputPaths: ["../up"] }), /output path/);
  await assert.rejects(
    buildAction({ arguments: ["x"], workingDirectory: "a/" }),
    /working directory "a\/"/,
  );
  await assert.rejects(buildAction({ arguments: ["x"], platform: { "": "v" } }), /no name/);
  await assert.rejects(buildAction({ arguments: ["x"], timeoutMs: 1.5 }), /whole milliseconds/);
  await assert.rejects(buildAction({ arguments: ["x"], timeoutMs: -1 }), /whole milliseconds/);
});
