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

/** A build that starts. */
export interface BuildStarted {
  /** What triggered it: changed paths (project-relative) in watch mode, empty otherwise. */
  trigger: string[];
}

/** A build that finished. */
export interface BuildFinished {
  /** True when everything requested was built. */
  ok: boolean;
  /** How many actions ran (or would run, in a dry run). */
  ran: number;
  /** How many failures. */
  failed: number;
  /** The failures' messages. */
  failures: string[];
  /** Wall-clock duration in milliseconds. */
  durationMs: number;
  /** Whether this was a dry run: `ran` counts actions that would run. */
  dryRun: boolean;
}

/** Receives what happens during a build. Every method is optional. */
export interface Reporter {
  /** A build starts. */
  buildStarted?(event: BuildStarted): void;
  /** A build finished. */
  buildFinished?(event: BuildFinished): void;
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
 * successful actions grouped per action, notes, and (on request) each
 * command, each reason, and a status line redrawn in place.
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
      if (options.verbose) out(`$ ${event.command}`);
      status?.start(event.rule, event.command);
    },
    actionFinished(event) {
      status?.finish(event.rule);
      if (event.error !== undefined) {
        out(`${paint("1;31", "FAILED")} ${event.rule}: ${event.error}`);
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
        out(`Dry run: ${event.ran} actions would run; nothing was changed`);
        return;
      }
      out(
        event.ok
          ? paint("32", `Done: ${event.ran} actions ran in ${secs}s`)
          : paint("31", `Failed: ${event.failed} errors, ${event.ran} actions ran in ${secs}s`),
      );
    },
    note(message) {
      if (!options.quiet) out(message);
    },
  };
}

/** The status line of a terminal: counts and the oldest running command. */
class StatusLine {
  #write: (text: string) => void;
  #running = new Map<string, { command: string; since: number }>();
  #started = 0;
  #done = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #shown = false;

  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  start(rule: string, command: string): void {
    this.#running.set(rule, { command, since: performance.now() });
    this.#started++;
    this.#timer ??= setInterval(() => this.draw(), 250);
    this.draw();
  }

  finish(rule: string): void {
    this.#running.delete(rule);
    this.#done++;
  }

  draw(): void {
    const first = this.#running.values().next().value;
    const width = Deno.consoleSize?.().columns ?? 80;
    let line = `[${String(this.#done).padStart(4)}/${this.#started}] ${this.#running.size} running`;
    if (first !== undefined) {
      const secs = ((performance.now() - first.since) / 1000).toFixed(1);
      line += `: ${first.command} ... ${secs}s`;
    }
    this.#write(`\r\x1b[K${line.slice(0, width - 1)}`);
    this.#shown = true;
  }

  clear(): void {
    if (this.#shown) this.#write("\r\x1b[K");
    this.#shown = false;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.clear();
    this.#started = this.#done = 0;
  }
}

function indent(text: string): string {
  return text.trimEnd().split("\n").map((l) => "  " + l).join("\n");
}
