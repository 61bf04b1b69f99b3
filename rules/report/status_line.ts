/**
 * The status line a plain reporter keeps on a terminal.
 *
 * @module
 */

/**
 * The status line of a terminal: actions done and started, the commands
 * holding a job slot and the oldest of them, redrawn in place (`[  12/40] 2 running: cc -c x.c ... 1.2s`), every 250 ms
 * while actions run.
 *
 * @example Nothing is erased that was never drawn
 * ```ts
 * import { StatusLine } from "./status_line.ts";
 * import assert from "node:assert/strict";
 *
 * let text = "";
 * const status = new StatusLine((t) => text += t);
 * status.clear();
 * status.stop();
 * assert.equal(text, "");
 * ```
 */
export class StatusLine {
  #write: (text: string) => void;
  /** Commands holding a job slot, by slot. */
  #running = new Map<number, { command: string; since: number }>();
  #started = 0;
  #done = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #shown = false;

  /** @param write Receives the terminal text: carriage returns and erase-line escapes included. */
  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  /** An action started: counted. */
  start(_rule: string): void {
    this.#started++;
    this.#timer ??= setInterval(() => this.draw(), 250);
    this.draw();
  }

  /** An action finished. */
  finish(_rule: string): void {
    this.#done++;
  }

  /** A command got a job slot: counted as running, shown while it is the oldest. */
  commandStarted(slot: number, command: string): void {
    this.#running.set(slot, { command, since: performance.now() });
  }

  /** A command gave its slot back. */
  commandFinished(slot: number): void {
    this.#running.delete(slot);
  }

  /** Draws the line again. */
  draw(): void {
    const first = this.#running.values().next().value;
    const width = Deno.consoleSize?.().columns ?? 80;
    let line = `[${String(this.#done).padStart(4)}/${this.#started}] ${this.#running.size} running`;
    if (first !== undefined) {
      const secs = ((performance.now() - first.since) / 1000).toFixed(1);
      line += `: ${first.command} ... ${secs}s`;
    }
    this.#write(`\r\x1b[K${line.slice(0, width - 1)}`);
    this.#shown = true;
  }

  /** Erases the line, before other output. */
  clear(): void {
    if (this.#shown) this.#write("\r\x1b[K");
    this.#shown = false;
  }

  /** Stops redrawing, erases the line and resets the counts, at the end of a build. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.clear();
    this.#started = this.#done = 0;
  }
}
