/**
 * Starting and stopping a project's build server (build_server.ts) from
 * another process: `barchan build` starts one in the background when none
 * listens, `barchan server stop` stops it.
 *
 * A server is started as `barchan server run -C ROOT` through this very
 * barchan's cli.ts (or the same binary, compiled), in a session of its own
 * (so that the terminal's Ctrl-C does not reach it), with no standard input
 * or output, and the environment and working directory of the process that
 * starts it. It is ready once it listens on the project's socket.
 *
 * @module
 */
import { joinPath } from "../../memo/stat/paths.ts";
import { removeIfPresent } from "../../fiber/mod.ts";
import { SERVER_FAILED, SERVER_LOG, SERVER_PID, STATE_DIR } from "../state.ts";
import { askServer, serverStatus } from "./client.ts";
import { formatDuration, parseDuration } from "./duration.ts";

/** How long a build server waits for a request before it stops, by default: 15 minutes. */
export const DEFAULT_IDLE_MS: number = 15 * 60 * 1000;

/** How long a server that no longer listens, but still runs, has to exit before it is killed. */
const STOPPING_MS = 2000;

/** The exit code of `barchan server run` when another process holds the build lock. */
export const SERVER_BUSY_EXIT = 75;

/**
 * How long a build server waits for a request before it stops, as
 * `BARCHAN_SERVER_IDLE` says (a duration: `30s`, `15m`, `1h`).
 * @returns Milliseconds (the default when unset), or what is wrong with the setting.
 *
 * @example
 * ```ts
 * import { serverIdle } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * Deno.env.set("BARCHAN_SERVER_IDLE", "90s");
 * assert.equal(serverIdle(), 90_000);
 * Deno.env.delete("BARCHAN_SERVER_IDLE");
 * ```
 */
export function serverIdle(): number | string {
  const text = Deno.env.get("BARCHAN_SERVER_IDLE");
  if (text === undefined || text.trim() === "") return DEFAULT_IDLE_MS;
  return parseDuration(text) ??
    `BARCHAN_SERVER_IDLE takes a duration such as 30s, 15m or 1h, not "${text}"`;
}

/** Options of {@linkcode startBuildServer}. */
export interface StartServerOptions {
  /**
   * How long the server has to listen, in milliseconds.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * After a start that failed (for another reason than a busy lock), how
   * long later starts give up at once, with the same reason: a server that
   * cannot start costs each build the time it takes to find out.
   * @default 600000 (10 minutes)
   */
  retryAfterMs?: number;
  /**
   * The program and arguments that run barchan's command line; `server run
   * -C ROOT` is added.
   * @default this barchan: its cli.ts through `deno run -A`, or the running binary when compiled
   */
  command?: readonly string[];
}

/** How a start went. */
export type ServerStart =
  | {
    /** The server listens. */
    readonly ok: true;
    /** Its process id. */
    readonly pid: number;
  }
  | {
    readonly ok: false;
    /** Why it does not listen, in words. */
    readonly reason: string;
    /** True when another process holds the project's build lock (a build, or a server starting). */
    readonly busy: boolean;
  };

/**
 * Starts the project's build server in the background and waits until it
 * listens; a server that does not listen in time is killed.
 * @param root The project root.
 * @param options How long to wait, and the command.
 * @returns The server's pid, or why there is none.
 *
 * @example A project without build.ts has no server
 * ```ts
 * import { startBuildServer } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const start = await startBuildServer(dir);
 * assert.equal(start.ok, false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function startBuildServer(
  root: string,
  options: StartServerOptions = {},
): Promise<ServerStart> {
  if (Deno.build.os === "windows") {
    return { ok: false, reason: "there are no Unix sockets here", busy: false };
  }
  const failed = joinPath(root, STATE_DIR, SERVER_FAILED);
  const earlier = recentFailure(failed, options.retryAfterMs ?? 10 * 60 * 1000);
  if (earlier !== undefined) return { ok: false, reason: earlier, busy: false };
  const start = await spawnServer(root, options);
  if (start.ok) removeIfPresent(failed);
  else if (!start.busy) {
    try {
      Deno.writeTextFileSync(failed, start.reason + "\n");
    } catch {
      // No state directory: each build tries again.
    }
  }
  return start;
}

/** Why a start failed, from `file`, when that was less than `ms` ago. */
function recentFailure(file: string, ms: number): string | undefined {
  try {
    const info = Deno.statSync(file);
    const ago = Date.now() - (info.mtime?.getTime() ?? 0);
    if (ago > ms || ago < 0) return undefined;
    const reason = Deno.readTextFileSync(file).trim();
    return `one could not start ${formatDuration(ago)} ago (${reason}); ` +
      "barchan server start tries again at once";
  } catch {
    return undefined;
  }
}

async function spawnServer(root: string, options: StartServerOptions): Promise<ServerStart> {
  const [program, ...args] = options.command ?? barchanCommand();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args: [...args, "server", "run", "-C", root],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
  } catch (error) {
    return {
      ok: false,
      reason: error instanceof Error ? error.message : String(error),
      busy: false,
    };
  }
  let exited: Deno.CommandStatus | undefined;
  void child.status.then((status) => exited = status);
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    // Its own answer, not that of a server that is stopping.
    if ((await serverStatus(root, 1000))?.pid === child.pid) {
      child.unref();
      return { ok: true, pid: child.pid };
    }
    if (exited !== undefined) {
      if (exited.code === SERVER_BUSY_EXIT) {
        return { ok: false, reason: "another build holds the project's lock", busy: true };
      }
      return {
        ok: false,
        reason: `it exited with code ${exited.code} (see ${joinPath(root, STATE_DIR, SERVER_LOG)})`,
        busy: false,
      };
    }
    if (performance.now() > deadline) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Gone meanwhile.
      }
      await child.status;
      return {
        ok: false,
        reason: `it did not listen within ${options.timeoutMs ?? 10_000} ms`,
        busy: false,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The command that runs this barchan's command line: the running binary
 * when compiled, its cli.ts through `deno run -A` otherwise.
 * @returns The program and its arguments.
 */
export function barchanCommand(): string[] {
  if (Deno.build.standalone) return [Deno.execPath()];
  return [Deno.execPath(), "run", "-A", new URL("../../cli.ts", import.meta.url).href];
}

/** How a stop went. */
export type ServerStop =
  | {
    /** No server listened, and none was recorded as running. */
    readonly kind: "none";
  }
  | {
    /** The server stopped (or was killed, when it did not answer). */
    readonly kind: "stopped";
    /** Its process id. */
    readonly pid: number;
    /** True when it had to be killed. */
    readonly killed: boolean;
  }
  | {
    /** What listens cannot be stopped this way (a watch session). */
    readonly kind: "refused";
    /** Why, in words. */
    readonly reason: string;
  };

/**
 * Stops the project's build server and returns once it is gone (a build
 * it is running is finished first). A server that does not answer within
 * `timeoutMs` (and, when it no longer listens, is not gone within two
 * seconds) is killed, when its pid file names a build server of this
 * project that runs as this user.
 * @param root The project root.
 * @param timeoutMs How long the server has to answer.
 * @returns What happened.
 *
 * @example No server, nothing to stop
 * ```ts
 * import { stopServer } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(await stopServer("/nonexistent/project"), { kind: "none" });
 * ```
 */
export async function stopServer(root: string, timeoutMs = 10_000): Promise<ServerStop> {
  let pid: number | undefined;
  let answered = false;
  // Once it answered, it may finish a build first: no time limit then.
  for await (const message of askServer(root, "stop", timeoutMs)) {
    answered = true;
    if (message.event === "refused") return { kind: "refused", reason: String(message.reason) };
    if (typeof message.pid === "number") pid = message.pid;
  }
  if (answered && pid !== undefined) {
    await waitForExit(pid, timeoutMs);
    return { kind: "stopped", pid, killed: false };
  }
  // A server that stops removes its socket first: it is given a moment to be gone.
  const stopping = recordedServer(root);
  if (stopping !== undefined && await waitForExit(stopping, STOPPING_MS)) {
    return { kind: "stopped", pid: stopping, killed: false };
  }
  const killed = await killServer(root);
  return killed === undefined ? { kind: "none" } : { kind: "stopped", pid: killed, killed: true };
}

/**
 * Kills the project's build server, as its pid file names it: for a server
 * that does not answer. Only a process of this user whose command line is
 * `server run` for this project is killed (SIGTERM, then SIGKILL after two
 * seconds).
 * @param root The project root.
 * @returns The pid killed, or undefined when there was none to kill.
 */
export async function killServer(root: string): Promise<number | undefined> {
  const pid = recordedServer(root);
  if (pid === undefined) return undefined;
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return undefined;
  }
  if (!(await waitForExit(pid, 2000))) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
    await waitForExit(pid, 2000);
  }
  return pid;
}

/** The pid in the project's pid file, when it names a live build server of this project. */
function recordedServer(root: string): number | undefined {
  if (Deno.build.os !== "linux") return undefined;
  let pid: number;
  try {
    const file = joinPath(root, STATE_DIR, SERVER_PID);
    if (Deno.statSync(file).uid !== Deno.uid()) return undefined;
    pid = Number(Deno.readTextFileSync(file).trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    const at = args.indexOf("server");
    if (at < 0 || args[at + 1] !== "run" || !args.includes(root)) return undefined;
    if (Deno.statSync(`/proc/${pid}`).uid !== Deno.uid()) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

/** Waits for a process to end, polling; returns false when it still runs after `timeoutMs`. */
async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (alive(pid)) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

function alive(pid: number): boolean {
  if (Deno.build.os === "linux") {
    try {
      // A zombie has exited: its state is Z.
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
      return false;
    }
  }
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}
