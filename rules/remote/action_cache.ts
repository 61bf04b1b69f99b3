/**
 * The ActionCache service: action results by action digest.
 *
 * @module
 */

import type { RemoteChannel } from "./channel.ts";
import { GrpcCode, RemoteError } from "./errors.ts";
import {
  type ActionResult,
  decodeActionResult,
  encodeActionResult,
} from "../reapi/action_result.ts";
import { encodeGetActionResultRequest } from "../reapi/action_cache.ts";
import { type Digest, writeDigest } from "../reapi/messages.ts";
import { ProtoWriter } from "../reapi/proto.ts";

const _SERVICE = "build.bazel.remote.execution.v2.ActionCache";

/**
 * Options of {@linkcode ActionCacheClient}.
 *
 * @example An instance
 * ```ts
 * import type { ActionCacheClientOptions } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ActionCacheClientOptions = { instanceName: "ci" };
 * assert.equal(options.instanceName, "ci");
 * ```
 */
export interface ActionCacheClientOptions {
  /** The instance name. @default "" */
  instanceName?: string;
}

/**
 * A client of the ActionCache service. Results travel as encoded
 * `ActionResult` bytes, so a result is stored and returned exactly as its
 * writer encoded it (a signature inside it stays valid).
 *
 * @example The client keeps its instance name
 * ```ts
 * import { ActionCacheClient } from "./action_cache.ts";
 * import { RemoteChannel } from "./channel.ts";
 * import assert from "node:assert/strict";
 *
 * const channel = await RemoteChannel.open("grpc://127.0.0.1:8980");
 * assert.equal(new ActionCacheClient(channel, { instanceName: "ci" }).instanceName, "ci");
 * channel.close();
 * ```
 */
export class ActionCacheClient {
  /** The instance name sent with every call. */
  readonly instanceName: string;
  #channel: RemoteChannel;

  /**
   * Makes a client on an open channel.
   *
   * @param channel An open channel.
   * @param options The instance name.
   */
  constructor(channel: RemoteChannel, options: ActionCacheClientOptions = {}) {
    this.#channel = channel;
    this.instanceName = options.instanceName ?? "";
  }

  /**
   * The encoded result cached for an action.
   *
   * @param actionDigest The digest of the encoded `Action`.
   * @returns The `ActionResult` bytes as the server sent them, or
   * `undefined` when it has none (NOT_FOUND).
   * @throws {RemoteError} When the call fails otherwise.
   */
  async getEncoded(actionDigest: Digest): Promise<Uint8Array | undefined> {
    try {
      return await this.#channel.unary(
        `${_SERVICE}.GetActionResult`,
        encodeGetActionResultRequest({ instanceName: this.instanceName, actionDigest }),
      );
    } catch (error) {
      if (error instanceof RemoteError && error.code === GrpcCode.NOT_FOUND) return undefined;
      throw error;
    }
  }

  /**
   * The result cached for an action, decoded.
   *
   * @param actionDigest The action's digest.
   * @returns The result, or `undefined` when there is none.
   * @throws {RemoteError} When the call fails.
   */
  async get(actionDigest: Digest): Promise<ActionResult | undefined> {
    const bytes = await this.getEncoded(actionDigest);
    return bytes === undefined ? undefined : decodeActionResult(bytes);
  }

  /**
   * Stores a result for an action. The server may refuse
   * (PERMISSION_DENIED) when clients may not write its cache.
   *
   * @param actionDigest The action's digest.
   * @param result The result, or its encoding.
   * @throws {RemoteError} When the call fails.
   */
  async update(actionDigest: Digest, result: ActionResult | Uint8Array): Promise<void> {
    await this.#channel.unary(
      `${_SERVICE}.UpdateActionResult`,
      _encodeUpdateRequest(
        this.instanceName,
        actionDigest,
        result instanceof Uint8Array ? result : encodeActionResult(result),
      ),
    );
  }
}

/**
 * An `UpdateActionResultRequest` around an already encoded result, so the
 * result's bytes go to the server unchanged.
 */
function _encodeUpdateRequest(
  instanceName: string,
  actionDigest: Digest,
  actionResult: Uint8Array,
): Uint8Array {
  const w = new ProtoWriter(actionResult.byteLength + 128);
  w.string(1, instanceName);
  w.message(2, actionDigest, writeDigest);
  w.encodedMessage(3, actionResult);
  return w.finish();
}
