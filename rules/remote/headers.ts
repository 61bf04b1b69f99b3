/**
 * Extra headers (tokens, API keys) sent with every remote call, from
 * `BARCHAN_REMOTE_HEADERS`.
 *
 * @module
 */

/**
 * The environment variable holding the headers of remote calls.
 *
 * @example Its name
 * ```ts
 * import { REMOTE_HEADERS_ENV } from "./headers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(REMOTE_HEADERS_ENV, "BARCHAN_REMOTE_HEADERS");
 * ```
 */
export const REMOTE_HEADERS_ENV = "BARCHAN_REMOTE_HEADERS";

/**
 * Parses a header list written `Name=value,Other=value`, the syntax of
 * `BARCHAN_REMOTE_HEADERS` and of the HTTP cache's
 * `BARCHAN_REMOTE_CACHE_HEADERS`. Names are lowercased (gRPC metadata keys
 * are); a value keeps everything after the first `=`, so base64 padding
 * survives. Blank items are skipped.
 *
 * @param text The list; `undefined` or blank gives no headers.
 * @returns `[name, value]` pairs in the order written.
 * @throws {TypeError} When an item has no `=` or an empty or invalid name.
 *
 * @example Reading a token header
 * ```ts
 * import { parseRemoteHeaders } from "./headers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   parseRemoteHeaders("x-buildbuddy-api-key=abc==, Authorization=Bearer t"),
 *   [["x-buildbuddy-api-key", "abc=="], ["authorization", "Bearer t"]],
 * );
 * assert.throws(() => parseRemoteHeaders("token"), /Name=value/);
 * ```
 */
export function parseRemoteHeaders(text: string | undefined): [string, string][] {
  const headers: [string, string][] = [];
  for (const item of (text ?? "").split(",")) {
    if (item.trim() === "") continue;
    const eq = item.indexOf("=");
    const name = eq < 0 ? "" : item.slice(0, eq).trim().toLowerCase();
    if (eq < 0 || !/^[0-9a-z_.-]+$/.test(name)) {
      throw new TypeError(
        `Cannot parse remote header "${item.trim()}": write headers as Name=value,Other=value`,
      );
    }
    headers.push([name, item.slice(eq + 1).trim()]);
  }
  return headers;
}

/**
 * The headers of `BARCHAN_REMOTE_HEADERS`, or none when it is unset or
 * cannot be read (no `--allow-env`).
 *
 * @returns `[name, value]` pairs.
 * @throws {TypeError} When the variable is set but malformed.
 *
 * @example Headers from the environment
 * ```ts
 * import { REMOTE_HEADERS_ENV, remoteHeadersFromEnv } from "./headers.ts";
 * import assert from "node:assert/strict";
 *
 * Deno.env.set(REMOTE_HEADERS_ENV, "x-token=secret");
 * assert.deepEqual(remoteHeadersFromEnv(), [["x-token", "secret"]]);
 * Deno.env.delete(REMOTE_HEADERS_ENV);
 * ```
 */
export function remoteHeadersFromEnv(): [string, string][] {
  let text: string | undefined;
  try {
    text = Deno.env.get(REMOTE_HEADERS_ENV);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return [];
    throw error;
  }
  return parseRemoteHeaders(text);
}
