/**
 * The error for a command whose program does not exist, raised before
 * anything is spawned.
 *
 * @module
 */

/**
 * A program named by a command could not be found: not on `PATH`, or no
 * executable file at the given path. Raised by
 * {@linkcode Scheduler.spawn} before the job is queued.
 *
 * @example Catching a missing compiler
 * ```ts
 * import { MissingProgramError, Scheduler } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const scheduler = new Scheduler();
 * await assert.rejects(
 *   scheduler.spawn("no-such-compiler-xyz", ["-c", "x.c"]),
 *   (error: unknown) =>
 *     error instanceof MissingProgramError &&
 *     error.program === "no-such-compiler-xyz" &&
 *     error.message === "Program not found: no-such-compiler-xyz (not on PATH)",
 * );
 * ```
 */
export class MissingProgramError extends Error {
  /** The program as the command named it, e.g. `cc` or `./tools/gen`. */
  readonly program: string;
  /**
   * Where it was looked for: the absolute path for a name containing a `/`,
   * otherwise undefined (it was looked up on `PATH`).
   */
  readonly path: string | undefined;

  /**
   * Creates the error for `program`.
   *
   * @param program The program as named by the command.
   * @param path The absolute path checked, for a name containing a `/`.
   */
  constructor(program: string, path?: string) {
    super(
      path === undefined
        ? `Program not found: ${program} (not on PATH)`
        : `Program not found: ${program} (no executable file at ${path})`,
    );
    this.name = "MissingProgramError";
    this.program = program;
    this.path = path;
  }
}
