// Execute against the test executor: a real command from an uploaded input
// root, its outputs downloaded; failures; a dropped stream picked up with
// WaitExecution; the action cache.

import assert from "node:assert/strict";
import { join } from "node:path";
import { connectRemote, type Remote } from "../../../rules/remote/remote.ts";
import { RemoteError } from "../../../rules/remote/errors.ts";
import { ExecutionClient } from "../../../rules/remote/execution.ts";
import { buildAction } from "../../../rules/reapi/action.ts";
import { decodeActionResult } from "../../../rules/reapi/action_result.ts";
import type { Digest } from "../../../rules/reapi/messages.ts";
import { blob, withExecutor, withTempDir } from "./_util.ts";

/**
 * Uploads an action running `script` with sh over `files` (paths may have
 * directories; `tool.sh` is executable) and returns its digest.
 */
async function uploadAction(
  remote: Remote,
  script: string,
  files: Record<string, string>,
  outputPaths: string[],
): Promise<Digest> {
  const inputs = await Promise.all(
    Object.entries(files).map(async ([path, text]) => ({ path, ...(await blob(text)) })),
  );
  const built = await buildAction({
    arguments: ["/bin/sh", "-c", script],
    environment: { PATH: "/usr/bin:/bin" },
    outputPaths,
    inputs: inputs.map(({ path, digest }) => ({
      path,
      digest,
      isExecutable: path.endsWith(".sh"),
    })),
  });
  const messages = [...built.blobs].map(([hash, data]) => ({
    digest: { hash, sizeBytes: data.byteLength },
    data,
  }));
  await remote.uploadMissing([...inputs, ...messages]);
  return built.actionDigest;
}

Deno.test("Execute runs a command from an uploaded input root; its output comes back byte for byte", async () => {
  await withExecutor({ workers: 2 }, async (executor) => {
    await withTempDir(async (dir) => {
      const remote = await connectRemote(executor.url);
      try {
        const content = "line one\nline two\n".repeat(100);
        const action = await uploadAction(
          remote,
          "cat src/in.txt > out/copy.txt && tools/stamp.sh > out/stamp.txt",
          { "src/in.txt": content, "tools/stamp.sh": "#!/bin/sh\necho stamped\n" },
          ["out/copy.txt", "out/stamp.txt"],
        );
        const stages: string[] = [];
        const { result, cachedResult } = await remote.execution.execute(action, {
          onStage: (stage) => stages.push(stage),
        });
        assert.equal(result.exitCode, 0);
        assert.equal(cachedResult, false);
        assert.deepEqual(result.outputFiles.map((f) => f.path), ["out/copy.txt", "out/stamp.txt"]);
        assert.ok(stages.includes("COMPLETED"), stages.join());
        const target = join(dir, "copy.txt");
        assert.equal(await remote.downloadToFile(result.outputFiles[0].digest, target), true);
        assert.equal(await Deno.readTextFile(target), content);
        const stamp = await remote.download(result.outputFiles[1].digest);
        assert.equal(new TextDecoder().decode(stamp), "stamped\n");

        const again = await remote.execution.execute(action);
        assert.equal(again.cachedResult, true, "the second run is a cache hit");
        assert.deepEqual(again.result.outputFiles, result.outputFiles);
      } finally {
        remote.close();
      }
    });
  });
});

Deno.test("a failing command's exit code, stdout and stderr come back as a result", async () => {
  await withExecutor({}, async (executor) => {
    const remote = await connectRemote(executor.url);
    try {
      const action = await uploadAction(remote, "echo to out; echo to err >&2; exit 3", {}, []);
      const { result } = await remote.execution.execute(action);
      assert.equal(result.exitCode, 3);
      const stdout = await remote.download(result.stdoutDigest!);
      const stderr = await remote.download(result.stderrDigest!);
      assert.equal(new TextDecoder().decode(stdout), "to out\n");
      assert.equal(new TextDecoder().decode(stderr), "to err\n");
      assert.equal(await remote.actionCache.get(action), undefined, "a failure is not cached");
    } finally {
      remote.close();
    }
  });
});

Deno.test("a dropped Execute stream is followed to its end with WaitExecution", async () => {
  await withExecutor({ dropStream: true }, async (executor) => {
    const remote = await connectRemote(executor.url);
    try {
      const action = await uploadAction(remote, "sleep 0.3; echo done > done.txt", {}, [
        "done.txt",
      ]);
      const once = new ExecutionClient(remote.channel, { retries: 0 });
      await assert.rejects(
        once.execute(action, { skipCacheLookup: true }),
        (error) => error instanceof RemoteError && /stream dropped/.test(error.message),
        "the server does drop the stream",
      );
      const names = new Set<string>();
      const { result, operationName } = await remote.execution.execute(action, {
        onStage: (_, name) => names.add(name),
      });
      assert.equal(result.exitCode, 0);
      assert.deepEqual([...names], [operationName], "one operation, followed across streams");
      const out = await remote.download(result.outputFiles[0].digest);
      assert.equal(new TextDecoder().decode(out), "done\n");
    } finally {
      remote.close();
    }
  });
});

Deno.test("an action whose input is missing fails with the server's status", async () => {
  await withExecutor({}, async (executor) => {
    const remote = await connectRemote(executor.url);
    try {
      const action = await uploadAction(remote, "true", {}, []);
      const absent = { hash: "f".repeat(64), sizeBytes: 10 };
      await assert.rejects(
        remote.execution.execute(absent),
        (error) =>
          error instanceof RemoteError && error.codeName === "FAILED_PRECONDITION" &&
          /missing blob f{64}\/10/.test(error.message),
      );
      assert.equal((await remote.execution.execute(action)).result.exitCode, 0);
    } finally {
      remote.close();
    }
  });
});

Deno.test("ActionCache: a miss, an update, then the result exactly as stored", async () => {
  await withExecutor({}, async (executor) => {
    const remote = await connectRemote(executor.url);
    try {
      const action = (await blob("an action")).digest;
      assert.equal(await remote.actionCache.getEncoded(action), undefined);
      const stdout = await blob("hello\n");
      await remote.actionCache.update(action, {
        outputFiles: [{ path: "a.o", digest: stdout.digest, isExecutable: true }],
        outputDirectories: [],
        exitCode: 0,
        stdoutDigest: stdout.digest,
      });
      const result = await remote.actionCache.get(action);
      assert.equal(result?.exitCode, 0);
      assert.deepEqual(result?.outputFiles, [
        { path: "a.o", digest: stdout.digest, isExecutable: true },
      ]);
      assert.deepEqual(result?.stdoutDigest, stdout.digest);
      const bytes = await remote.actionCache.getEncoded(action);
      assert.deepEqual(decodeActionResult(bytes!), result);
    } finally {
      remote.close();
    }
  });
});
