/**
 * The remote executor of a builder: which commands run remotely, how many
 * at once, and what happens when the executor fails.
 *
 * A command goes to the executor when one is configured, its rule allows it
 * (`remote` and `cache` not turned off) and it can run elsewhere as keyed
 * (no standard input, outputs under its working directory: `portable`).
 * At most `jobs` commands are remote at once, beside the scheduler's local
 * slots, so local and remote commands run side by side. The executor's code
 * (and gRPC) is loaded when the first command goes remote.
 *
 * The executor failing is not the command failing. The first time it fails
 * (unreachable, refusing, losing a blob, after its own retries), one warning
 * says so and every command runs here for the rest of the build, that one
 * included; with `remoteOnly`, the command fails instead, and so does every
 * later one that would have gone remote. A command that exits non-zero
 * remotely fails as it would here: a `ProcessError` with its stdout and
 * stderr, which the command's sinks received first.
 *
 * @module
 */
import { ProcessError, Throttle } from "../../fiber/mod.ts";
import type { CommandSpec } from "../command/command.ts";
import {
  type CommandExecutor,
  ExecutorError,
  type LeftOutput,
} from "../command/command_executor.ts";
import type { CommandKey } from "../command/command_key.ts";
import type { Digest } from "../reapi/mod.ts";
import { type RemoteExecutionOptions, remoteJobsOf } from "../remote/executor_options.ts";

/**
 * A command to run remotely, with where its files are.
 *
 * @example The shape of a request
 * ```ts
 * import type { RemoteCommand } from "./build_executor.ts";
 * import assert from "node:assert/strict";
 *
 * const chunks: Uint8Array[] = [];
 * const command: Omit<RemoteCommand, "key"> = {
 *   spec: { program: "cp", args: ["in", "out"], env: {}, cwd: "", outputs: ["out"] },
 *   inputs: [{ path: "/project/in", digest: { hash: "a".repeat(64), sizeBytes: 1 } }],
 *   outputs: new Map([["out", "/project/out"]]),
 *   stdout: (chunk) => chunks.push(chunk),
 *   stderr: (chunk) => chunks.push(chunk),
 * };
 * assert.equal(command.outputs.size, 1);
 * ```
 */
export interface RemoteCommand {
  /** The command, for messages and its failure. */
  spec: CommandSpec;
  /** Its key: what is sent. */
  key: CommandKey;
  /** Its input files: local paths and digests; `remote` when known only in the executor's CAS. */
  inputs: readonly { path: string; digest: Digest; remote?: boolean }[];
  /** Its outputs: path in the `Command` to local path. */
  outputs: ReadonlyMap<string, string>;
  /** Local paths of outputs to leave in the executor's CAS (`--remote-download minimal`). */
  leave?: ReadonlySet<string>;
  /** Receives its standard output. */
  stdout(chunk: Uint8Array): void;
  /** Receives its standard error. */
  stderr(chunk: Uint8Array): void;
  /** Cancels it. */
  signal?: AbortSignal;
  /** Told when it ran remotely, before its outcome (a failure too) is known here. */
  ranRemotely?(): void;
}

/**
 * A builder's remote executor, with its policy (see the module doc).
 *
 * @example Without an executor every command runs here
 * ```ts
 * import { BuildExecutor } from "./build_executor.ts";
 * import assert from "node:assert/strict";
 *
 * const remote = new BuildExecutor(undefined, () => {});
 * assert.equal(remote.jobs, 0);
 * const ran = await remote.run({} as never, () => Promise.resolve({ durationMs: 5 }));
 * assert.deepEqual(ran, { durationMs: 5, remote: false });
 * ```
 */
export class BuildExecutor {
  /** How many commands run remotely at once; 0 without an executor. */
  readonly jobs: number;
  readonly #options: RemoteExecutionOptions | undefined;
  readonly #warn: (message: string) => void;
  readonly #slots: Throttle | undefined;
  #executor: Promise<CommandExecutor> | undefined;
  /** The executor's failure, once it failed: nothing more goes remote. */
  #failure: ExecutorError | undefined;
  #executed = 0;

  /**
   * @param options The executor and how to use it; undefined: none.
   * @param warn Where the warning of an executor that fails goes.
   * @param executor Makes the executor (a test's); default: the gRPC one,
   * imported then.
   */
  constructor(
    options: RemoteExecutionOptions | undefined,
    warn: (message: string) => void,
    executor?: (options: RemoteExecutionOptions) => CommandExecutor,
  ) {
    this.#options = options;
    this.#warn = warn;
    this.jobs = remoteJobsOf(options);
    this.#slots = options && new Throttle(this.jobs);
    if (options !== undefined && executor !== undefined) {
      this.#executor = Promise.resolve(executor(options));
    }
  }

  /** The executor's endpoint, for messages ("" without one). */
  get name(): string {
    return this.#options?.executor ?? "";
  }

  /** Whether an executor is configured. */
  get configured(): boolean {
    return this.#options !== undefined;
  }

  /** How many commands ran remotely so far. */
  get executed(): number {
    return this.#executed;
  }

  /**
   * Runs a command remotely, or here through `local` when there is no
   * executor or it failed (and `remoteOnly` is off).
   * @param command The command.
   * @param local Runs it here.
   * @returns How long it took, and whether it ran remotely.
   * @throws {ProcessError} When it exited non-zero remotely.
   * @throws {ExecutorError} When the executor failed and `remoteOnly` is on.
   */
  async run(
    command: RemoteCommand,
    local: () => Promise<{ durationMs: number }>,
  ): Promise<{ durationMs: number; remote: boolean; left?: readonly LeftOutput[] }> {
    const slots = this.#slots;
    if (slots === undefined || (this.#failure !== undefined && !this.#options!.remoteOnly)) {
      return { ...await local(), remote: false };
    }
    const started = performance.now();
    let outcome;
    try {
      outcome = await slots.run(async () => {
        if (this.#failure !== undefined) return undefined;
        const executor = await (this.#executor ??= this.#load());
        return await executor.execute({
          key: command.key,
          inputs: command.inputs,
          outputs: command.outputs,
          leave: command.leave,
          signal: command.signal,
        });
      }, { signal: command.signal });
    } catch (error) {
      if (!(error instanceof ExecutorError)) throw error;
      this.#failed(error);
    }
    if (outcome === undefined) {
      if (this.#options!.remoteOnly) {
        throw new ExecutorError(
          `${
            this.#failure!.message
          } (--remote-only: commands that can run remotely do not run here)`,
          { cause: this.#failure },
        );
      }
      return { ...await local(), remote: false };
    }
    this.#executed++;
    command.ranRemotely?.();
    // A target the command did not leave remotely is not left here either.
    const written = new Set(outcome.written);
    for (const left of outcome.left ?? []) written.add(left.path);
    for (const path of command.outputs.values()) {
      if (!written.has(path)) await Deno.remove(path).catch(() => {});
    }
    if (outcome.stdout.length > 0) command.stdout(outcome.stdout);
    if (outcome.stderr.length > 0) command.stderr(outcome.stderr);
    if (outcome.exitCode !== 0) {
      const decoder = new TextDecoder();
      throw new ProcessError({
        cmd: command.spec.program,
        args: [...command.spec.args],
        code: outcome.exitCode,
        signal: null,
        stdout: decoder.decode(outcome.stdout),
        stderr: decoder.decode(outcome.stderr),
      });
    }
    return { durationMs: performance.now() - started, remote: true, left: outcome.left };
  }

  /** Whether outputs of remote commands stay remote unless wanted (`--remote-download minimal`). */
  get minimal(): boolean {
    return this.#options?.download === "minimal";
  }

  /**
   * Which of these blobs the executor's CAS lacks; none when it cannot say.
   * @param digests The blobs.
   * @returns Those it lacks.
   * @throws {ExecutorError} When the executor fails.
   */
  async findMissing(digests: readonly Digest[]): Promise<Digest[]> {
    if (this.#options === undefined || digests.length === 0) return [];
    const executor = await (this.#executor ??= this.#load());
    return await executor.findMissing?.(digests) ?? [];
  }

  /**
   * Downloads a blob of the executor's CAS to a local path (an output that
   * `--remote-download minimal` left there), checked, with its executable bit.
   * @param digest The blob.
   * @param path Where it goes.
   * @param executable Its executable bit.
   * @throws {LostBlobError} When the CAS no longer holds it.
   * @throws {ExecutorError} When there is no executor, or it fails.
   */
  async fetch(digest: Digest, path: string, executable: boolean): Promise<void> {
    if (this.#options === undefined) {
      throw new ExecutorError(`Cannot fetch ${path}: no remote executor is configured`);
    }
    const executor = await (this.#executor ??= this.#load());
    if (executor.fetch === undefined) {
      throw new ExecutorError(`Cannot fetch ${path}: ${executor.name} cannot fetch blobs`);
    }
    await executor.fetch(digest, path, executable);
  }

  /**
   * Takes the executor for down, as the remote cache on the same server
   * found it: the one warning of a server that stops serves both (none when
   * the executor already failed).
   * @param reason Why, as the cache says.
   */
  serverDown(reason: string): void {
    if (this.#options === undefined) return;
    this.#failed(
      new ExecutorError(`The remote executor ${this.#options.executor} is unavailable (${reason})`),
    );
  }

  /** Closes the executor's connection, if it was opened. */
  close(): void {
    this.#executor?.then((executor) => executor.close(), () => {});
  }

  async #load(): Promise<CommandExecutor> {
    const options = this.#options!;
    let GrpcExecutor;
    try {
      ({ GrpcExecutor } = await import("../remote/executor.ts"));
    } catch (error) {
      throw new ExecutorError(
        `Cannot load the remote executor's client: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return new GrpcExecutor(options.executor, {
      instanceName: options.instance,
      caFile: options.caFile,
      headers: options.headers,
    });
  }

  #failed(error: ExecutorError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    if (!this.#options!.remoteOnly) {
      this.#warn(`${error.message}: running commands here for the rest of the build`);
    }
  }
}
