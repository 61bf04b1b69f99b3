// A build that its client cancelled (Ctrl-C closes the client's end of the
// connection), in a build server or a watch session: the client is told what
// a build of its own would say, the commands the cancel stopped, and is
// answered even when the build does not end (an action or build.ts awaiting
// what never comes), as a build of its own exits anyway.

import { armedWatchdog, type Scheduler } from "../../fiber/mod.ts";
import type { Reporter } from "../report/reporter.ts";
import type { StoppedCommand } from "./protocol.ts";
import type { BuildRequest } from "./server.ts";

/**
 * How long a cancelled build has to end, in milliseconds, before its client
 * is answered without it: its commands are stopped by then (a build of its
 * own gives its state 300 ms once they are).
 */
export const CANCEL_WAIT_MS = 2000;

/** What {@linkcode unlessStuck} gives for a cancelled build that did not end in time. */
export const STUCK: unique symbol = Symbol("stuck");

/** What a cancelled build's client is told. */
export interface Cancelled {
  /** The commands that ran when the client cancelled: the cancel stopped them. */
  stopped: StoppedCommand[];
  /**
   * Said instead, when the build did not end because build.ts's top level
   * had not returned (the message a build of its own prints then).
   */
  message?: string;
}

/**
 * Notes, once `signal` aborts, which commands run: call before the build
 * starts, so that they are noted before the cancel stops them.
 * @param signal The client's signal.
 * @param scheduler Where the build's commands run.
 * @returns What to tell the client once the build was cancelled.
 */
export function onCancel(signal: AbortSignal, scheduler: Scheduler): () => Cancelled {
  let stopped: StoppedCommand[] | undefined;
  let message: string | undefined;
  const note = () => {
    stopped ??= scheduler.runningCommands().map((c) => ({
      cmd: c.cmd,
      args: [...c.args],
      ...(c.label === undefined ? {} : { label: c.label }),
    }));
    message ??= armedWatchdog();
  };
  if (signal.aborted) note();
  else signal.addEventListener("abort", note, { once: true });
  return () => {
    note();
    return message === undefined ? { stopped: stopped! } : { stopped: stopped!, message };
  };
}

/**
 * Waits for `promise`; once `signal` aborted, for {@linkcode CANCEL_WAIT_MS} at most.
 * @param promise The build.
 * @param signal The client's signal.
 * @param ms How long a cancelled build has to end.
 * @returns What the promise gave, or {@linkcode STUCK} when it did not end in time.
 */
export function unlessStuck<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  ms: number = CANCEL_WAIT_MS,
): Promise<T | typeof STUCK> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => timer = setTimeout(() => resolve(STUCK), ms);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    promise.then((value) => {
      done();
      resolve(value);
    }, (error) => {
      done();
      reject(error);
    });
  });
}

/**
 * A request's reporter, minus what a cancelled build would still say (a
 * build of its own prints nothing once interrupted but what it stopped).
 */
export function relayTo(request: BuildRequest): Reporter {
  const to = request.reporter;
  const live = () => !request.signal.aborted;
  return {
    buildStarted: (e) => live() && to.buildStarted?.(e),
    buildFinished: (e) => live() && to.buildFinished?.(e),
    actionStarted: (e) => live() && to.actionStarted?.(e),
    actionFinished: (e) => live() && to.actionFinished?.(e),
    commandStarted: (e) => live() && to.commandStarted?.(e),
    commandFinished: (e) => live() && to.commandFinished?.(e),
    note: (message) => live() && to.note?.(message),
    phase: (e) => live() && to.phase?.(e),
  };
}
