/**
 * The protocol between a long-lived barchan process of a project (the
 * background build server, or a watch session) and the commands that talk
 * to it, one JSON object per line over the project's Unix socket.
 *
 * The client sends one {@linkcode RequestMessage}: a build, a status query
 * or a stop. The server answers a request it takes with an
 * {@linkcode AcceptedMessage} at once (so that a client can tell a server
 * that does not answer from one that is busy), then:
 *
 * - for a build, the events of `jsonReporter` (report/json.ts), what the
 *   build printed on the console ({@linkcode OutputMessage}), and a last
 *   {@linkcode DoneMessage}; or a {@linkcode StoppedMessage} when the server
 *   stops before the build is done, or would not do it as asked (the client
 *   then builds on its own, or through a new server when `retry` says so).
 *   A client that closes its end before `done` cancels its build: the server
 *   says at once that it heard ({@linkcode CancellingMessage}), so that a
 *   client can tell a server that does not answer from one that is stopping
 *   commands, then answers `done` with the commands it stopped;
 * - for a status query, a {@linkcode StatusMessage};
 * - for a stop, a {@linkcode StatusMessage}, and the connection closes when
 *   the process is gone.
 *
 * A request for another project, or of another protocol, gets a
 * {@linkcode RefusedMessage}.
 *
 * @module
 */
import type {
  ActionFinished,
  ActionStarted,
  BuildFinished,
  BuildStarted,
  CommandFinished,
  CommandStarted,
  PhaseFinished,
} from "../report/reporter.ts";
import type { ActionCacheOptions } from "../cache/cache_options.ts";
import type { RemoteExecutionOptions } from "../remote/executor_options.ts";

/** The protocol's version: a server answers only requests of its own. */
export const PROTOCOL = 3;

/** What every request carries. */
interface RequestBase {
  /** {@linkcode PROTOCOL}. */
  protocol: number;
  /** The project root, which the server must be serving. */
  root: string;
  /** The client's barchan (`TOOL`, run/request.ts): a build server serves only its own. */
  tool: string;
}

/**
 * How a build is to be done beyond its targets, as the client's flags and
 * environment say: what a build in the client's own process would be given.
 */
export interface BuildSettings {
  /** Whether build.ts is type-checked (`build` does, but with `--no-check` or `BARCHAN_CHECK=off`). */
  check?: boolean;
  /** `--replay`: also print what up-to-date actions printed when they last ran. */
  replay?: boolean;
  /** `--sandbox`: commands run under bubblewrap. */
  sandbox?: boolean;
  /**
   * The cache flags, resolved with the client's environment; absent when
   * none was given (the client's environment alone then says).
   */
  cache?: { options: ActionCacheOptions; namespace: string };
  /**
   * The remote executor flags and variables, resolved (false: no
   * executor); absent when none was given (the client's environment alone
   * then says).
   */
  remote?: RemoteExecutionOptions | false;
}

/** A build request. */
export interface BuildRequestMessage extends RequestBase, BuildSettings {
  command: "build";
  /** Targets and `@aliases`, relative to the root. */
  targets: readonly string[];
  /** The client's environment: the build sees it instead of the server's. */
  env: Record<string, string>;
  /** The client's working directory: the build runs in it. */
  cwd: string;
  /** `-j`; the number of CPUs when absent. */
  jobs?: number;
  /**
   * False when the client wants no build server (`--no-server`): a build
   * server then stops and answers `stopped`, and the client builds on its
   * own; a watch session builds it all the same.
   */
  server: boolean;
}

/** A status query (`barchan server status`). */
export interface StatusRequestMessage extends RequestBase {
  command: "status";
}

/** A stop (`barchan server stop`). */
export interface StopRequestMessage extends RequestBase {
  command: "stop";
}

/** What a client sends: one request. */
export type RequestMessage = BuildRequestMessage | StatusRequestMessage | StopRequestMessage;

/** The server took the request. */
export interface AcceptedMessage {
  event: "accepted";
  /** The server's process id. */
  pid: number;
}

/** A command a cancelled build stopped. */
export interface StoppedCommand {
  /** The program. */
  cmd: string;
  /** Its arguments. */
  args: string[];
  /** Its label: the rule whose action ran it. */
  label?: string;
}

/** The server heard the client close its end: it cancels the build, and answers `done` when it ended. */
export interface CancellingMessage {
  event: "cancelling";
}

/** The server's last line for a build: it is done. */
export interface DoneMessage {
  event: "done";
  /** The exit code: 0 built, 1 failed, 130 cancelled. */
  code: number;
  /** The failures' messages. */
  failures: string[];
  /** Set when build.ts itself could not be loaded: the one message to print. */
  fatal?: string;
  /** The commands a cancelled build stopped. */
  stopped?: StoppedCommand[];
  /**
   * Said instead of the commands a cancelled build stopped, when it stopped
   * while build.ts was being evaluated (what a build of its own says then).
   */
  message?: string;
}

/** The server serves another project, or speaks another protocol. */
export interface RefusedMessage {
  event: "refused";
  /** Why, in words. */
  reason: string;
}

/** The server stopped before the build was done, or would not build it. */
export interface StoppedMessage {
  event: "stopped";
  /** Why, in words (`barchan changed`, `asked to stop`...). */
  reason: string;
  /** True when a new server would build it: this one stopped for a cause a new one does not have. */
  retry: boolean;
}

/** What `barchan server status` shows. */
export interface ServerStatus {
  /** `server` for a background build server, `watch` for a watch session (`build -w`). */
  kind: "server" | "watch";
  /** Its process id. */
  pid: number;
  /** The project root. */
  root: string;
  /** Its barchan (`TOOL`). */
  tool: string;
  /** How long it has run, in milliseconds. */
  uptimeMs: number;
  /** Its resident memory, in bytes. */
  rssBytes: number;
  /** Builds it served. */
  builds: number;
  /** When idle, in how many milliseconds it exits; absent for a watch session or while it builds. */
  idleExitMs?: number;
}

/** A status line. */
export interface StatusMessage extends ServerStatus {
  event: "status";
}

/** What the build printed on the console (build.ts, a function action), for the client to print. */
export interface OutputMessage {
  event: "output";
  /** Where the client prints it. */
  stream: "stdout" | "stderr";
  /** The text, with its newline. */
  text: string;
}

/** A reporter event of the build, as `jsonReporter` writes it. */
export type EventMessage =
  | ({ event: "build-started" } & BuildStarted)
  | ({ event: "build-finished" } & BuildFinished)
  | ({ event: "action-started" } & ActionStarted)
  | ({ event: "action-finished" } & ActionFinished)
  | ({ event: "command-started" } & CommandStarted)
  | ({ event: "command-finished" } & CommandFinished)
  | ({ event: "phase" } & PhaseFinished)
  | { event: "note"; message: string };

/** What a server sends. */
export type ServerMessage =
  | AcceptedMessage
  | CancellingMessage
  | DoneMessage
  | RefusedMessage
  | StoppedMessage
  | StatusMessage
  | OutputMessage
  | EventMessage;

/**
 * A message as the line that carries it, without its newline.
 * @param message The message.
 * @returns Its JSON text.
 */
export function messageLine(message: RequestMessage | ServerMessage): string {
  return JSON.stringify(message);
}

/**
 * A line received, as an object; nothing for a line that is not one.
 * @param line The line, without its newline.
 * @returns The object, or undefined; its fields are not checked.
 */
export function parseMessage(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a connection line by line, until the other end closes.
 * @param conn The connection.
 * @returns The lines, without their newlines.
 */
export async function* readLines(conn: Deno.UnixConn): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(65536);
  let text = "";
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
    let newline;
    while ((newline = text.indexOf("\n")) >= 0) {
      yield text.slice(0, newline);
      text = text.slice(newline + 1);
    }
  }
}

/**
 * Writes all of `bytes` to a connection.
 * @param conn The connection.
 * @param bytes What to write.
 */
export async function writeAll(conn: Deno.UnixConn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/**
 * Whether a field received is a list of strings.
 * @param value The field.
 * @returns True for an array of strings.
 */
export function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/**
 * Whether a field received is an object of strings, such as an environment.
 * @param value The field.
 * @returns True for a plain object whose values are all strings.
 */
export function isStringRecord(value: unknown): value is Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  for (const v of Object.values(value)) if (typeof v !== "string") return false;
  return true;
}

/**
 * The commands of a `stopped` field received; the malformed ones left out.
 * @param value The field.
 * @returns The commands.
 */
export function stoppedCommands(value: unknown): StoppedCommand[] {
  if (!Array.isArray(value)) return [];
  return value.filter((c): c is StoppedCommand =>
    typeof c === "object" && c !== null && typeof c.cmd === "string" && isStrings(c.args) &&
    (c.label === undefined || typeof c.label === "string")
  );
}

/**
 * The settings of a build request received, or what is wrong with them.
 * @param message The request.
 * @returns The settings, or a reason to refuse it.
 */
export function buildSettings(message: Record<string, unknown>): BuildSettings | string {
  const settings: BuildSettings = {};
  for (const name of ["check", "replay", "sandbox"] as const) {
    const value = message[name];
    if (value === undefined) continue;
    if (typeof value !== "boolean") return `${name} is not true or false`;
    settings[name] = value;
  }
  const cache = message.cache as Record<string, unknown> | undefined;
  if (cache !== undefined) {
    if (
      typeof cache !== "object" || cache === null || typeof cache.namespace !== "string" ||
      typeof cache.options !== "object" || cache.options === null
    ) return "cache is not a cache's options and namespace";
    settings.cache = cache as BuildSettings["cache"];
  }
  const remote = message.remote as Record<string, unknown> | false | undefined;
  if (remote !== undefined) {
    if (remote !== false && (typeof remote !== "object" || typeof remote?.executor !== "string")) {
      return "remote is not a remote executor's options";
    }
    settings.remote = remote as BuildSettings["remote"];
  }
  return settings;
}

/**
 * Closes a connection, which may be closed already.
 * @param conn The connection.
 */
export function closeConnection(conn: Deno.UnixConn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}
