/**
 * `barchan server`: the project's build server, which `build` starts in the
 * background and sends its builds to.
 *
 * @module
 */
import { dirnamePath as dirname } from "../memo/stat/paths.ts";
import { findBuildFile } from "../rules/project/build_file.ts";
import { serverStatus } from "../rules/daemon/client.ts";
import { formatDuration } from "../rules/daemon/duration.ts";
import {
  SERVER_BUSY_EXIT,
  serverIdle,
  startBuildServer,
  stopServer,
} from "../rules/daemon/start.ts";

/**
 * `barchan server status|start|stop|run`.
 * @param cwd The directory the command runs in.
 * @param args What follows `server`.
 * @returns The exit code: 0 done (`status`: a server runs), 1 none runs or
 * it failed, 2 bad usage, 75 (`run`) another process holds the lock.
 */
export async function serverCommand(cwd: string, args: string[]): Promise<number> {
  const [action = "status", ...rest] = args;
  if (rest.length > 0) return usage(`server ${action} takes no arguments, not "${rest[0]}"`);
  const root = dirname(findBuildFile(cwd));
  switch (action) {
    case "status":
      return await status(root);
    case "stop": {
      const stop = await stopServer(root);
      if (stop.kind === "refused") {
        console.error(`barchan: ${stop.reason}`);
        return 1;
      }
      console.error(
        stop.kind === "none"
          ? `No build server runs for ${root}`
          : `Stopped the build server of ${root} (pid ${stop.pid}${
            stop.killed ? ", killed: it did not answer" : ""
          })`,
      );
      return 0;
    }
    case "start": {
      const running = await serverStatus(root);
      if (running !== undefined) {
        console.error(`A ${describe(running.kind)} already runs for ${root} (pid ${running.pid})`);
        return 0;
      }
      const idle = serverIdle();
      if (typeof idle === "string") return usage(idle);
      const start = await startBuildServer(root, { retryAfterMs: 0 });
      if (!start.ok) {
        console.error(`barchan: cannot start a build server: ${start.reason}`);
        return 1;
      }
      console.error(`Started the build server of ${root} (pid ${start.pid})`);
      return 0;
    }
    case "run":
      return await run(root);
    default:
      return usage(`server takes status, start, stop or run, not "${action}"`);
  }
}

async function status(root: string): Promise<number> {
  const status = await serverStatus(root);
  if (status === undefined) {
    console.log(`No build server runs for ${root}`);
    return 1;
  }
  const lines = [
    `${describe(status.kind)} of ${status.root}`,
    `  pid      ${status.pid}`,
    `  up       ${formatDuration(status.uptimeMs)}`,
    `  memory   ${(status.rssBytes / (1024 * 1024)).toFixed(1)} MiB resident`,
    `  builds   ${status.builds}`,
  ];
  if (status.idleExitMs !== undefined) {
    lines.push(`  stops    in ${formatDuration(status.idleExitMs)} without a request`);
  }
  lines.push(`  version  ${status.tool}`);
  console.log(lines.join("\n"));
  return 0;
}

/** `server run`: the server in this process, until it stops; SIGINT and SIGTERM stop it. */
async function run(root: string): Promise<number> {
  const idle = serverIdle();
  if (typeof idle === "string") return usage(idle);
  const { runBuildServer, ServerBusyError } = await import("../rules/daemon/build_server.ts");
  const stop = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onSignal = () => stop.abort(new Error("Terminated by a signal"));
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    await runBuildServer({ root, idleMs: idle, signal: stop.signal });
    return 0;
  } catch (error) {
    if (error instanceof ServerBusyError) {
      console.error(`barchan: ${error.message}`);
      return SERVER_BUSY_EXIT;
    }
    throw error;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}

function describe(kind: "server" | "watch"): string {
  return kind === "server" ? "build server" : "watch session (build -w)";
}

function usage(message: string): number {
  console.error(`barchan: ${message}\nRun "barchan --help" for usage.`);
  return 2;
}
