/**
 * The protocol between a watch session and the builds sent to it, one JSON
 * object per line over the project's Unix socket.
 *
 * The client sends one {@linkcode RequestMessage}. The server answers with
 * the events of `jsonReporter` (report/json.ts) and a last
 * {@linkcode DoneMessage}; or with a {@linkcode RefusedMessage} when it
 * serves another project or speaks another version; or with a
 * {@linkcode StoppedMessage} when the session stops before the build is done
 * (the client then builds on its own, or with the next session). A client
 * that closes its end before `done` cancels its build.
 *
 * @module
 */
import type {
  ActionFinished,
  ActionStarted,
  BuildFinished,
  BuildStarted,
} from "../report/reporter.ts";

/** The protocol's version: a server answers only requests of its own. */
export const PROTOCOL = 1;

/** What a client sends: one build request. */
export interface RequestMessage {
  /** {@linkcode PROTOCOL}. */
  protocol: number;
  /** The project root, which the server must be serving. */
  root: string;
  /** Targets and `@aliases`, relative to the root. */
  targets: readonly string[];
}

/** The server's last line for a request: the build is done. */
export interface DoneMessage {
  event: "done";
  /** The exit code: 0 built, 1 failed, 130 cancelled. */
  code: number;
  /** The failures' messages. */
  failures: string[];
}

/** The server serves another project, or speaks another version. */
export interface RefusedMessage {
  event: "refused";
}

/** The session stopped before the build was done. */
export interface StoppedMessage {
  event: "stopped";
}

/** A reporter event of the build, as `jsonReporter` writes it. */
export type EventMessage =
  | ({ event: "build-started" } & BuildStarted)
  | ({ event: "build-finished" } & BuildFinished)
  | ({ event: "action-started" } & ActionStarted)
  | ({ event: "action-finished" } & ActionFinished)
  | { event: "note"; message: string };

/** What a server sends. */
export type ServerMessage = DoneMessage | RefusedMessage | StoppedMessage | EventMessage;

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
