/**
 * What running commands elsewhere needs of a remote executor (rules/remote
 * implements it over the Remote Execution API): given a keyed command and
 * where its input files are, run it and bring its outputs back.
 *
 * A command that exits non-zero is an outcome, not an error: its exit code,
 * stdout and stderr come back as a local run's would. An
 * {@linkcode ExecutorError} is the executor's failure (unreachable, refusing,
 * losing blobs): the build decides whether the command then runs here.
 *
 * @module
 */
import type { CommandKey } from "./command_key.ts";
import type { Digest } from "../reapi/mod.ts";

/**
 * One command to run remotely.
 *
 * @example A copy whose one input is a local file
 * ```ts
 * import type { ExecuteRequest } from "./command_executor.ts";
 * import { keyCommand } from "./command_key.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = { hash: "a".repeat(64), sizeBytes: 4 };
 * const spec = { program: "cp", args: ["in", "out"], env: {}, cwd: "", outputs: ["out"] };
 * const request: ExecuteRequest = {
 *   key: await keyCommand(spec, [{ path: "in", digest }], { ambient: {} }),
 *   inputs: [{ path: "/project/in", digest }],
 *   outputs: new Map([["out", "/project/out"]]),
 * };
 * assert.equal(request.outputs.get("out"), "/project/out");
 * ```
 */
export interface ExecuteRequest {
  /** The command's key: its `Action`, `Command` and input root directories, encoded. */
  readonly key: CommandKey;
  /** Where each file of its input root is on this machine, with its digest. */
  readonly inputs: readonly { readonly path: string; readonly digest: Digest }[];
  /**
   * Where each output goes: by its path in the `Command` (relative to the
   * working directory), the local path to write.
   */
  readonly outputs: ReadonlyMap<string, string>;
  /** Cancels the execution (the build stops). */
  readonly signal?: AbortSignal;
}

/**
 * What a remote execution gave.
 *
 * @example A command that failed remotely
 * ```ts
 * import type { ExecuteOutcome } from "./command_executor.ts";
 * import assert from "node:assert/strict";
 *
 * const outcome: ExecuteOutcome = {
 *   exitCode: 1,
 *   stdout: new Uint8Array(),
 *   stderr: new TextEncoder().encode("a.c:1: error\n"),
 *   written: [],
 *   cached: false,
 *   worker: "worker-3",
 * };
 * assert.notEqual(outcome.exitCode, 0);
 * ```
 */
export interface ExecuteOutcome {
  /** The command's exit code. */
  readonly exitCode: number;
  /** What it printed on standard output. */
  readonly stdout: Uint8Array;
  /** What it printed on standard error. */
  readonly stderr: Uint8Array;
  /**
   * The local paths written (checked, renamed into place), executable bits
   * kept: output files, and output directories (written whole).
   */
  readonly written: readonly string[];
  /** Whether the executor answered from its own action cache. */
  readonly cached: boolean;
  /** The worker that ran it, when the executor says. */
  readonly worker?: string;
}

/**
 * A remote executor.
 *
 * @example An executor that is down
 * ```ts
 * import { type CommandExecutor, ExecutorError } from "./command_executor.ts";
 * import assert from "node:assert/strict";
 *
 * const down: CommandExecutor = {
 *   name: "grpc://build.example.com:8980",
 *   execute: () => Promise.reject(new ExecutorError("grpc://build.example.com:8980 is unreachable")),
 *   close: () => {},
 * };
 * await assert.rejects(down.execute({} as never), ExecutorError);
 * ```
 */
export interface CommandExecutor {
  /** The endpoint (and instance), for messages. */
  readonly name: string;
  /**
   * Uploads what the executor lacks, runs the command there, downloads its
   * outputs to the local paths given and its stdout and stderr.
   * @param request The command.
   * @returns What it did.
   * @throws {ExecutorError} When the executor failed (not the command).
   * @throws {CancelledError} When the request's signal aborted.
   */
  execute(request: ExecuteRequest): Promise<ExecuteOutcome>;
  /** Closes connections. */
  close(): void;
}

/**
 * The failure of a remote executor, not of the command it was given.
 *
 * @example Its cause
 * ```ts
 * import { ExecutorError } from "./command_executor.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ExecutorError("the executor lost a blob", { cause: new Error("DATA_LOSS") });
 * assert.equal(error.name, "ExecutorError");
 * assert.equal((error.cause as Error).message, "DATA_LOSS");
 * ```
 */
export class ExecutorError extends Error {
  /**
   * @param message What failed.
   * @param options Its cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ExecutorError";
  }
}
