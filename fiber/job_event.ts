/**
 * Events a {@linkcode Scheduler} reports about its jobs, for progress display
 * and traces.
 *
 * Every job that is queued ends with exactly one `finished` (it started) or
 * `cancelled` (it left the queue without starting) event. Ids increase with
 * each {@linkcode Scheduler.spawn} call that got past the program lookup.
 *
 * @module
 */

/** What every job event carries. */
export interface JobEventBase {
  /** The job's id, unique per scheduler and increasing in spawn order. */
  id: number;
  /** The program as the command named it. */
  cmd: string;
  /** Its arguments. */
  args: readonly string[];
  /** The caller's label, e.g. the rule that runs the command. */
  label: string | undefined;
}

/** The job waits for a slot. */
export interface JobQueuedEvent extends JobEventBase {
  /** Discriminant. */
  kind: "queued";
}

/** The job got a slot and its process is being spawned. */
export interface JobStartedEvent extends JobEventBase {
  /** Discriminant. */
  kind: "started";
  /** The job slot it runs in: the lowest free index, below `jobs`. */
  slot: number;
}

/** The job's process ended (or never spawned: `code` is then null). */
export interface JobFinishedEvent extends JobEventBase {
  /** Discriminant. */
  kind: "finished";
  /** The job slot it ran in. */
  slot: number;
  /** The exit code, or null if the process could not be spawned. */
  code: number | null;
  /** The signal that killed the process, or null. */
  signal: Deno.Signal | null;
  /** Milliseconds from spawning the process to reaping it. */
  durationMs: number;
  /** Whether the job was cancelled (its signal aborted, or `killAll`). */
  cancelled: boolean;
}

/** The job left the queue without starting: its signal aborted, or `killAll`. */
export interface JobCancelledEvent extends JobEventBase {
  /** Discriminant. */
  kind: "cancelled";
}

/**
 * An event in a job's life: `queued`, then `started` and `finished`, or
 * `cancelled` while still queued.
 *
 * @example Drawing a one-line status
 * ```ts
 * import type { JobEvent } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * function describe(event: JobEvent): string {
 *   const name = event.label ?? event.cmd;
 *   switch (event.kind) {
 *     case "queued":
 *       return `waiting ${name}`;
 *     case "started":
 *       return `[${event.slot}] ${name}`;
 *     case "finished":
 *       return `[${event.slot}] ${name}: exit ${event.code}`;
 *     case "cancelled":
 *       return `dropped ${name}`;
 *   }
 * }
 * const event: JobEvent = {
 *   kind: "started",
 *   id: 1,
 *   cmd: "cc",
 *   args: ["-c", "x.c"],
 *   label: "x.o",
 *   slot: 0,
 * };
 * assert.equal(describe(event), "[0] x.o");
 * ```
 */
export type JobEvent = JobQueuedEvent | JobStartedEvent | JobFinishedEvent | JobCancelledEvent;
