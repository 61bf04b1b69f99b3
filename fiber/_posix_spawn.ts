// Starting a child with the C library's posix_spawn() off the main thread.
//
// `Deno.Command#spawn` starts the child on the main thread and blocks it until
// the child has exec'd: about 0.5 ms on an idle machine and 1.2 ms at -j 2 on
// two busy cores, a third of the main thread's time in a cold build of small
// commands. Here the same vfork-and-exec runs as a non-blocking FFI call on
// one of the runtime's blocking threads, and the main thread goes on with the
// build meanwhile.
//
// Nothing else holds a thread while the child runs: the runtime has few
// blocking threads (32), which its own file operations share. The child
// writes its stdout and stderr to unnamed temporary files (O_TMPFILE), read
// once it has exited, and it is reaped with waitpid(WNOHANG) when a SIGCHLD
// arrives (and every quarter second, should a signal be missed). So a
// command's output reaches its sink when the command is over, as the build
// reports it anyway.
//
// The child is started as Deno.Command would start it: stdin from /dev/null,
// SIGPIPE at its default action, no signal blocked, the same environment.
// Used on Linux with glibc, when FFI is allowed, for absolute program paths;
// `directSpawner()` is null elsewhere (or with BARCHAN_SPAWN=deno), and the
// caller uses Deno.Command.

const SYMBOLS = {
  posix_spawn: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
  sigemptyset: { parameters: ["buffer"], result: "i32" },
  sigaddset: { parameters: ["buffer", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;
/** O_TMPFILE, which includes O_DIRECTORY, as x86_64 and aarch64 define it. */
const O_TMPFILE = 0o20200000;
const WNOHANG = 1;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const SIGPIPE = 13;
const ENOEXEC = 8;
/** Room for glibc's posix_spawn_file_actions_t (80 bytes) and posix_spawnattr_t (336). */
const OPAQUE_BYTES = 512;
/** Room for glibc's sigset_t (128 bytes). */
const SIGSET_BYTES = 128;
/** How often running children are polled, should a SIGCHLD be missed. */
const POLL_MS = 250;
/** Bytes read at a time from a finished child's output. */
const CHUNK_BYTES = 65536;

/** How each of the child's output streams is connected. */
export type DirectStdio = "piped" | "inherit" | "null";

/** What a child started by {@linkcode DirectSpawner} needs. */
export interface DirectSpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  clearEnv?: boolean;
  stdout: DirectStdio;
  stderr: DirectStdio;
}

/** A running child, with what Job uses of Deno.ChildProcess. */
export interface DirectChild {
  readonly pid: number;
  readonly status: Promise<Deno.CommandStatus>;
  /** What the child wrote, given once it has exited. */
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  /** Sends `signal` to the child. */
  kill(signal: Deno.Signal): void;
}

/** Starts children with posix_spawn() off the main thread. */
export interface DirectSpawner {
  /**
   * Starts `program` (an absolute path) with `args`, stdin from /dev/null.
   * Null, or a promise of null, when Deno.Command is to start it instead:
   * the path is relative, no temporary file can be made, or the program is
   * a script without a `#!` line (which Deno.Command runs with /bin/sh).
   * Rejects as Deno.Command#spawn throws: NotFound when the program or `cwd`
   * is missing.
   */
  spawn(
    program: string,
    args: readonly string[],
    options: DirectSpawnOptions,
  ): Promise<DirectChild | null> | null;
}

let spawner: DirectSpawner | null | undefined;

/** The spawner of this platform, or null where Deno.Command is to be used. */
export function directSpawner(): DirectSpawner | null {
  return spawner ??= makeSpawner();
}

function makeSpawner(): DirectSpawner | null {
  if (Deno.build.os !== "linux") return null;
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") return null;
  if (Deno.env.get("BARCHAN_SPAWN") === "deno") return null;
  let libc: Libc;
  try {
    libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch {
    // No FFI permission, another C library, or a glibc older than 2.29.
    return null;
  }
  const defaults = new Uint8Array(SIGSET_BYTES);
  const mask = new Uint8Array(SIGSET_BYTES);
  libc.sigemptyset(defaults);
  libc.sigaddset(defaults, SIGPIPE);
  libc.sigemptyset(mask);
  const reaper = new Reaper(libc);
  const temporary = cString(Deno.env.get("TMPDIR") || "/tmp");
  return {
    spawn(program, args, options) {
      if (!program.startsWith("/")) return null;
      const outFd = options.stdout === "piped" ? libc.open(temporary, TEMP_FLAGS, 0o600) : -1;
      const errFd = options.stderr === "piped" ? libc.open(temporary, TEMP_FLAGS, 0o600) : -1;
      if ((options.stdout === "piped" && outFd < 0) || (options.stderr === "piped" && errFd < 0)) {
        if (outFd >= 0) libc.close(outFd);
        if (errFd >= 0) libc.close(errFd);
        return null;
      }
      return startChild(libc, reaper, program, args, options, outFd, errFd, defaults, mask);
    },
  };
}

const TEMP_FLAGS = O_TMPFILE | O_RDWR | O_CLOEXEC;

const encoder = new TextEncoder();

/** `text` as a NUL-terminated C string. */
function cString(text: string): Uint8Array {
  return encoder.encode(text + "\0");
}

async function startChild(
  libc: Libc,
  reaper: Reaper,
  program: string,
  args: readonly string[],
  options: DirectSpawnOptions,
  outFd: number,
  errFd: number,
  defaults: Uint8Array,
  mask: Uint8Array,
): Promise<DirectChild | null> {
  // Everything the call reads must stay reachable until it returns: `keep`.
  const keep: Uint8Array[] = [];
  const kept = (text: string): Uint8Array => {
    const bytes = cString(text);
    keep.push(bytes);
    return bytes;
  };
  const pointers = (texts: readonly string[]): BigUint64Array => {
    const array = new BigUint64Array(texts.length + 1);
    texts.forEach((text, i) => {
      array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(kept(text))));
    });
    return array;
  };
  const actions = new Uint8Array(OPAQUE_BYTES);
  const attributes = new Uint8Array(OPAQUE_BYTES);
  libc.posix_spawn_file_actions_init(actions);
  libc.posix_spawnattr_init(attributes);
  libc.posix_spawnattr_setsigdefault(attributes, defaults);
  libc.posix_spawnattr_setsigmask(attributes, mask);
  libc.posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  const devNull = kept("/dev/null");
  libc.posix_spawn_file_actions_addopen(actions, 0, devNull, O_RDONLY, 0);
  const connect = (fd: 1 | 2, how: DirectStdio, file: number) => {
    if (how === "null") libc.posix_spawn_file_actions_addopen(actions, fd, devNull, O_WRONLY, 0);
    if (how === "piped") libc.posix_spawn_file_actions_adddup2(actions, file, fd);
  };
  let spawned = false;
  try {
    connect(1, options.stdout, outFd);
    connect(2, options.stderr, errFd);
    if (options.cwd !== undefined) {
      libc.posix_spawn_file_actions_addchdir_np(actions, kept(options.cwd));
    }
    const environment = options.clearEnv ? {} : Deno.env.toObject();
    Object.assign(environment, options.env);
    const argv = pointers([program, ...args]);
    const envp = pointers(Object.entries(environment).map(([k, v]) => `${k}=${v}`));
    const pid = new Int32Array(1);
    const error = await libc.posix_spawn(pid, kept(program), actions, attributes, argv, envp);
    // Reachable until here, whatever the collector thinks of the call.
    void [keep, argv, envp, attributes];
    if (error === ENOEXEC) return null;
    if (error !== 0) throw spawnError(error, program, options.cwd);
    spawned = true;
    const child = pid[0];
    const status = reaper.reap(child);
    return {
      pid: child,
      status,
      stdout: outFd >= 0 ? outputStream(libc, outFd, status) : closedStream(),
      stderr: errFd >= 0 ? outputStream(libc, errFd, status) : closedStream(),
      kill: (signal) => Deno.kill(child, signal),
    };
  } finally {
    if (!spawned) {
      if (outFd >= 0) libc.close(outFd);
      if (errFd >= 0) libc.close(errFd);
    }
    libc.posix_spawn_file_actions_destroy(actions);
  }
}

/** The error Deno.Command#spawn would throw for `errno`. */
function spawnError(errno: number, program: string, cwd: string | undefined): Error {
  const where = cwd === undefined ? "" : ` in "${cwd}"`;
  const message = `Failed to spawn '${program}'${where}`;
  switch (errno) {
    case 2: // ENOENT
    case 20: // ENOTDIR
      return new Deno.errors.NotFound(`${message}: no such file or directory`);
    case 13: // EACCES
    case 1: // EPERM
      return new Deno.errors.PermissionDenied(`${message}: permission denied`);
    default:
      return new Error(`${message}: error ${errno}`);
  }
}

/** Reaps this path's children as they exit, without a thread per child. */
class Reaper {
  #libc: Libc;
  #waiting = new Map<number, (status: Deno.CommandStatus) => void>();
  #status = new Int32Array(1);
  #timer: ReturnType<typeof setInterval> | undefined;
  #onSignal = () => this.#poll();

  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /** The exit status of `pid`, a child of this process, once it exits. */
  reap(pid: number): Promise<Deno.CommandStatus> {
    const exited = new Promise<Deno.CommandStatus>((resolve) => this.#waiting.set(pid, resolve));
    if (this.#timer === undefined) {
      Deno.addSignalListener("SIGCHLD", this.#onSignal);
      // Also what keeps the process alive while a child runs: a signal
      // listener does not.
      this.#timer = setInterval(this.#onSignal, POLL_MS);
    }
    // It may have exited before it was registered.
    this.#poll();
    return exited;
  }

  #poll(): void {
    for (const [pid, resolve] of this.#waiting) {
      const rc = this.#libc.waitpid(pid, this.#status, WNOHANG);
      // 0: still running. -1: not ours to wait for (ECHILD), which cannot
      // be while it is in this map; it is treated as running.
      if (rc !== pid) continue;
      this.#waiting.delete(pid);
      resolve(decodeStatus(this.#status[0]));
    }
    if (this.#waiting.size === 0 && this.#timer !== undefined) {
      Deno.removeSignalListener("SIGCHLD", this.#onSignal);
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

/** A wait status as Deno reports it. */
function decodeStatus(raw: number): Deno.CommandStatus {
  const termSignal = raw & 0x7f;
  if (termSignal === 0) {
    const code = (raw >> 8) & 0xff;
    return { success: code === 0, code, signal: null };
  }
  return { success: false, code: 128 + termSignal, signal: SIGNAL_NAMES[termSignal] ?? null };
}

/** A byte stream of what the child wrote to `fd`, from the start, once it has exited. */
function outputStream(
  libc: Libc,
  fd: number,
  exited: Promise<unknown>,
): ReadableStream<Uint8Array> {
  let offset = 0;
  let open = true;
  const closeOnce = () => {
    if (open) libc.close(fd);
    open = false;
  };
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: CHUNK_BYTES,
    async pull(controller) {
      await exited;
      const request = controller.byobRequest!;
      const view = request.view as Uint8Array;
      const n = open ? Number(libc.pread(fd, view, BigInt(view.byteLength), BigInt(offset))) : 0;
      if (n > 0) {
        offset += n;
        return request.respond(n);
      }
      closeOnce();
      if (n < 0) return controller.error(new Error("Cannot read a command's output"));
      controller.close();
      request.respond(0);
    },
    cancel: closeOnce,
  });
}

function closedStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ type: "bytes", start: (controller) => controller.close() });
}

/** Linux signal numbers (x86_64 and aarch64 agree) and their names. */
const SIGNAL_NAMES: Record<number, Deno.Signal> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  16: "SIGSTKFLT",
  17: "SIGCHLD",
  18: "SIGCONT",
  19: "SIGSTOP",
  20: "SIGTSTP",
  21: "SIGTTIN",
  22: "SIGTTOU",
  23: "SIGURG",
  24: "SIGXCPU",
  25: "SIGXFSZ",
  26: "SIGVTALRM",
  27: "SIGPROF",
  28: "SIGWINCH",
  29: "SIGIO",
  30: "SIGPWR",
  31: "SIGSYS",
};
