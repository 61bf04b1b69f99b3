// The processes a child started, found from /proc on Linux, so that a
// cancelled command can be stopped with everything it started without giving
// each command its own process group (see _child_process.ts for why).
//
// Signalling a tree is done in three steps:
//
// 1. Freeze: the root is stopped (SIGSTOP), then /proc is read again and
//    again, each time stopping the children of the processes already
//    stopped, until a reading finds no new one. A stopped process can neither
//    start a child nor reap one, so the tree cannot change under the next
//    reading, and a pid found as the child of a stopped process cannot be
//    reused.
// 2. The signal goes to every member.
// 3. Unless it was SIGKILL, every member is continued (SIGCONT), so that it
//    handles the signal.
//
// Members are remembered with their start time: when the root has been reaped
// (its children then belong to init), a later signal still reaches members
// that are alive and are the same processes, checked by start time.

/** A process as /proc shows it. */
interface ProcessEntry {
  parent: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
  startTime: string;
}

/** Reads every process's parent and start time from /proc. */
function readProcessTable(): Map<number, ProcessEntry> {
  const table = new Map<number, ProcessEntry>();
  for (const entry of Deno.readDirSync("/proc")) {
    const first = entry.name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch {
      continue; // Exited since the listing.
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    table.set(Number(entry.name), { parent: Number(fields[1]), startTime: fields[19] });
  }
  return table;
}

function send(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch (error) {
    // Gone, or not ours to signal (a set-user-ID program).
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      return;
    }
    throw error;
  }
}

/** The greatest number of /proc readings one signal takes (the tree's depth, plus one). */
const MAX_READINGS = 64;

/** A child process and the processes it started, as far as they were seen. */
export class ProcessTree {
  readonly #root: number;
  /** Descendants seen so far, by pid, with their start time. */
  readonly #members = new Map<number, string>();

  /**
   * @param root The child's pid: ours, so it names the child until reaped.
   */
  constructor(root: number) {
    this.#root = root;
  }

  /**
   * Sends `signal` to the root (while `rootAlive`) and to every descendant.
   * @param signal The signal.
   * @param rootAlive Whether the root is unreaped, hence safe to signal.
   */
  signal(signal: Deno.Signal, rootAlive: boolean): void {
    if (rootAlive) send(this.#root, "SIGSTOP");
    // Members found earlier that are gone, or whose pid now names another
    // process, are forgotten; the others are stopped again.
    if (this.#members.size > 0) {
      const table = readProcessTable();
      for (const [pid, startTime] of this.#members) {
        if (table.get(pid)?.startTime === startTime) send(pid, "SIGSTOP");
        else this.#members.delete(pid);
      }
    }
    for (let reading = 0; reading < MAX_READINGS; reading++) {
      // Only children of processes stopped before this reading are taken.
      const stopped = new Set(this.#members.keys());
      if (rootAlive) stopped.add(this.#root);
      const table = readProcessTable();
      let found = 0;
      for (const [pid, entry] of table) {
        if (!stopped.has(entry.parent) || stopped.has(pid) || pid === this.#root) continue;
        send(pid, "SIGSTOP");
        this.#members.set(pid, entry.startTime);
        found++;
      }
      if (found === 0) break;
    }
    const all = [...this.#members.keys()];
    if (rootAlive) all.unshift(this.#root);
    for (const pid of all) send(pid, signal);
    if (signal !== "SIGKILL") { for (const pid of all) send(pid, "SIGCONT"); }
  }
}
