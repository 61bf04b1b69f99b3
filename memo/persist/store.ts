/**
 * The persistent store of an engine: an append-only log of batches of
 * records, one file `memo.log` in the engine's directory.
 *
 * On-disk format (all integers little-endian):
 *
 * ```
 * header  8 bytes  "BCHMEMO\n"
 *         4 bytes  format version (u32), currently 10
 * frame*  4 bytes  payload length n (u32)
 *         4 bytes  checksum of the payload (checksum.ts)
 *         n bytes  payload: either records, UTF-8 text, lines of JSON
 *                  {"r": run, "s": [string, ...]}
 *                  record
 *                  ...
 *                  or a checkpoint (binary, checkpoint.ts)
 * ```
 *
 * Records are decoded when taken, not when the log is loaded: loading finds
 * each record's line and the id it starts with (`[kind,id#`), and a build
 * that reaches a few hundred of the log's cells parses only those.
 *
 * Paths under the engine's root are recorded relative to it, others whole
 * (see `Engine`): a project moved or copied elsewhere with its state checks
 * its own files.
 *
 * Strings that repeat (cell ids, memo function names, code digests) are
 * interned: each frame's `s` appends to one table that runs through the
 * whole file, and records refer to table entries by index (`#` below).
 * A record is an array whose first element is its kind:
 *
 * ```
 * [0, id#, name#, code#, input, value, [dep id#, ...], builtAt, changedAt, extra?]  memo node
 * [1, id#, digest, mtime, size, ino, ctime, trusted, changedAt]             file ("f\0PATH")
 * [2, id#, dir, pattern, skip, digest, changedAt]                           listing or glob (dir as PATH)
 * [3, id#, name, value, changedAt]                                          environment variable
 * [4, id#, name, digest, changedAt]                                         var
 * [5, id#, value, changedAt]                                                input ("i\0KEY")
 * [6, id#]                                                                  deletion
 * [7, id#, root id#]                            the root was verified ("r\0ROOT")
 * ```
 *
 * `trusted` is 1 when the file's stat fields alone may vouch for its digest
 * (it was modified more than a clock tick before the digest was taken).
 *
 * A later record for an id replaces an earlier one. Records are
 * self-contained (a memo node lists its dependencies by id), and any prefix
 * of the log describes a state from which verification is correct: a node is
 * only reused when every dependency recorded for it is unchanged since it was
 * built, so a lost record only causes extra work.
 *
 * A checkpoint frame summarises every record before it and holds the string
 * table as it was (checkpoint.ts). With it, what a request depends on can be
 * checked by reading the last checkpoint and the frames after it only: the
 * store opened `lazy` reads nothing else until a record is taken. One is
 * written at the end of a build once the frames after the last grew past a
 * quarter of its size, and by every compaction.
 *
 * Interruption: a frame is appended in one write; a crash mid-write leaves an
 * incomplete last frame, which loading reports and drops. A frame whose
 * checksum or JSON is wrong, a wrong magic or an unknown version is
 * corruption: loading reports it in one line and starts empty (full
 * recompute). Compaction writes all live records to `memo.log.tmp`, syncs
 * it, and renames it over the log, so a crash leaves the old or the new log.
 * A write that fails (a full disk) is cut off the log, and the store then
 * writes nothing more in this process: the log keeps the records before it,
 * and the next process redoes what was not recorded.
 *
 * A `lock` file in the directory is locked for the store's lifetime: a second
 * process opening the same store gets a clear error instead of corrupting it.
 *
 * @module
 */
import { joinPath as join } from "../stat/paths.ts";
import { checksumOf } from "./checksum.ts";
import { isCheckpoint, Summary } from "./checkpoint.ts";
import { Strings } from "./_strings.ts";
import {
  decodeRecord,
  DELETION_KIND,
  encodeRecord,
  LineLengths,
  recordId,
  type StoreRecord,
  VERIFIED_KIND,
} from "./_records.ts";

export type { StoreRecord } from "./_records.ts";

const MAGIC = new TextEncoder().encode("BCHMEMO\n");
const VERSION = 10;
const HEADER = MAGIC.length + 4;
const FRAME_HEAD = 4 + 4;
/** How many bytes of a payload tell whether it is a checkpoint. */
const CHECKPOINT_MAGIC_BYTES = 8;
const COMPACT_MIN_BYTES = 4 * 1024 * 1024;
const LOCK_PATIENCE_MS = 500;
/** Frames after a checkpoint below this size never call for a new one. */
const CHECKPOINT_MIN_TAIL = 64 * 1024;
/** No record for an id, or one already taken. */
const NONE = -1;

/** Options of a {@linkcode Store}. */
export interface StoreOptions {
  /**
   * Load only: create, lock and write nothing.
   * @default false
   */
  readOnly?: boolean;
  /**
   * Read only the last checkpoint and what follows it when opening; the
   * rest of the log is read when a record is first taken.
   * @default false
   */
  lazy?: boolean;
  /**
   * Which nodes a checkpoint indexes as roots, by id: a check of one reads
   * the leaves under it from the index instead of walking its graph.
   * @default none
   */
  roots?: (id: string) => boolean;
  /**
   * Frames after the last checkpoint below this many bytes never call for a
   * new one (nor do frames below a quarter of its size).
   * @default 65536
   */
  checkpointAfter?: number;
}

/** One frame of the log: where its payload is, and whether it is a checkpoint. */
interface FrameInfo {
  /** Offset of the frame's header in the file. */
  offset: number;
  /** Length of its payload. */
  length: number;
  checkpoint: boolean;
  /** The payload decoded, once it was (record frames only). */
  text?: string;
}

/** Where each loaded record is: its frame's text and its line, by the table index of its id. */
interface LoadedRecords {
  /** The frames' payloads, decoded. */
  texts: string[];
  /** Per id index: the frame holding its latest record, {@linkcode NONE} when there is none. */
  frame: Int32Array;
  /** Per id index: where its record's line starts and ends in that frame's text. */
  start: Uint32Array;
  end: Uint32Array;
}

/**
 * The name of the store's log file, in its directory.
 * @internal For barchan's own layers.
 */
export const STORE_FILE = "memo.log";

/** The log file of an engine, with the records it held when opened. */
export class Store {
  /** Directory of the store. */
  readonly dir: string;
  /** The highest run number found in the log. */
  lastRun = 0;
  #path: string;
  #warn: (message: string) => void;
  #file: Deno.FsFile | undefined;
  #lock: Deno.FsFile | undefined;
  #size = 0;
  /** The log as read, from byte `#bytesFrom` on, until its records are indexed. */
  #bytes: Uint8Array | undefined;
  #bytesFrom = 0;
  #frames: FrameInfo[] = [];
  /** Records loaded and not yet taken, still encoded; undefined until indexed. */
  #records: LoadedRecords | undefined;
  /**
   * The table loaded, which writes go on interning into until a compaction:
   * its index serves both lookups by id and writes.
   */
  #loadedStrings: Strings = new Strings();
  #strings: Strings = this.#loadedStrings;
  /** Lengths of the current record lines, by their ids' places in the table; once indexed. */
  #lines: LineLengths | undefined;
  /** The summary of every record, when it is known whole. */
  #summary: Summary | undefined;
  /** Which nodes a checkpoint indexes as roots (see checkpoint.ts), by id. */
  #isRoot: (id: string) => boolean;
  #checkpointAfter: number;
  /** Bytes of the last checkpoint written or read (0: none), and of the frames after it. */
  #checkpointBytes = 0;
  #sinceCheckpoint = 0;

  /**
   * Opens (or creates) the store in `dir`.
   * @param dir The directory.
   * @param warn Receives one-line reports of discarded or repaired content.
   * @param options Options.
   */
  constructor(
    dir: string,
    warn: (message: string) => void,
    options: StoreOptions = {},
  ) {
    this.dir = dir;
    this.#path = join(dir, STORE_FILE);
    this.#warn = warn;
    this.#isRoot = options.roots ?? (() => false);
    this.#checkpointAfter = options.checkpointAfter ?? CHECKPOINT_MIN_TAIL;
    const readOnly = options.readOnly ?? false;
    if (!readOnly) {
      Deno.mkdirSync(dir, { recursive: true });
      this.#lock = Deno.openSync(join(dir, "lock"), { create: true, write: true });
      if (!lockWithin(this.#lock, LOCK_PATIENCE_MS)) {
        this.#lock.close();
        throw new Error(
          `The store in ${dir} is in use by another process; wait for it to finish`,
        );
      }
    }
    let { validBytes, fileBytes } = this.#open(options.lazy ?? false);
    if (this.#frames.length > 0) {
      this.#readCheckpoint();
      if (!options.lazy) this.#index();
    }
    // Empty, or emptied because it was damaged: written afresh.
    if (this.#frames.length === 0) {
      this.#summary ??= new Summary();
      validBytes = 0;
    }
    if (readOnly) return;
    const file = Deno.openSync(this.#path, { create: true, read: true, write: true });
    this.#file = file;
    if (validBytes === 0) {
      try {
        file.truncateSync(0);
        writeAll(file, header());
      } catch (error) {
        this.close();
        throw naming(error, this.#path);
      }
      this.#size = HEADER;
    } else {
      if (validBytes !== fileBytes) file.truncateSync(validBytes);
      file.seekSync(validBytes, Deno.SeekMode.Start);
      this.#size = validBytes;
    }
  }

  /**
   * The summary of every cell the log holds (checkpoint.ts), when it is
   * known whole: read from the last checkpoint and the frames after it, kept
   * up to date by every append. Undefined for a log that has no checkpoint
   * and was not compacted since.
   */
  get summary(): Summary | undefined {
    return this.#summary;
  }

  /**
   * The place of a string in the table, -1 when it is not there.
   * @param id The string, typically a cell id.
   * @returns Its index in {@linkcode Store.strings}.
   */
  indexOf(id: string): number {
    return this.#strings.find(id);
  }

  /**
   * The string at a place in the table (the one {@linkcode Store.summary}
   * and {@linkcode Store.indexOf} use), without making the whole table.
   * @param index The place.
   * @returns The string.
   */
  stringAt(index: number): string {
    return this.#strings.at(index);
  }

  /** How many strings the table (the one {@linkcode Store.stringAt} reads) holds. */
  get tableSize(): number {
    return this.#strings.length;
  }

  /**
   * Removes and returns the loaded record of a cell, as stored: an array
   * laid out as the format above says, with string fields as indexes into
   * {@linkcode Store.strings}.
   * @param id The cell id.
   * @returns The encoded record, if the log had one.
   */
  take(id: string): readonly unknown[] | undefined {
    this.#index();
    const i = this.#loadedStrings.find(id);
    return i < 0 ? undefined : this.takeAt(i);
  }

  /**
   * Removes and returns the loaded record whose id is entry `index` of the
   * loaded string table (see {@linkcode Store.strings}).
   * @param index The id's index.
   * @returns The encoded record, if the log had one.
   */
  takeAt(index: number): readonly unknown[] | undefined {
    this.#index();
    const raw = this.#decodeAt(index);
    if (raw !== undefined) this.#records!.frame[index] = NONE;
    return raw;
  }

  /** The loaded record of entry `index`, parsed, if there is one not taken. */
  #decodeAt(index: number): unknown[] | undefined {
    const records = this.#records!;
    const frame = records.frame[index] ?? NONE;
    if (frame === NONE) return undefined;
    try {
      const raw = JSON.parse(records.texts[frame].slice(records.start[index], records.end[index]));
      if (Array.isArray(raw) && raw[1] === index) return raw;
    } catch {
      // Below.
    }
    // A record that does not decode is lost: only extra work follows.
    records.frame[index] = NONE;
    return undefined;
  }

  /** The string table as loaded, which encoded records and stored dependencies refer to. */
  get strings(): readonly string[] {
    return this.#loadedStrings.list;
  }

  /**
   * The loaded records not taken yet, decoded (for compaction); they can
   * still be taken afterwards.
   * @returns The records.
   */
  untaken(): StoreRecord[] {
    this.#index();
    const out: StoreRecord[] = [];
    for (let i = 0; i < this.#records!.frame.length; i++) {
      const raw = this.#decodeAt(i);
      // A root's verified mark says something of the log as it was: not live.
      if (raw === undefined || raw[0] === VERIFIED_KIND) continue;
      try {
        out.push(decodeRecord(raw, this.#loadedStrings.list));
      } catch {
        // Lost, as above.
      }
    }
    return out;
  }

  /**
   * Whether the log may hold a record for this id (so a deletion is worth writing).
   * @param id The cell id.
   * @returns True when the id was ever written to the log.
   */
  mayHold(id: string): boolean {
    return this.#strings.find(id) >= 0;
  }

  /**
   * Appends one frame of records.
   * @param run The engine's current run.
   * @param records The records.
   */
  append(run: number, records: StoreRecord[]): void {
    if (records.length === 0 || this.#file === undefined) return;
    // Indexes the engine knows are the loaded table's: good until a compaction.
    const indexed = this.#strings === this.#loadedStrings;
    const bytes = this.#frame(run, records, this.#strings, indexed);
    this.#write(bytes);
    this.#size += bytes.length;
    this.#sinceCheckpoint += bytes.length;
    if (run > this.lastRun) this.lastRun = run;
  }

  /**
   * Whether a checkpoint is worth writing: the store has a summary, and
   * the frames written since the last checkpoint (or all of them, when
   * there is none) grew past a quarter of its size.
   */
  get wantsCheckpoint(): boolean {
    if (this.#summary === undefined || this.#sinceCheckpoint === 0) return false;
    if (this.#checkpointBytes === 0) return true;
    const least = this.#checkpointAfter;
    return this.#sinceCheckpoint > Math.max(least, least === 0 ? 0 : this.#checkpointBytes / 4);
  }

  /**
   * Whether the store lacks a summary: only a compaction (which knows every
   * record) can write its checkpoint.
   */
  get lacksSummary(): boolean {
    return this.#summary === undefined;
  }

  /**
   * Appends a checkpoint of the summary; nothing when there is none.
   * @param run The engine's current run.
   */
  checkpoint(run: number): void {
    if (this.#summary === undefined || this.#file === undefined) return;
    const payload = this.#summary.encode(run, this.#strings.list, this.#isRoot);
    const bytes = framed(payload);
    this.#write(bytes);
    this.#size += bytes.length;
    this.#checkpointBytes = bytes.length;
    this.#sinceCheckpoint = 0;
  }

  /**
   * Whether the log is worth compacting: past its minimum size, and at least
   * three times as large as its live content (records a later one replaced
   * or deleted are stale). A log that only grows with new records, as in a
   * first build, is never compacted.
   */
  get wantsCompaction(): boolean {
    const lines = this.#lines;
    return lines !== undefined && this.#size > COMPACT_MIN_BYTES &&
      3 * lines.stale > 2 * this.#size;
  }

  /**
   * Rewrites the log with exactly the given records and their checkpoint,
   * atomically.
   * @param run The engine's current run.
   * @param records Every live record.
   */
  compact(run: number, records: StoreRecord[]): void {
    if (this.#file === undefined) return;
    const tmp = this.#path + ".tmp";
    const strings = new Strings();
    this.#lines = new LineLengths(records.length);
    this.#summary = new Summary();
    try {
      const out = Deno.openSync(tmp, { create: true, write: true, truncate: true });
      try {
        writeAll(out, header());
        const frame = this.#frame(run, records, strings, false);
        writeAll(out, frame);
        const checkpoint = framed(this.#summary.encode(run, strings.list, this.#isRoot));
        writeAll(out, checkpoint);
        out.syncSync();
        this.#checkpointBytes = checkpoint.length;
        this.#sinceCheckpoint = 0;
      } finally {
        out.close();
      }
      Deno.renameSync(tmp, this.#path);
    } catch (error) {
      // The log is as it was; what this process knows no longer matches it.
      try {
        Deno.removeSync(tmp);
      } catch {
        // Never made.
      }
      this.#stopWriting();
      throw error;
    }
    this.#file.close();
    this.#file = Deno.openSync(this.#path, { read: true, write: true });
    this.#size = this.#file.seekSync(0, Deno.SeekMode.End);
    this.#strings = strings;
  }

  /**
   * Appends bytes to the log. When that fails (a full disk), what was
   * written of them is cut off and nothing more is written by this process:
   * the log stays what it was, a valid prefix of this process's records.
   */
  #write(bytes: Uint8Array): void {
    try {
      writeAll(this.#file!, bytes);
    } catch (error) {
      try {
        this.#file!.truncateSync(this.#size);
      } catch {
        // A torn last frame is dropped when the log is next read.
      }
      this.#stopWriting();
      throw naming(error, this.#path);
    }
  }

  #stopWriting(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  /** Closes the log and releases the lock. */
  close(): void {
    this.#file?.close();
    this.#lock?.close();
    this.#file = this.#lock = undefined;
    this.#bytes = undefined;
  }

  /** Encodes records into a frame, counting their lines and keeping the summary. */
  #frame(run: number, records: StoreRecord[], strings: Strings, indexed: boolean): Uint8Array {
    strings.fresh = [];
    const summary = this.#summary;
    const lengths = this.#lines;
    const lines = records.map((r) => {
      const encoded = encodeRecord(r, strings, indexed);
      const line = JSON.stringify(encoded);
      lengths?.add(encoded[1] as number, line.length + 1, encoded[0] === DELETION_KIND);
      summary?.apply(encoded);
      return line;
    });
    const head = JSON.stringify({ r: run, s: strings.fresh });
    strings.fresh = [];
    return framed(new TextEncoder().encode(head + "\n" + lines.join("\n")));
  }

  /**
   * Finds the log's frames, reading only their headers; then reads the log
   * from its last checkpoint on (`lazy`), or whole.
   * @returns How many bytes are valid, and how many the file has.
   */
  #open(lazy: boolean): { validBytes: number; fileBytes: number } {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(this.#path, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { validBytes: 0, fileBytes: 0 };
      throw error;
    }
    try {
      const fileBytes = file.statSync().size;
      if (fileBytes === 0) return { validBytes: 0, fileBytes: 0 };
      const head = new Uint8Array(HEADER);
      if (fileBytes < HEADER || !readAt(file, 0, head) || !MAGIC.every((b, i) => head[i] === b)) {
        this.#warn(
          `Store ${this.#path} is not a barchan store or is damaged at its start; starting afresh`,
        );
        return { validBytes: 0, fileBytes };
      }
      const version = new DataView(head.buffer).getUint32(MAGIC.length, true);
      if (version !== VERSION) {
        this.#warn(
          `Store ${this.#path} has format ${version}, this version reads ${VERSION}; starting afresh`,
        );
        return { validBytes: 0, fileBytes };
      }
      const probe = new Uint8Array(FRAME_HEAD + CHECKPOINT_MAGIC_BYTES);
      const view = new DataView(probe.buffer);
      let offset = HEADER;
      while (offset + FRAME_HEAD <= fileBytes) {
        const got = readAt(file, offset, probe, true);
        if (got < FRAME_HEAD) break;
        const length = view.getUint32(0, true);
        const start = offset + FRAME_HEAD;
        if (start + length > fileBytes) break;
        const checkpoint = got === probe.length &&
          isCheckpoint(
            probe.subarray(FRAME_HEAD, FRAME_HEAD + Math.min(length, CHECKPOINT_MAGIC_BYTES)),
          );
        this.#frames.push({ offset, length, checkpoint });
        offset = start + length;
      }
      if (offset < fileBytes) {
        this.#warn(
          `Store ${this.#path} ends in an incomplete record (an interrupted write); ` +
            `dropped its last ${fileBytes - offset} bytes`,
        );
      }
      let from = HEADER;
      if (lazy) {
        for (const frame of this.#frames) if (frame.checkpoint) from = frame.offset;
      }
      const bytes = new Uint8Array(offset - from);
      if (!readAt(file, from, bytes)) throw new Error(`Cannot read ${this.#path}`);
      this.#bytes = bytes;
      this.#bytesFrom = from;
      return { validBytes: offset, fileBytes };
    } finally {
      file.close();
    }
  }

  /** The log's bytes from `offset` on, read whole when what was read starts later. */
  #bytesAt(offset: number): { data: Uint8Array; at: number } {
    if (this.#bytes === undefined || offset < this.#bytesFrom) {
      const end = this.#frames.length === 0
        ? HEADER
        : this.#frames[this.#frames.length - 1].offset + FRAME_HEAD +
          this.#frames[this.#frames.length - 1].length;
      const file = Deno.openSync(this.#path, { read: true });
      try {
        const bytes = new Uint8Array(end - HEADER);
        if (!readAt(file, HEADER, bytes)) throw new Error(`Cannot read ${this.#path}`);
        this.#bytes = bytes;
        this.#bytesFrom = HEADER;
      } finally {
        file.close();
      }
    }
    return { data: this.#bytes!, at: offset - this.#bytesFrom };
  }

  /** The payload of a frame whose checksum checks out; undefined otherwise. */
  #payload(frame: FrameInfo, aligned = false): Uint8Array | undefined {
    const { data, at } = this.#bytesAt(frame.offset);
    let payload = data.subarray(at + FRAME_HEAD, at + FRAME_HEAD + frame.length);
    // A copy at the start of its own buffer reads as words, and as typed arrays.
    if (aligned) payload = payload.slice();
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return checksumOf(payload) === view.getUint32(at + 4, true) ? payload : undefined;
  }

  /**
   * Reads the last checkpoint and the record frames after it: the summary,
   * the string table and the last run. False when there is no checkpoint;
   * damage is reported, and the store starts empty.
   */
  #readCheckpoint(): boolean {
    const frames = this.#frames;
    let last = frames.length - 1;
    while (last >= 0 && !frames[last].checkpoint) last--;
    if (last < 0) return false;
    const payload = this.#payload(frames[last], true);
    let decoded;
    try {
      decoded = payload === undefined ? undefined : Summary.decode(payload);
    } catch {
      // Cut short or malformed inside a sound frame: damage all the same.
    }
    if (decoded === undefined) return this.#corrupted(frames[last].offset, true);
    const strings = new Strings([], decoded.strings);
    const summary = decoded.summary;
    let lastRun = decoded.run;
    const decoder = new TextDecoder();
    let tail = 0;
    for (let f = last + 1; f < frames.length; f++) {
      const frame = frames[f];
      tail += FRAME_HEAD + frame.length;
      const bytes = frame.checkpoint ? undefined : this.#payload(frame);
      if (bytes === undefined) return this.#corrupted(frame.offset, true);
      const text = decoder.decode(bytes);
      frame.text = text;
      try {
        const newline = text.indexOf("\n");
        const head = parseHead(newline < 0 ? text : text.slice(0, newline));
        strings.addLoaded(head.s);
        if (head.r > lastRun) lastRun = head.r;
        for (let at = newline < 0 ? text.length : newline + 1; at < text.length;) {
          let end = text.indexOf("\n", at);
          if (end < 0) end = text.length;
          const record = JSON.parse(text.slice(at, end));
          if (!Array.isArray(record) || recordId(text, at, end) !== record[1]) throw new Error();
          summary.apply(record);
          at = end + 1;
        }
      } catch {
        return this.#corrupted(frame.offset, true);
      }
    }
    this.#loadedStrings = this.#strings = strings;
    this.#summary = summary;
    this.lastRun = lastRun;
    this.#checkpointBytes = FRAME_HEAD + frames[last].length;
    this.#sinceCheckpoint = tail;
    return true;
  }

  /**
   * Indexes every record of the log (once): checks each frame, builds the
   * string table when no checkpoint gave it, and finds where each id's
   * latest record is.
   */
  #index(): void {
    if (this.#records !== undefined) return;
    const frames = this.#frames;
    const fromCheckpoint = this.#checkpointBytes > 0 && frames.length > 0;
    const texts: string[] = [];
    const starts: number[] = [];
    const decoder = new TextDecoder();
    const strings = fromCheckpoint ? this.#loadedStrings : new Strings();
    let lastRun = this.lastRun;
    let damaged = -1;
    for (const frame of frames) {
      if (frame.checkpoint) continue;
      let text = frame.text;
      if (text === undefined) {
        const payload = this.#payload(frame);
        if (payload === undefined) {
          damaged = frame.offset;
          break;
        }
        text = decoder.decode(payload);
      }
      const newline = text.indexOf("\n");
      if (!fromCheckpoint) {
        try {
          const head = parseHead(newline < 0 ? text : text.slice(0, newline));
          strings.addLoaded(head.s);
          if (head.r > lastRun) lastRun = head.r;
        } catch {
          damaged = frame.offset;
          break;
        }
      }
      texts.push(text);
      starts.push(newline < 0 ? text.length : newline + 1);
    }
    const size = strings.list.length;
    const records: LoadedRecords = {
      texts,
      frame: new Int32Array(size).fill(NONE),
      start: new Uint32Array(size),
      end: new Uint32Array(size),
    };
    const lines = new LineLengths(size);
    for (let f = 0; f < texts.length && damaged < 0; f++) {
      const text = texts[f];
      for (let at = starts[f]; at < text.length;) {
        let end = text.indexOf("\n", at);
        if (end < 0) end = text.length;
        const id = recordId(text, at, end);
        if (id < 0 || id >= size) {
          this.#warn(
            `Store ${this.#path} is corrupted in a record of its frame ${f + 1}; starting afresh`,
          );
          this.#reset();
          return;
        }
        const deletion = text.charCodeAt(at + 1) - 48 === DELETION_KIND;
        lines.add(id, end - at + 1, deletion);
        records.frame[id] = deletion ? NONE : f;
        records.start[id] = at;
        records.end[id] = end;
        at = end + 1;
      }
    }
    if (damaged >= 0) {
      this.#corrupted(damaged, false);
      this.#reset();
      return;
    }
    this.#records = records;
    this.#lines = lines;
    this.#loadedStrings = this.#strings = strings;
    this.lastRun = lastRun;
    this.#bytes = undefined;
    for (const frame of frames) frame.text = undefined;
  }

  /** Reports damage at `offset`; when reading the checkpoint, the store is then emptied. */
  #corrupted(offset: number, reset: boolean): false {
    this.#warn(`Store ${this.#path} is corrupted at byte ${offset}; starting afresh`);
    if (reset) this.#reset();
    return false;
  }

  /** Forgets everything the log held, and empties the file when it is open for writing. */
  #reset(): void {
    this.#frames = [];
    this.#records = {
      texts: [],
      frame: new Int32Array(0),
      start: new Uint32Array(0),
      end: new Uint32Array(0),
    };
    this.#lines = new LineLengths(0);
    this.#loadedStrings = this.#strings = new Strings();
    this.#summary = new Summary();
    this.#checkpointBytes = this.#sinceCheckpoint = 0;
    this.#bytes = undefined;
    if (this.#file !== undefined) {
      this.#file.truncateSync(0);
      this.#file.seekSync(0, Deno.SeekMode.Start);
      writeAll(this.#file, header());
      this.#size = HEADER;
    }
  }
}

function parseHead(text: string): { r: number; s: string[] } {
  const head = JSON.parse(text) as { r: number; s: string[] };
  if (!Array.isArray(head.s) || typeof head.r !== "number") throw new Error("bad frame");
  return head;
}

function header(): Uint8Array {
  const out = new Uint8Array(HEADER);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(MAGIC.length, VERSION, true);
  return out;
}

/** A payload with its frame header: length and checksum. */
function framed(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEAD + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, checksumOf(payload), true);
  out.set(payload, FRAME_HEAD);
  return out;
}

/**
 * Takes an exclusive lock, retrying for a short while: a child process
 * being spawned by another thread holds inherited descriptors (and with them
 * the lock) between its fork and its exec.
 */
function lockWithin(file: Deno.FsFile, ms: number): boolean {
  const deadline = Date.now() + ms;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!file.tryLockSync(true)) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(pause, 0, 0, 5);
  }
  return true;
}

/**
 * Reads into `into` from `offset`; true when it was filled (with `partial`,
 * how many bytes were read).
 */
function readAt(file: Deno.FsFile, offset: number, into: Uint8Array): boolean;
function readAt(file: Deno.FsFile, offset: number, into: Uint8Array, partial: true): number;
function readAt(
  file: Deno.FsFile,
  offset: number,
  into: Uint8Array,
  partial = false,
): boolean | number {
  file.seekSync(offset, Deno.SeekMode.Start);
  let done = 0;
  while (done < into.length) {
    const n = file.readSync(into.subarray(done));
    if (n === null) break;
    done += n;
  }
  return partial ? done : done === into.length;
}

/** An error of a write to the log, its message naming the log (a write to an open file does not). */
function naming(error: unknown, path: string): unknown {
  if (!(error instanceof Error) || error.message.includes(path)) return error;
  const named = new Error(`${error.message}: write '${path}'`, { cause: error });
  named.name = error.name;
  return named;
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}
