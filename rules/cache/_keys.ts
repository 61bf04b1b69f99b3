// Reading the key files of the action cache: the public keys whose
// signatures a reader trusts, and the private key a trusted writer signs
// with. A key that cannot be read is an error, not a warning: a reader that
// silently trusted nothing, or a writer that silently signed nothing, would
// be a cache that does not do what it was told.

import {
  importSigningKey,
  importVerifyingKey,
  type SigningKey,
  type VerifyingKey,
} from "../reapi/signing.ts";

/**
 * The public keys in a file (one or more: PEM blocks, or base64 lines) or in
 * every file of a directory (files whose name starts with `.` skipped).
 */
export async function loadTrustedKeys(path: string): Promise<VerifyingKey[]> {
  let files: string[];
  try {
    files = (await Deno.stat(path)).isDirectory ? await _filesIn(path) : [path];
  } catch (error) {
    throw new Error(
      `Cannot read the trusted keys at ${path}: ${(error as Error).message}; ` +
        "give --cache-trusted-keys a file or directory of public keys (barchan cache keygen writes one)",
    );
  }
  const keys: VerifyingKey[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    if (text.includes("PRIVATE KEY")) {
      throw new Error(
        `Cannot trust the keys in ${file}: it holds a private key; ` +
          "keep only public keys (the .pub file of barchan cache keygen) with the trusted keys",
      );
    }
    for (const keyText of _keyTexts(text)) {
      try {
        keys.push(await importVerifyingKey(keyText));
      } catch (error) {
        throw new Error(`Cannot read a trusted key in ${file}: ${(error as Error).message}`);
      }
    }
  }
  if (keys.length === 0) {
    throw new Error(
      `Cannot require signatures: no public key found in ${path}; ` +
        "put the .pub file of barchan cache keygen there",
    );
  }
  return keys;
}

/** The private key in `source`: PEM text itself, or a file holding it. */
export async function loadSigningKey(source: string): Promise<SigningKey> {
  const isText = source.trimStart().startsWith("-----BEGIN");
  const what = isText ? "the signing key given as text" : `the signing key ${source}`;
  let text: string;
  try {
    text = isText ? source : await Deno.readTextFile(source);
  } catch (error) {
    throw new Error(`Cannot read ${what}: ${(error as Error).message}`);
  }
  try {
    return await importSigningKey(text);
  } catch (error) {
    throw new Error(`Cannot use ${what}: ${(error as Error).message}`);
  }
}

async function _filesIn(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".")) continue;
    const path = `${dir.replace(/\/+$/, "")}/${entry.name}`;
    if ((await Deno.stat(path)).isFile) files.push(path);
  }
  return files.sort();
}

/** Each key in a file's text: PEM blocks whole, other non-empty lines (not `#` comments) alone. */
function _keyTexts(text: string): string[] {
  const keys: string[] = [];
  const pem = /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g;
  for (const match of text.matchAll(pem)) keys.push(match[0]);
  for (const line of text.replace(pem, "").split("\n")) {
    const trimmed = line.trim();
    if (trimmed !== "" && !trimmed.startsWith("#")) keys.push(trimmed);
  }
  return keys;
}
