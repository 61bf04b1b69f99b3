// A local or HTTP action cache loads no gRPC code: @grpc/grpc-js (CommonJS)
// shows up in the require cache only once a grpc:// remote cache is used.

import assert from "node:assert/strict";

const PROBE = `
import { createRequire } from "node:module";
const loaded = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes("grpc-js")).length;
const { openActionCache } = await import(${
  JSON.stringify(new URL("../../../rules/cache/action_cache.ts", import.meta.url).href)
});
const dir = await Deno.makeTempDir();
const action = { hash: "ab".repeat(32), sizeBytes: 140 };
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = listener.addr.port;
listener.close();
const counts = [];
for (const remote of [undefined, \`http://127.0.0.1:\${port}/cache\`, \`grpc://127.0.0.1:\${port}\`]) {
  const cache = await openActionCache({ cacheDir: dir, remote, warn: () => {} });
  await cache.lookup(action);
  cache.close();
  counts.push(loaded());
}
await Deno.remove(dir, { recursive: true });
console.log(JSON.stringify(counts));
`;

Deno.test("an action cache that is local or over HTTP loads no gRPC code; a grpc:// one does", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", PROBE],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const [local, http, grpc] = JSON.parse(new TextDecoder().decode(stdout));
  assert.equal(local, 0);
  assert.equal(http, 0);
  assert.ok(grpc > 0, "the probe sees grpc-js once a grpc:// cache is used");
});
