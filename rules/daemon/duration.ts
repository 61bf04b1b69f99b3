/**
 * Durations as people write them in settings (`BARCHAN_SERVER_IDLE=15m`),
 * and back.
 *
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * Reads a duration: a number with a unit `ms`, `s`, `m` (or `min`) or `h`,
 * such as `30s`, `15m`, `1.5h`; a bare number is seconds.
 * @param text The text.
 * @returns Milliseconds, or undefined when the text is not a duration.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseDuration("15m"), 900_000);
 * assert.equal(parseDuration("2"), 2000);
 * assert.equal(parseDuration("soon"), undefined);
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?\s*$/.exec(text);
  if (match === null) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2] ?? "s"]);
}

/**
 * A duration in words, to the second above a minute: `250 ms`, `42 s`,
 * `3 min 12 s`, `2 h 5 min`.
 * @param ms Milliseconds.
 * @returns The text.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  }
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}
