/**
 * A Chrome trace recorder (`--trace-file`): one span per command, on the job
 * slot it held (so a trace at `-j 2` has two lanes, whatever waits for
 * them), and spans for the phases of a build.
 *
 * @module
 */
import type { Reporter } from "./reporter.ts";

/** One Chrome trace event. */
export interface TraceEvent {
  /** Name shown on the span. */
  name: string;
  /** Category: `command` or `phase`. */
  cat: string;
  /** Phase: `X` (complete span). */
  ph: "X";
  /** Start, microseconds. */
  ts: number;
  /** Duration, microseconds. */
  dur: number;
  /** Process id (always 1). */
  pid: number;
  /** Thread id: 1 + the job slot of a command, 0 for phases. */
  tid: number;
  /** Extra data shown on selection. */
  args?: Record<string, unknown>;
}

/** A reporter that records spans, and can write them as Chrome trace JSON. */
export interface TraceRecorder extends Reporter {
  /** The recorded events. */
  readonly events: TraceEvent[];
  /** The trace as JSON text that opens in Perfetto or chrome://tracing. */
  toJSON(): string;
}

/**
 * Records one span per action, on the lowest free slot, a `build` span from
 * each build's start to its finish, and spans for the other phases of the
 * engine it hears of (`phase`), in the Chrome trace event format. The `build` span is
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
 * trace.commandStarted?.({ rule: "a.o", command: "cc -c a.c", slot: 1 });
 * trace.commandFinished?.({ rule: "a.o", command: "cc -c a.c", slot: 1, durationMs: 3, code: 0 });
 * const [span] = JSON.parse(trace.toJSON()).traceEvents;
 * assert.equal(span.name, "a.o");
 * assert.equal(span.tid, 2);
 * ```
 */
export function traceRecorder(): TraceRecorder {
  const origin = performance.now();
  const events: TraceEvent[] = [];
  const open = new Map<number, number>();
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
    commandStarted(e) {
      open.set(e.slot, now());
    },
    commandFinished(e) {
      const start = open.get(e.slot);
      if (start === undefined) return;
      open.delete(e.slot);
      events.push({
        name: e.rule,
        cat: "command",
        ph: "X",
        ts: start,
        dur: Math.max(1, now() - start),
        pid: 1,
        tid: e.slot + 1,
        args: { command: e.command, ...(e.code !== 0 ? { code: e.code } : {}) },
      });
    },
    phase(e) {
      span(e.name, now() - Math.round(e.durationMs * 1000));
    },
    toJSON() {
      return JSON.stringify({ traceEvents: events, displayTimeUnit: "ms" });
    },
  };
}
