/**
 * Extra request headers for the remote cache, such as a token, from
 * `BARCHAN_REMOTE_CACHE_HEADERS`.
 *
 * Syntax: `Name=value` pairs separated by commas, as in
 * `Authorization=Bearer abc123,X-Team=build`. The first `=` of a pair ends
 * the name; spaces around names and values are dropped; a backslash makes the
 * next character plain, so `\,` is a comma within a value and `\\` a
 * backslash. Names are HTTP tokens; values may not hold line breaks. Error
 * messages name the header, never its value.
 *
 * @module
 */

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Reads headers written as `Name=value,Name=value`.
 *
 * @param text The headers (see the module doc for escapes).
 * @returns Each header's value by name; a later pair replaces an earlier one
 * of the same name (names ignore case).
 * @throws {Error} If a pair has no `=`, a name is not an HTTP token, or a
 * value holds a line break.
 *
 * @example A token and a header whose value holds a comma
 * ```ts
 * import { parseCacheHeaders } from "./cache_headers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCacheHeaders("Authorization=Bearer x, X-Tags=a\\,b"), {
 *   "authorization": "Bearer x",
 *   "x-tags": "a,b",
 * });
 * ```
 */
export function parseCacheHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of _splitPairs(text)) {
    if (pair.text.trim() === "") continue;
    const eq = pair.equals;
    if (eq < 0) {
      throw new Error(
        `Cannot read remote cache header ${
          JSON.stringify(_unescape(pair.text).trim().slice(0, 40))
        }: it has no "="; write Name=value pairs separated by commas, as in Authorization=Bearer abc,X-Team=build`,
      );
    }
    const name = _unescape(pair.text.slice(0, eq)).trim();
    const value = _unescape(pair.text.slice(eq + 1)).trim();
    if (!TOKEN.test(name)) {
      throw new Error(
        `Cannot read remote cache header name ${
          JSON.stringify(name)
        }: a header name has only letters, digits and !#$%&'*+-.^_\`|~`,
      );
    }
    if (/[\r\n\0]/.test(value)) {
      throw new Error(`Cannot use the value of remote cache header ${name}: it holds a line break`);
    }
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

/**
 * The headers of `BARCHAN_REMOTE_CACHE_HEADERS` (see the module doc for the
 * syntax); none when it is unset.
 *
 * @param env Reads an environment variable; `Deno.env.get` by default.
 * @returns The headers by lower-case name.
 * @throws {Error} If the variable cannot be read as headers.
 *
 * @example Headers from the environment
 * ```ts
 * import { remoteCacheHeaders } from "./cache_headers.ts";
 * import assert from "node:assert/strict";
 *
 * const env = (name: string) =>
 *   name === "BARCHAN_REMOTE_CACHE_HEADERS" ? "Authorization=Bearer t0ken" : undefined;
 * assert.deepEqual(remoteCacheHeaders(env), { authorization: "Bearer t0ken" });
 * assert.deepEqual(remoteCacheHeaders(() => undefined), {});
 * ```
 */
export function remoteCacheHeaders(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): Record<string, string> {
  const text = env("BARCHAN_REMOTE_CACHE_HEADERS");
  if (text === undefined) return {};
  try {
    return parseCacheHeaders(text);
  } catch (error) {
    throw new Error(`Cannot read BARCHAN_REMOTE_CACHE_HEADERS: ${(error as Error).message}`);
  }
}

/** Splits at unescaped commas; notes where each pair's first unescaped `=` is. */
function _splitPairs(text: string): { text: string; equals: number }[] {
  const pairs: { text: string; equals: number }[] = [];
  let start = 0;
  let equals = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === "\\") {
      i++;
    } else if (c === "=" && equals < 0) {
      equals = i - start;
    } else if (c === "," || i === text.length) {
      pairs.push({ text: text.slice(start, i), equals });
      start = i + 1;
      equals = -1;
    }
  }
  return pairs;
}

function _unescape(text: string): string {
  return text.replace(/\\(.?)/gs, "$1");
}
