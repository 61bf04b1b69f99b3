// What a failed evaluation of build.ts says: the thrown message, where in
// the project it was thrown (`build.ts:12`, or a module build.ts imports),
// and a `Deno.exit()` called by build.ts turned into such a failure, so that
// a build never ends silently with build.ts's exit code.

import { relative } from "node:path";

// deno-lint-ignore no-control-regex
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;

/** barchan's own source directory: frames in it are not where build.ts failed. */
const OWN_DIR = new URL("../..", import.meta.url).pathname;
const OWN_PARTS = ["rules/", "memo/", "fiber/", "cli/", "mod.ts", "cli.ts"];

/** A frame of a stack: `file:///path?query:LINE:COLUMN`, in parentheses or not. */
const FRAME = /(file:\/\/[^\s)?]+)(?:\?[^\s):]*)?:(\d+):\d+\)?$/;

/**
 * The message of a failed evaluation of build.ts: Deno's message without the
 * query that forces a fresh load or colour codes, with the place in the
 * project the error was thrown at when the message does not already name it.
 * @param error What the evaluation threw.
 * @param root The project root.
 * @param query The query the import of build.ts carried.
 * @returns The message, after `cannot be loaded: `.
 */
export function loadErrorMessage(error: unknown, root: string, query: string): string {
  if (!(error instanceof Error)) {
    const shown = typeof error === "string" ? JSON.stringify(error) : String(error);
    return `it threw ${shown}, which is not an Error and so tells no line; throw an Error instead`;
  }
  const message = error.message.replaceAll(query, "").replace(ANSI_COLOUR, "");
  const place = projectFrame(error.stack ?? "", root);
  if (place === undefined || message.includes(place) || /\bat [^ ]+:\d+\b/.test(message)) {
    return message;
  }
  return `${message} (thrown at ${place})`;
}

/**
 * The first frame of a stack in a file of the project that is not barchan's
 * own, as `path:LINE` relative to the root.
 * @param stack The stack.
 * @param root The project root.
 * @returns The place, or undefined when no frame is in the project.
 */
export function projectFrame(stack: string, root: string): string | undefined {
  for (const line of stack.split("\n").slice(1)) {
    const m = FRAME.exec(line.trim());
    if (m === null) continue;
    const path = decodeURIComponent(new URL(m[1]).pathname);
    if (isOwn(path)) continue;
    const rel = relative(root, path);
    if (rel.startsWith("..")) continue;
    return `${rel}:${m[2]}`;
  }
  return undefined;
}

function isOwn(path: string): boolean {
  if (!path.startsWith(OWN_DIR)) return false;
  const rest = path.slice(OWN_DIR.length);
  return OWN_PARTS.some((part) => rest.startsWith(part));
}

/**
 * Makes `Deno.exit()` called by the project's code throw instead, until the
 * returned function is called: build.ts that exits while it is evaluated
 * becomes a load error that says so. barchan's own calls (Ctrl-C) exit.
 * @param root The project root.
 * @returns A function restoring `Deno.exit`.
 */
export function refuseExit(root: string): () => void {
  const exit = Deno.exit;
  const guarded = function (code?: number): never {
    const caller = new Error();
    const place = projectFrame(caller.stack ?? "", root);
    if (place === undefined) return exit(code);
    throw new Error(
      `it called Deno.exit(${code ?? ""}) at ${place} while it was evaluated: a build ` +
        `description must not exit; throw an Error to stop the build with a message`,
    );
  };
  Deno.exit = guarded;
  return () => {
    if (Deno.exit === guarded) Deno.exit = exit;
  };
}
