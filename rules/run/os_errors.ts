/**
 * Errors of the operating system a build meets while writing (a full disk, a
 * read-only file system, a directory where a file should be), told in one
 * paragraph: what failed on which path, as the runtime says it (`No space
 * left on device (os error 28): writefile '/p/out.txt'`), then what to do.
 *
 * @module
 */

/** What to do about each error the runtime reports as `(os error N)`, by N (Linux numbering). */
const HINTS: Readonly<Record<number, string>> = {
  1: "barchan may not change that file: give the user running it permission (ls -l shows " +
    "who may), then build again",
  13: "barchan may not write there: give the user running it write permission (ls -ld shows " +
    "who may), or build a copy of the project it may write, then build again",
  21: "A directory is where barchan expected a file: remove it, or change the rule's targets " +
    "to name the files in it",
  28: "The disk is full: free some space on it (df -h shows how much is left), then build " +
    "again; the next build redoes what this one could not finish",
  30: "The file system is read-only: barchan writes its state and the targets in the project, " +
    "so make it writable (mount -o remount,rw) or build a writable copy of the project",
  39: "A directory is where barchan expected a file: remove it, or change the rule's targets " +
    "to name the files in it",
  122: "The disk quota is used up: free some space, then build again",
};

const OS_ERROR = /\(os error (\d+)\)/;

/**
 * A message with what to do about the operating-system error it reports,
 * when that is known; the message unchanged otherwise, or when it says
 * already.
 * @param message An error's message.
 * @returns The message, with a sentence added.
 *
 * @example A full disk
 * ```ts
 * import { withOsHint } from "./os_errors.ts";
 * import assert from "node:assert/strict";
 *
 * const message = withOsHint("No space left on device (os error 28): writefile '/p/out.txt'");
 * assert.match(message, /writefile '\/p\/out\.txt'\. The disk is full: free some space/);
 * assert.equal(withOsHint(message), message);
 * assert.equal(withOsHint("exit code 1"), "exit code 1");
 * ```
 */
export function withOsHint(message: string): string {
  const found = OS_ERROR.exec(message);
  if (found === null) return message;
  const hint = HINTS[Number(found[1])];
  if (hint === undefined || message.includes(hint)) return message;
  // The rule's name and site, when the message ends with them, stay last.
  const site = / \(rule [^()]*\)$/.exec(message);
  const head = site === null ? message : message.slice(0, site.index);
  return `${head.replace(/\.?$/, ".")} ${hint}.${site === null ? "" : site[0]}`;
}

/**
 * Whether a thrown value is an operating-system error the runtime reported
 * (`(os error N)` in its message), which needs no stack trace to be understood.
 * @param error A thrown value.
 * @returns True for such an error.
 *
 * @example
 * ```ts
 * import { isOsError } from "./os_errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isOsError(new Error("Read-only file system (os error 30): mkdir '/p/_build'")), true);
 * assert.equal(isOsError(new TypeError("x is undefined")), false);
 * ```
 */
export function isOsError(error: unknown): boolean {
  return error instanceof Error && OS_ERROR.test(error.message);
}

/**
 * The same error, its message naming the file it was about: errors of
 * writes to an open file say only what went wrong.
 * @param error What a write threw.
 * @param op The operation, as the runtime names operations (`write`).
 * @param path The file.
 * @returns An error whose message names the path (with `error` as its cause).
 *
 * @example
 * ```ts
 * import { naming } from "./os_errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = naming(new Error("No space left on device (os error 28)"), "write", "/p/log");
 * assert.equal(error.message, "No space left on device (os error 28): write '/p/log'");
 * ```
 */
export function naming(error: unknown, op: string, path: string): Error {
  if (!(error instanceof Error) || error.message.includes(`'${path}'`)) return error as Error;
  const named = new Error(`${error.message}: ${op} '${path}'`, { cause: error });
  named.name = error.name;
  return named;
}
