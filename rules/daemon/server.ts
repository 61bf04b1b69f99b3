/**
 * The socket side of a long-lived barchan process: a background build
 * server (build_server.ts) or a watch session (watch.ts). Either holds the
 * project's build lock, and serves the requests of protocol.ts on a Unix
 * socket in the state directory, readable and writable by its user only;
 * client.ts sends them.
 *
 * This module parses requests, answers the ones it can by itself (another
 * project, another protocol) and hands the others to its host, with a
 * reporter that sends the build's events to the client.
 *
 * @module
 */
import { removeIfPresent } from "../../fiber/mod.ts";
import type { Reporter } from "../report/reporter.ts";
import { jsonReporter } from "../report/json.ts";
import { serverSocketPath } from "./client.ts";
import {
  type BuildSettings,
  buildSettings,
  closeConnection,
  isStringRecord,
  isStrings,
  messageLine,
  parseMessage,
  PROTOCOL,
  readLines,
  type ServerMessage,
  type ServerStatus,
  type StoppedCommand,
  writeAll,
} from "./protocol.ts";

/** A build asked of the server by another process. */
export interface BuildRequest {
  /** Targets and `@aliases`, relative to the project root. */
  targets: string[];
  /** The client's environment. */
  env: Record<string, string>;
  /** The client's working directory. */
  cwd: string;
  /** `-j`, when the client gave it. */
  jobs: number | undefined;
  /** False when the client wants no build server, only a watch session. */
  server: boolean;
  /** How the client's flags and environment say to build: type check, replay, sandbox, cache, remote. */
  settings: BuildSettings;
  /** The client's barchan (`TOOL`). */
  tool: string;
  /** Sends the build's events to the client. */
  reporter: Reporter;
  /**
   * Sends console output to the client, which prints it.
   * @param stream Where the client prints it.
   * @param text The text, with its newline.
   */
  output(stream: "stdout" | "stderr", text: string): void;
  /** Aborted when the client goes away: its build should be cancelled. */
  signal: AbortSignal;
  /**
   * Answers the client; later calls do nothing.
   * @param code The exit code: 0 built, 1 failed, 130 cancelled.
   * @param failures The failures' messages.
   * @param more What else the client prints: build.ts's own failure, or what a cancel stopped.
   */
  finish(
    code: number,
    failures?: string[],
    more?: { fatal?: string; stopped?: StoppedCommand[]; message?: string },
  ): void;
  /**
   * Answers that the build will not be done here; later calls do nothing.
   * @param reason Why, in words.
   * @param retry Whether a new server would build it.
   */
  withdraw(reason: string, retry: boolean): void;
}

/** What serves the requests: a build server or a watch session. */
export interface ServerHost {
  /** `server` for a background build server, `watch` for a watch session. */
  readonly kind: "server" | "watch";
  /**
   * Receives a build request; it must call `finish` or `withdraw` once.
   * @param request The request.
   */
  build(request: BuildRequest): void;
  /**
   * What `barchan server status` shows.
   * @returns The status.
   */
  status(): ServerStatus;
  /**
   * Stops the process, as `barchan server stop` asks; absent when it
   * cannot be stopped that way (a watch session stops with Ctrl-C).
   */
  stop?(): void;
  /**
   * A request came from another barchan (another protocol): a build server
   * stops, so that the client can start its own.
   * @param reason Why, in words.
   */
  foreign?(reason: string): void;
}

/** A running server of requests; close it to stop. */
export interface BuildServer {
  /** The socket's path. */
  readonly path: string;
  /**
   * Stops taking connections, and removes the socket if it is still this
   * server's (not one a later server made at the same path). A server that
   * stops does this before it releases the build lock, so that it can never
   * remove the socket of the server that takes the lock next.
   * @returns Once nothing accepts connections any more.
   */
  stopListening(): Promise<void>;
  /**
   * Stops serving: listening stops, the clients of builds not yet answered
   * are told that the server stopped, and build on their own (or through a
   * new server, with `retry`); the connections of stop requests close.
   * @param why What the clients are told, and whether a new server would build for them.
   * @returns Once every answer is sent.
   */
  close(why?: { reason: string; retry: boolean }): Promise<void>;
}

/**
 * Serves requests for a project whose build lock the caller holds. A socket
 * left by a process that died is replaced.
 * @param root The project root.
 * @param host Serves the requests.
 * @returns The server.
 *
 * @example Serving one build
 * ```ts ignore
 * import { serveBuilds } from "@barchan/barchan/rules";
 *
 * const server = serveBuilds("/src/app", {
 *   kind: "watch",
 *   build: (request) => request.finish(0),
 *   status: () => ({ kind: "watch", pid: Deno.pid, root: "/src/app", tool: "", uptimeMs: 0, rssBytes: 0, builds: 0 }),
 * });
 * await server.close();
 * ```
 */
export function serveBuilds(root: string, host: ServerHost): BuildServer {
  const path = serverSocketPath(root);
  removeIfPresent(path);
  const listener = Deno.listen({ transport: "unix", path });
  Deno.chmodSync(path, 0o600);
  const socket = Deno.lstatSync(path);
  const open: Open = { builds: new Set(), waiting: new Set(), sending: new Set() };
  const stopped = `The ${host.kind === "watch" ? "watch session" : "build server"} stopped ` +
    "before this build was done";
  const accepting = (async () => {
    try {
      for await (const conn of listener) void answer(conn, root, host, open);
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  })();
  let listening = true;
  const stopListening = async () => {
    if (!listening) return;
    listening = false;
    listener.close();
    await accepting;
    try {
      const now = Deno.lstatSync(path);
      if (now.ino === socket.ino && now.dev === socket.dev) Deno.removeSync(path);
    } catch {
      // Gone with its directory.
    }
  };
  return {
    path,
    stopListening,
    async close(why = { reason: stopped, retry: false }) {
      await stopListening();
      for (const request of [...open.builds.keys()]) request.withdraw(why.reason, why.retry);
      for (const hangUp of open.waiting) hangUp();
      open.waiting.clear();
      await Promise.all(open.sending);
    },
  };
}

/** Requests not answered yet (builds; stops, which wait for the end), and answers being sent. */
interface Open {
  builds: Set<BuildRequest>;
  waiting: Set<() => void>;
  sending: Set<Promise<void>>;
}

async function answer(
  conn: Deno.UnixConn,
  root: string,
  host: ServerHost,
  open: Open,
): Promise<void> {
  const encoder = new TextEncoder();
  let sending = Promise.resolve();
  let closed = false;
  const send = (message: ServerMessage | string) => {
    if (closed) return;
    const line = typeof message === "string" ? message : messageLine(message);
    const bytes = encoder.encode(line + "\n");
    sending = sending.then(() => writeAll(conn, bytes)).catch(() => {});
  };
  const hangUp = () => {
    if (closed) return;
    closed = true;
    const done = sending.finally(() => closeConnection(conn));
    open.sending.add(done);
    void done.finally(() => open.sending.delete(done));
  };
  const lines = readLines(conn);
  const first = await lines.next().catch(() => undefined);
  const message = first === undefined || first.done ? undefined : parseMessage(first.value);
  if (message === undefined) return hangUp();
  if (message.protocol !== PROTOCOL) {
    const reason = `it speaks protocol ${PROTOCOL}, not ${message.protocol}`;
    if (host.foreign !== undefined) {
      send({ event: "stopped", reason: `The build server stopped: ${reason}`, retry: true });
      hangUp();
      host.foreign(reason);
    } else {
      send({ event: "refused", reason });
      hangUp();
    }
    return;
  }
  if (message.root !== root) {
    send({ event: "refused", reason: `it serves ${root}` });
    return hangUp();
  }
  switch (message.command) {
    case "status":
      send({ event: "accepted", pid: Deno.pid });
      send({ event: "status", ...host.status() });
      return hangUp();
    case "stop":
      send({ event: "accepted", pid: Deno.pid });
      if (host.stop === undefined) {
        send({ event: "refused", reason: "a watch session stops with Ctrl-C in its terminal" });
        return hangUp();
      }
      send({ event: "status", ...host.status() });
      // The connection closes once the server is gone.
      open.waiting.add(hangUp);
      host.stop();
      return;
    case "build":
      break;
    default:
      send({ event: "refused", reason: `unknown command ${JSON.stringify(message.command)}` });
      return hangUp();
  }
  const settings = buildSettings(message);
  if (
    !isStrings(message.targets) || !isStringRecord(message.env) ||
    typeof message.cwd !== "string" || typeof message.tool !== "string" ||
    typeof settings === "string"
  ) {
    const why = typeof settings === "string" ? `: ${settings}` : "";
    send({ event: "refused", reason: `a malformed build request${why}` });
    return hangUp();
  }
  send({ event: "accepted", pid: Deno.pid });
  const gone = new AbortController();
  const request: BuildRequest = {
    targets: message.targets,
    env: message.env,
    cwd: message.cwd,
    jobs: typeof message.jobs === "number" ? message.jobs : undefined,
    server: message.server !== false,
    settings,
    tool: message.tool,
    reporter: jsonReporter((line) => send(line)),
    output(stream, text) {
      if (open.builds.has(request)) send({ event: "output", stream, text });
    },
    signal: gone.signal,
    finish(code, failures = [], more = {}) {
      if (!open.builds.delete(request)) return;
      send({ event: "done", code, failures, ...more });
      hangUp();
    },
    withdraw(reason, retry) {
      if (!open.builds.delete(request)) return;
      send({ event: "stopped", reason, retry });
      hangUp();
    },
  };
  open.builds.add(request);
  host.build(request);
  // The client closing its end, or anything it sends, cancels its build;
  // it is told at once that this process heard it.
  await lines.next().catch(() => undefined);
  if (open.builds.has(request)) send({ event: "cancelling" });
  gone.abort(new Error("The client went away"));
}
