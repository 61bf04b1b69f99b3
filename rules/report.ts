/**
 * What the user sees: the {@linkcode Reporter} seam the executor calls, and
 * a plain line-oriented reporter for terminals and logs.
 *
 * @module
 */

/** An action that started. */
export interface ActionStarted {
  /** The rule id. */
  rule: string;
  /** The action's command line or description. */
  command: string;
  /** Why it runs: `new`, `code changed`, or what changed. */
  reason: string;
}

/** An action that finished, successfully or not. */
export interface ActionFinished extends ActionStarted {
  /** Its captured output (stdout and stderr, in order). */
  output: string;
  /** How long it took, in milliseconds. */
  durationMs: number;
  /** The failure, if it failed. */
  error?: string;
}

/** Receives what happens during a build. Every method is optional. */
export interface Reporter {
  /** An action starts. */
  actionStarted?(event: ActionStarted): void;
  /** An action finished; output of successful actions is shown grouped, once. */
  actionFinished?(event: ActionFinished): void;
  /** A one-line note, such as a stale output deleted or a damaged store discarded. */
  note?(message: string): void;
}

/** Options of {@linkcode plainReporter}. */
export interface PlainReporterOptions {
  /**
   * Print each command as it starts.
   * @default false
   */
  verbose?: boolean;
  /**
   * Print only failures.
   * @default false
   */
  quiet?: boolean;
  /**
   * Where lines go.
   * @default console.error
   */
  write?: (line: string) => void;
}

/**
 * A reporter printing plain lines: failures with their output, output of
 * successful actions grouped per action, and notes.
 *
 * @param options Options.
 * @returns The reporter.
 *
 * @example Collecting lines
 * ```ts
 * import { plainReporter } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const reporter = plainReporter({ write: (l) => lines.push(l) });
 * reporter.actionFinished?.({
 *   rule: "out", command: "false", reason: "new", output: "", durationMs: 1, error: "exit 1",
 * });
 * assert.match(lines[0], /FAILED out/);
 * ```
 */
export function plainReporter(options: PlainReporterOptions = {}): Reporter {
  const write = options.write ?? ((line: string) => console.error(line));
  return {
    actionStarted(event) {
      if (options.verbose && !options.quiet) write(`$ ${event.command}`);
    },
    actionFinished(event) {
      if (event.error !== undefined) {
        write(`FAILED ${event.rule}: ${event.error}`);
        if (event.output.trim() !== "") write(indent(event.output));
      } else if (!options.quiet && event.output.trim() !== "") {
        write(`${event.rule}: ${event.command}`);
        write(indent(event.output));
      }
    },
    note(message) {
      if (!options.quiet) write(message);
    },
  };
}

function indent(text: string): string {
  return text.trimEnd().split("\n").map((l) => "  " + l).join("\n");
}
