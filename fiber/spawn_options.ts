/**
 * Options and result of {@linkcode Scheduler.spawn}.
 *
 * @module
 */

/**
 * Where a child's stdout or stderr goes; a function receives it chunk by chunk
 * as the child writes it, each chunk its own to keep.
 *
 * @example Stream a compiler's diagnostics as they come
 * ```ts
 * import { Scheduler, type SpawnOutput } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * let seen = "";
 * const decoder = new TextDecoder();
 * const stderr: SpawnOutput = (chunk) => seen += decoder.decode(chunk, { stream: true });
 * const result = await new Scheduler().spawn("sh", ["-c", "echo warning >&2"], { stderr });
 * assert.equal(seen, "warning\n");
 * assert.equal(result.stderr, "");
 * ```
 */
export type SpawnOutput = "capture" | "inherit" | "null" | ((chunk: Uint8Array) => void);

/**
 * Options for {@linkcode Scheduler.spawn}.
 *
 * @example Run in a directory with an extra variable, accepting exit code 1
 * ```ts
 * import { Scheduler, type SpawnOptions } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * const options: SpawnOptions = {
 *   cwd: dir,
 *   env: { GREETING: "hi" },
 *   successExitCodes: [0, 1],
 *   label: "greet",
 * };
 * const script = 'echo "$GREETING from $PWD"; exit 1';
 * const result = await new Scheduler().spawn("sh", ["-c", script], options);
 * assert.equal(result.stdout, `hi from ${dir}\n`);
 * assert.equal(result.code, 1);
 * await Deno.remove(dir);
 * ```
 */
export interface SpawnOptions {
  /**
   * Working directory of the child; relative `stdin.file` and program paths
   * containing a `/` are resolved against it.
   *
   * @default {Deno.cwd()}
   */
  cwd?: string;
  /**
   * Variables added to the inherited environment. Its `PATH`, if any, is also
   * where the program is looked up.
   *
   * @default {{}}
   */
  env?: Record<string, string>;
  /**
   * Start from an empty environment: the child sees only `env`. The program is
   * still looked up on this process's `PATH` unless `env.PATH` is set.
   *
   * @default {false}
   */
  clearEnv?: boolean;
  /**
   * The child's standard input: nothing, a string, or a file's content.
   *
   * @default {"null"}
   */
  stdin?: "null" | { text: string } | { file: string };
  /**
   * The child's standard output: captured into the result, inherited, dropped,
   * or streamed to a function (then not captured).
   *
   * @default {"capture"}
   */
  stdout?: SpawnOutput;
  /**
   * The child's standard error, as for `stdout`.
   *
   * @default {"capture"}
   */
  stderr?: SpawnOutput;
  /**
   * Exit codes that count as success. An empty list accepts any exit code
   * and any signal.
   *
   * @default {[0]}
   */
  successExitCodes?: readonly number[];
  /**
   * Cancels the job: it leaves the queue, or its process is killed with what it started.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * A name for events, e.g. the rule that runs the command.
   *
   * @default {undefined}
   */
  label?: string;
}

/**
 * What a successful {@linkcode Scheduler.spawn} returns.
 *
 * @example Read the status and output
 * ```ts
 * import { Scheduler, type SpawnResult } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const result: SpawnResult = await new Scheduler().spawn("echo", ["ok"]);
 * assert.deepEqual(
 *   { code: result.code, signal: result.signal, stdout: result.stdout, stderr: result.stderr },
 *   { code: 0, signal: null, stdout: "ok\n", stderr: "" },
 * );
 * assert.ok(result.durationMs > 0);
 * ```
 */
export interface SpawnResult {
  /** The exit code (128 + the signal number when killed by a signal). */
  code: number;
  /** The signal that killed the child, or null if it exited. */
  signal: Deno.Signal | null;
  /** Captured standard output, or "" when not captured. */
  stdout: string;
  /** Captured standard error, or "" when not captured. */
  stderr: string;
  /** Milliseconds from spawning the child to reaping it. */
  durationMs: number;
}
