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
  /**
   * Where each file of its input root is on this machine, with its digest;
   * `remote` when it is not here but known to be in the executor's CAS (an
   * output left there, `--remote-download minimal`): it is checked, not sent.
   */
  readonly inputs: readonly {
    readonly path: string;
    readonly digest: Digest;
    readonly remote?: boolean;
  }[];
  /**
   * Where each output goes: by its path in the `Command` (relative to the
   * working directory), the local path to write.
   */
  readonly outputs: ReadonlyMap<string, string>;
  /**
   * Local paths of outputs to leave in the executor's CAS rather than
   * download (`--remote-download minimal`).
   * @default every output is downloaded
   */
  readonly leave?: ReadonlySet<string>;
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
  /** The outputs left in the executor's CAS (`leave`), by local path, known to be there. */
  readonly left?: readonly LeftOutput[];
  /** Whether the executor answered from its own action cache. */
  readonly cached: boolean;
  /** The worker that ran it, when the executor says. */
  readonly worker?: string;
}

/**
 * An output left in the executor's CAS.
 *
 * @example
 * ```ts
 * import type { LeftOutput } from "./command_executor.ts";
 * import assert from "node:assert/strict";
 *
 * const left: LeftOutput = {
 *   path: "/project/out/b.o",
 *   digest: { hash: "a".repeat(64), sizeBytes: 120 },
 *   executable: false,
 * };
 * assert.equal(left.digest.sizeBytes, 120);
 * ```
 */
export interface LeftOutput {
  /** Where it would be here. */
  readonly path: string;
  /** Its SHA-256 and size. */
  readonly digest: Digest;
  /** Its executable bit. */
  readonly executable: boolean;
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
  /**
   * Downloads a blob of the executor's CAS to a local path, checked, with
   * its executable bit (written beside it, then renamed into place).
   * @param digest The blob.
   * @param path Where it goes.
   * @param executable Its executable bit.
   * @throws {LostBlobError} When the CAS does not hold it.
   * @throws {ExecutorError} When the executor failed otherwise.
   */
  fetch?(digest: Digest, path: string, executable: boolean): Promise<void>;
  /**
   * Which of these blobs the executor's CAS lacks.
   * @param digests The blobs.
   * @returns Those it lacks.
   * @throws {ExecutorError} When the executor failed.
   */
  findMissing?(digests: readonly Digest[]): Promise<Digest[]>;
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

/**
 * Blobs the build knows only in the executor's CAS (outputs left there by
 * `--remote-download minimal`) that the CAS no longer holds: evicted. Not an
 * {@linkcode ExecutorError}: running the command here would not help, as
 * the files are not here either; the build forgets them and makes them again.
 *
 * @example
 * ```ts
 * import { LostBlobError } from "./command_executor.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new LostBlobError(["/project/out/b.o"], "grpc://127.0.0.1:8980");
 * assert.deepEqual(error.paths, ["/project/out/b.o"]);
 * assert.match(error.message, /no longer holds/);
 * ```
 */
export class LostBlobError extends Error {
  /** The local paths of the lost files. */
  readonly paths: readonly string[];

  /**
   * @param paths The local paths of the lost files.
   * @param server The executor, for the message.
   */
  constructor(paths: readonly string[], server: string) {
    super(
      `${server} no longer holds ${paths.join(", ")} (evicted from its CAS): ` +
        `${paths.length === 1 ? "it was" : "they were"} left there by --remote-download minimal`,
    );
    this.name = "LostBlobError";
    this.paths = paths;
  }
}
