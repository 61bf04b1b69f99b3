/**
 * The persistent store of an engine: an append-only log of batches of
 * records, one file `memo.log` in the engine's directory.
 *
 * On-disk format (all integers little-endian):
 *
 * ```
 * header  8 bytes  "BCHMEMO\n"
 *         4 bytes  format version (u32), currently 1
 * frame*  4 bytes  payload length n (u32)
 *        16 bytes  MD5 of the payload
 *         n bytes  payload: UTF-8 JSON {"r": run, "recs": [record, ...]}
 * ```
 *
 * A record describes one cell by its id; a later record for the same id
 * replaces an earlier one, and `{"t": "x", "id": ...}` deletes it. Records
 * are self-contained (a memo node lists its dependencies by id), and any
 * prefix of the log describes a state from which verification is correct:
 * a node is only reused when every dependency recorded for it is unchanged
 * since it was built, so a lost record only causes extra work.
 *
 * Interruption: a frame is appended in one write; a crash mid-write leaves an
 * incomplete last frame, which loading reports and drops. A frame whose
 * checksum or JSON is wrong, a wrong magic or an unknown version is
 * corruption: loading reports it in one line and starts empty (full
 * recompute). Compaction writes all live records to `memo.log.tmp`, syncs
 * it, and renames it over the log, so a crash leaves the old or the new log.
 *
 * A `lock` file in the directory is locked for the store's lifetime: a second
 * process opening the same store gets a clear error instead of corrupting it.
 *
 * @module
 */
import { join } from "node:path";
import { createHash } from "node:crypto";

/** One stored cell, as JSON. `t` is the kind, `id` the cell's id. */
export interface StoreRecord {
  /** Kind: `m` memo node, `f` file, `l` listing, `e` env, `v` var, `x` deletion. */
  t: string;
  /** The cell's id. */
  id: string;
  /** Kind-specific fields. */
  [field: string]: unknown;
}

const MAGIC = new TextEncoder().encode("BCHMEMO\n");
const VERSION = 1;
const HEADER = MAGIC.length + 4;
const FRAME_HEAD = 4 + 16;
const COMPACT_MIN_BYTES = 4 * 1024 * 1024;
const LOCK_PATIENCE_MS = 500;

/** The log file of an engine, with the records it held when opened. */
export class Store {
  /** Directory of the store. */
  readonly dir: string;
  /** Records loaded and not yet taken by the engine. */
  readonly records: Map<string, StoreRecord>;
  /** The highest run number found in the log. */
  readonly lastRun: number;
  #path: string;
  #file: Deno.FsFile | undefined;
  #lock: Deno.FsFile | undefined;
  #size = 0;
  #compactedSize = 0;
  #written = new Set<string>();

  /**
   * Opens (or creates) the store in `dir`.
   * @param dir The directory.
   * @param warn Receives one-line reports of discarded or repaired content.
   * @param readOnly Load only: create, lock and write nothing.
   */
  constructor(dir: string, warn: (message: string) => void, readOnly = false) {
    this.dir = dir;
    this.#path = join(dir, "memo.log");
    if (readOnly) {
      const loaded = load(this.#path, warn);
      this.records = loaded.records;
      this.lastRun = loaded.lastRun;
      return;
    }
    Deno.mkdirSync(dir, { recursive: true });
    this.#lock = Deno.openSync(join(dir, "lock"), { create: true, write: true });
    if (!lockWithin(this.#lock, LOCK_PATIENCE_MS)) {
      this.#lock.close();
      throw new Error(
        `The store in ${dir} is in use by another process; wait for it to finish`,
      );
    }
    const loaded = load(this.#path, warn);
    this.records = loaded.records;
    this.lastRun = loaded.lastRun;
    const file = Deno.openSync(this.#path, { create: true, read: true, write: true });
    this.#file = file;
    if (loaded.validBytes === 0) {
      file.truncateSync(0);
      writeAll(file, header());
      this.#size = HEADER;
    } else {
      if (loaded.validBytes !== loaded.fileBytes) file.truncateSync(loaded.validBytes);
      file.seekSync(loaded.validBytes, Deno.SeekMode.Start);
      this.#size = loaded.validBytes;
    }
    this.#compactedSize = this.#size;
    for (const id of this.records.keys()) this.#written.add(id);
  }

  /**
   * Removes and returns the loaded record of a cell.
   * @param id The cell id.
   * @returns The record, if the log had one.
   */
  take(id: string): StoreRecord | undefined {
    const rec = this.records.get(id);
    if (rec !== undefined) this.records.delete(id);
    return rec;
  }

  /**
   * Whether the log may hold a record for this id (so a deletion is worth writing).
   * @param id The cell id.
   * @returns True when a record was loaded or written.
   */
  mayHold(id: string): boolean {
    return this.#written.has(id);
  }

  /**
   * Appends one frame of records.
   * @param run The engine's current run.
   * @param records The records.
   */
  append(run: number, records: StoreRecord[]): void {
    if (records.length === 0 || this.#file === undefined) return;
    const bytes = frame(run, records);
    writeAll(this.#file, bytes);
    this.#size += bytes.length;
    for (const rec of records) {
      if (rec.t === "x") this.#written.delete(rec.id);
      else this.#written.add(rec.id);
    }
  }

  /** Whether the log has grown enough past its live content to be worth compacting. */
  get wantsCompaction(): boolean {
    return this.#size > COMPACT_MIN_BYTES && this.#size > 3 * this.#compactedSize;
  }

  /**
   * Rewrites the log with exactly the given records, atomically.
   * @param run The engine's current run.
   * @param records Every live record.
   */
  compact(run: number, records: StoreRecord[]): void {
    if (this.#file === undefined) return;
    const tmp = this.#path + ".tmp";
    const out = Deno.openSync(tmp, { create: true, write: true, truncate: true });
    try {
      writeAll(out, header());
      const bytes = frame(run, records);
      writeAll(out, bytes);
      out.syncSync();
    } finally {
      out.close();
    }
    Deno.renameSync(tmp, this.#path);
    this.#file.close();
    this.#file = Deno.openSync(this.#path, { read: true, write: true });
    this.#size = this.#file.seekSync(0, Deno.SeekMode.End);
    this.#compactedSize = this.#size;
    this.#written = new Set(records.map((r) => r.id));
  }

  /** Closes the log and releases the lock. */
  close(): void {
    this.#file?.close();
    this.#lock?.close();
    this.#file = this.#lock = undefined;
  }
}

interface Loaded {
  records: Map<string, StoreRecord>;
  lastRun: number;
  validBytes: number;
  fileBytes: number;
}

function load(path: string, warn: (message: string) => void): Loaded {
  let data: Uint8Array;
  try {
    data = Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { records: new Map(), lastRun: 0, validBytes: 0, fileBytes: 0 };
    }
    throw error;
  }
  const empty = { records: new Map(), lastRun: 0, validBytes: 0, fileBytes: data.length };
  if (data.length === 0) return empty;
  if (data.length < HEADER || !MAGIC.every((b, i) => data[i] === b)) {
    warn(`Store ${path} is not a barchan store or is damaged at its start; starting afresh`);
    return empty;
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint32(MAGIC.length, true);
  if (version !== VERSION) {
    warn(`Store ${path} has format ${version}, this version reads ${VERSION}; starting afresh`);
    return empty;
  }
  const records = new Map<string, StoreRecord>();
  let lastRun = 0;
  let offset = HEADER;
  const decoder = new TextDecoder();
  while (offset < data.length) {
    if (data.length - offset < FRAME_HEAD) break;
    const length = view.getUint32(offset, true);
    const start = offset + FRAME_HEAD;
    if (start + length > data.length) break;
    const payload = data.subarray(start, start + length);
    const sum = createHash("md5").update(payload).digest();
    let parsed: { r: number; recs: StoreRecord[] };
    try {
      if (!sum.equals(data.subarray(offset + 4, offset + FRAME_HEAD))) throw new Error("checksum");
      parsed = JSON.parse(decoder.decode(payload));
    } catch {
      warn(`Store ${path} is corrupted at byte ${offset}; starting afresh`);
      return empty;
    }
    if (parsed.r > lastRun) lastRun = parsed.r;
    for (const rec of parsed.recs) {
      if (rec.t === "x") records.delete(rec.id);
      else records.set(rec.id, rec);
    }
    offset = start + length;
  }
  if (offset < data.length) {
    warn(
      `Store ${path} ends in an incomplete record (an interrupted write); ` +
        `dropped its last ${data.length - offset} bytes`,
    );
  }
  return { records, lastRun, validBytes: offset, fileBytes: data.length };
}

function header(): Uint8Array {
  const out = new Uint8Array(HEADER);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(MAGIC.length, VERSION, true);
  return out;
}

function frame(run: number, records: StoreRecord[]): Uint8Array {
  const payload = new TextEncoder().encode(JSON.stringify({ r: run, recs: records }));
  const out = new Uint8Array(FRAME_HEAD + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length, true);
  out.set(createHash("md5").update(payload).digest(), 4);
  out.set(payload, FRAME_HEAD);
  return out;
}

/**
 * Takes the lock, retrying for a moment: a child process that another thread
 * of this process has forked but not yet exec'd holds a copy of every open
 * file, and with it a lock this process has just released.
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

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}
