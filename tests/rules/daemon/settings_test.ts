// What makes a build server's builder: a request whose remote download
// mode differs from the builder's is another setup (the server then stops,
// for a new one to build it), as another executor is.

import assert from "node:assert/strict";
import { builderSetup, requestSetup } from "../../../rules/daemon/_settings.ts";

const EXECUTOR = "grpc://127.0.0.1:8980";

Deno.test("builderSetup: --remote-download minimal is another setup than all", () => {
  const env = (values: Record<string, string>) => (name: string) => values[name];
  const all = builderSetup({ remote: { executor: EXECUTOR } }, env({}), Deno.cwd());
  const minimal = builderSetup(
    { remote: { executor: EXECUTOR, download: "minimal" } },
    env({}),
    Deno.cwd(),
  );
  assert.notEqual(all.key, minimal.key);
  const fromEnv = builderSetup(
    {},
    env({ BARCHAN_REMOTE_EXECUTOR: EXECUTOR, BARCHAN_REMOTE_DOWNLOAD: "minimal" }),
    Deno.cwd(),
  );
  assert.equal(fromEnv.key, minimal.key);
  const request = requestSetup(
    { remote: { executor: EXECUTOR, download: "minimal" } } as never,
    {},
    Deno.cwd(),
  );
  assert.equal(request.key, minimal.key);
});
