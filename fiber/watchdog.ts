/**
 * Ctrl-C while code that may never return control runs on the main thread
 * (the top level of a build description with `while (true) {}`): no signal
 * handler of the main thread can run then, so Ctrl-C would do nothing.
 *
 * While such code runs, SIGINT and SIGTERM are given back their default
 * action, through the C library's `sigaction`: the process ends at the
 * signal, as any program does, with 128 + its number (130, 143). A small
 * process started beforehand (`sh`, ignoring both signals) holds a pipe
 * from this one: when this process ends without saying it is done, the
 * pipe closes and that process prints the message, then exits. When the
 * code returns, the runtime's handlers are put back as they were, and the
 * small process is killed.
 *
 * A process whose standard error nobody reads (a build server) has the
 * message appended to a file instead ({@linkcode watchdogMessagesTo}), and
 * can tell, while such code runs, that it does ({@linkcode armedWatchdog}).
 *
 * A worker thread could answer signals instead, but starting one costs the
 * main thread about 20 ms (on a loaded machine 40), on every build that
 * evaluates build.ts; this costs about 1 ms and one spawn. It needs the C
 * library (Linux) and `--allow-ffi`; elsewhere it does nothing.
 *
 * @module
 */

/** `struct sigaction` fits in this many bytes on the platforms barchan runs on (152 on Linux). */
const SIGACTION_BYTES = 256;
const SIGNALS = [2, 15]; // SIGINT, SIGTERM

type Libc = Deno.DynamicLibrary<{
  sigaction: { parameters: ["i32", "buffer", "buffer"]; result: "i32" };
}>;

let libc: Libc | null | undefined;

function openLibc(): Libc | null {
  if (Deno.build.os !== "linux") return null;
  try {
    return Deno.dlopen("libc.so.6", {
      sigaction: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    });
  } catch {
    // No FFI permission, or no glibc.
    return null;
  }
}

/**
 * Lets SIGINT and SIGTERM end the process at once, as they would by default,
 * printing `message` after it ended, until the returned function is called
 * (which puts the runtime's handlers back and stops the small process).
 * Calls nest: the outermost one decides. Does nothing where the C library
 * cannot be reached.
 * @param message What is printed on standard error when the process ends meanwhile.
 * @returns A function ending the guard.
 *
 * @example Guarding code that might not return
 * ```ts
 * import { armWatchdog } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const release = armWatchdog("stopped while adding");
 * try {
 *   assert.equal(1 + 1, 2);
 * } finally {
 *   release();
 * }
 * ```
 */
export function armWatchdog(message: string): () => void {
  if (depth++ > 0) return once(() => void depth--);
  armed = message;
  const disarm = () => {
    depth--;
    armed = undefined;
  };
  libc ??= openLibc();
  if (libc === null) return once(disarm);
  let child: Deno.ChildProcess;
  try {
    const print = messageFile === undefined ? `'%s\\n' "$0" >&2` : `'watchdog: %s\\n' "$0" >> "$1"`;
    child = new Deno.Command("sh", {
      args: [
        "-c",
        `trap '' INT TERM; read done || printf ${print}`,
        message,
        ...(messageFile === undefined ? [] : [messageFile]),
      ],
      stdin: "piped",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
  } catch {
    return once(disarm);
  }
  const symbols = libc.symbols;
  const saved = SIGNALS.map((signal) => {
    const old = new Uint8Array(SIGACTION_BYTES);
    symbols.sigaction(signal, new Uint8Array(SIGACTION_BYTES), old);
    return { signal, old };
  });
  return once(() => {
    disarm();
    for (const { signal, old } of saved) symbols.sigaction(signal, old, null);
    // Stopped before this returns: once SIGKILL is sent, it prints nothing,
    // even when this process ends at once and closes the pipe.
    child.kill("SIGKILL");
    child.unref();
    void child.stdin.close().catch(() => {});
  });
}

let depth = 0;

/** The message of the outermost watchdog armed, while one is. */
let armed: string | undefined;

/** Where messages go instead of standard error. */
let messageFile: string | undefined;

/**
 * The message of the watchdog armed now: while it is, the code it guards
 * runs (or awaits what may never come).
 * @returns The message given to {@linkcode armWatchdog}, or undefined when none is armed.
 *
 * @example
 * ```ts
 * import { armedWatchdog, armWatchdog } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const release = armWatchdog("stopped while adding");
 * assert.equal(armedWatchdog(), "stopped while adding");
 * release();
 * assert.equal(armedWatchdog(), undefined);
 * ```
 */
export function armedWatchdog(): string | undefined {
  return armed;
}

/**
 * Makes the watchdogs armed from now on append their message to `file`, as
 * a line `watchdog: MESSAGE`, instead of printing it on standard error: for
 * a process whose standard error nobody reads.
 * @param file The file; undefined puts standard error back.
 *
 * @example
 * ```ts
 * import { watchdogMessagesTo } from "@barchan/barchan/fiber";
 *
 * watchdogMessagesTo("/tmp/server.log");
 * watchdogMessagesTo(undefined);
 * ```
 */
export function watchdogMessagesTo(file: string | undefined): void {
  messageFile = file;
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
