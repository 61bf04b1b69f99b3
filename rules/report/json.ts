/**
 * A JSON event stream, one object per line, for tools, tests and a watch
 * session's clients.
 *
 * @module
 */
import type { Reporter } from "./reporter.ts";

/**
 * A reporter that writes one JSON object per line: `build-started`,
 * `action-started`, `action-finished`, `build-finished` (with counts), and
 * `note`. Tools and tests follow a watch session through it.
 *
 * @param write Receives each line.
 * @returns The reporter.
 *
 * @example
 * ```ts
 * import { jsonReporter } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * jsonReporter((l) => lines.push(l)).buildStarted?.({ trigger: ["src/a.c"] });
 * assert.deepEqual(JSON.parse(lines[0]), { event: "build-started", trigger: ["src/a.c"] });
 * ```
 */
export function jsonReporter(write: (line: string) => void): Reporter {
  const emit = (event: string, data: object) => write(JSON.stringify({ event, ...data }));
  return {
    buildStarted: (e) => emit("build-started", e),
    actionStarted: (e) => emit("action-started", e),
    actionFinished: (e) => emit("action-finished", e),
    commandStarted: (e) => emit("command-started", e),
    commandFinished: (e) => emit("command-finished", e),
    buildFinished: (e) => emit("build-finished", e),
    note: (message) => emit("note", { message }),
    phase: (e) => emit("phase", e),
  };
}
