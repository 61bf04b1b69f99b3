/**
 * The client side of a watch session: `barchan build` in a project where
 * `barchan build -w` runs sends its request to the session instead of
 * waiting for the build lock, and prints the session's events for that
 * build as if it had built itself (Dune's watch mode does the same). It is
 * tried before anything else, so it loads little.
 *
 * @module
 */
// On the path of a build with nothing to do: the memo files it needs are
// imported one by one, since memo/mod.ts would load all of memo.
import { joinPath } from "../../memo/stat/paths.ts";
import { pathPresent } from "../../memo/stat/stat.ts";
import type { Reporter } from "../report/reporter.ts";
import { SERVER_SOCKET, STATE_DIR } from "../state.ts";
import {
  closeConnection,
  isStrings,
  messageLine,
  parseMessage,
  PROTOCOL,
  readLines,
  writeAll,
} from "./protocol.ts";

/** The longest socket path every Unix accepts, in bytes, with room to spare. */
const MAX_SOCKET_PATH = 100;

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
        messageLine({ protocol: PROTOCOL, root, targets }) + "\n",
      ),
    );
    for await (const line of readLines(conn)) {
      const message = parseMessage(line);
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
