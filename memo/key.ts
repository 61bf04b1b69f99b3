/**
 * Canonical keys for memo inputs: a stable string for plain data, with object
 * keys sorted, so that equal inputs always find the same cache entry.
 *
 * @module
 */

/**
 * Returns the canonical JSON text of plain data: `null`, booleans, finite
 * numbers, strings, arrays and plain objects (keys sorted). Anything else
 * (functions, symbols, bigints, class instances, `undefined` in an array,
 * non-finite numbers) is rejected with a `TypeError` naming where it was found.
 *
 * @param value The input to encode.
 * @param what How to name the value in an error, e.g. `input of memo "lines"`.
 * @returns The canonical JSON text.
 *
 * @example Keys do not depend on property order
 * ```ts
 * import { canonicalKey } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * assert.equal(canonicalKey({ b: 1, a: [2] }), canonicalKey({ a: [2], b: 1 }));
 * ```
 */
export function canonicalKey(value: unknown, what = "value"): string {
  if (typeof value === "string") return JSON.stringify(value);
  return encode(value, what, "");
}

function encode(value: unknown, what: string, at: string): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(`Cannot use ${value} in the ${what}${where(at)}: not a finite number`);
      }
      return String(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          out += encode(value[i], what, `${at}[${i}]`);
        }
        return out + "]";
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as object).constructor?.name ?? "unknown";
        throw new TypeError(
          `Cannot use a ${name} instance in the ${what}${where(at)}: ` +
            `only plain data has a default key; pass a "key" option to memo()`,
        );
      }
      const keys = Object.keys(value).sort();
      let out = "{";
      let first = true;
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue;
        if (!first) out += ",";
        first = false;
        out += JSON.stringify(k) + ":" + encode(v, what, `${at}.${k}`);
      }
      return out + "}";
    }
    default:
      throw new TypeError(
        `Cannot use a ${typeof value} in the ${what}${where(at)}: ` +
          `only plain data has a default key; pass a "key" option to memo()`,
      );
  }
}

function where(at: string): string {
  return at === "" ? "" : ` at ${at}`;
}
