/**
 * A plain line-oriented reporter, for terminals and logs.
 *
 * @module
 */
import type { Reporter } from "./reporter.ts";
import { StatusLine } from "./status_line.ts";

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
   * Print, for each action that runs, one line saying why.
   * @default false
   */
  explain?: boolean;
  /**
   * Colour failures and summaries with ANSI escapes.
   * @default false
   */
  color?: boolean;
  /**
   * Keep one status line redrawn in place (`[ 12/40] 2 running: cc -c x.c ... 1.2s`),
   * for terminals.
   * @default false
   */
  statusLine?: boolean;
  /**
   * Where lines go.
   * @default a line on standard error
   */
  write?: (line: string) => void;
}

/**
 * A reporter printing plain lines: failures with their output, output of
 * successful actions grouped per action, a line for each rule without
 * targets that passed (a test: `passed @runtest: ./run-tests (1.20s)`),
 * notes, and (on request) each command, each reason, and a status line
 * redrawn in place.
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
 *
 * @example A test that passed says so
 * ```ts
 * import { plainReporter } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const reporter = plainReporter({ write: (l) => lines.push(l) });
 * reporter.actionFinished?.({
 *   rule: "@runtest/1a2b3c4d", command: "deno test src/", reason: "new", output: "", durationMs: 1200,
 * });
 * assert.deepEqual(lines, ["passed @runtest: deno test src/ (1.20s)"]);
 * ```
 */
export function plainReporter(options: PlainReporterOptions = {}): Reporter {
  const encoder = new TextEncoder();
  const raw = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  const status = options.statusLine && options.write === undefined
    ? new StatusLine(raw)
    : undefined;
  const out = options.write ?? ((line: string) => {
    status?.clear();
    raw(line + "\n");
  });
  const paint = (code: string, text: string) =>
    options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  return {
    buildStarted(event) {
      if (event.trigger.length > 0 && !options.quiet) {
        const shown = event.trigger.slice(0, 3).join(", ");
        const more = event.trigger.length > 3 ? ` and ${event.trigger.length - 3} more` : "";
        out(paint("2", `${shown}${more} changed`));
      }
    },
    actionStarted(event) {
      if (options.quiet) return;
      if (options.explain) out(`${event.rule}: ${event.reason}`);
      // Commands are printed as they start; some actions have none to print.
      if (options.verbose && event.showsCommand) out(`$ ${event.command}`);
      status?.start(event.rule);
    },
    commandStarted(event) {
      if (options.quiet) return;
      if (options.verbose) out(`$ ${event.command}`);
      status?.commandStarted(event.slot, event.command);
    },
    commandFinished(event) {
      status?.commandFinished(event.slot);
    },
    actionFinished(event) {
      status?.finish(event.rule);
      if (options.explain && event.restored !== undefined && event.error === undefined) {
        out(`${event.rule}: restored from ${event.restored} cache`);
      } else if (options.explain && event.cacheMiss !== undefined) {
        out(`${event.rule}: not in the action cache: ${event.cacheMiss}`);
      }
      if (options.explain && event.remote) out(`${event.rule}: ran on the remote executor`);
      if (event.error !== undefined) {
        out(`${paint("1;31", "FAILED")} ${event.rule}: ${event.error}`);
        if (event.output.trim() !== "") out(indent(event.output));
      } else if (!options.quiet && event.rule.startsWith("@")) {
        // A rule without targets (a test, a check) says that it passed.
        const how = event.restored === undefined
          ? `${(event.durationMs / 1000).toFixed(2)}s`
          : `restored from the ${event.restored} cache`;
        out(`${paint("32", "passed")} ${aliasOf(event.rule)}: ${event.command} (${how})`);
        if (event.output.trim() !== "") out(indent(event.output));
      } else if (!options.quiet && event.output.trim() !== "") {
        out(`${paint("1", event.rule)}: ${event.command}`);
        out(indent(event.output));
      }
      status?.draw();
    },
    buildFinished(event) {
      status?.stop();
      if (options.quiet) return;
      const secs = (event.durationMs / 1000).toFixed(2);
      if (event.dryRun) {
        out(`Dry run: ${count(event.ran, "action")} would run; nothing was changed`);
        return;
      }
      const restored = event.restored ?? 0;
      const remote = event.remote ?? 0;
      const ran = `${count(event.ran, "action")} ran` +
        (remote > 0 ? ` (${remote} remotely)` : "") +
        (restored > 0 ? `, ${restored} restored from cache` : "");
      out(
        event.ok
          ? paint("32", `Done: ${ran} in ${secs}s`)
          : paint("31", `Failed: ${count(event.failed, "error")}, ${ran} in ${secs}s`),
      );
    },
    note(message) {
      if (!options.quiet) out(message);
    },
  };
}

/** `@runtest/1a2b3c4d` (a rule without targets) → `@runtest`. */
function aliasOf(rule: string): string {
  const slash = rule.indexOf("/");
  return slash < 0 ? rule : rule.slice(0, slash);
}

function indent(text: string): string {
  return text.trimEnd().split("\n").map((l) => "  " + l).join("\n");
}

/** `1 action`, `2 actions`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
