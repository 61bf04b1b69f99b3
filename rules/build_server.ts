/**
 * Builds through a watch session. While `barchan build -w` runs in a project
 * it holds the build lock, and it serves build requests on a Unix socket:
 * `barchan build` in the same project sends its request there instead of
 * waiting for the lock, and prints the session's events for that build as if
 * it had built itself (Dune's watch mode does the same).
 *
 * The session answers a request once its watcher has seen every change made
 * before the request arrived (a watcher mark), so a build asked right after
 * an edit sees the edit. Its memo engine is warm: nothing is stat'ed or
 * loaded again that no file event touched.
 *
 * The protocol, one JSON object per line: the client sends
 * `{"protocol": 1, "root": ROOT, "targets": [...]}`; the server answers with
 * the events of {@linkcode jsonReporter} and a last
 * `{"event": "done", "code": 0|1|130, "failures": [...]}`, or with
 * `{"event": "refused"}` when it serves another project, or
 * `{"event": "stopped"}` when the session stops before the build is done (the
 * client then builds on its own, or with the next session). A client that
 * closes its end before `done` cancels its build.
 *
 * @module
 */
import { joinPath } from "../memo/stat/paths.ts";
import { pathPresent } from "../memo/stat/stat.ts";
import type { Reporter } from "./report/reporter.ts";
import { jsonReporter } from "./report/json.ts";
import { SERVER_SOCKET, STATE_DIR } from "./state.ts";
import { removeIfPresent } from "../fiber/_remove_if_present.ts";

const PROTOCOL = 1;

/** The longest socket path every Unix accepts, in bytes, with room to spare. */
const MAX_SOCKET_PATH = 100;

/** A build asked of a watch session by another process. */
export interface BuildRequest {
  /** Targets and `@aliases`, relative to the project root. */
  targets: string[];
  /** Sends the build's events to the client. */
  reporter: Reporter;
  /** Aborted when the client goes away: its build should be cancelled. */
  signal: AbortSignal;
  /**
   * Answers the client; later calls do nothing.
   * @param code The exit code: 0 built, 1 failed, 130 cancelled.
   * @param failures The failures' messages.
   */
  finish(code: number, failures?: string[]): void;
}

/** A running server of build requests; close it to stop. */
export interface BuildServer {
  /** The socket's path. */
  readonly path: string;
  /**
   * Stops serving: the clients of requests not yet answered are told that
   * the session stopped, and build on their own.
   * @returns Once the socket is removed.
   */
  close(): Promise<void>;
}

/**
 * Where the watch session of a project listens: in its state directory, or
 * in the temporary directory when that path is too long for a socket.
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

/**
 * Serves build requests for a project whose build lock the caller holds.
 * A socket left by a session that died is replaced.
 * @param root The project root.
 * @param onRequest Receives each request; it must call `finish` once.
 * @returns The server.
 *
 * @example Serving one build
 * ```ts ignore
 * import { serveBuilds } from "@barchan/barchan/rules";
 *
 * const server = serveBuilds("/src/app", (request) => request.finish(0));
 * await server.close();
 * ```
 */
export function serveBuilds(root: string, onRequest: (request: BuildRequest) => void): BuildServer {
  const path = serverSocketPath(root);
  removeIfPresent(path);
  const listener = Deno.listen({ transport: "unix", path });
  Deno.chmodSync(path, 0o600);
  /** Requests not yet answered, each with how to tell its client the session stopped. */
  const open = new Map<BuildRequest, () => void>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) void answer(conn, root, open, onRequest);
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  })();
  return {
    path,
    async close() {
      listener.close();
      await accepting;
      removeIfPresent(path);
      for (const withdraw of open.values()) withdraw();
      open.clear();
    },
  };
}

async function answer(
  conn: Deno.UnixConn,
  root: string,
  open: Map<BuildRequest, () => void>,
  onRequest: (request: BuildRequest) => void,
): Promise<void> {
  const encoder = new TextEncoder();
  let sending = Promise.resolve();
  let closed = false;
  const send = (line: string) => {
    if (closed) return;
    const bytes = encoder.encode(line + "\n");
    sending = sending.then(() => writeAll(conn, bytes)).catch(() => {});
  };
  const hangUp = () => {
    if (closed) return;
    closed = true;
    void sending.finally(() => closeConnection(conn));
  };
  const lines = readLines(conn);
  const first = await lines.next().catch(() => undefined);
  const message = first === undefined || first.done ? undefined : parse(first.value);
  if (message?.protocol !== PROTOCOL || message.root !== root || !isStrings(message.targets)) {
    send(JSON.stringify({ event: "refused" }));
    hangUp();
    return;
  }
  const gone = new AbortController();
  const request: BuildRequest = {
    targets: message.targets,
    reporter: jsonReporter((line) => send(line)),
    signal: gone.signal,
    finish(code, failures = []) {
      if (!open.delete(request)) return;
      send(JSON.stringify({ event: "done", code, failures }));
      hangUp();
    },
  };
  open.set(request, () => {
    send(JSON.stringify({ event: "stopped" }));
    hangUp();
  });
  onRequest(request);
  // The client closing its end, or anything it sends, cancels its build.
  await lines.next().catch(() => undefined);
  gone.abort(new Error("The client went away"));
}

/**
 * Sends a build request to the project's watch session, if one runs, and
 * replays its events on `reporter`.
 * @param root The project root.
 * @param targets Targets and `@aliases`, relative to the root.
 * @param reporter Receives the build's events.
 * @returns The exit code and failures, or undefined when no session serves
 * this project (or the session stopped before answering).
 *
 * @example
 * ```ts ignore
 * import { buildThroughServer, plainReporter } from "@barchan/barchan/rules";
 *
 * const answer = await buildThroughServer("/src/app", ["@default"], plainReporter());
 * if (answer === undefined) console.log("no watch session");
 * ```
 */
export async function buildThroughServer(
  root: string,
  targets: readonly string[],
  reporter: Reporter,
): Promise<{ code: number; failures: string[] } | undefined> {
  const conn = await connectToSession(root);
  if (conn === undefined) return undefined;
  // Ctrl-C closes our end: the session cancels the build and says so.
  const cancel = () => conn.closeWrite().catch(() => {});
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, cancel);
  try {
    await writeAll(
      conn,
      new TextEncoder().encode(
        JSON.stringify({ protocol: PROTOCOL, root, targets }) + "\n",
      ),
    );
    for await (const line of readLines(conn)) {
      const message = parse(line);
      if (message === undefined) continue;
      if (message.event === "refused") return undefined;
      if (message.event === "stopped") {
        reporter.note?.("The watch session stopped before this build was done: building here");
        return undefined;
      }
      if (message.event === "done") {
        return {
          code: typeof message.code === "number" ? message.code : 1,
          failures: isStrings(message.failures) ? message.failures : [],
        };
      }
      replay(message, reporter);
    }
    return {
      code: 1,
      failures: ["The watch session stopped before the build finished; run the command again"],
    };
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, cancel);
    closeConnection(conn);
  }
}

/**
 * Whether a watch session of this user listens for the project's builds.
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
  const conn = await connectToSession(root);
  if (conn === undefined) return false;
  closeConnection(conn);
  return true;
}

/**
 * Connects to the project's session: only one of this user is trusted (the
 * socket may be in a shared temporary directory).
 * @returns The connection, or undefined when nothing listens there, nobody
 * listens on the socket, or it is not a socket at all.
 */
async function connectToSession(root: string): Promise<Deno.UnixConn | undefined> {
  // Unix sockets are what sessions listen on; elsewhere no session serves.
  if (Deno.build.os === "windows") return undefined;
  const path = serverSocketPath(root);
  // Usually there is none: asked without the cost of a thrown error.
  if (!pathPresent(path)) return undefined;
  try {
    if (Deno.lstatSync(path).uid !== Deno.uid()) return undefined;
    return await Deno.connect({ transport: "unix", path });
  } catch {
    return undefined;
  }
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
    case "note":
      return reporter.note?.(String(data.message));
  }
}

async function* readLines(conn: Deno.UnixConn): AsyncGenerator<string> {
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

async function writeAll(conn: Deno.UnixConn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

function closeConnection(conn: Deno.UnixConn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}
