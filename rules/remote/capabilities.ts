/**
 * What a remote offers, asked first: digest functions, the largest batch,
 * cache priorities, whether it may be written to and whether it executes.
 *
 * @module
 */

import type { CallOptions, RemoteChannel } from "./channel.ts";
import {
  decodeServerCapabilities,
  DigestFunction,
  encodeGetCapabilitiesRequest,
  type ServerCapabilities,
} from "../reapi/capabilities.ts";

/**
 * The capabilities a client acts on, from `ServerCapabilities`.
 *
 * @example A cache-only server
 * ```ts
 * import { type RemoteCapabilities, summarizeCapabilities } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const caps: RemoteCapabilities = summarizeCapabilities({});
 * assert.equal(caps.execEnabled, false);
 * assert.equal(caps.sha256, true);
 * ```
 */
export interface RemoteCapabilities {
  /** Whether the cache hashes with SHA-256 (the only function barchan uses). */
  sha256: boolean;
  /**
   * Largest total size of a BatchUpdateBlobs or BatchReadBlobs request, in
   * bytes; 0 when the server sets no limit.
   */
  maxBatchTotalSizeBytes: number;
  /** Whether clients may write the action cache (UpdateActionResult). */
  actionCacheUpdateEnabled: boolean;
  /** Cache priority ranges the server accepts ([] when it ignores priorities). */
  cachePriorities: { minPriority: number; maxPriority: number }[];
  /** Whether the server runs actions (Execution.Execute). */
  execEnabled: boolean;
  /** Execution priority ranges ([] when none). */
  executionPriorities: { minPriority: number; maxPriority: number }[];
  /** Highest API version, as `2.3`; "" when not given. */
  highApiVersion: string;
  /** The message itself. */
  raw: ServerCapabilities;
}

/**
 * The full name of Capabilities.GetCapabilities.
 *
 * @example Its service and method
 * ```ts
 * import { GET_CAPABILITIES } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(GET_CAPABILITIES.endsWith(".Capabilities.GetCapabilities"));
 * ```
 */
export const GET_CAPABILITIES = "build.bazel.remote.execution.v2.Capabilities.GetCapabilities";

/**
 * Asks the server for its capabilities.
 *
 * @param channel An open channel.
 * @param instanceName The instance, "" for the default one.
 * @param options The call's deadline.
 * @returns What the server offers.
 * @throws {RemoteError} When the call fails.
 *
 * @example Summarising a ServerCapabilities message
 * ```ts
 * import { summarizeCapabilities } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const caps = summarizeCapabilities({
 *   cacheCapabilities: { digestFunctions: [1], maxBatchTotalSizeBytes: 4 << 20 },
 * });
 * assert.equal(caps.sha256, true);
 * assert.equal(caps.execEnabled, false);
 * assert.equal(caps.maxBatchTotalSizeBytes, 4 << 20);
 * ```
 */
export async function getCapabilities(
  channel: RemoteChannel,
  instanceName = "",
  options: CallOptions = {},
): Promise<RemoteCapabilities> {
  const bytes = await channel.unary(
    GET_CAPABILITIES,
    encodeGetCapabilitiesRequest({ instanceName }),
    options,
  );
  return summarizeCapabilities(decodeServerCapabilities(bytes));
}

/**
 * The summary of a `ServerCapabilities` message. A server that lists no cache
 * digest function is taken to hash with SHA-256, as REAPI's first servers
 * did.
 *
 * @param raw The decoded message.
 * @returns The capabilities a client acts on.
 *
 * @example A server that executes
 * ```ts
 * import { summarizeCapabilities } from "./capabilities.ts";
 * import assert from "node:assert/strict";
 *
 * const caps = summarizeCapabilities({
 *   executionCapabilities: { digestFunction: 1, execEnabled: true },
 *   highApiVersion: { major: 2, minor: 3, patch: 0 },
 * });
 * assert.equal(caps.execEnabled, true);
 * assert.equal(caps.highApiVersion, "2.3");
 * ```
 */
export function summarizeCapabilities(raw: ServerCapabilities): RemoteCapabilities {
  const cache = raw.cacheCapabilities;
  const execution = raw.executionCapabilities;
  const functions = cache?.digestFunctions ?? [];
  const version = raw.highApiVersion;
  return {
    sha256: functions.length === 0 || functions.includes(DigestFunction.SHA256),
    maxBatchTotalSizeBytes: cache?.maxBatchTotalSizeBytes ?? 0,
    actionCacheUpdateEnabled: cache?.actionCacheUpdateCapabilities?.updateEnabled ?? false,
    cachePriorities: cache?.cachePriorityCapabilities?.priorities?.map(_range) ?? [],
    execEnabled: execution?.execEnabled ?? false,
    executionPriorities: execution?.executionPriorityCapabilities?.priorities?.map(_range) ?? [],
    highApiVersion: version ? `${version.major ?? 0}.${version.minor ?? 0}` : "",
    raw,
  };
}

function _range(range: { minPriority?: number; maxPriority?: number }) {
  return { minPriority: range.minPriority ?? 0, maxPriority: range.maxPriority ?? 0 };
}
