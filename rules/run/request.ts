/**
 * A build request (`build`, `build @test`, `build out/a out/b`) as the root
 * of a build's memo graph: its id names it in the store, where a later
 * process finds it to tell, from the store's checkpoint alone, whether the
 * same request would run anything.
 *
 * This module is on the CLI's path to a build with nothing to do, so it
 * imports nothing but the key encoding.
 *
 * @module
 */
import { canonicalKey } from "../../memo/key.ts";
import denoJson from "../../deno.json" with { type: "json" };

/**
 * This barchan: its version, where it is, and the runtime's version. A
 * request's root is named with it, so that another barchan (another
 * version or checkout) never takes a build recorded by this one for its own.
 */
export const TOOL: string = `barchan ${denoJson.version} ${
  new URL("../..", import.meta.url).href
} deno ${Deno.version.deno}`;

/** The name of the memo function whose calls are requests (nodes.ts). */
export const REQUEST_FUNCTION = "barchan.request";

/** What a build is asked for. */
export interface BuildRequestKey {
  /** Targets (project-relative paths) and `@aliases`, as given; none for the default. */
  targets: string[];
  /**
   * What built it: the tool's version and place and the runtime's version,
   * so that another barchan never takes an old answer for its own.
   */
  tool: string;
  /**
   * Whether the build type-checks build.ts (`build` does unless
   * `--no-check`): present only then, so that a request built without the
   * check is not taken for one built with it.
   */
  check?: true;
}

/**
 * The key of a request of this barchan.
 * @param targets Targets and `@aliases`, as given; none for the default.
 * @param check Whether the build type-checks build.ts.
 * @returns The key.
 *
 * @example A request with the type check is another request
 * ```ts
 * import { requestId, requestKey } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.notEqual(requestId(requestKey(["@test"], true)), requestId(requestKey(["@test"], false)));
 * ```
 */
export function requestKey(targets: readonly string[], check = false): BuildRequestKey {
  const key: BuildRequestKey = { targets: [...targets], tool: TOOL };
  if (check) key.check = true;
  return key;
}

/**
 * The id of a request's root node in the store.
 * @param request The request.
 * @returns The id.
 *
 * @example
 * ```ts
 * import { requestId } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const a = requestId({ targets: ["@test"], tool: "barchan 1" });
 * assert.notEqual(a, requestId({ targets: ["@test"], tool: "barchan 2" }));
 * assert.equal(a, requestId({ targets: ["@test"], tool: "barchan 1" }));
 * ```
 */
export function requestId(request: BuildRequestKey): string {
  return REQUEST_FUNCTION + "\u0000" + canonicalKey(request);
}

/**
 * Whether a node id is a request's: the store indexes those in its
 * checkpoints, so that a check of one stats its files without walking its graph.
 * @param id A node id.
 * @returns True for a request's root.
 *
 * @example
 * ```ts
 * import { isRequest, requestId } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isRequest(requestId({ targets: [], tool: "t" })), true);
 * assert.equal(isRequest("barchan.rule\u0000\"out/a\""), false);
 * ```
 */
export function isRequest(id: string): boolean {
  return id.startsWith(REQUEST_FUNCTION + "\u0000");
}
