// SHA-256 through node:crypto, imported on first use (WebCrypto cannot hash
// incrementally, and a downloaded blob is hashed as it streams to its file).

/** An incremental SHA-256. */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  /** Lowercase hex; the hash may not be updated afterwards. */
  hex(): string;
}

type _NodeCrypto = typeof import("node:crypto");
let _crypto: Promise<_NodeCrypto> | undefined;

/** A fresh incremental SHA-256. */
export async function createSha256(): Promise<Sha256> {
  _crypto ??= import("node:crypto");
  const hash = (await _crypto).createHash("sha256");
  return {
    update(bytes) {
      hash.update(bytes);
    },
    hex() {
      return hash.digest("hex");
    },
  };
}

/** The lowercase hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const hash = await createSha256();
  hash.update(bytes);
  return hash.hex();
}
