import assert from "node:assert/strict";
import { keyCommand } from "../../../rules/command/command_key.ts";
import type { InputFile } from "../../../rules/reapi/mod.ts";
import type { CommandSpec } from "../../../rules/command/command.ts";

const SPEC: CommandSpec = {
  program: "gcc",
  args: ["-c", "a.c", "-o", "_build/a.o"],
  env: {},
  cwd: "",
  outputs: ["_build/a.o"],
};
const A: InputFile = { path: "a.c", digest: { hash: "a".repeat(64), sizeBytes: 10 } };
const H: InputFile = { path: "inc/h.h", digest: { hash: "b".repeat(64), sizeBytes: 20 } };

async function key(
  spec: Partial<CommandSpec> = {},
  inputs = [A, H],
  options: Parameters<typeof keyCommand>[2] = {},
): Promise<string> {
  const built = await keyCommand({ ...SPEC, ...spec }, inputs, { ambient: {}, ...options });
  return built.actionDigest.hash;
}

Deno.test("a command's key is the same for the same command, inputs in any order", async () => {
  assert.equal(await key(), await key({}, [H, A]));
});

Deno.test("a command's key changes with its arguments, environment, directory, stdin and outputs", async () => {
  const base = await key();
  const keys = [
    await key({ args: ["-O2", "-c", "a.c", "-o", "_build/a.o"] }),
    await key({ env: { CFLAGS: "-g" } }),
    await key({ cwd: "_build", outputs: ["_build/a.o"] }),
    await key({ stdin: "text" }),
    await key({ outputs: ["_build/a.o", "_build/a.d"] }),
    await key({ program: "clang" }),
  ];
  for (const k of keys) assert.notEqual(k, base);
  assert.equal(new Set(keys).size, keys.length);
});

Deno.test("a command's key changes with an input's content, a new input, the tool and the namespace", async () => {
  const base = await key();
  assert.notEqual(
    await key({}, [A, { ...H, digest: { hash: "c".repeat(64), sizeBytes: 20 } }]),
    base,
  );
  assert.notEqual(await key({}, [A]), base);
  assert.notEqual(await key({}, [A, { ...H, isExecutable: true }]), base);
  assert.notEqual(await key({}, [A, H], { tool: { hash: "d".repeat(64), sizeBytes: 1 } }), base);
  assert.notEqual(await key({}, [A, H], { namespace: "main" }), base);
});

Deno.test("the ambient environment enters a key only through the allowlist", async () => {
  const base = await key();
  assert.equal(await key({}, [A, H], { ambient: { PATH: "/opt/bin", HOME: "/home/x" } }), base);
  assert.notEqual(await key({}, [A, H], { ambient: { LC_ALL: "C" } }), base);
  assert.notEqual(await key({}, [A, H], { ambient: { SOURCE_DATE_EPOCH: "1" } }), base);
});

Deno.test("a command with outputs outside its directory or with stdin is keyed but not portable", async () => {
  const here = await keyCommand(SPEC, [A], { ambient: {} });
  assert.equal(here.portable, true);
  const elsewhere = await keyCommand({ ...SPEC, cwd: "sub" }, [A], { ambient: {} });
  assert.equal(elsewhere.portable, false);
  const stdin = await keyCommand({ ...SPEC, stdin: "x" }, [A], { ambient: {} });
  assert.equal(stdin.portable, false);
});

Deno.test("a portable command's Action names its working directory and sorted outputs", async () => {
  const { decodeCommand } = await import("../../../rules/reapi/mod.ts");
  const built = await keyCommand(
    { ...SPEC, cwd: "_build", args: ["x"], outputs: ["_build/z", "_build/a"] },
    [A],
    { ambient: { TZ: "UTC", PATH: "/bin" } },
  );
  const command = decodeCommand(built.command);
  assert.equal(command.workingDirectory, "_build");
  assert.deepEqual(command.outputPaths, ["a", "z"]);
  assert.deepEqual(command.environmentVariables, [{ name: "TZ", value: "UTC" }]);
});

Deno.test("a platform replaces this machine in the key, and the local program's digest is left out", async () => {
  const tool = { hash: "d".repeat(64), sizeBytes: 1 };
  const image = { "container-image": "docker://gcc:14", OSFamily: "linux" };
  const remote = await key({}, [A, H], { platform: image });
  assert.notEqual(remote, await key());
  assert.equal(await key({}, [A, H], { platform: image, tool }), remote);
  assert.notEqual(
    await key({}, [A, H], { platform: { ...image, "container-image": "x" } }),
    remote,
  );
  const built = await keyCommand(SPEC, [A], { ambient: {}, platform: image });
  const text = new TextDecoder().decode(built.action);
  assert.ok(text.includes("container-image") && text.includes("docker://gcc:14"));
  assert.ok(!text.includes(Deno.build.arch), "this machine's CPU is not named");
});
