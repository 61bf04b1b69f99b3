// The checksum ending each line of barchan's own line-based state files
// (outputs.log, running.log): FNV-1a over the line's UTF-8 bytes before its
// last tab, as 8 hex digits. Computed on the bytes read, without a copy, so
// that checking a log of 20,000 lines costs a few milliseconds.

const encoder = new TextEncoder();

/**
 * The 32-bit FNV-1a hash of `bytes[start, end)`.
 * @param bytes The bytes.
 * @param start Where the line starts.
 * @param end Where what the checksum covers ends.
 */
export function lineSum(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash >>> 0;
}

/** A line of a state file: its fields, tab-separated, then their checksum and a newline. */
export function summedLine(body: string): string {
  return `${body}\t${lineSum(encoder.encode(body)).toString(16).padStart(8, "0")}\n`;
}

/** The value of 8 lowercase hex digits at `bytes[start, start + 8)`, -1 when they are not. */
export function parseSum(bytes: Uint8Array, start: number): number {
  let value = 0;
  for (let i = start; i < start + 8; i++) {
    const c = bytes[i];
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}
