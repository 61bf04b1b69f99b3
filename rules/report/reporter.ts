/**
 * What the user sees goes through the {@linkcode Reporter} seam: the
 * executor calls it with the events of a build. The reporters are beside
 * it: plain lines (plain.ts, with status_line.ts), JSON events (json.ts), a
 * Chrome trace (trace.ts), and several at once (combine.ts).
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
  /**
   * Whether `command` is all there is to show of what it runs: an action
   * run in barchan's process (`copy`, `write`), or one a dry run would run.
   * Other actions' commands are reported as they get a job slot.
   */
  showsCommand?: boolean;
}

/** A command that got a job slot and is running. */
export interface CommandStarted {
  /** The rule whose action runs it. */
  rule: string;
  /** Its command line. */
  command: string;
  /** The job slot it holds: below `-j`. */
  slot: number;
}

/** A command that ended, and gave its job slot back. */
export interface CommandFinished extends CommandStarted {
  /** How long it ran, in milliseconds. */
  durationMs: number;
  /** Its exit code, or null when it could not be spawned. */
  code: number | null;
}

/** An action that finished, successfully or not. */
export interface ActionFinished extends ActionStarted {
  /** Its captured output (stdout and stderr, in order). */
  output: string;
  /** How long it took, in milliseconds. */
  durationMs: number;
  /** The failure, if it failed. */
  error?: string;
  /** Where its commands' results came from, when every one came from an action cache. */
  restored?: "local" | "remote";
  /** Why its last command was not found in the action cache, when it was looked up. */
  cacheMiss?: string;
  /** Whether a command of it ran on the remote executor. */
  remote?: boolean;
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
  /** How many actions were restored from an action cache instead (not counted in `ran`). @default 0 */
  restored?: number;
  /** How many of the actions that ran had a command run on the remote executor. @default 0 */
  remote?: number;
  /** How many failures. */
  failed: number;
  /** The failures' messages. */
  failures: string[];
  /** Wall-clock duration in milliseconds. */
  durationMs: number;
  /** Whether this was a dry run: `ran` counts actions that would run. */
  dryRun: boolean;
}

/** A phase of the engine that ended, such as evaluating build.ts. */
export interface PhaseFinished {
  /** What it was, e.g. `load build.ts`. */
  name: string;
  /** How long it took, in milliseconds. */
  durationMs: number;
}

/** Receives what happens during a build. Every method is optional. */
export interface Reporter {
  /** A build starts. */
  buildStarted?(event: BuildStarted): void;
  /** A build finished. */
  buildFinished?(event: BuildFinished): void;
  /** An action starts. */
  actionStarted?(event: ActionStarted): void;
  /** A command got a job slot (a function action may run several, one after another). */
  commandStarted?(event: CommandStarted): void;
  /** A command ended. */
  commandFinished?(event: CommandFinished): void;
  /** An action finished; output of successful actions is shown grouped, once. */
  actionFinished?(event: ActionFinished): void;
  /** A one-line note, such as a stale output deleted or a damaged store discarded. */
  note?(message: string): void;
  /** A phase of the engine ended, such as evaluating build.ts. */
  phase?(event: PhaseFinished): void;
}
