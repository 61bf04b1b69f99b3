/**
 * Ed25519 signatures of action results, so that a reader who trusts only
 * some public keys can tell results written by their holders from results
 * anyone with write access to a cache could have put there.
 *
 * A signature travels inside the `ActionResult` it signs, as an `Any` in
 * `executionMetadata.auxiliaryMetadata` whose type URL is
 * {@linkcode SIGNATURE_TYPE_URL} and whose value is a `barchan.v1.Signature`:
 *
 * ```proto
 * message Signature {
 *   string key_id = 1;    // lowercase hex SHA-256 of the raw 32-byte public key
 *   bytes signature = 2;  // Ed25519 over the payload below
 * }
 * message SignaturePayload {
 *   string context = 1;                                      // "barchan.v1.Signature"
 *   build.bazel.remote.execution.v2.Digest action_digest = 2;
 *   bytes action_result = 3;  // the ActionResult without signatures, canonical
 * }
 * ```
 *
 * The payload binds a result to one action, so a valid signed result cannot
 * be replayed under another action's key. "Without signatures" removes every
 * `Any` of the signature type, then `auxiliaryMetadata` if it is left empty,
 * then `executionMetadata` if it is left with nothing in it.
 *
 * Keys: private keys are PKCS#8 PEM (`BEGIN PRIVATE KEY`, as `openssl
 * genpkey -algorithm ed25519` writes); public keys are SPKI PEM (`BEGIN
 * PUBLIC KEY`) or the raw 32 bytes in base64.
 *
 * @module
 */

import { type ActionResult, encodeActionResult } from "./action_result.ts";
import { loadDigests, sha256DigestSync } from "./digest.ts";
import { type Digest, writeDigest } from "./messages.ts";
import { ProtoDecodeError, ProtoReader, ProtoWriter } from "./proto.ts";

/**
 * The type URL of a barchan signature in `auxiliaryMetadata`.
 *
 * @example Is a result signed?
 * ```ts
 * import type { ActionResult } from "./action_result.ts";
 * import { SIGNATURE_TYPE_URL } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * const result: ActionResult = { outputFiles: [], outputDirectories: [], exitCode: 0 };
 * const signed = result.executionMetadata?.auxiliaryMetadata?.some((a) => a.typeUrl === SIGNATURE_TYPE_URL);
 * assert.equal(signed ?? false, false);
 * ```
 */
export const SIGNATURE_TYPE_URL = "type.googleapis.com/barchan.v1.Signature";

const _CONTEXT = "barchan.v1.Signature";
const _ED25519 = { name: "Ed25519" } as const;

/**
 * A private key to sign with, and the id of its public key.
 *
 * @example From a PEM file
 * ```ts
 * import { generateKeyPair, importSigningKey, type SigningKey } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * const pair = await generateKeyPair();
 * const key: SigningKey = await importSigningKey(pair.privateKeyPem);
 * assert.equal(key.keyId, pair.keyId);
 * ```
 */
export interface SigningKey {
  /** The Ed25519 private key (not extractable). */
  privateKey: CryptoKey;
  /** The lowercase hex SHA-256 of the raw public key. */
  keyId: string;
}

/**
 * A public key to verify with, and its id.
 *
 * @example From base64
 * ```ts
 * import { generateKeyPair, importVerifyingKey, type VerifyingKey } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * const pair = await generateKeyPair();
 * const key: VerifyingKey = await importVerifyingKey(pair.publicKeyBase64);
 * assert.equal(key.keyId, pair.keyId);
 * ```
 */
export interface VerifyingKey {
  /** The Ed25519 public key. */
  publicKey: CryptoKey;
  /** The lowercase hex SHA-256 of the raw public key. */
  keyId: string;
}

/**
 * A new key pair, as the text of the files to keep it in.
 *
 * @example The three forms
 * ```ts
 * import { generateKeyPair, type GeneratedKeyPair } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * const pair: GeneratedKeyPair = await generateKeyPair();
 * assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
 * assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
 * assert.equal(atob(pair.publicKeyBase64).length, 32);
 * ```
 */
export interface GeneratedKeyPair {
  /** The private key, PKCS#8 PEM: keep it secret (CI only). */
  privateKeyPem: string;
  /** The public key, SPKI PEM: commit it. */
  publicKeyPem: string;
  /** The public key as base64 of its raw 32 bytes. */
  publicKeyBase64: string;
  /** The public key's id: lowercase hex SHA-256 of its raw bytes. */
  keyId: string;
}

/**
 * The outcome of {@linkcode verifyActionResult}: valid with the key that
 * signed, or why not.
 *
 * @example Explaining a miss
 * ```ts
 * import type { SignatureCheck } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * function explain(check: SignatureCheck): string {
 *   return check.valid ? `signed by ${check.keyId.slice(0, 8)}` : `entry ${check.reason}`;
 * }
 * assert.equal(explain({ valid: false, reason: "unsigned" }), "entry unsigned");
 * assert.equal(explain({ valid: true, keyId: "21fe31df".repeat(8) }), "signed by 21fe31df");
 * ```
 */
export type SignatureCheck =
  | { valid: true; keyId: string }
  | {
    valid: false;
    /**
     * `unsigned`: no signature; `unknown key`: signed, but by no trusted key;
     * `bad signature`: a trusted key's id, but the signature does not verify
     * (changed result, another action, or forged).
     */
    reason: "unsigned" | "unknown key" | "bad signature";
  };

/**
 * Generates an Ed25519 key pair.
 *
 * @returns The keys as PEM and base64, and the public key's id.
 *
 * @example Sign with one half, verify with the other
 * ```ts
 * import {
 *   generateKeyPair,
 *   importSigningKey,
 *   importVerifyingKey,
 *   signActionResult,
 *   verifyActionResult,
 * } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * const pair = await generateKeyPair();
 * const digest = { hash: "a".repeat(64), sizeBytes: 100 };
 * const result = { outputFiles: [], outputDirectories: [], exitCode: 0 };
 * const signed = await signActionResult(result, digest, await importSigningKey(pair.privateKeyPem));
 * const check = await verifyActionResult(signed, digest, [await importVerifyingKey(pair.publicKeyPem)]);
 * assert.deepEqual(check, { valid: true, keyId: pair.keyId });
 * ```
 */
export async function generateKeyPair(): Promise<GeneratedKeyPair> {
  const pair = await crypto.subtle.generateKey(_ED25519, true, ["sign", "verify"]) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return {
    privateKeyPem: _toPem("PRIVATE KEY", pkcs8),
    publicKeyPem: _toPem("PUBLIC KEY", spki),
    publicKeyBase64: _toBase64(raw),
    keyId: await _keyId(raw),
  };
}

/**
 * Imports a private key from PKCS#8 PEM, for signing.
 *
 * @param pem The text of the key file (`-----BEGIN PRIVATE KEY-----`).
 * @returns The key and its public key's id.
 *
 * @example A key OpenSSL would write
 * ```ts
 * import { importSigningKey } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * // RFC 8032's test key 1, as `openssl pkey` prints it.
 * const pem = "-----BEGIN PRIVATE KEY-----\n" +
 *   "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n" +
 *   "-----END PRIVATE KEY-----\n";
 * const key = await importSigningKey(pem);
 * assert.equal(key.privateKey.extractable, false);
 * assert.equal(key.keyId.length, 64);
 * ```
 */
export async function importSigningKey(pem: string): Promise<SigningKey> {
  const pkcs8 = _fromPem(pem, "PRIVATE KEY", "private key");
  let publicRaw: Uint8Array;
  let privateKey: CryptoKey;
  try {
    // The public key is derived through JWK, which WebCrypto gives only for an
    // extractable key; the key kept is imported again, not extractable.
    const extractable = await crypto.subtle.importKey("pkcs8", pkcs8, _ED25519, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", extractable);
    publicRaw = _fromBase64Url(jwk.x ?? "");
    privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, _ED25519, false, ["sign"]);
  } catch (error) {
    throw new Error(
      `Cannot import the private key: it is not an Ed25519 PKCS#8 key (${
        (error as Error).message
      }); generate one with \`openssl genpkey -algorithm ed25519\``,
    );
  }
  return { privateKey, keyId: await _keyId(publicRaw) };
}

/**
 * Imports a public key, for verifying: SPKI PEM (`-----BEGIN PUBLIC
 * KEY-----`) or base64 of the raw 32 bytes.
 *
 * @param text The text of the key file.
 * @returns The key and its id.
 *
 * @example The same key in both forms
 * ```ts
 * import { generateKeyPair, importVerifyingKey } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * const pair = await generateKeyPair();
 * const fromPem = await importVerifyingKey(pair.publicKeyPem);
 * const fromBase64 = await importVerifyingKey(`${pair.publicKeyBase64}\n`);
 * assert.equal(fromPem.keyId, fromBase64.keyId);
 * ```
 */
export async function importVerifyingKey(text: string): Promise<VerifyingKey> {
  const trimmed = text.trim();
  let raw: Uint8Array<ArrayBuffer>;
  if (trimmed.startsWith("-----BEGIN")) {
    const spki = _fromPem(trimmed, "PUBLIC KEY", "public key");
    try {
      const key = await crypto.subtle.importKey("spki", spki, _ED25519, true, ["verify"]);
      raw = new Uint8Array(await crypto.subtle.exportKey("raw", key));
    } catch (error) {
      throw new Error(
        `Cannot import the public key: it is not an Ed25519 SPKI key (${(error as Error).message})`,
      );
    }
  } else {
    raw = _fromBase64(trimmed, "public key");
    if (raw.length !== 32) {
      throw new Error(
        `Cannot import the public key: base64 of ${raw.length} bytes where an Ed25519 key has 32`,
      );
    }
  }
  const publicKey = await crypto.subtle.importKey("raw", raw, _ED25519, false, ["verify"]);
  return { publicKey, keyId: await _keyId(raw) };
}

/**
 * The bytes a signature covers: the action's digest and the result without
 * its signatures, encoded as a `SignaturePayload` (see the module doc).
 *
 * @param result The action result, signed or not.
 * @param actionDigest The digest of the action it is the result of.
 * @returns The payload.
 *
 * @example Signing does not change the payload
 * ```ts
 * import { generateKeyPair, importSigningKey, signActionResult, signaturePayload } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await importSigningKey((await generateKeyPair()).privateKeyPem);
 * const digest = { hash: "a".repeat(64), sizeBytes: 100 };
 * const result = { outputFiles: [], outputDirectories: [], exitCode: 0 };
 * const signed = await signActionResult(result, digest, key);
 * assert.deepEqual(signaturePayload(signed, digest), signaturePayload(result, digest));
 * ```
 */
export function signaturePayload(
  result: ActionResult,
  actionDigest: Digest,
): Uint8Array<ArrayBuffer> {
  const w = new ProtoWriter();
  w.string(1, _CONTEXT);
  w.message(2, actionDigest, writeDigest);
  w.encodedMessage(3, encodeActionResult(stripSignatures(result)));
  return w.finish();
}

/**
 * The result without barchan signatures, normalised as the payload is (see
 * the module doc). The result given is not changed.
 *
 * @param result The action result.
 * @returns A copy without signatures.
 *
 * @example Signing then stripping gives the result back
 * ```ts
 * import { generateKeyPair, importSigningKey, signActionResult, stripSignatures } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await importSigningKey((await generateKeyPair()).privateKeyPem);
 * const result = { outputFiles: [], outputDirectories: [], exitCode: 1 };
 * const signed = await signActionResult(result, { hash: "a".repeat(64), sizeBytes: 1 }, key);
 * assert.deepEqual(stripSignatures(signed), result);
 * ```
 */
export function stripSignatures(result: ActionResult): ActionResult {
  const metadata = result.executionMetadata;
  if (metadata === undefined) return result;
  const stripped: ActionResult = { ...result };
  const kept = { ...metadata };
  const auxiliary = metadata.auxiliaryMetadata?.filter((any) => any.typeUrl !== SIGNATURE_TYPE_URL);
  if (auxiliary === undefined || auxiliary.length === 0) delete kept.auxiliaryMetadata;
  else kept.auxiliaryMetadata = auxiliary;
  if (Object.values(kept).every((value) => value === undefined || value === "")) {
    delete stripped.executionMetadata;
  } else {
    stripped.executionMetadata = kept;
  }
  return stripped;
}

/**
 * Signs an action result for an action: returns a copy holding the
 * signature in its `executionMetadata.auxiliaryMetadata`, in place of any
 * earlier barchan signature; other metadata is kept.
 *
 * @param result The action result.
 * @param actionDigest The digest of the action it is the result of.
 * @param key The signing key.
 * @returns The signed copy.
 *
 * @example The signature is an Any of the signature type
 * ```ts
 * import type { ActionResult } from "./action_result.ts";
 * import {
 *   generateKeyPair,
 *   importSigningKey,
 *   SIGNATURE_TYPE_URL,
 *   signActionResult,
 * } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * const key = await importSigningKey((await generateKeyPair()).privateKeyPem);
 * const result: ActionResult = { outputFiles: [], outputDirectories: [], exitCode: 0 };
 * const signed = await signActionResult(result, { hash: "a".repeat(64), sizeBytes: 1 }, key);
 * assert.equal(signed.executionMetadata?.auxiliaryMetadata?.[0].typeUrl, SIGNATURE_TYPE_URL);
 * assert.equal(result.executionMetadata, undefined);
 * ```
 */
export async function signActionResult(
  result: ActionResult,
  actionDigest: Digest,
  key: SigningKey,
): Promise<ActionResult> {
  const stripped = stripSignatures(result);
  const payload = signaturePayload(stripped, actionDigest);
  const signature = new Uint8Array(await crypto.subtle.sign(_ED25519, key.privateKey, payload));
  const w = new ProtoWriter(128);
  w.string(1, key.keyId);
  w.bytes(2, signature);
  const metadata = { ...stripped.executionMetadata };
  metadata.auxiliaryMetadata = [
    ...(metadata.auxiliaryMetadata ?? []),
    { typeUrl: SIGNATURE_TYPE_URL, value: w.finish().slice() },
  ];
  return { ...stripped, executionMetadata: metadata };
}

/**
 * Checks an action result's signatures against trusted public keys: valid
 * if one of them, by a trusted key, verifies for this action.
 *
 * @param result The action result, as read from a cache.
 * @param actionDigest The digest of the action it was looked up for.
 * @param keys The trusted public keys.
 * @returns Valid, with the signing key's id, or why not.
 *
 * @example Another action's result does not verify
 * ```ts
 * import {
 *   generateKeyPair,
 *   importSigningKey,
 *   importVerifyingKey,
 *   signActionResult,
 *   verifyActionResult,
 * } from "./signing.ts";
 * import assert from "node:assert/strict";
 *
 * const pair = await generateKeyPair();
 * const trusted = [await importVerifyingKey(pair.publicKeyPem)];
 * const result = { outputFiles: [], outputDirectories: [], exitCode: 0 };
 * const a = { hash: "a".repeat(64), sizeBytes: 1 };
 * const b = { hash: "b".repeat(64), sizeBytes: 1 };
 * const signed = await signActionResult(result, a, await importSigningKey(pair.privateKeyPem));
 * assert.deepEqual(await verifyActionResult(signed, b, trusted), {
 *   valid: false,
 *   reason: "bad signature",
 * });
 * ```
 */
export async function verifyActionResult(
  result: ActionResult,
  actionDigest: Digest,
  keys: readonly VerifyingKey[],
): Promise<SignatureCheck> {
  const signatures = (result.executionMetadata?.auxiliaryMetadata ?? [])
    .filter((any) => any.typeUrl === SIGNATURE_TYPE_URL)
    .map((any) => _decodeSignature(any.value));
  if (signatures.length === 0) return { valid: false, reason: "unsigned" };
  const payload = signaturePayload(result, actionDigest);
  let trustedKeySigned = false;
  for (const signature of signatures) {
    if (signature === undefined) continue;
    for (const key of keys) {
      if (key.keyId !== signature.keyId) continue;
      trustedKeySigned = true;
      if (await crypto.subtle.verify(_ED25519, key.publicKey, signature.signature, payload)) {
        return { valid: true, keyId: key.keyId };
      }
    }
  }
  return { valid: false, reason: trustedKeySigned ? "bad signature" : "unknown key" };
}

/** A decoded `barchan.v1.Signature`, or `undefined` when its bytes are malformed. */
function _decodeSignature(
  bytes: Uint8Array,
): { keyId: string; signature: Uint8Array<ArrayBuffer> } | undefined {
  try {
    const r = new ProtoReader(bytes);
    let keyId = "";
    let signature = new Uint8Array();
    while (r.next()) {
      if (r.field === 1) keyId = r.string();
      else if (r.field === 2) signature = r.bytes().slice();
      else r.skip();
    }
    return { keyId, signature };
  } catch (error) {
    if (error instanceof ProtoDecodeError) return undefined;
    throw error;
  }
}

async function _keyId(raw: Uint8Array): Promise<string> {
  await loadDigests();
  return sha256DigestSync(raw)!.hash;
}

function _toPem(label: string, der: Uint8Array): string {
  const lines = _toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function _fromPem(pem: string, label: string, what: string): Uint8Array<ArrayBuffer> {
  const match = pem.match(
    new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`),
  );
  if (match === null) {
    throw new Error(
      `Cannot import the ${what}: no "-----BEGIN ${label}-----" block in the text; ` +
        `give the ${what} file's content`,
    );
  }
  return _fromBase64(match[1].replace(/\s+/g, ""), what);
}

function _toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function _fromBase64(text: string, what: string): Uint8Array<ArrayBuffer> {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new Error(`Cannot import the ${what}: it is neither PEM nor base64`);
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function _fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return _fromBase64(base64.padEnd(base64.length + (4 - base64.length % 4) % 4, "="), "key");
}
