/**
 * JSON with comments and trailing commas, as `deno.jsonc` and `deno.json`
 * allow them.
 *
 * @module
 */

/**
 * Parses JSONC: `//` and `/* *\/` comments and trailing commas are dropped,
 * strings kept as they are.
 * @param text The text.
 * @returns The value.
 * @throws {SyntaxError} When the rest is not JSON.
 *
 * @example A deno.jsonc with a comment and a trailing comma
 * ```ts
 * import { parseJsonc } from "./_jsonc.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseJsonc(`{ "lock": false, // no lock file\n }`), { lock: false });
 * ```
 */
export function parseJsonc(text: string): unknown {
  return JSON.parse(withoutTrailingCommas(withoutComments(text)));
}

function withoutComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
      out += " ";
    } else out += c;
  }
  return out;
}

function withoutTrailingCommas(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (c === ",") {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j])) j++;
      if (text[j] !== "}" && text[j] !== "]") out += c;
    } else out += c;
  }
  return out;
}

/** The index just past the string starting at `start` (its opening quote). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}
