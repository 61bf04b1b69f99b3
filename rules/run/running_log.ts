/**
 * The record of the commands a build started (`running.log` in the state
 * directory), so that the next build stops those a killed build left
 * running before it starts: a command killed with barchan would otherwise
 * go on, and overwrite a target after the next build said it was done.
 *
 * Format: a first line `barchan running 1`, then a line for each process
 * spawned, `s PID START LABEL SUM`, tab-separated: its pid, its start time
 * (field 22 of /proc/PID/stat), its label as JSON, and a checksum of what
 * precedes it on the line (8 hex digits, `_line_sum.ts`). A line is
 * appended as the process is spawned; the file is deleted at the end of each
 * build (when none of its commands runs any more). A file found when a
 * build starts was left by one that did not end: each process it names that
 * still runs with that start time (so it is the same process, not a later
 * one given the same pid) is stopped, with what it started, and the file
 * deleted. A damaged line is skipped (its process, if any, is not stopped:
 * nothing is killed on the word of a damaged record).
 *
 * @module
 */
import { join } from "node:path";
import { type ProcessObserver, processStartTime, stopLeftover } from "../../fiber/mod.ts";
import type { Reporter } from "../report/reporter.ts";
import { RUNNING_LOG } from "../state.ts";
import { lineSum, summedLine } from "./_line_sum.ts";

const HEADER = "barchan running 1\n";

/** Records the processes a build spawns, while it runs. */
export class RunningLog implements ProcessObserver {
  #path: string;
  #file: Deno.FsFile | undefined;
  #encoder = new TextEncoder();

  /**
   * @param stateDir The state directory.
   */
  constructor(stateDir: string) {
    this.#path = join(stateDir, RUNNING_LOG);
  }

  /**
   * Records a process just spawned.
   * @param pid Its pid.
   * @param label The label of its command (the rule).
   */
  spawned(pid: number, label: string | undefined): void {
    const start = processStartTime(pid);
    // Without a start time, a later build could not tell it from another process.
    if (start === undefined) return;
    if (this.#file === undefined) {
      this.#file = Deno.openSync(this.#path, { create: true, write: true, truncate: true });
      this.#write(HEADER);
    }
    this.#write(summedLine(`s\t${pid}\t${start}\t${JSON.stringify(label ?? "")}`));
  }

  /**
   * Stops recording without touching the file's path, which may name
   * another build's record by now (the state directory deleted or replaced).
   */
  abandon(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  /** Forgets the processes recorded: none of them runs any more. */
  clear(): void {
    if (this.#file === undefined) return;
    this.#file.close();
    this.#file = undefined;
    try {
      Deno.removeSync(this.#path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  #write(text: string): void {
    const bytes = this.#encoder.encode(text);
    let done = 0;
    while (done < bytes.length) done += this.#file!.writeSync(bytes.subarray(done));
  }
}

/**
 * Stops the processes a build that did not end left running, as its
 * `running.log` names them, and deletes the file. Called with the build
 * lock held, before anything else is done.
 * @param stateDir The state directory.
 * @param reporter Told which commands were stopped.
 */
export async function stopLeftovers(stateDir: string, reporter: Reporter): Promise<void> {
  const path = join(stateDir, RUNNING_LOG);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const stopped: string[] = [];
  const lines = text.startsWith(HEADER) ? text.slice(HEADER.length).split("\n") : [];
  await Promise.all(lines.map(async (line) => {
    const entry = parse(line);
    if (entry === undefined) return;
    if (await stopLeftover(entry.pid, entry.start)) {
      stopped.push(entry.label === "" ? `pid ${entry.pid}` : `${entry.label} (pid ${entry.pid})`);
    }
  }));
  if (stopped.length > 0) {
    reporter.note?.(
      `Stopped ${stopped.length} command${stopped.length === 1 ? "" : "s"} that a build ` +
        `which did not end left running: ${stopped.sort().join(", ")}`,
    );
  }
  Deno.removeSync(path);
}

function parse(line: string): { pid: number; start: string; label: string } | undefined {
  const lastTab = line.lastIndexOf("\t");
  if (lastTab < 0) return undefined;
  const body = line.slice(0, lastTab);
  const sum = lineSum(new TextEncoder().encode(body)).toString(16).padStart(8, "0");
  if (line.slice(lastTab + 1) !== sum) return undefined;
  const [op, pid, start, label] = body.split("\t");
  if (op !== "s" || !/^\d+$/.test(pid ?? "") || !/^\d+$/.test(start ?? "")) return undefined;
  try {
    return { pid: Number(pid), start, label: String(JSON.parse(label ?? '""')) };
  } catch {
    return undefined;
  }
}
