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
  libc ??= openLibc();
  if (libc === null) return once(() => void depth--);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("sh", {
      args: [
        "-c",
        `trap '' INT TERM; read done || printf '%s\\n' "$0" >&2`,
        message,
      ],
      stdin: "piped",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
  } catch {
    return once(() => void depth--);
  }
  const symbols = libc.symbols;
  const saved = SIGNALS.map((signal) => {
    const old = new Uint8Array(SIGACTION_BYTES);
    symbols.sigaction(signal, new Uint8Array(SIGACTION_BYTES), old);
    return { signal, old };
  });
  return once(() => {
    depth--;
    for (const { signal, old } of saved) symbols.sigaction(signal, old, null);
    // Stopped before this returns: once SIGKILL is sent, it prints nothing,
    // even when this process ends at once and closes the pipe.
    child.kill("SIGKILL");
    child.unref();
    void child.stdin.close().catch(() => {});
  });
}

let depth = 0;

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
