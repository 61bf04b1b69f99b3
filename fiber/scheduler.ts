/**
 * The process scheduler: runs commands in at most `jobs` job slots, reports
 * their progress, and kills them, with everything they started, on demand.
 *
 * A job's life: {@linkcode Scheduler.spawn} looks the program up (a missing
 * one fails at once, before anything is queued), queues the job, waits for a
 * slot, spawns the process, collects its output and reaps it. Cancelling a
 * job sends SIGTERM to the process and every process it started, SIGKILL
 * after a grace period, and a last SIGKILL to what is left once the child is
 * reaped, so that nothing it started outlives it. On Linux the program is
 * spawned directly and its descendants are found in `/proc`; elsewhere on
 * Unix it leads a process group of its own, started through the `setsid`
 * utility.
 *
 * Permissions: `--allow-run` for the programs (and, outside Linux, the
 * `setsid` utility), `--allow-read` on the `PATH` directories for the program
 * lookup (and `/proc` on Linux), and `--allow-env=PATH`.
 *
 * @module
 */

import { CancelledError } from "./cancel.ts";
import { Throttle } from "./throttle.ts";
import type { JobEvent } from "./job_event.ts";
import type { SpawnOptions, SpawnResult } from "./spawn_options.ts";
import { Job } from "./_job.ts";
import { findProgram } from "./_which.ts";

/** A command that holds a job slot, as {@linkcode Scheduler.runningCommands} lists it. */
export interface RunningCommand {
  /** The program as the command named it. */
  readonly cmd: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** The caller's label, e.g. the rule that runs the command. */
  readonly label: string | undefined;
}

/** Told of each process a {@linkcode Scheduler} spawns (see {@linkcode Scheduler.observeProcesses}). */
export interface ProcessObserver {
  /**
   * A process was just spawned. Called synchronously: what it records is
   * recorded before the process has run for long.
   * @param pid Its process id.
   * @param label The label of the command it runs.
   */
  spawned(pid: number, label: string | undefined): void;
}

/** The reason given to jobs stopped by {@linkcode Scheduler.killAll}. */
const KILLED = "all jobs killed";

/**
 * Options for the {@linkcode Scheduler} constructor.
 *
 * @example Count the jobs that ran in each slot
 * ```ts
 * import { Scheduler, type SchedulerOptions } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const perSlot: number[] = [0, 0];
 * const options: SchedulerOptions = {
 *   jobs: 2,
 *   onEvent: (event) => {
 *     if (event.kind === "finished") perSlot[event.slot]!++;
 *   },
 *   killGraceMs: 200,
 * };
 * const scheduler = new Scheduler(options);
 * await Promise.all([1, 2, 3, 4].map((n) => scheduler.spawn("echo", [`${n}`])));
 * assert.equal(perSlot[0]! + perSlot[1]!, 4);
 * ```
 */
export interface SchedulerOptions {
  /**
   * How many processes may run at once (`-j`): an integer of at least 1, or
   * `Infinity`.
   *
   * @default {navigator.hardwareConcurrency}
   */
  jobs?: number;
  /**
   * Receives every {@linkcode JobEvent}, synchronously. An exception it throws
   * is passed to `reportError` and does not affect the job.
   *
   * @default {undefined}
   */
  onEvent?: (event: JobEvent) => void;
  /**
   * Milliseconds between SIGTERM and SIGKILL when a job is cancelled.
   *
   * @default {500}
   */
  killGraceMs?: number;
}

/**
 * Runs commands as child processes, at most `jobs` at a time, in FIFO order.
 * A job starts within `spawn` itself when a slot is free.
 *
 * @example Two jobs in one slot, seen through events
 * ```ts
 * import { type JobEvent, Scheduler } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const events: JobEvent[] = [];
 * const scheduler = new Scheduler({ jobs: 1, onEvent: (event) => events.push(event) });
 * const [a, b] = await Promise.all([
 *   scheduler.spawn("echo", ["a.o"], { label: "a.o" }),
 *   scheduler.spawn("echo", ["b.o"], { label: "b.o" }),
 * ]);
 * assert.equal(a.stdout + b.stdout, "a.o\nb.o\n");
 * assert.deepEqual(
 *   events.map((event) => `${event.kind} ${event.label}`),
 *   ["queued a.o", "started a.o", "queued b.o", "finished a.o", "started b.o", "finished b.o"],
 * );
 * ```
 */
export class Scheduler {
  #throttle: Throttle;
  #onEvent: ((event: JobEvent) => void) | undefined;
  #listeners = new Set<(event: JobEvent) => void>();
  #killGraceMs: number;
  #lastId = 0;
  /** Bumped by killAll: jobs queued in an earlier epoch never start. */
  #epoch = 0;
  /** Busy job slots; a starting job takes the lowest free index. */
  #slots: boolean[] = [];
  /** Jobs holding a slot, from their started event until their child is reaped. */
  #active = new Set<Job>();
  #observer: ProcessObserver | undefined;

  /**
   * Creates a scheduler.
   *
   * @param options Job count, event receiver and kill grace period.
   * @throws {RangeError} If `options.jobs` is not an integer of at least 1 or `Infinity`.
   */
  constructor(options: SchedulerOptions = {}) {
    this.#throttle = new Throttle(checkJobs(options.jobs ?? navigator.hardwareConcurrency));
    this.#onEvent = options.onEvent;
    this.#killGraceMs = options.killGraceMs ?? 500;
  }

  /**
   * How many processes may run at once. Setting it takes effect immediately:
   * growing starts queued jobs, shrinking lets running ones finish first.
   *
   * @example Raise `-j` while jobs wait
   * ```ts
   * import { Scheduler } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const scheduler = new Scheduler({ jobs: 1 });
   * const jobs = [1, 2, 3].map((n) => scheduler.spawn("echo", [`${n}`]));
   * assert.equal(scheduler.waiting, 2);
   * scheduler.jobs = 3;
   * assert.equal(scheduler.waiting, 0);
   * assert.equal((await Promise.all(jobs)).length, 3);
   * ```
   */
  get jobs(): number {
    return this.#throttle.capacity;
  }

  set jobs(jobs: number) {
    this.#throttle.capacity = checkJobs(jobs);
  }

  /** How many jobs hold a slot now: spawning, running or being reaped. */
  get running(): number {
    return this.#active.size;
  }

  /**
   * The commands holding a job slot now, in the order they started.
   * @returns Each one's program, arguments and label.
   *
   * @example
   * ```ts
   * import { Scheduler } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const scheduler = new Scheduler({ jobs: 1 });
   * const done = scheduler.spawn("echo", ["hi"], { label: "greeting" });
   * assert.deepEqual(scheduler.runningCommands().map((c) => c.label), ["greeting"]);
   * await done;
   * assert.deepEqual(scheduler.runningCommands(), []);
   * ```
   */
  runningCommands(): RunningCommand[] {
    return [...this.#active].map((job) => ({
      cmd: job.cmd,
      args: job.args,
      label: job.options.label,
    }));
  }

  /**
   * Tells `observer` of every process spawned from now on, until the
   * returned function is called (one observer at a time): to record the
   * processes a build runs, so that those a killed build left running can
   * be stopped later.
   * @param observer Told each process's pid and label.
   * @returns A function that stops telling it.
   *
   * @example Seeing the pid of each command
   * ```ts
   * import { Scheduler } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const scheduler = new Scheduler();
   * const seen: string[] = [];
   * const stop = scheduler.observeProcesses({ spawned: (pid, label) => seen.push(`${label}`) });
   * await scheduler.spawn("true", [], { label: "nothing" });
   * stop();
   * await scheduler.spawn("true", []);
   * assert.deepEqual(seen, ["nothing"]);
   * ```
   */
  observeProcesses(observer: ProcessObserver): () => void {
    this.#observer = observer;
    return () => {
      if (this.#observer === observer) this.#observer = undefined;
    };
  }

  /** How many jobs wait for a slot. */
  get waiting(): number {
    return this.#throttle.waiting;
  }

  /**
   * Runs `cmd` with `args` once a job slot is free.
   *
   * @param cmd The program: a name looked up on `PATH`, or a path containing
   * a `/`, relative to `options.cwd`.
   * @param args Its arguments.
   * @param options Working directory, environment, I/O, accepted exit codes,
   * cancellation and label.
   * @returns The exit status, captured output and duration.
   * @throws {MissingProgramError} If the program does not exist; nothing is queued.
   * @throws {ProcessError} If the exit code is not accepted or a signal killed it.
   * @throws {CancelledError} If `options.signal` aborted or {@linkcode Scheduler.killAll} ran.
   *
   * @example Feed stdin and capture stdout
   * ```ts
   * import { Scheduler } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const scheduler = new Scheduler({ jobs: 2 });
   * const result = await scheduler.spawn("tr", ["a-z", "A-Z"], { stdin: { text: "shout" } });
   * assert.equal(result.stdout, "SHOUT");
   * assert.equal(result.code, 0);
   * ```
   */
  spawn(cmd: string, args: string[], options: SpawnOptions = {}): Promise<SpawnResult> {
    let program: string;
    try {
      program = findProgram(cmd, options.env?.PATH ?? Deno.env.get("PATH"), options.cwd);
    } catch (error) {
      return Promise.reject(error);
    }
    const id = ++this.#lastId;
    const job = new Job(
      id,
      cmd,
      args,
      program,
      options,
      this.#epoch,
      this.#killGraceMs,
      (pid) => this.#observer?.spawned(pid, options.label),
    );
    const signal = options.signal;
    if (!this.#listened) {
      return this.#throttle.run(() => this.#run(job), signal && { signal });
    }
    this.#emit({ kind: "queued", id, cmd, args, label: options.label });
    const result = this.#throttle.run(() => this.#run(job), signal && { signal });
    if (signal === undefined) return result;
    return result.catch((error) => {
      // The throttle drops a job whose signal aborts while it waits.
      if (job.slot === -1) this.#emit({ kind: "cancelled", id, cmd, args, label: options.label });
      throw error;
    });
  }

  /**
   * Kills every running child with what it started (SIGTERM, then SIGKILL
   * after the grace period) and drops every queued job; their
   * {@linkcode Scheduler.spawn} calls reject with a {@linkcode CancelledError}.
   * Jobs spawned afterwards run normally.
   *
   * @returns A promise that resolves once every killed child is reaped.
   *
   * @example Stop a long-running job and the one queued behind it
   * ```ts
   * import { isCancellation, Scheduler } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const scheduler = new Scheduler({ jobs: 1 });
   * const sleeping = scheduler.spawn("sleep", ["30"]);
   * const queued = scheduler.spawn("echo", ["never"]);
   * while (scheduler.running === 0) await new Promise((r) => setTimeout(r, 1));
   * await scheduler.killAll();
   * await assert.rejects(sleeping, isCancellation);
   * await assert.rejects(queued, isCancellation);
   * assert.equal(scheduler.running, 0);
   * ```
   */
  async killAll(): Promise<void> {
    this.#epoch++;
    const jobs = [...this.#active];
    const gone = jobs.map((job) => new Promise<void>((done) => (job.onGone ??= []).push(done)));
    for (const job of jobs) job.cancel(KILLED);
    await Promise.all(gone);
  }

  async #run(job: Job): Promise<SpawnResult> {
    const { signal, label } = job.options;
    const { id, cmd, args } = job;
    if (job.epoch !== this.#epoch || signal?.aborted) {
      if (this.#listened) this.#emit({ kind: "cancelled", id, cmd, args, label });
      throw new CancelledError(signal?.aborted ? signal.reason : KILLED);
    }
    const slot = job.slot = this.#takeSlot();
    this.#active.add(job);
    if (this.#listened) this.#emit({ kind: "started", id, cmd, args, label, slot });
    const onAbort = () => job.cancel(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await job.exec();
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.#active.delete(job);
      this.#slots[slot] = false;
      if (this.#listened) {
        this.#emit({
          kind: "finished",
          id,
          cmd,
          args,
          label,
          slot,
          code: job.status?.code ?? null,
          signal: job.status?.signal ?? null,
          durationMs: job.durationMs,
          cancelled: job.cancelled,
        });
      }
      for (const done of job.onGone ?? []) done();
    }
  }

  #takeSlot(): number {
    let slot = this.#slots.indexOf(false);
    if (slot === -1) slot = this.#slots.length;
    this.#slots[slot] = true;
    return slot;
  }

  /**
   * Hears every job event from now on, besides the `onEvent` the scheduler
   * was made with: a build relays the jobs of its rules to its reporter.
   * @param listener Receives each event.
   * @returns A function that stops it.
   *
   * @example
   * ```ts
   * import { Scheduler } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const scheduler = new Scheduler({ jobs: 1 });
   * const kinds: string[] = [];
   * const stop = scheduler.listen((event) => kinds.push(event.kind));
   * await scheduler.spawn("true", []);
   * stop();
   * await scheduler.spawn("true", []);
   * assert.deepEqual(kinds, ["queued", "started", "finished"]);
   * ```
   */
  listen(listener: (event: JobEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  get #listened(): boolean {
    return this.#onEvent !== undefined || this.#listeners.size > 0;
  }

  #emit(event: JobEvent): void {
    for (const listener of [this.#onEvent, ...this.#listeners]) {
      if (listener === undefined) continue;
      try {
        listener(event);
      } catch (error) {
        reportError(error);
      }
    }
  }
}

function checkJobs(jobs: number): number {
  if (jobs === Infinity || (Number.isInteger(jobs) && jobs >= 1)) return jobs;
  throw new RangeError(
    `Cannot set jobs to ${jobs}: it must be an integer of at least 1 or Infinity`,
  );
}
