/**
 * The server side of a watch session. While `barchan build -w` runs in a
 * project it holds the build lock, and it serves build requests on a Unix
 * socket (protocol.ts); client.ts sends them.
 *
 * The session answers a request once its watcher has seen every change made
 * before the request arrived (a watcher mark), so a build asked right after
 * an edit sees the edit. Its memo engine is warm: nothing is stat'ed or
 * loaded again that no file event touched.
 *
 * @module
 */
import { removeIfPresent } from "../../fiber/_remove_if_present.ts";
import type { Reporter } from "../report/reporter.ts";
import { jsonReporter } from "../report/json.ts";
import { serverSocketPath } from "./client.ts";
import {
  closeConnection,
  isStrings,
  messageLine,
  parseMessage,
  PROTOCOL,
  readLines,
  writeAll,
} from "./protocol.ts";

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
  const message = first === undefined || first.done ? undefined : parseMessage(first.value);
  if (message?.protocol !== PROTOCOL || message.root !== root || !isStrings(message.targets)) {
    send(messageLine({ event: "refused" }));
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
      send(messageLine({ event: "done", code, failures }));
      hangUp();
    },
  };
  open.set(request, () => {
    send(messageLine({ event: "stopped" }));
    hangUp();
  });
  onRequest(request);
  // The client closing its end, or anything it sends, cancels its build.
  await lines.next().catch(() => undefined);
  gone.abort(new Error("The client went away"));
}
