// The file under a log of checksummed lines (outputs.log,
// remote_outputs.log): what the log appends, with its header first, and what
// it writes whole. The log decides what the lines say; this decides how they
// reach the disk so that a crash or a full disk never leaves a line that
// runs into the next.

import { naming } from "./os_errors.ts";

/** A log's file: appended to line by line, or written whole. */
export class LogFile {
  readonly path: string;
  #header: string;
  #file: Deno.FsFile | undefined;
  #encoder = new TextEncoder();
  /** Bytes the file holds, up to the end of its last whole line. */
  size = 0;
  /** Lines in the file after the header, read and appended. */
  lines = 0;
  /** The file is not as the log would write it: it is to be written whole before more is appended. */
  stale = false;

  /**
   * @param path The file.
   * @param header Its first line, with its newline.
   */
  constructor(path: string, header: string) {
    this.path = path;
    this.#header = header;
  }

  /**
   * Appends `text`, `lines` whole lines, opening the file first (the header
   * goes into an empty one). A write that fails midway (a full disk) is cut
   * off, so that the next line starts on a line of its own; where even that
   * fails, the file is stale.
   * @param text The lines.
   * @param lines How many.
   * @throws {Error} Naming the file, when it cannot be written.
   */
  append(text: string, lines: number): void {
    if (this.#file === undefined) {
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(this.path, { create: true, read: true, write: true });
      } catch (error) {
        throw naming(error, "write", this.path);
      }
      if (this.size === 0) writeAll(file, this.#encoder.encode(this.#header));
      this.size = Math.max(this.size, this.#header.length);
      file.seekSync(this.size, Deno.SeekMode.Start);
      this.#file = file;
    }
    const bytes = this.#encoder.encode(text);
    try {
      writeAll(this.#file, bytes);
    } catch (error) {
      try {
        this.#file.truncateSync(this.size);
        this.#file.seekSync(this.size, Deno.SeekMode.Start);
      } catch {
        this.stale = true;
      }
      throw naming(error, "write", this.path);
    }
    this.size += bytes.length;
    this.lines += lines;
  }

  /**
   * Writes the file whole, the header then `text` (`lines` lines), through a
   * temporary file renamed into place; it is then not stale.
   * @param text The lines.
   * @param lines How many.
   * @throws {Error} Naming the file, when it cannot be written.
   */
  replace(text: string, lines: number): void {
    this.close();
    const bytes = this.#encoder.encode(this.#header + text);
    const tmp = this.path + ".tmp";
    try {
      Deno.writeFileSync(tmp, bytes);
      Deno.renameSync(tmp, this.path);
    } catch (error) {
      throw naming(error, "write", this.path);
    }
    this.stale = false;
    this.lines = lines;
    this.size = bytes.length;
  }

  /** Closes the file; the next append opens it again. */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}
