/**
 * The client side of a project's long-lived barchan process (a background
 * build server, or a watch session): `barchan build` sends its request there
 * instead of building on its own, and prints the events of that build as if
 * it had built itself (Bazel's client and Dune's watch mode do the same).
 * It is tried before anything else, so it loads little.
 *
 * @module
 */
// On the path of a build with nothing to do: memo files one by one, not all of memo/mod.ts.
import { joinPath } from "../../memo/stat/paths.ts";
import type { Reporter } from "../report/reporter.ts";
import { TOOL } from "../run/request.ts";
import { SERVER_SOCKET, STATE_DIR } from "../state.ts";
import type { BuildSettings, RequestMessage, ServerStatus, StoppedCommand } from "./protocol.ts";

/** The longest socket path every Unix accepts, in bytes, with room to spare. */
const MAX_SOCKET_PATH = 100;

/** How long a server has to take a request before it counts as not answering. */
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * How long a server has, once the client was interrupted, to say that it
 * heard: it does so at once unless it cannot run at all (build.ts's top
 * level in an endless loop).
 */
const CANCEL_ANSWER_TIMEOUT_MS = 2000;

/**
 * Where the server of a project listens: in its state directory, or in the
 * temporary directory when that path is too long for a socket.
 * @param root The project root.
 * @returns The socket's path.
 *
 * @example
 * ```ts
 * import { serverSocketPath } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.equal(serverSocketPath("/src/app"), "/src/app/_build/.barchan/server.sock");
 * ```
 */
export function serverSocketPath(root: string): string {
  const inside = joinPath(root, STATE_DIR, SERVER_SOCKET);
  if (new TextEncoder().encode(inside).length <= MAX_SOCKET_PATH) return inside;
  let hash = 0x811c9dc5;
  for (let i = 0; i < root.length; i++) hash = Math.imul(hash ^ root.charCodeAt(i), 0x01000193);
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  return joinPath(tmp, `barchan-${Deno.uid() ?? 0}-${(hash >>> 0).toString(16)}.sock`);
}

/** Options of {@linkcode buildThroughServer}. */
export interface ServerBuildOptions {
  /**
   * Whether a background build server may build it; false asks one to stop
   * (the client then builds on its own), while a watch session builds it
   * all the same.
   * @default true
   */
  server?: boolean;
  /**
   * `-j`: commands at once.
   * @default the number of CPUs
   */
  jobs?: number;
  /**
   * How to build, as the flags and the environment say: the type check,
   * replay, the sandbox, the action cache, the remote executor.
   * @default no type check, no replay, no sandbox; the cache and the executor as the environment says
   */
  settings?: BuildSettings;
  /**
   * Prints what the build printed on the console in the server.
   * @default writing to this process's standard output or error
   */
  output?: (stream: "stdout" | "stderr", text: string) => void;
  /**
   * How long the server has to take the request, in milliseconds.
   * @default 10000
   */
  answerTimeoutMs?: number;
  /**
   * How long the server has, once the build is interrupted, to say that it
   * heard, in milliseconds.
   * @default 2000
   */
  cancelTimeoutMs?: number;
}

/** How a request to a project's server ended. */
export type ServerAnswer =
  | {
    /** The server built it. */
    readonly kind: "done";
    /** The exit code: 0 built, 1 failed, 130 cancelled. */
    readonly code: number;
    /** The failures' messages. */
    readonly failures: string[];
    /** build.ts's own failure, the one message to print, when it could not be loaded. */
    readonly fatal?: string;
    /** The signal (SIGINT, SIGTERM) that cancelled the build here, if one did. */
    readonly interrupted?: Deno.Signal;
    /** The commands a cancel stopped. */
    readonly stopped?: StoppedCommand[];
    /** Said instead of the commands stopped, when it stopped while build.ts was being evaluated. */
    readonly message?: string;
  }
  | {
    /**
     * A signal cancelled the build, and the server did not say that it
     * heard, or went away before it answered.
     */
    readonly kind: "unanswered";
    /** The signal. */
    readonly interrupted: Deno.Signal;
    /** The server's process id, as it said when it took the request. */
    readonly pid?: number;
  }
  | {
    /** No server of this user listens for the project. */
    readonly kind: "none";
  }
  | {
    /** The server stopped before the build was done, or would not build it. */
    readonly kind: "stopped";
    /** Why, in words. */
    readonly reason: string;
    /** Whether a new server would build it. */
    readonly retry: boolean;
  }
  | {
    /** Something listens but did not take the request in time. */
    readonly kind: "silent";
  };

/**
 * Sends a build request to the project's server (a background build server,
 * or a watch session), if one listens, and replays its events on
 * `reporter`. Ctrl-C (SIGINT, SIGTERM) cancels the build in the server; a
 * second one exits at once (with 130, or 143 for SIGTERM).
 * @param root The project root.
 * @param targets Targets and `@aliases`, relative to the root.
 * @param reporter Receives the build's events.
 * @param options Whether a build server may build it, `-j`, where console output goes.
 * @returns How it ended.
 *
 * @example
 * ```ts
 * import { buildThroughServer } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const answer = await buildThroughServer("/nonexistent/project", ["@default"], {});
 * assert.equal(answer.kind, "none");
 * ```
 */
export async function buildThroughServer(
  root: string,
  targets: readonly string[],
  reporter: Reporter,
  options: ServerBuildOptions = {},
): Promise<ServerAnswer> {
  const conn = await connectToServer(root);
  if (conn === undefined) return { kind: "none" };
  // The protocol loads only once a server answers.
  const {
    closeConnection,
    isStrings,
    messageLine,
    parseMessage,
    PROTOCOL,
    readLines,
    stoppedCommands,
    writeAll,
  } = await import("./protocol.ts");
  const output = options.output ?? writeOutput;
  // Ctrl-C closes our end: the server cancels the build and says what it stopped.
  let interrupted: Deno.Signal | undefined;
  let heard = false;
  let deaf: ReturnType<typeof setTimeout> | undefined;
  const cancel = (signal: Deno.Signal) => {
    if (interrupted !== undefined) Deno.exit(signal === "SIGTERM" ? 143 : 130);
    interrupted = signal;
    conn.closeWrite().catch(() => {});
    deaf = setTimeout(() => {
      if (!heard) closeConnection(conn);
    }, options.cancelTimeoutMs ?? CANCEL_ANSWER_TIMEOUT_MS);
  };
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => cancel(signal);
    Deno.addSignalListener(signal, handler);
    return () => Deno.removeSignalListener(signal, handler);
  });
  let pid: number | undefined;
  const unanswered = () => ({ kind: "unanswered" as const, interrupted: interrupted!, pid });
  let silent = false;
  const silence = setTimeout(() => {
    silent = true;
    closeConnection(conn);
  }, options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS);
  let accepted = false;
  try {
    await writeAll(
      conn,
      new TextEncoder().encode(
        messageLine({
          protocol: PROTOCOL,
          root,
          tool: TOOL,
          command: "build",
          targets,
          env: Deno.env.toObject(),
          cwd: Deno.cwd(),
          jobs: options.jobs,
          server: options.server ?? true,
          ...options.settings,
        }) + "\n",
      ),
    );
    for await (const line of readLines(conn)) {
      const message = parseMessage(line);
      if (message === undefined) continue;
      if (!accepted) {
        accepted = true;
        clearTimeout(silence);
      }
      switch (message.event) {
        case "accepted":
          if (typeof message.pid === "number") pid = message.pid;
          continue;
        case "cancelling":
          heard = true;
          continue;
        case "refused":
          if (interrupted !== undefined) return unanswered();
          return { kind: "none" };
        case "stopped":
          if (interrupted !== undefined) return unanswered();
          return {
            kind: "stopped",
            reason: String(message.reason),
            retry: message.retry === true,
          };
        case "done":
          return {
            kind: "done",
            code: typeof message.code === "number" ? message.code : 1,
            failures: isStrings(message.failures) ? message.failures : [],
            fatal: typeof message.fatal === "string" ? message.fatal : undefined,
            interrupted,
            stopped: stoppedCommands(message.stopped),
            message: typeof message.message === "string" ? message.message : undefined,
          };
        case "output":
          output(message.stream === "stdout" ? "stdout" : "stderr", String(message.text));
          continue;
        default:
          replay(message, reporter);
      }
    }
    if (interrupted !== undefined) return unanswered();
    if (!accepted) return { kind: silent ? "silent" : "none" };
    return {
      kind: "stopped",
      reason: "The build server exited before the build was done",
      retry: true,
    };
  } catch {
    // The connection closed under us: the server went away, or did not answer.
    if (interrupted !== undefined) return unanswered();
    if (!accepted) return { kind: silent ? "silent" : "none" };
    return {
      kind: "stopped",
      reason: "The build server exited before the build was done",
      retry: true,
    };
  } finally {
    clearTimeout(silence);
    clearTimeout(deaf);
    for (const remove of handlers) remove();
    closeConnection(conn);
  }
}

/**
 * Whether a server of this user listens for the project's builds.
 * @param root The project root.
 * @returns True when one answers on the project's socket.
 *
 * @example
 * ```ts
 * import { sessionListening } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await sessionListening("/nonexistent/project"), false);
 * ```
 */
export async function sessionListening(root: string): Promise<boolean> {
  const conn = await connectToServer(root);
  if (conn === undefined) return false;
  const { closeConnection } = await import("./protocol.ts");
  closeConnection(conn);
  return true;
}

/**
 * What the project's server says of itself (`barchan server status`).
 * @param root The project root.
 * @param timeoutMs How long it has to answer.
 * @returns Its status; undefined when none listens, or it did not answer in time.
 *
 * @example
 * ```ts
 * import { serverStatus } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await serverStatus("/nonexistent/project"), undefined);
 * ```
 */
export async function serverStatus(
  root: string,
  timeoutMs: number = ANSWER_TIMEOUT_MS,
): Promise<ServerStatus | undefined> {
  for await (const message of askServer(root, "status", timeoutMs)) {
    if (message.event === "status") return message as unknown as ServerStatus;
  }
  return undefined;
}

/**
 * Sends a request without a build (`status`, `stop`) and yields what the
 * server answers until it closes the connection, or until `timeoutMs`
 * passes without its first line.
 * @param root The project root.
 * @param command The request.
 * @param timeoutMs How long to wait for the first line.
 * @returns The messages, fields unchecked.
 */
export async function* askServer(
  root: string,
  command: "status" | "stop",
  timeoutMs: number,
): AsyncGenerator<Record<string, unknown>> {
  const conn = await connectToServer(root);
  if (conn === undefined) return;
  const { closeConnection, messageLine, parseMessage, PROTOCOL, readLines, writeAll } =
    await import("./protocol.ts");
  const timer = setTimeout(() => closeConnection(conn), timeoutMs);
  try {
    await writeAll(
      conn,
      new TextEncoder().encode(
        messageLine({ protocol: PROTOCOL, root, tool: TOOL, command } as RequestMessage) + "\n",
      ),
    );
    for await (const line of readLines(conn)) {
      clearTimeout(timer);
      const message = parseMessage(line);
      if (message !== undefined) yield message;
    }
  } catch (error) {
    // Closed by the timer (a pending read is interrupted), or by a server that went away.
    if (
      !(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.BrokenPipe ||
        error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.Interrupted)
    ) throw error;
  } finally {
    clearTimeout(timer);
    closeConnection(conn);
  }
}

/**
 * Connects to the project's server: only one of this user is trusted (the
 * socket may be in a shared temporary directory).
 * @returns The connection, or undefined when nothing is there, nobody
 * listens on the socket, or it is not a socket of this user.
 */
async function connectToServer(root: string): Promise<Deno.UnixConn | undefined> {
  // Unix sockets are what servers listen on; elsewhere none serves.
  if (Deno.build.os === "windows") return undefined;
  const path = serverSocketPath(root);
  try {
    // Not memo's lstat through FFI: opening libc costs a client 2 to 10 ms,
    // against a third of one for the error thrown when there is no socket.
    if (Deno.lstatSync(path).uid !== Deno.uid()) return undefined;
    return await Deno.connect({ transport: "unix", path });
  } catch {
    return undefined;
  }
}

const encoder = new TextEncoder();

/** Prints console output of the server's build where this process's would go. */
function writeOutput(stream: "stdout" | "stderr", text: string): void {
  const bytes = encoder.encode(text);
  const out = stream === "stdout" ? Deno.stdout : Deno.stderr;
  let written = 0;
  while (written < bytes.length) written += out.writeSync(bytes.subarray(written));
}

/** Calls the reporter method of one event of {@linkcode jsonReporter}. */
function replay(message: Record<string, unknown>, reporter: Reporter): void {
  const { event, ...data } = message;
  // deno-lint-ignore no-explicit-any
  const payload = data as any;
  switch (event) {
    case "build-started":
      return reporter.buildStarted?.(payload);
    case "build-finished":
      return reporter.buildFinished?.(payload);
    case "action-started":
      return reporter.actionStarted?.(payload);
    case "action-finished":
      return reporter.actionFinished?.(payload);
    case "command-started":
      return reporter.commandStarted?.(payload);
    case "command-finished":
      return reporter.commandFinished?.(payload);
    case "phase":
      return reporter.phase?.(payload);
    case "note":
      return reporter.note?.(String(data.message));
  }
}
