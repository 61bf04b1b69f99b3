// One command run by the scheduler, from spawning its process to reaping it.
//
// States: created (queued) -> exec() called (holds a slot) -> child spawned ->
// child reaped. cancel() may come at any point: before the spawn it prevents
// it; after, it sends SIGTERM to the child and what it started, and SIGKILL
// after the grace period. Once a cancelled child is reaped, what it left
// behind gets a last SIGKILL; signalling a process group is safe only then
// (see _child_process.ts), so the grace timer is cleared at that same moment.

import { resolve } from "node:path";
import { CancelledError } from "./cancel.ts";
import { MissingProgramError } from "./missing_program.ts";
import { formatCommand, ProcessError } from "./process_error.ts";
import type { SpawnOptions, SpawnOutput, SpawnResult } from "./spawn_options.ts";
import { forgetProgram } from "./_which.ts";
import {
  childCommand,
  type ChildStopper,
  drain,
  feed,
  readText,
  stopperOf,
} from "./_child_process.ts";

const encoder = new TextEncoder();

/**
 * How long a job whose child died of SIGINT or SIGTERM waits to be cancelled
 * before reporting the death as the command's failure.
 */
const INTERRUPT_WAIT_MS = 250;

type Pipe = "piped" | "inherit" | "null";

/** A command waiting for, or holding, a job slot. */
export class Job {
  readonly id: number;
  readonly cmd: string;
  readonly args: readonly string[];
  /** The program's absolute path, looked up before queueing. */
  readonly program: string;
  readonly options: SpawnOptions;
  /** The scheduler's kill epoch when queued; a later epoch means killed. */
  readonly epoch: number;
  /** The job slot, or -1 while queued. */
  slot = -1;
  /** Exit status once reaped; undefined if never spawned. */
  status: Deno.CommandStatus | undefined;
  /** Milliseconds from spawn to reap, 0 if never spawned. */
  durationMs = 0;
  /** Resolvers for killAll, called once the job let go of its slot. */
  onGone: (() => void)[] | undefined;
  #graceMs: number;
  /** Set once the child is spawned. */
  #stopper: ChildStopper | undefined;
  /** Set once cancelled, boxed since any value may be a reason. */
  #cancelled: { reason: unknown } | undefined;
  #killTimer: ReturnType<typeof setTimeout> | undefined;
  /** Called by cancel(), while exec() waits to be cancelled. */
  #onCancel: (() => void) | undefined;
  /** Once the child is reaped its pid may be reused: signal it no more. */
  #reaped = false;

  /** Told each spawned process's pid, before anything else is done with it. */
  #onSpawn: ((pid: number) => void) | undefined;

  constructor(
    id: number,
    cmd: string,
    args: readonly string[],
    program: string,
    options: SpawnOptions,
    epoch: number,
    graceMs: number,
    onSpawn?: (pid: number) => void,
  ) {
    this.#onSpawn = onSpawn;
    this.id = id;
    this.cmd = cmd;
    this.args = args;
    this.program = program;
    this.options = options;
    this.epoch = epoch;
    this.#graceMs = graceMs;
  }

  get cancelled(): boolean {
    return this.#cancelled !== undefined;
  }

  /** Cancels the job: stops it from spawning, or kills its process and what it started. */
  cancel(reason: unknown): void {
    if (this.#cancelled !== undefined) return;
    this.#cancelled = { reason };
    this.#onCancel?.();
    if (this.#stopper !== undefined) this.#kill();
  }

  /** Spawns the process, collects its output and reaps it. */
  async exec(): Promise<SpawnResult> {
    const options = this.options;
    const stdout = options.stdout ?? "capture";
    const stderr = options.stderr ?? "capture";
    const stdin = options.stdin ?? "null";
    const input = stdin === "null"
      ? undefined
      : "text" in stdin
      ? encoder.encode(stdin.text)
      : await openInput(this.cmd, stdin.file, options.cwd);
    if (this.cancelled) {
      if (input instanceof ReadableStream) await input.cancel();
      this.#throwIfCancelled();
    }
    const start = performance.now();
    let child: Deno.ChildProcess;
    try {
      child = this.#spawn(input !== undefined, pipeMode(stdout), pipeMode(stderr));
    } catch (error) {
      if (input instanceof ReadableStream) await input.cancel();
      throw error;
    }
    this.#stopper = stopperOf(child);
    void child.status.then(() => this.#reaped = true);
    try {
      this.#onSpawn?.(child.pid);
    } catch (error) {
      reportError(error);
    }
    let result: SpawnResult;
    try {
      result = await this.#wait(child, input, stdout, stderr);
    } finally {
      this.durationMs = performance.now() - start;
      if (this.#killTimer !== undefined) {
        clearTimeout(this.#killTimer);
        this.#stopper!.signal("SIGKILL", false);
      }
    }
    result.durationMs = this.durationMs;
    // A child that died of the signal the terminal sends its whole process
    // group (Ctrl-C) was most likely interrupted with us: wait a moment for
    // our own handler to cancel the job, so that it is not reported as a
    // failure of its own.
    if (result.signal === "SIGINT" || result.signal === "SIGTERM") {
      await this.#cancelledWithin(INTERRUPT_WAIT_MS);
    }
    this.#throwIfCancelled();
    const accepted = options.successExitCodes ?? [0];
    if (accepted.length > 0 && (result.signal !== null || !accepted.includes(result.code))) {
      throw new ProcessError({ cmd: this.cmd, args: this.args, ...result });
    }
    return result;
  }

  async #wait(
    child: Deno.ChildProcess,
    input: Uint8Array | ReadableStream<Uint8Array> | undefined,
    stdout: SpawnOutput,
    stderr: SpawnOutput,
  ): Promise<SpawnResult> {
    const feeding = input === undefined ? undefined : feed(child.stdin, input);
    try {
      // A failing sink stops the child at once rather than when it exits.
      const onFailure = (error: unknown): never => {
        this.#kill();
        throw error;
      };
      const [out, err, status] = await Promise.allSettled([
        pipeMode(stdout) === "piped" ? collect(child.stdout, stdout).catch(onFailure) : "",
        pipeMode(stderr) === "piped" ? collect(child.stderr, stderr).catch(onFailure) : "",
        child.status,
      ]);
      this.status = (status as PromiseFulfilledResult<Deno.CommandStatus>).value;
      if (out.status === "rejected") throw out.reason;
      if (err.status === "rejected") throw err.reason;
      const { code, signal } = this.status;
      return { code, signal, stdout: out.value, stderr: err.value, durationMs: 0 };
    } catch (error) {
      this.#kill();
      this.status ??= await child.status;
      throw error;
    } finally {
      await feeding;
    }
  }

  #spawn(stdin: boolean, stdout: Pipe, stderr: Pipe): Deno.ChildProcess {
    const options = this.options;
    try {
      return childCommand(this.program, this.args, {
        cwd: options.cwd,
        env: options.env,
        clearEnv: options.clearEnv,
        stdin: stdin ? "piped" : "null",
        stdout,
        stderr,
      }).spawn();
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      if (options.cwd !== undefined && !isDirectory(options.cwd)) {
        throw new Deno.errors.NotFound(
          `Cannot run ${formatCommand(this.cmd, this.args)}: no such directory "${options.cwd}"`,
        );
      }
      // The program vanished since it was looked up.
      forgetProgram(this.cmd, options.env?.PATH ?? Deno.env.get("PATH"));
      throw new MissingProgramError(this.cmd, this.program);
    }
  }

  /** Resolves once the job is cancelled, or after `ms`. */
  async #cancelledWithin(ms: number): Promise<void> {
    if (this.#cancelled !== undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#onCancel = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.#onCancel = undefined;
  }

  #throwIfCancelled(): void {
    if (this.#cancelled !== undefined) throw new CancelledError(this.#cancelled.reason);
  }

  #kill(): void {
    if (this.#killTimer !== undefined || this.#reaped) return;
    const stopper = this.#stopper!;
    stopper.signal("SIGTERM", true);
    this.#killTimer = setTimeout(() => stopper.signal("SIGKILL", !this.#reaped), this.#graceMs);
  }
}

function pipeMode(output: SpawnOutput): Pipe {
  return output === "inherit" || output === "null" ? output : "piped";
}

function collect(stream: ReadableStream<Uint8Array>, output: SpawnOutput): Promise<string> {
  if (typeof output === "function") return drain(stream, output).then(() => "");
  return readText(stream);
}

async function openInput(
  cmd: string,
  file: string,
  cwd: string | undefined,
): Promise<ReadableStream<Uint8Array>> {
  const path = resolve(cwd ?? Deno.cwd(), file);
  try {
    return (await Deno.open(path)).readable;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot read stdin of ${cmd} from "${path}": no such file`);
    }
    throw error;
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
