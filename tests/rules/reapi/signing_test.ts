import assert from "node:assert/strict";
import {
  type ActionResult,
  decodeActionResult,
  encodeActionResult,
  generateKeyPair,
  importSigningKey,
  importVerifyingKey,
  ProtoReader,
  sha256Digest,
  signActionResult,
  SIGNATURE_TYPE_URL,
  signaturePayload,
  type SigningKey,
  stripSignatures,
  verifyActionResult,
  type VerifyingKey,
} from "../../../rules/reapi/mod.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

const ACTION = { hash: "3f2a".repeat(16), sizeBytes: 187 };
const OTHER_ACTION = { hash: "3f2b".repeat(16), sizeBytes: 187 };

async function result(): Promise<ActionResult> {
  return {
    outputFiles: [
      { path: "out/a.o", digest: await sha256Digest(utf8("object")), isExecutable: false },
      { path: "out/tool", digest: await sha256Digest(utf8("#!/bin/sh\n")), isExecutable: true },
    ],
    outputDirectories: [],
    exitCode: 0,
    stdoutRaw: utf8("compiled 1 file\n"),
    stderrDigest: await sha256Digest(utf8("warning: unused variable\n")),
  };
}

async function keys(): Promise<{ signing: SigningKey; verifying: VerifyingKey }> {
  const pair = await generateKeyPair();
  return {
    signing: await importSigningKey(pair.privateKeyPem),
    verifying: await importVerifyingKey(pair.publicKeyPem),
  };
}

/** The signed result as a cache stores it and gives it back: encoded, then decoded. */
function throughCache(result: ActionResult): ActionResult {
  return decodeActionResult(encodeActionResult(result).slice());
}

Deno.test("a signed result verifies with the signer's public key, after a trip through a cache", async () => {
  const { signing, verifying } = await keys();
  const signed = throughCache(await signActionResult(await result(), ACTION, signing));
  assert.deepEqual(await verifyActionResult(signed, ACTION, [verifying]), {
    valid: true,
    keyId: signing.keyId,
  });
  const other = await keys();
  assert.deepEqual(await verifyActionResult(signed, ACTION, [other.verifying, verifying]), {
    valid: true,
    keyId: verifying.keyId,
  });
});

Deno.test("a signed result with any field changed no longer verifies", async () => {
  const { signing, verifying } = await keys();
  const signed = throughCache(await signActionResult(await result(), ACTION, signing));
  const changes: [string, (r: ActionResult) => void][] = [
    ["the exit code", (r) => r.exitCode = 1],
    ["an output path", (r) => r.outputFiles[0].path = "out/b.o"],
    ["an output digest", (r) => r.outputFiles[0].digest.sizeBytes++],
    ["an executable bit", (r) => r.outputFiles[1].isExecutable = false],
    ["an output removed", (r) => r.outputFiles.pop()],
    ["an output added", (r) => r.outputFiles.push({ ...r.outputFiles[0], path: "x" })],
    ["stdout", (r) => r.stdoutRaw = utf8("compiled 2 files\n")],
    ["the stderr digest", (r) => delete r.stderrDigest],
    ["the metadata", (r) => r.executionMetadata!.worker = "evil"],
  ];
  for (const [what, change] of changes) {
    const forged = structuredClone(signed);
    change(forged);
    assert.deepEqual(
      await verifyActionResult(forged, ACTION, [verifying]),
      { valid: false, reason: "bad signature" },
      what,
    );
  }
});

Deno.test("a changed byte in the stored result makes it fail to verify", async () => {
  const { signing, verifying } = await keys();
  const stored = encodeActionResult(await signActionResult(await result(), ACTION, signing));
  const text = new TextDecoder("latin1").decode(stored);
  // One character of an output's hash, one of its path, one of stdout.
  for (const needle of ["out/a.o", "compiled", (await sha256Digest(utf8("object"))).hash]) {
    const at = text.indexOf(needle) + 2;
    assert.ok(at > 1, needle);
    const changed = stored.slice();
    changed[at] ^= 0x01;
    assert.deepEqual(
      await verifyActionResult(decodeActionResult(changed), ACTION, [verifying]),
      { valid: false, reason: "bad signature" },
      needle,
    );
  }
});

Deno.test("a signed result does not verify for another action", async () => {
  const { signing, verifying } = await keys();
  const signed = await signActionResult(await result(), ACTION, signing);
  assert.deepEqual(await verifyActionResult(signed, OTHER_ACTION, [verifying]), {
    valid: false,
    reason: "bad signature",
  });
  assert.deepEqual(
    await verifyActionResult(signed, { ...ACTION, sizeBytes: ACTION.sizeBytes + 1 }, [verifying]),
    { valid: false, reason: "bad signature" },
  );
});

Deno.test("a result signed by another key is refused: unknown key, or bad signature if it claims a trusted id", async () => {
  const trusted = await keys();
  const attacker = await keys();
  const byAttacker = await signActionResult(await result(), ACTION, attacker.signing);
  assert.deepEqual(await verifyActionResult(byAttacker, ACTION, [trusted.verifying]), {
    valid: false,
    reason: "unknown key",
  });
  // The attacker's signature under the trusted key's id.
  const impostor = await signActionResult(await result(), ACTION, {
    privateKey: attacker.signing.privateKey,
    keyId: trusted.signing.keyId,
  });
  assert.deepEqual(await verifyActionResult(impostor, ACTION, [trusted.verifying]), {
    valid: false,
    reason: "bad signature",
  });
  assert.deepEqual(await verifyActionResult(byAttacker, ACTION, []), {
    valid: false,
    reason: "unknown key",
  });
});

Deno.test("an unsigned or stripped result is unsigned; a malformed signature is not trusted", async () => {
  const { signing, verifying } = await keys();
  const plain = await result();
  assert.deepEqual(await verifyActionResult(plain, ACTION, [verifying]), {
    valid: false,
    reason: "unsigned",
  });
  const signed = await signActionResult(plain, ACTION, signing);
  assert.deepEqual(stripSignatures(signed), plain);
  assert.deepEqual(await verifyActionResult(stripSignatures(signed), ACTION, [verifying]), {
    valid: false,
    reason: "unsigned",
  });
  const malformed = structuredClone(signed);
  malformed.executionMetadata!.auxiliaryMetadata![0].value = new Uint8Array([0x0a, 0x7f]);
  assert.deepEqual(await verifyActionResult(malformed, ACTION, [verifying]), {
    valid: false,
    reason: "unknown key",
  });
});

Deno.test("signing keeps other metadata and replaces an earlier signature", async () => {
  const first = await keys();
  const second = await keys();
  const base: ActionResult = {
    ...await result(),
    executionMetadata: {
      worker: "ci-7",
      auxiliaryMetadata: [{
        typeUrl: "type.googleapis.com/x.Stats",
        value: new Uint8Array([8, 1]),
      }],
    },
  };
  const once = await signActionResult(base, ACTION, first.signing);
  const twice = await signActionResult(once, ACTION, second.signing);
  assert.equal(twice.executionMetadata?.worker, "ci-7");
  assert.deepEqual(
    twice.executionMetadata?.auxiliaryMetadata?.map((a) => a.typeUrl),
    ["type.googleapis.com/x.Stats", SIGNATURE_TYPE_URL],
  );
  assert.equal((await verifyActionResult(twice, ACTION, [second.verifying])).valid, true);
  assert.deepEqual(await verifyActionResult(twice, ACTION, [first.verifying]), {
    valid: false,
    reason: "unknown key",
  });
  assert.deepEqual(stripSignatures(twice), base);
});

Deno.test("importVerifyingKey() and importSigningKey() refuse what is not an Ed25519 key", async () => {
  const pair = await generateKeyPair();
  await assert.rejects(importVerifyingKey("not a key!"), /neither PEM nor base64/);
  await assert.rejects(importVerifyingKey(btoa("short")), /base64 of 5 bytes/);
  await assert.rejects(importVerifyingKey(pair.privateKeyPem), /no "-----BEGIN PUBLIC KEY-----"/);
  await assert.rejects(importSigningKey(pair.publicKeyPem), /no "-----BEGIN PRIVATE KEY-----"/);
  const ecKey = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const ecPkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", ecKey.privateKey));
  const ecPem = `-----BEGIN PRIVATE KEY-----\n${
    btoa(String.fromCharCode(...ecPkcs8))
  }\n-----END PRIVATE KEY-----\n`;
  await assert.rejects(importSigningKey(ecPem), /not an Ed25519 PKCS#8 key/);
});

Deno.test("the key id is the SHA-256 of the raw public key (RFC 8032 test key 1)", async () => {
  const pem = "-----BEGIN PRIVATE KEY-----\n" +
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n" +
    "-----END PRIVATE KEY-----\n";
  const publicRaw = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  const bytes = Uint8Array.from(publicRaw.match(/../g)!, (h) => parseInt(h, 16));
  const expected = (await sha256Digest(bytes)).hash;
  assert.equal((await importSigningKey(pem)).keyId, expected);
  assert.equal((await importVerifyingKey(btoa(String.fromCharCode(...bytes)))).keyId, expected);
});

async function openssl(args: string[]): Promise<{ success: boolean; text: string }> {
  const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  return { success: out.success, text: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

const haveOpenssl = await openssl(["version"]).then((r) => r.success, () => false);
if (!haveOpenssl) console.log("note: skipping the OpenSSL interoperability test: no openssl");

Deno.test({
  name: "keys OpenSSL generates sign, and OpenSSL verifies the signature over the payload",
  ignore: !haveOpenssl,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const priv = `${dir}/key.pem`;
      const pub = `${dir}/key.pub.pem`;
      assert.ok((await openssl(["genpkey", "-algorithm", "ed25519", "-out", priv])).success);
      assert.ok((await openssl(["pkey", "-in", priv, "-pubout", "-out", pub])).success);
      const signing = await importSigningKey(await Deno.readTextFile(priv));
      const verifying = await importVerifyingKey(await Deno.readTextFile(pub));
      assert.equal(signing.keyId, verifying.keyId);

      const signed = await signActionResult(await result(), ACTION, signing);
      assert.equal((await verifyActionResult(signed, ACTION, [verifying])).valid, true);

      const r = new ProtoReader(signed.executionMetadata!.auxiliaryMetadata![0].value);
      let signature: Uint8Array = new Uint8Array();
      while (r.next()) {
        if (r.field === 2) signature = r.bytes();
        else r.skip();
      }
      await Deno.writeFile(`${dir}/payload`, signaturePayload(signed, ACTION));
      await Deno.writeFile(`${dir}/sig`, signature);
      const verified = await openssl([
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        pub,
        "-rawin",
        "-in",
        `${dir}/payload`,
        "-sigfile",
        `${dir}/sig`,
      ]);
      assert.ok(verified.success, verified.text);
      assert.match(verified.text, /Signature Verified Successfully/);

      await Deno.writeFile(`${dir}/payload`, signaturePayload(signed, OTHER_ACTION));
      const refused = await openssl([
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        pub,
        "-rawin",
        "-in",
        `${dir}/payload`,
        "-sigfile",
        `${dir}/sig`,
      ]);
      assert.equal(refused.success, false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
