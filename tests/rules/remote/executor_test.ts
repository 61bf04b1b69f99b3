// GrpcExecutor against the test executor and BuildStream's CAS: a command's
// inputs uploaded (one over the batch limit), its outputs downloaded whole
// with their executable bits, its stdout and stderr; the server's action
// cache; a blob the server lost sent again; and the executor's failures,
// which leave nothing behind.

import assert from "node:assert/strict";
import { join } from "node:path";
import { GrpcExecutor } from "../../../rules/remote/executor.ts";
import { ExecutorError } from "../../../rules/command/command_executor.ts";
import { keyCommand } from "../../../rules/command/command_key.ts";
import type { CommandSpec } from "../../../rules/command/command.ts";
import { fileDigest } from "../../../rules/reapi/digest.ts";
import { withBuildStream, withExecutor, withTempDir, writeRandomFile } from "./_util.ts";

/** A request running `script` with sh over `files` (written under `dir/src`), writing `outputs`. */
async function request(
  dir: string,
  script: string,
  files: Record<string, string | number>,
  outputs: string[],
) {
  const inputs = [];
  for (const [path, content] of Object.entries(files)) {
    const local = join(dir, "src", path);
    await Deno.mkdir(join(local, ".."), { recursive: true });
    if (typeof content === "number") await writeRandomFile(local, content, 7);
    else await Deno.writeTextFile(local, content);
    inputs.push({ path, local, digest: await fileDigest(local) });
  }
  const spec: CommandSpec = { program: "sh", args: ["-c", script], env: {}, cwd: "", outputs };
  const key = await keyCommand(spec, inputs, { ambient: {} });
  return {
    key,
    inputs: inputs.map(({ local, digest }) => ({ path: local, digest })),
    outputs: new Map(outputs.map((o) => [o, join(dir, "out", o)])),
  };
}

Deno.test("GrpcExecutor uploads inputs, runs the command, and brings back its outputs byte for byte", async () => {
  await withExecutor({ maxBatchBytes: 64 * 1024 }, async (server) => {
    await withTempDir(async (dir) => {
      const executor = new GrpcExecutor(server.url);
      try {
        const req = await request(
          dir,
          "cat big.bin > copy.bin && printf '#!/bin/sh\\necho run\\n' > tool.sh && " +
            "chmod +x tool.sh && echo said && echo warned >&2",
          { "big.bin": 300_000 },
          ["copy.bin", "tool.sh"],
        );
        const outcome = await executor.execute(req);
        assert.equal(outcome.exitCode, 0);
        assert.equal(new TextDecoder().decode(outcome.stdout), "said\n");
        assert.equal(new TextDecoder().decode(outcome.stderr), "warned\n");
        assert.equal(outcome.cached, false);
        assert.match(outcome.worker ?? "", /^test-executor\//);
        assert.deepEqual(outcome.written, [...req.outputs.values()]);
        assert.deepEqual(
          await Deno.readFile(join(dir, "out/copy.bin")),
          await Deno.readFile(join(dir, "src/big.bin")),
        );
        assert.equal((await Deno.stat(join(dir, "out/tool.sh"))).mode! & 0o777, 0o755);
        assert.equal((await Deno.stat(join(dir, "out/copy.bin"))).mode! & 0o777, 0o644);

        const again = await executor.execute(req);
        assert.equal(again.cached, true, "the server answers from its action cache");
      } finally {
        executor.close();
      }
    });
  });
});

Deno.test("GrpcExecutor: a command that fails remotely is an outcome with its output", async () => {
  await withExecutor({}, async (server) => {
    await withTempDir(async (dir) => {
      const executor = new GrpcExecutor(server.url);
      try {
        const outcome = await executor.execute(
          await request(dir, "echo partial > out.txt; echo broken >&2; exit 4", {}, ["out.txt"]),
        );
        assert.equal(outcome.exitCode, 4);
        assert.equal(new TextDecoder().decode(outcome.stderr), "broken\n");
      } finally {
        executor.close();
      }
    });
  });
});

Deno.test("GrpcExecutor sends an input again when the server lost it since it was sent", async () => {
  await withExecutor({}, async (server) => {
    await withTempDir(async (dir) => {
      const executor = new GrpcExecutor(server.url);
      try {
        const first = await request(dir, "cat in.txt > a.txt", { "in.txt": "shared\n" }, ["a.txt"]);
        assert.equal((await executor.execute(first)).exitCode, 0);
        // Evicted: the executor still takes it for present.
        await Deno.remove(join(server.storeDir, "cas", first.inputs[0].digest.hash));
        const spec = {
          program: "sh",
          args: ["-c", "cat in.txt in.txt > b.txt"],
          env: {},
          cwd: "",
          outputs: ["b.txt"],
        };
        const key = await keyCommand(spec, [{ path: "in.txt", digest: first.inputs[0].digest }], {
          ambient: {},
        });
        const outputs = new Map([["b.txt", join(dir, "out/b.txt")]]);
        const outcome = await executor.execute({ key, inputs: first.inputs, outputs });
        assert.equal(outcome.exitCode, 0);
        assert.equal(await Deno.readTextFile(join(dir, "out/b.txt")), "shared\nshared\n");
      } finally {
        executor.close();
      }
    });
  });
});

Deno.test("GrpcExecutor: blobs served damaged are the executor's failure, and no output is left", async () => {
  await withExecutor({ corruptReads: true }, async (server) => {
    await withTempDir(async (dir) => {
      const executor = new GrpcExecutor(server.url);
      try {
        const req = await request(dir, "echo one > a.txt; echo two > b.txt", {}, [
          "a.txt",
          "b.txt",
        ]);
        await assert.rejects(
          executor.execute(req),
          (error) => error instanceof ExecutorError && /DATA_LOSS/.test(error.message),
        );
        for (const path of req.outputs.values()) {
          await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
        }
      } finally {
        executor.close();
      }
    });
  });
});

Deno.test("GrpcExecutor: a server without the Execution service is the executor's failure", async () => {
  await withBuildStream(async (url) => {
    await withTempDir(async (dir) => {
      const executor = new GrpcExecutor(url);
      try {
        await assert.rejects(
          executor.execute(await request(dir, "true", {}, [])),
          (error) =>
            error instanceof ExecutorError && /does not offer remote execution/.test(error.message),
        );
      } finally {
        executor.close();
      }
    });
  });
});

Deno.test("GrpcExecutor: an aborted signal stops following the operation", async () => {
  await withExecutor({}, async (server) => {
    await withTempDir(async (dir) => {
      const executor = new GrpcExecutor(server.url);
      try {
        const controller = new AbortController();
        const running = executor.execute({
          ...await request(dir, "sleep 5; echo late > late.txt", {}, ["late.txt"]),
          signal: controller.signal,
        });
        setTimeout(() => controller.abort(new Error("build stopped")), 300);
        await assert.rejects(running, { name: "CancelledError" });
      } finally {
        executor.close();
      }
    });
  });
});
