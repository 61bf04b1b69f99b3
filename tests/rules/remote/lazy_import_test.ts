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
