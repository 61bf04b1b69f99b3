/**
 * Whether a value is plain JSON data, which the store can keep as is.
 *
 * @module
 */

/**
 * Returns whether `value` is JSON data: null, booleans, finite numbers,
 * strings, arrays and plain objects of those, with no `undefined` inside.
 *
 * @param value The value to test.
 * @returns True when it survives `JSON.stringify` and `JSON.parse` unchanged.
 *
 * @example
 * ```ts
 * import { isJsonData } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isJsonData({ a: [1, "x", null] }));
 * assert.ok(!isJsonData(new Map()));
 * ```
 */
export function isJsonData(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isJsonData(value[i])) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in value) {
        if (!isJsonData((value as Record<string, unknown>)[k])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
