/**
 * The record of files barchan wrote, so that a build never overwrites a file
 * it did not create, and deletes the outputs of rules that disappeared.
 *
 * Format of `outputs.log` (text, one entry a line, tab-separated):
 * `c PATH` claims a path before an action may write it; `w PATH DIGEST`
 * records what barchan wrote; `r PATH` releases it. A claim is appended
 * before the action starts, so after a crash at any moment every file an
 * action may have written is claimed. When a build ends with the log at more
 * than twice as many lines as it has entries (and over a thousand), it is
 * rewritten with one line an entry (to a temporary file, then renamed): an
 * edit appends a few lines rather than rewriting them all.
 *
 * @module
 */
import { join } from "node:path";
import { OUTPUTS_LOG } from "../state.ts";

const CLAIMED = "";
/** A log this short is never rewritten, however many of its lines are stale. */
const REWRITE_MIN_LINES = 1000;

/** The files barchan owns in one project, with the digest it last wrote. */
export class OutputLog {
  #path: string;
  #entries = new Map<string, string>();
  #file: Deno.FsFile | undefined;
  #encoder = new TextEncoder();
  /** The file ends in a torn line: rewrite it before appending. */
  #torn = false;
  /** Lines in the file, loaded and appended. */
  #lines = 0;

  /**
   * Loads the log from a state directory.
   * @param stateDir The directory of barchan's state.
   */
  constructor(stateDir: string) {
    this.#path = join(stateDir, OUTPUTS_LOG);
    let text = "";
    try {
      text = Deno.readTextFileSync(this.#path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    // A line without its newline was cut short by a crash: its path may be
    // truncated, so it is ignored.
    const end = text.lastIndexOf("\n") + 1;
    this.#torn = end !== text.length;
    for (let at = 0; at < end;) {
      const next = text.indexOf("\n", at) + 1;
      this.#read(text, at, next - 1);
      at = next;
    }
  }

  /** Applies the line `text[start, end)`: `op TAB path [TAB digest]`. */
  #read(text: string, start: number, end: number): void {
    const tab = text.indexOf("\t", start);
    if (tab < 0 || tab >= end) return;
    this.#lines++;
    const second = text.indexOf("\t", tab + 1);
    const pathEnd = second < 0 || second > end ? end : second;
    const path = text.slice(tab + 1, pathEnd);
    const op = text.slice(start, tab);
    if (op === "c") {
      if (!this.#entries.has(path)) this.#entries.set(path, CLAIMED);
    } else if (op === "w") {
      this.#entries.set(path, pathEnd < end ? text.slice(pathEnd + 1, end) : CLAIMED);
    } else if (op === "r") this.#entries.delete(path);
  }

  /**
   * Whether barchan claimed this path.
   * @param path Project-relative path.
   * @returns True when barchan may overwrite it.
   */
  owns(path: string): boolean {
    return this.#entries.has(path);
  }

  /**
   * The digest barchan last wrote to a path, "" when unknown.
   * @param path Project-relative path.
   * @returns The digest.
   */
  digest(path: string): string {
    return this.#entries.get(path) ?? CLAIMED;
  }

  /** Every owned path. */
  paths(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Claims paths before an action may write them.
   * @param paths Project-relative paths.
   */
  claim(paths: readonly string[]): void {
    let text = "";
    let lines = 0;
    for (const p of paths) {
      if (this.#entries.has(p)) continue;
      this.#entries.set(p, CLAIMED);
      text += `c\t${p}\n`;
      lines++;
    }
    this.#append(text, lines);
  }

  /**
   * Records what an action wrote.
   * @param path Project-relative path.
   * @param digest Digest of the content.
   */
  wrote(path: string, digest: string): void {
    if (this.#entries.get(path) === digest) return;
    this.#entries.set(path, digest);
    this.#append(`w\t${path}\t${digest}\n`, 1);
  }

  /**
   * Gives up ownership of a path (after deleting it, or leaving a hand-edited file).
   * @param path Project-relative path.
   */
  release(path: string): void {
    if (!this.#entries.delete(path)) return;
    this.#append(`r\t${path}\n`, 1);
  }

  /** Closes the log, rewritten first when it holds many more lines than entries. */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
    const overgrown = this.#lines > REWRITE_MIN_LINES && this.#lines > 2 * this.#entries.size;
    if (this.#torn || overgrown) this.#rewrite();
  }

  #rewrite(): void {
    let text = "";
    for (const [path, digest] of this.#entries) {
      text += digest === CLAIMED ? `c\t${path}\n` : `w\t${path}\t${digest}\n`;
    }
    const tmp = this.#path + ".tmp";
    Deno.writeTextFileSync(tmp, text);
    Deno.renameSync(tmp, this.#path);
    this.#torn = false;
    this.#lines = this.#entries.size;
  }

  #append(text: string, lines: number): void {
    if (text === "") return;
    if (this.#torn) this.#rewrite();
    this.#file ??= Deno.openSync(this.#path, { create: true, append: true });
    const bytes = this.#encoder.encode(text);
    let done = 0;
    while (done < bytes.length) done += this.#file.writeSync(bytes.subarray(done));
    this.#lines += lines;
  }
}
