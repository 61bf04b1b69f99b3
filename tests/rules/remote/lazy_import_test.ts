// Importing rules/remote loads no gRPC code: @grpc/grpc-js (CommonJS) shows
// up in the require cache only once a channel opens.

import assert from "node:assert/strict";

const PROBE = `
import { createRequire } from "node:module";
const loaded = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes("grpc-js")).length;
const remote = await import(${
  JSON.stringify(new URL("../../../rules/remote/mod.ts", import.meta.url).href)
});
remote.parseEndpoint("grpc://127.0.0.1:1");
new remote.GrpcCache("grpc://127.0.0.1:1");
const before = loaded();
const channel = await remote.RemoteChannel.open("grpc://127.0.0.1:1");
channel.close();
console.log(JSON.stringify({ before, after: loaded() }));
`;

Deno.test("importing rules/remote/mod.ts does not load @grpc/grpc-js; opening a channel does", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", PROBE],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const { before, after } = JSON.parse(new TextDecoder().decode(stdout));
  assert.equal(before, 0);
  assert.ok(after > 0, "the probe sees grpc-js once loaded");
});

const BUILD_PROBE = `
import { createRequire } from "node:module";
const loaded = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes("grpc-js")).length;
const { build } = await import(${JSON.stringify(new URL("../../../mod.ts", import.meta.url).href)});
const root = Deno.args[0];
const mod = ${JSON.stringify(new URL("../../../mod.ts", import.meta.url).href)};
await Deno.writeTextFile(root + "/build.ts",
  "import { rule, sh } from " + JSON.stringify(mod) + ";\\n" +
  "rule({ targets: 'a.txt', action: sh('echo a > a.txt') });\\n");
const local = await build({ root, cache: { cacheDir: root + "/_cache" } });
const before = loaded();
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
listener.close();
await Deno.writeTextFile(root + "/build.ts",
  "import { rule, sh } from " + JSON.stringify(mod) + ";\\n" +
  "rule({ targets: 'a.txt', action: sh('echo b > a.txt') });\\n");
const remote = await build({
  root,
  cache: { cacheDir: root + "/_cache" },
  remote: { executor: "grpc://127.0.0.1:" + listener.addr.port },
  reporter: { note: () => {} },
});
console.log(JSON.stringify({ ok: local.ok && remote.ok, before, after: loaded() }));
`;

Deno.test("a build without a remote executor does not load @grpc/grpc-js; one with an executor does", async () => {
  const root = await Deno.makeTempDir({ prefix: "barchan_lazy_grpc_" });
  try {
    const env = Deno.env.toObject();
    for (const name of Object.keys(env)) {
      if (name.startsWith("BARCHAN_REMOTE")) delete env[name];
    }
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", BUILD_PROBE, root],
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const { ok, before, after } = JSON.parse(new TextDecoder().decode(stdout));
    assert.equal(ok, true);
    assert.equal(before, 0, "no executor, no gRPC");
    assert.ok(after > 0, "an executor, even one that is down, loads gRPC");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
