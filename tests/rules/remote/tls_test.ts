// grpcs:// with a CA file: a server whose certificate a private CA signed is
// trusted through `caFile`, and refused without it; a build's executor too.

import assert from "node:assert/strict";
import { join } from "node:path";
import { connectRemote } from "../../../rules/remote/remote.ts";
import { RemoteError } from "../../../rules/remote/errors.ts";
import { withExecutor, withTempDir } from "./_util.ts";
import { build } from "../../../mod.ts";
import { IMPORT, writeFiles } from "../_util.ts";

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const { success, stderr } = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
}

/** A CA and a server certificate for localhost signed by it. */
async function makeCertificates(dir: string): Promise<boolean> {
  try {
    await openssl(dir, "version");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.error("note: skipped, openssl is not installed");
    return false;
  }
  const days = ["-days", "2"];
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-subj",
    "/CN=barchan test CA",
    ...days,
  );
  await openssl(
    dir,
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  );
  await Deno.writeTextFile(join(dir, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-extfile",
    "san.ext",
    ...days,
  );
  return true;
}

Deno.test("grpcs:// trusts a server signed by the CA file, and refuses it without", async () => {
  await withTempDir(async (dir) => {
    if (!await makeCertificates(dir)) return;
    const tls = { cert: join(dir, "server.pem"), key: join(dir, "server.key") };
    await withExecutor({ tls }, async (executor) => {
      const url = `grpcs://localhost:${executor.port}`;
      const remote = await connectRemote(url, { caFile: join(dir, "ca.pem") });
      try {
        assert.equal(remote.capabilities.execEnabled, true);
      } finally {
        remote.close();
      }
      const untrusted = await connectRemote(url, { retries: 0 }).catch((e) => e);
      assert.ok(untrusted instanceof RemoteError, String(untrusted));
      assert.equal(untrusted.codeName, "UNAVAILABLE");
      await assert.rejects(
        connectRemote(url, { caFile: join(dir, "absent.pem") }),
        /Cannot read the CA file ".*absent.pem"/,
      );
      await assert.rejects(
        connectRemote(executor.url, { caFile: join(dir, "ca.pem") }),
        /TLS needs a host name, not an IP address/,
      );
    });
  });
});

Deno.test("a build on a grpcs:// executor with --remote-ca's CA runs its commands there", async () => {
  await withTempDir(async (dir) => {
    if (!await makeCertificates(dir)) return;
    const tls = { cert: join(dir, "server.pem"), key: join(dir, "server.key") };
    await withExecutor({ tls }, async (executor) => {
      const root = join(dir, "project");
      await writeFiles(root, {
        "build.ts": IMPORT + `rule({ targets: "a.txt", action: sh("echo over tls > a.txt") });\n`,
      });
      const remote = {
        executor: `grpcs://localhost:${executor.port}`,
        caFile: join(dir, "ca.pem"),
      };
      const finished: boolean[] = [];
      const result = await build({
        root,
        cache: { cacheDir: join(dir, "cache") },
        remote,
        reporter: { actionFinished: (e) => void finished.push(e.remote ?? false) },
      });
      assert.ok(result.ok, JSON.stringify(result.failed));
      assert.deepEqual(finished, [true]);
      assert.equal(await Deno.readTextFile(join(root, "a.txt")), "over tls\n");
    });
  });
});
