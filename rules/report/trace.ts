/**
 * A Chrome trace recorder (`--trace-file`): one span per action, on the job
 * slot it ran in, and spans for the phases of a build.
 *
 * @module
 */
import type { Reporter } from "./reporter.ts";

/** One Chrome trace event. */
export interface TraceEvent {
  /** Name shown on the span. */
  name: string;
  /** Category: `action` or `phase`. */
  cat: string;
  /** Phase: `X` (complete span). */
  ph: "X";
  /** Start, microseconds. */
  ts: number;
  /** Duration, microseconds. */
  dur: number;
  /** Process id (always 1). */
  pid: number;
  /** Thread id: the job slot of an action, 0 for phases. */
  tid: number;
  /** Extra data shown on selection. */
  args?: Record<string, unknown>;
}

/** A reporter that records spans, and can write them as Chrome trace JSON. */
export interface TraceRecorder extends Reporter {
  /** Records a phase of the engine (such as loading build.ts), as a span on lane 0. */
  phase<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** The recorded events. */
  readonly events: TraceEvent[];
  /** The trace as JSON text that opens in Perfetto or chrome://tracing. */
  toJSON(): string;
}

/**
 * Records one span per action, on the lowest free slot, a `build` span from
 * each build's start to its finish, and spans for other phases of the engine
 * given to `phase()`, in the Chrome trace event format. The `build` span is
 * recorded before later reporters see `buildFinished`, so one that writes the
 * trace then has it.
 * @returns The recorder.
 *
 * @example
 * ```ts
 * import { traceRecorder } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const trace = traceRecorder();
 * trace.actionStarted?.({ rule: "a.o", command: "cc -c a.c", reason: "new" });
 * trace.actionFinished?.({ rule: "a.o", command: "cc -c a.c", reason: "new", output: "", durationMs: 3 });
 * assert.equal(JSON.parse(trace.toJSON()).traceEvents[0].name, "a.o");
 * ```
 */
export function traceRecorder(): TraceRecorder {
  const origin = performance.now();
  const events: TraceEvent[] = [];
  const lanes: (string | undefined)[] = [];
  const open = new Map<string, { start: number; lane: number }>();
  const now = () => Math.round((performance.now() - origin) * 1000);
  const span = (name: string, start: number): void => {
    events.push({
      name,
      cat: "phase",
      ph: "X",
      ts: start,
      dur: Math.max(1, now() - start),
      pid: 1,
      tid: 0,
    });
  };
  let buildStart: number | undefined;
  return {
    events,
    buildStarted() {
      buildStart = now();
    },
    buildFinished() {
      if (buildStart === undefined) return;
      span("build", buildStart);
      buildStart = undefined;
    },
    actionStarted(e) {
      let lane = lanes.indexOf(undefined);
      if (lane === -1) lane = lanes.push(undefined) - 1;
      lanes[lane] = e.rule;
      open.set(e.rule, { start: now(), lane });
    },
    actionFinished(e) {
      const o = open.get(e.rule);
      if (o === undefined) return;
      open.delete(e.rule);
      lanes[o.lane] = undefined;
      events.push({
        name: e.rule,
        cat: "action",
        ph: "X",
        ts: o.start,
        dur: Math.max(1, now() - o.start),
        pid: 1,
        tid: o.lane + 1,
        args: { command: e.command, reason: e.reason, ...(e.error ? { error: e.error } : {}) },
      });
    },
    async phase(name, fn) {
      const start = now();
      try {
        return await fn();
      } finally {
        span(name, start);
      }
    },
    toJSON() {
      return JSON.stringify({ traceEvents: events, displayTimeUnit: "ms" });
    },
  };
}
