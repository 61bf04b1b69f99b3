/**
 * The Execution service: run an action remotely and follow its Operation to
 * the end, picking a dropped stream up again with WaitExecution.
 *
 * @module
 */

import type { RemoteChannel } from "./channel.ts";
import { GrpcCode, RemoteError } from "./errors.ts";
import type { ActionResult } from "../reapi/action_result.ts";
import {
  decodeExecuteOperationMetadata,
  decodeExecuteResponse,
  encodeExecuteRequest,
  encodeWaitExecutionRequest,
} from "../reapi/execution.ts";
import { decodeOperation, type Operation, type Status } from "../reapi/google.ts";
import type { Digest } from "../reapi/messages.ts";
import { isRetryable } from "./_retry.ts";

const _SERVICE = "build.bazel.remote.execution.v2.Execution";
const _EXECUTE_RESPONSE = "build.bazel.remote.execution.v2.ExecuteResponse";
const _OPERATION_METADATA = "build.bazel.remote.execution.v2.ExecuteOperationMetadata";

/**
 * Stages of `ExecuteOperationMetadata`, by number.
 *
 * @example Stage names
 * ```ts
 * import { EXECUTION_STAGES } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(EXECUTION_STAGES[3], "EXECUTING");
 * ```
 */
export const EXECUTION_STAGES: readonly string[] = [
  "UNKNOWN",
  "CACHE_CHECK",
  "QUEUED",
  "EXECUTING",
  "COMPLETED",
];

/**
 * Options of {@linkcode ExecutionClient}.
 *
 * @example More patience with a flaky server
 * ```ts
 * import type { ExecutionClientOptions } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const options: ExecutionClientOptions = { retries: 6, backoffMs: 500 };
 * assert.equal(options.retries, 6);
 * ```
 */
export interface ExecutionClientOptions {
  /** The instance name. @default "" */
  instanceName?: string;
  /**
   * How many times a dropped or refused stream is taken up again (with
   * WaitExecution once the operation has a name, else with Execute).
   * @default 3
   */
  retries?: number;
  /**
   * Wait before the first retry, doubled for each next one.
   * @default 200
   */
  backoffMs?: number;
}

/**
 * Options of one {@linkcode ExecutionClient.execute}.
 *
 * @example Watching the stages
 * ```ts
 * import type { ExecuteOptions } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const stages: string[] = [];
 * const options: ExecuteOptions = { onStage: (stage) => stages.push(stage) };
 * options.onStage?.("QUEUED", "operations/1");
 * assert.deepEqual(stages, ["QUEUED"]);
 * ```
 */
export interface ExecuteOptions {
  /** Run the action even if the server has a cached result. @default false */
  skipCacheLookup?: boolean;
  /** Called with each stage the operation reports (`QUEUED`, `EXECUTING`...). */
  onStage?: (stage: string, operationName: string) => void;
  /** Absolute deadline of the whole execution, in ms since the epoch. @default none */
  deadlineMs?: number;
  /** Stops following the operation: the call fails with CANCELLED, and is not retried. */
  signal?: AbortSignal;
}

/**
 * The outcome of an execution whose status is OK.
 *
 * @example A command that failed is still a result
 * ```ts
 * import type { ExecuteResult } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const outcome: ExecuteResult = {
 *   result: { outputFiles: [], outputDirectories: [], exitCode: 2 },
 *   cachedResult: false,
 *   message: "",
 *   operationName: "operations/1",
 * };
 * assert.equal(outcome.result.exitCode, 2);
 * ```
 */
export interface ExecuteResult {
  /** The result: exit code, outputs, stdout and stderr digests. */
  result: ActionResult;
  /** Whether the server answered from its action cache. */
  cachedResult: boolean;
  /** The server's message for the user, if any. */
  message: string;
  /** The operation's name. */
  operationName: string;
}

/**
 * A client of the Execution service.
 *
 * A command that exits non-zero is a result, not an error: its exit code,
 * stdout and stderr are in {@linkcode ExecuteResult.result}. An error of the
 * execution itself (a missing input, a time-out, a failed worker: the
 * Operation's error or the ExecuteResponse's status) is a {@linkcode
 * RemoteError} with the server's code and message.
 *
 * @example A client for an instance
 * ```ts
 * import { RemoteChannel } from "./channel.ts";
 * import { ExecutionClient } from "./execution.ts";
 * import assert from "node:assert/strict";
 *
 * const channel = await RemoteChannel.open("grpc://127.0.0.1:8980");
 * assert.equal(new ExecutionClient(channel, { instanceName: "ci" }).instanceName, "ci");
 * channel.close();
 * ```
 */
export class ExecutionClient {
  /** The instance name sent with every call. */
  readonly instanceName: string;
  #channel: RemoteChannel;
  #retries: number;
  #backoffMs: number;

  /**
   * Makes a client on an open channel.
   *
   * @param channel An open channel.
   * @param options Instance name and retries.
   */
  constructor(channel: RemoteChannel, options: ExecutionClientOptions = {}) {
    this.#channel = channel;
    this.instanceName = options.instanceName ?? "";
    this.#retries = options.retries ?? 3;
    this.#backoffMs = options.backoffMs ?? 200;
  }

  /**
   * Executes an action whose Action, Command and input root are already in
   * the CAS, and waits for its end.
   *
   * @param actionDigest The digest of the encoded `Action`.
   * @param options Cache lookup, progress callback, deadline.
   * @returns The result.
   * @throws {RemoteError} When the execution fails (not when the command
   * exits non-zero).
   */
  async execute(actionDigest: Digest, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    let name = "";
    for (let attempt = 0;; attempt++) {
      try {
        const stream = name === ""
          ? this.#channel.serverStream(
            `${_SERVICE}.Execute`,
            encodeExecuteRequest({
              instanceName: this.instanceName,
              actionDigest,
              skipCacheLookup: options.skipCacheLookup ?? false,
            }),
            { deadlineMs: options.deadlineMs, signal: options.signal },
          )
          : this.#channel.serverStream(
            `${_SERVICE}.WaitExecution`,
            encodeWaitExecutionRequest({ name }),
            { deadlineMs: options.deadlineMs, signal: options.signal },
          );
        for await (const message of stream) {
          const operation = decodeOperation(message);
          if (operation.name) name = operation.name;
          this.#report(operation, options);
          if (operation.done) return this.#finish(operation);
        }
        throw new RemoteError({
          code: GrpcCode.UNAVAILABLE,
          method: name === "" ? "Execution.Execute" : "Execution.WaitExecution",
          endpoint: this.#channel.endpoint.url,
          details: "the stream ended before the operation was done",
        });
      } catch (error) {
        const lost = error instanceof RemoteError && error.code === GrpcCode.NOT_FOUND &&
          error.method === "Execution.WaitExecution";
        if (attempt >= this.#retries || options.signal?.aborted || !(isRetryable(error) || lost)) {
          throw error;
        }
        // A server that forgot the operation runs the action again.
        if (lost) name = "";
        await new Promise((resolve) => setTimeout(resolve, this.#backoffMs * 2 ** attempt));
      }
    }
  }

  #report(operation: Operation, options: ExecuteOptions): void {
    if (!options.onStage || !_isType(operation.metadata?.typeUrl, _OPERATION_METADATA)) return;
    const stage = decodeExecuteOperationMetadata(operation.metadata!.value).stage ?? 0;
    options.onStage(EXECUTION_STAGES[stage] ?? `stage ${stage}`, operation.name);
  }

  #finish(operation: Operation): ExecuteResult {
    if (operation.error && operation.error.code !== 0) {
      throw this.#statusError(operation.error, operation.name);
    }
    if (!operation.response || !_isType(operation.response.typeUrl, _EXECUTE_RESPONSE)) {
      throw new RemoteError({
        code: GrpcCode.INTERNAL,
        method: "Execution.Execute",
        endpoint: this.#channel.endpoint.url,
        details: `operation ${operation.name} finished with ${
          operation.response ? `a ${operation.response.typeUrl}` : "no response"
        }, not an ExecuteResponse`,
      });
    }
    const response = decodeExecuteResponse(operation.response.value);
    if (response.status && response.status.code !== 0) {
      throw this.#statusError(response.status, operation.name);
    }
    if (!response.result) {
      throw new RemoteError({
        code: GrpcCode.INTERNAL,
        method: "Execution.Execute",
        endpoint: this.#channel.endpoint.url,
        details: `operation ${operation.name} finished without a result`,
      });
    }
    return {
      result: response.result,
      cachedResult: response.cachedResult ?? false,
      message: response.message ?? "",
      operationName: operation.name,
    };
  }

  #statusError(status: Status, name: string): RemoteError {
    return new RemoteError({
      code: status.code,
      method: "Execution.Execute",
      endpoint: this.#channel.endpoint.url,
      details: `operation ${name}: ${status.message ?? ""}`,
    });
  }
}

/** Whether an Any's type URL names `fullName` (any host prefix). */
function _isType(typeUrl: string | undefined, fullName: string): boolean {
  return typeUrl !== undefined && typeUrl.slice(typeUrl.lastIndexOf("/") + 1) === fullName;
}
