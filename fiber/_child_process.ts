// How the scheduler starts a command's process, and how it stops the process
// with everything it started.
//
// On Linux the program is spawned directly, as make does: one exec a command.
// Stopping it walks its descendants in /proc (_process_tree.ts), so nothing it
// started outlives it. Like make's commands, it shares barchan's process
// group, so the terminal's Ctrl-C reaches it at the same time as barchan.
//
// Elsewhere on Unix each child leads its own session and process group, whose
// id is its pid, and signalling `-pid` reaches the child and every process it
// started that stayed in the group. The child gets its session from the
// `setsid` utility: `Deno.Command`'s `detached: true` calls setsid() between
// fork and exec, which rules out the posix_spawn/vfork path, so the whole
// parent is forked, in a time that grows with the heap (a cold build at N =
// 10,000 took 46 s that way on Linux, against 18 s through `setsid`). The
// child is not a group leader when `setsid` runs, so `setsid` execs the
// program in place: the pid we hold is the program's. Where no `setsid`
// utility exists, `detached: true` is the fallback. The extra exec costs
// about 0.4 ms of wall-clock time a command at -j 2 (a cold build at N =
// 10,000 on Linux: 18 s through `setsid`, 13 s spawning directly).
//
// Signalling a group is safe while the leader is unreaped, or while any member
// lives: the kernel does not reuse a pid that still names a process group. The
// scheduler therefore sends its last SIGKILL right after reaping the leader
// and never later.

import { ProcessTree } from "./_process_tree.ts";

/** How children are started and stopped: see the top of this file. */
export type ChildMode = "tree" | "setsid" | "detached" | "plain";

/** The mode of this platform. */
export function defaultChildMode(): ChildMode {
  if (Deno.build.os === "windows") return "plain";
  if (Deno.build.os === "linux") return "tree";
  return (setsid ??= findSetsid()) === null ? "detached" : "setsid";
}

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

/** A command that runs `program` with `args`, started the way `mode` says. */
export function childCommand(
  program: string,
  args: readonly string[],
  options: Omit<Deno.CommandOptions, "args" | "detached">,
  mode: ChildMode = defaultChildMode(),
): Deno.Command {
  if (mode === "setsid") {
    setsid ??= findSetsid();
    if (setsid !== null) return new Deno.Command(setsid, { ...options, args: [program, ...args] });
    mode = "detached";
  }
  return new Deno.Command(program, {
    ...options,
    args: args as string[],
    detached: mode === "detached",
  });
}

/** Signals a child and what it started. */
export interface ChildStopper {
  /**
   * Sends `signal` to the child (while it is unreaped) and what it started.
   * @param signal The signal.
   * @param childAlive Whether the child is unreaped, hence safe to signal.
   */
  signal(signal: Deno.Signal, childAlive: boolean): void;
}

/** The stopper of a child started in `mode`. */
export function stopperOf(
  child: Deno.ChildProcess,
  mode: ChildMode = defaultChildMode(),
): ChildStopper {
  if (mode === "tree") return new ProcessTree(child.pid);
  if (mode === "plain") {
    return { signal: (signal, alive) => alive && killQuietly(() => child.kill(signal)) };
  }
  return { signal: (signal, alive) => killGroup(child, signal, alive) };
}

function killQuietly(kill: () => void): void {
  try {
    kill();
  } catch (error) {
    // An exited child.
    if (!(error instanceof Deno.errors.NotFound || error instanceof TypeError)) throw error;
  }
}

/**
 * Sends `signal` to the process group of `child`; a vanished group is fine.
 * While the child is unreaped (`leaderAlive`), a group that does not exist yet
 * means the child has not called setsid() so far: the child itself is
 * signalled instead.
 */
function killGroup(child: Deno.ChildProcess, signal: Deno.Signal, leaderAlive: boolean): void {
  try {
    Deno.kill(-child.pid, signal);
  } catch (error) {
    // ESRCH: no such group.
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    if (leaderAlive) killQuietly(() => Deno.kill(child.pid, signal));
  }
}

/** Bytes read at a time from a child's output. */
const CHUNK_BYTES = 4096;

/** Buffers that reads of children's output are done with, for the next ones. */
const idleBuffers: ArrayBuffer[] = [];

/**
 * Calls `onChunk` with each chunk of `stream` until it ends. The chunk is a
 * view of a buffer the next read reuses, so `onChunk` copies what it keeps.
 *
 * A pipe read the default way (`for await`, or `Deno.ChildProcess#output`)
 * gets a new 64 KiB buffer for each read, the last one (at end of file)
 * included: two a command even when it prints nothing. At 10,000 commands
 * they held tens of megabytes of the C library's heap between collections.
 * These reads go through small buffers, given back once a stream ends.
 */
async function readChunks(
  stream: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
): Promise<void> {
  const reader = stream.getReader({ mode: "byob" });
  let buffer = new Uint8Array(idleBuffers.pop() ?? new ArrayBuffer(CHUNK_BYTES));
  try {
    for (;;) {
      const { value, done } = await reader.read(buffer);
      if (value === undefined) return;
      buffer = new Uint8Array(value.buffer);
      if (done) break;
      onChunk(value);
    }
  } finally {
    reader.releaseLock();
  }
  idleBuffers.push(buffer.buffer);
}

/** Calls `sink` with a copy of each chunk of `stream` until it ends. */
export function drain(
  stream: ReadableStream<Uint8Array>,
  sink: (chunk: Uint8Array) => void,
): Promise<void> {
  return readChunks(stream, (chunk) => sink(chunk.slice()));
}

/** Reads `stream` to the end and decodes it as UTF-8. */
export async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  await readChunks(stream, (chunk) => text += decoder.decode(chunk, { stream: true }));
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
