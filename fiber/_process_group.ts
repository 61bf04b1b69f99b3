// Process groups and child I/O for the scheduler.
//
// Children are spawned with `detached: true`, so each leads its own session and
// process group whose id is its pid. Signalling `-pid` reaches the child and
// every process it started that stayed in the group (a shell's commands, a
// compiler's cc1/as/ld), which signalling the pid alone would leave running.
//
// Signalling a group is safe while the leader is unreaped, or while any member
// lives: the kernel does not reuse a pid that still names a process group. The
// scheduler therefore sends its last SIGKILL right after reaping the leader
// and never later.

const isWindows = Deno.build.os === "windows";

/** Sends `signal` to the process group of `child`; a vanished group is fine. */
export function killGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    if (isWindows) child.kill(signal);
    else Deno.kill(-child.pid, signal);
  } catch (error) {
    // ESRCH: the group is already gone. On Windows, killing an exited child.
    if (error instanceof Deno.errors.NotFound || error instanceof TypeError) return;
    throw error;
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
