// Endpoints that cannot serve: nothing listening, a server that never
// answers, a server that refuses, credentials missing. Each fails with an
// error naming the endpoint, and none hangs.

import assert from "node:assert/strict";
import { connectRemote } from "../../../rules/remote/remote.ts";
import { RemoteChannel } from "../../../rules/remote/channel.ts";
import { GET_CAPABILITIES } from "../../../rules/remote/capabilities.ts";
import { RemoteError } from "../../../rules/remote/errors.ts";
import { REMOTE_HEADERS_ENV } from "../../../rules/remote/headers.ts";
import { withExecutor } from "./_util.ts";

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test("an endpoint where nothing listens fails with UNAVAILABLE after the retries", async () => {
  const port = closedPort();
  const error = await connectRemote(`grpc://127.0.0.1:${port}`, { retries: 2, backoffMs: 50 })
    .catch((e) => e);
  assert.ok(error instanceof RemoteError, String(error));
  assert.equal(error.codeName, "UNAVAILABLE");
  assert.equal(error.endpoint, `grpc://127.0.0.1:${port}`);
  assert.match(error.message, /check that the server runs/);
});

Deno.test("a server that accepts connections but never answers fails at the deadline", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const error = await connectRemote(`grpc://127.0.0.1:${listener.addr.port}`, {
      connectDeadlineMs: 500,
      retries: 0,
    }).catch((e) => e);
    assert.ok(error instanceof RemoteError, String(error));
    assert.equal(error.codeName, "DEADLINE_EXCEEDED");
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("a server refusing service fails each call with its code", async () => {
  await withExecutor({ refuse: "RESOURCE_EXHAUSTED" }, async (executor) => {
    const channel = await RemoteChannel.open(executor.url, { retries: 1, backoffMs: 10 });
    try {
      await assert.rejects(
        channel.unary(GET_CAPABILITIES, new Uint8Array()),
        (error) => error instanceof RemoteError && error.codeName === "RESOURCE_EXHAUSTED",
      );
    } finally {
      channel.close();
    }
  });
});

Deno.test("headers of BARCHAN_REMOTE_HEADERS go with every call", async () => {
  await withExecutor({ requireHeader: "x-api-key=s3cret" }, async (executor) => {
    const denied = await connectRemote(executor.url, { headers: [] }).catch((e) => e);
    assert.ok(denied instanceof RemoteError && denied.codeName === "UNAUTHENTICATED");
    assert.match(denied.message, /BARCHAN_REMOTE_HEADERS/);
    Deno.env.set(REMOTE_HEADERS_ENV, "X-Api-Key=s3cret");
    try {
      const remote = await connectRemote(executor.url);
      assert.equal(remote.capabilities.execEnabled, true);
      remote.close();
    } finally {
      Deno.env.delete(REMOTE_HEADERS_ENV);
    }
  });
});

Deno.test("every call carries a RequestMetadata header naming barchan", async () => {
  await withExecutor({ requireTool: "barchan" }, async (executor) => {
    const remote = await connectRemote(executor.url);
    try {
      assert.deepEqual(await remote.cas.findMissing([]), []);
    } finally {
      remote.close();
    }
    const bare = await RemoteChannel.open(executor.url, { retries: 0 });
    try {
      await assert.rejects(
        bare.unary(GET_CAPABILITIES, new Uint8Array()),
        /RequestMetadata names no tool barchan/,
      );
    } finally {
      bare.close();
    }
  });
});
