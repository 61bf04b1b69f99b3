// Actions for the action cache tests: output files written to a directory,
// the ActionResult naming them, and its stdout as a blob.

import type { ActionResult } from "../../../rules/reapi/action_result.ts";
import type { ActionBlob, ActionOutput } from "../../../rules/cache/action_cache.ts";
import { type Digest, sha256Digest } from "../../../rules/reapi/digest.ts";
import { generateKeyPair } from "../../../rules/reapi/signing.ts";

const encoder = new TextEncoder();

/** What a test action produced, ready for `ActionCache.store`. */
export interface TestAction {
  /** The action's key. */
  action: Digest;
  result: ActionResult;
  outputs: ActionOutput[];
  blobs: ActionBlob[];
  /** Each output's content, by its path in the result. */
  contents: Map<string, Uint8Array>;
}

/**
 * Writes an action's outputs under `dir` (name → content; names ending in
 * `.sh` are executable) and describes the result, with `stdout` as a blob.
 */
export async function makeAction(
  dir: string,
  name: string,
  files: Record<string, string>,
  stdout = "",
): Promise<TestAction> {
  const outputs: ActionOutput[] = [];
  const contents = new Map<string, Uint8Array>();
  const result: ActionResult = { outputFiles: [], outputDirectories: [], exitCode: 0 };
  for (const [path, text] of Object.entries(files)) {
    const bytes = encoder.encode(text);
    const digest = await sha256Digest(bytes);
    const isExecutable = path.endsWith(".sh");
    const file = `${dir}/${path}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(file, bytes, { mode: isExecutable ? 0o755 : 0o644 });
    outputs.push({ path: file, digest });
    contents.set(path, bytes);
    result.outputFiles.push({ path, digest, isExecutable });
  }
  const blobs: ActionBlob[] = [];
  if (stdout !== "") {
    const bytes = encoder.encode(stdout);
    result.stdoutDigest = await sha256Digest(bytes);
    blobs.push({ digest: result.stdoutDigest, bytes });
  }
  const action = await sha256Digest(encoder.encode(`action ${name}`));
  return { action, result, outputs, blobs, contents };
}

/** A key pair written as files: the private key (0600) and the public key. */
export async function writeKeyPair(
  dir: string,
  name: string,
): Promise<{ privateKey: string; publicKey: string; keyId: string }> {
  const pair = await generateKeyPair();
  await Deno.mkdir(dir, { recursive: true });
  const privateKey = `${dir}/${name}.key`;
  const publicKey = `${dir}/${name}.pub`;
  await Deno.writeTextFile(privateKey, pair.privateKeyPem, { mode: 0o600 });
  await Deno.writeTextFile(publicKey, pair.publicKeyPem);
  return { privateKey, publicKey, keyId: pair.keyId };
}
