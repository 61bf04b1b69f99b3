/**
 * The error for a command that ran and failed: a non-accepted exit code or
 * death by a signal.
 *
 * @module
 */

/** How much of the captured stderr the message quotes, at most. */
const TAIL_LINES = 20;
const TAIL_CHARS = 4000;

/** Fields of a {@linkcode ProcessError}. */
export interface ProcessErrorInit {
  /** The program as the command named it. */
  cmd: string;
  /** Its arguments. */
  args: readonly string[];
  /** Its exit code (128 + the signal number when killed by a signal). */
  code: number;
  /** The signal that killed it, or null if it exited. */
  signal: Deno.Signal | null;
  /** Its captured standard output, or "" if not captured. */
  stdout: string;
  /** Its captured standard error, or "" if not captured. */
  stderr: string;
}

/**
 * A command exited with a code it was not expected to, or was killed by a
 * signal it did not ask for. The message names the command and quotes the
 * tail of its captured stderr.
 *
 * @example A failing compiler
 * ```ts
 * import { ProcessError, Scheduler } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const scheduler = new Scheduler();
 * const failing = scheduler.spawn("sh", ["-c", "echo 'x.c:1: error' >&2; exit 2"]);
 * await assert.rejects(failing, (error: unknown) => {
 *   assert.ok(error instanceof ProcessError);
 *   assert.equal(error.code, 2);
 *   assert.equal(error.stderr, "x.c:1: error\n");
 *   assert.equal(
 *     error.message,
 *     "Command failed with exit code 2: sh -c 'echo '\\''x.c:1: error'\\'' >&2; exit 2'\n" +
 *       "x.c:1: error",
 *   );
 *   return true;
 * });
 * ```
 */
export class ProcessError extends Error {
  /** The program as the command named it. */
  readonly cmd: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Its exit code (128 + the signal number when killed by a signal). */
  readonly code: number;
  /** The signal that killed it, or null if it exited. */
  readonly signal: Deno.Signal | null;
  /** Its captured standard output, or "" if not captured. */
  readonly stdout: string;
  /** Its captured standard error, or "" if not captured. */
  readonly stderr: string;

  /**
   * Creates the error from what the command did.
   *
   * @param init The command, its status and its captured output.
   */
  constructor(init: ProcessErrorInit) {
    const how = init.signal === null
      ? `Command failed with exit code ${init.code}`
      : `Command killed by ${init.signal}`;
    const tail = stderrTail(init.stderr);
    super(`${how}: ${formatCommand(init.cmd, init.args)}${tail === "" ? "" : `\n${tail}`}`);
    this.name = "ProcessError";
    this.cmd = init.cmd;
    this.args = init.args;
    this.code = init.code;
    this.signal = init.signal;
    this.stdout = init.stdout;
    this.stderr = init.stderr;
  }
}

/**
 * Renders a command as a shell would accept it, quoting only what needs it.
 *
 * @param cmd The program.
 * @param args Its arguments.
 * @returns The command line, e.g. `cc -c 'my file.c'`.
 *
 * @example Quoting an argument with a space
 * ```ts
 * import { formatCommand } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatCommand("cc", ["-c", "my file.c"]), "cc -c 'my file.c'");
 * ```
 */
export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(quote).join(" ");
}

function quote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function stderrTail(stderr: string): string {
  let tail = stderr.trimEnd();
  const lines = tail.split("\n");
  if (lines.length > TAIL_LINES) tail = lines.slice(-TAIL_LINES).join("\n");
  if (tail.length > TAIL_CHARS) tail = tail.slice(-TAIL_CHARS);
  return tail === stderr.trimEnd() ? tail : `...\n${tail}`;
}
