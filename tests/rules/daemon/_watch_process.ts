// A watch session in a child process (`cli.ts build -w --json`), followed
// through its JSON event stream, for the tests of watch mode and of builds
// served by a session.

import { ownCacheEnv } from "../../_own_cache.ts";
import { CLI, NO_SERVER } from "../_util.ts";

/** Bound on waiting for an event; generous for a loaded two-core machine, never an assertion. */
export const EVENT_TIMEOUT_MS = 30_000;

/** One line of `--json` output. */
export interface WatchEvent {
  event: string;
  trigger?: string[];
  rule?: string;
  reason?: string;
  error?: string;
  ok?: boolean;
  ran?: number;
  failed?: number;
  failures?: string[];
  message?: string;
}

/** One build as the event stream shows it: from build-started to build-finished. */
export interface SeenBuild {
  trigger: string[];
  /** Rules whose action started, sorted. */
  ran: string[];
  /** Notes printed during the build. */
  notes: string[];
  finished: WatchEvent;
}

/**
 * `cli.ts build -w --json` in a child process. Its events queue up as they
 * arrive; `next()` takes them in order, skipping those that do not match.
 */
export class WatchProcess implements AsyncDisposable {
  readonly events: WatchEvent[] = [];
  readonly child: Deno.ChildProcess;
  #cursor = 0;
  #stderr = "";
  #wake: (() => void) | undefined;
  #ended = false;
  #readers: Promise<void>;
  #stopReading = new AbortController();
  #status: Deno.CommandStatus | undefined;

  constructor(root: string, ...targets: string[]) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", CLI, "build", "-w", "--json", "-C", root, ...targets],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { ...NO_SERVER, ...ownCacheEnv() },
    }).spawn();
    this.#readers = Promise.all([this.#readStdout(), this.#readStderr()]).then(() => {});
  }

  async #readStdout(): Promise<void> {
    let buffer = "";
    try {
      for await (const chunk of this.#text(this.child.stdout)) {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf("\n")) !== -1) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          try {
            this.events.push(JSON.parse(line));
          } catch {
            this.events.push({ event: "not-json", message: line });
          }
          this.#wake?.();
        }
      }
    } catch (error) {
      if (!this.#stopReading.signal.aborted) throw error;
    } finally {
      this.#ended = true;
      this.#wake?.();
    }
  }

  async #readStderr(): Promise<void> {
    try {
      for await (const chunk of this.#text(this.child.stderr)) this.#stderr += chunk;
    } catch (error) {
      if (!this.#stopReading.signal.aborted) throw error;
    }
  }

  #text(stream: ReadableStream<Uint8Array>): ReadableStream<string> {
    return stream.pipeThrough(new TextDecoderStream(), { signal: this.#stopReading.signal });
  }

  /** The next event matching `predicate`, or undefined if none comes within `timeoutMs`. */
  async take(
    predicate: (e: WatchEvent) => boolean,
    timeoutMs: number,
  ): Promise<WatchEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.events.length) {
        const event = this.events[this.#cursor++];
        if (predicate(event)) return event;
      }
      const left = deadline - Date.now();
      if (this.#ended || left <= 0) return undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
  }

  /** The next event matching `predicate`; fails, showing what came, if none does in time. */
  async next(
    what: string,
    predicate: (e: WatchEvent) => boolean,
    timeoutMs = EVENT_TIMEOUT_MS,
  ): Promise<WatchEvent> {
    const event = await this.take(predicate, timeoutMs);
    if (event === undefined) throw new Error(`No ${what} came.\n${this.transcript()}`);
    return event;
  }

  /** The next whole build. */
  async nextBuild(): Promise<SeenBuild> {
    const started = await this.next("build-started", (e) => e.event === "build-started");
    const ran: string[] = [];
    const notes: string[] = [];
    const finished = await this.next("build-finished", (e) => {
      if (e.event === "action-started") ran.push(e.rule!);
      if (e.event === "note") notes.push(e.message!);
      return e.event === "build-finished";
    });
    return { trigger: started.trigger!, ran: ran.sort(), notes, finished };
  }

  /**
   * The next whole build that a change of `path` started; builds before it
   * (an earlier change's events arriving late) are passed over.
   */
  async buildAfter(path: string): Promise<SeenBuild> {
    for (;;) {
      const build = await this.nextBuild();
      if (build.trigger.includes(path)) return build;
    }
  }

  /**
   * Waits until watching has settled: no build starts within `quietMs`
   * (after the build that started, if one did, has finished).
   * @returns The last build-finished event seen, if any.
   */
  async settle(quietMs = 1000): Promise<WatchEvent | undefined> {
    let last: WatchEvent | undefined;
    while (await this.take(isBuildStarted, quietMs) !== undefined) {
      last = await this.next("build-finished", (e) => e.event === "build-finished");
    }
    return last;
  }

  /** Sends SIGINT and waits for the process to end (killing it if it does not). */
  async stop(): Promise<Deno.CommandStatus> {
    if (this.#status !== undefined) return this.#status;
    try {
      this.child.kill("SIGINT");
    } catch {
      // already exited
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), EVENT_TIMEOUT_MS);
    });
    let status = await Promise.race([this.child.status, late]);
    clearTimeout(timer);
    if (status === undefined) {
      this.child.kill("SIGKILL");
      status = await this.child.status;
    }
    // A process left behind may hold the pipes open: stop reading after a while.
    const reading = setTimeout(() => this.#stopReading.abort(), 2000);
    await this.#readers;
    clearTimeout(reading);
    this.#status = status;
    return status;
  }

  /** Every event so far, and standard error, for failure messages. */
  transcript(): string {
    return `Events:\n${this.events.map((e) => JSON.stringify(e)).join("\n")}\n` +
      `Standard error:\n${this.#stderr}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

export function isBuildStarted(e: WatchEvent): boolean {
  return e.event === "build-started";
}
