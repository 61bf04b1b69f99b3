// Process groups and child I/O for the scheduler.
//
// Each child leads its own session and process group, whose id is its pid.
// Signalling `-pid` reaches the child and every process it started that stayed
// in the group (a shell's commands, a compiler's cc1/as/ld), which signalling
// the pid alone would leave running; and the terminal's Ctrl-C reaches only
// us, so that we decide how children stop.
//
// How the child gets its session matters for speed. `Deno.Command`'s
// `detached: true` calls setsid() between fork and exec, which rules out the
// posix_spawn/vfork path: the whole parent is forked, blocking the event loop
// for a time that grows with the heap (about 2 to 3 ms per spawn in a small
// build, measured in bench/spawn_bench.ts). Running the program through the
// `setsid` utility instead keeps the fast spawn and costs one extra exec
// (about 0.3 ms). The child is not a group leader when `setsid` runs, so
// `setsid` execs the program in place: the pid we hold is the program's.
// Where no `setsid` utility exists, `detached: true` is the fallback.
//
// Signalling a group is safe while the leader is unreaped, or while any member
// lives: the kernel does not reuse a pid that still names a process group. The
// scheduler therefore sends its last SIGKILL right after reaping the leader
// and never later.

const isWindows = Deno.build.os === "windows";

/** The `setsid` utility, looked up on first use; null if there is none. */
let setsid: string | null | undefined;

function findSetsid(): string | null {
  for (const path of ["/usr/bin/setsid", "/bin/setsid"]) {
    try {
      const info = Deno.statSync(path);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return path;
    } catch {
      // Not there, or not readable: try the next one.
    }
  }
  return null;
}

/**
 * A command that runs `program` with `args` as the leader of a new session and
 * process group (on Windows, a plain command). `viaSetsid: false` forces the
 * `detached: true` fallback.
 */
export function groupCommand(
  program: string,
  args: readonly string[],
  options: Omit<Deno.CommandOptions, "args" | "detached">,
  viaSetsid = true,
): Deno.Command {
  if (isWindows) return new Deno.Command(program, { ...options, args: args as string[] });
  setsid ??= findSetsid();
  if (setsid === null || !viaSetsid) {
    return new Deno.Command(program, { ...options, args: args as string[], detached: true });
  }
  return new Deno.Command(setsid, { ...options, args: [program, ...args] });
}

/**
 * Sends `signal` to the process group of `child`; a vanished group is fine.
 * While the child is unreaped (`leaderAlive`), a group that does not exist yet
 * means the child has not called setsid() so far: the child itself is
 * signalled instead.
 */
export function killGroup(
  child: Deno.ChildProcess,
  signal: Deno.Signal,
  leaderAlive: boolean,
): void {
  try {
    if (isWindows) child.kill(signal);
    else Deno.kill(-child.pid, signal);
  } catch (error) {
    // ESRCH: no such group. On Windows, killing an exited child.
    if (!(error instanceof Deno.errors.NotFound || error instanceof TypeError)) throw error;
    if (!leaderAlive || isWindows) return;
    try {
      Deno.kill(child.pid, signal);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/** Calls `sink` with each chunk of `stream` until it ends. */
export async function drain(
  stream: ReadableStream<Uint8Array>,
  sink: (chunk: Uint8Array) => void,
): Promise<void> {
  for await (const chunk of stream) sink(chunk);
}

/** Reads `stream` to the end and decodes it as UTF-8. */
export async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** Writes `data` to the child's stdin and closes it; a child that exits early is fine. */
export async function feed(
  stdin: WritableStream<Uint8Array>,
  data: Uint8Array | ReadableStream<Uint8Array>,
): Promise<void> {
  try {
    if (data instanceof ReadableStream) {
      await data.pipeTo(stdin);
    } else {
      const writer = stdin.getWriter();
      await writer.write(data);
      await writer.close();
    }
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset) {
      return;
    }
    throw error;
  }
}
