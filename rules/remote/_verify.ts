// Every blob downloaded from a remote is checked against its digest.

import type { Digest } from "../reapi/messages.ts";
import { GrpcCode, RemoteError } from "./errors.ts";

/** The error for a downloaded blob whose size or SHA-256 differs from its digest. */
export function blobMismatch(
  method: string,
  endpoint: string,
  digest: Digest,
  got: { hash: string; sizeBytes: number },
): RemoteError {
  const what = got.sizeBytes !== digest.sizeBytes
    ? `${got.sizeBytes} bytes`
    : `SHA-256 ${got.hash}`;
  return new RemoteError({
    code: GrpcCode.DATA_LOSS,
    method,
    endpoint,
    details: `blob ${digest.hash}/${digest.sizeBytes} arrived as ${what}; ` +
      "the server's copy or the connection is damaged, and the blob was not used",
  });
}
