/**
 * The persistent store of an engine: an append-only log of batches of
 * records, one file `memo.log` in the engine's directory.
 *
 * On-disk format (all integers little-endian):
 *
 * ```
 * header  8 bytes  "BCHMEMO\n"
 *         4 bytes  format version (u32), currently 8
 * frame*  4 bytes  payload length n (u32)
 *         4 bytes  checksum of the payload (checksum.ts)
 *         n bytes  payload: UTF-8 text, lines of JSON
 *                  {"r": run, "s": [string, ...]}
 *                  record
 *                  ...
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
 * [0, id#, name#, code#, input, value, [dep id#, ...], builtAt, changedAt]  memo node
 * [1, id#, digest, mtime, size, ino, ctime, trusted, changedAt]             file ("f\0PATH")
 * [2, id#, dir, pattern, skip, digest, changedAt]                           listing or glob (dir as PATH)
 * [3, id#, name, value, changedAt]                                          environment variable
 * [4, id#, name, digest, changedAt]                                         var
 * [5, id#, value, changedAt]                                                input ("i\0KEY")
 * [6, id#]                                                                  deletion
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
import { checksumOf } from "./checksum.ts";

/** One stored cell, as the engine reads and writes it. `t` is the kind, `id` the cell's id. */
export interface StoreRecord {
  /** Kind: `m` memo node, `f` file, `l` listing, `e` env, `v` var, `i` input, `x` deletion. */
  t: string;
  /** The cell's id. */
  id: string;
  /**
   * Where the string table as loaded holds `id`, when known (-1 or absent
   * otherwise); for a memo node, `dx` says the same of each dependency.
   * Used only while the table is the loaded one (until a compaction).
   */
  ix?: number;
  /** Kind-specific fields. */
  [field: string]: unknown;
}

const MAGIC = new TextEncoder().encode("BCHMEMO\n");
const VERSION = 8;
const HEADER = MAGIC.length + 4;
const FRAME_HEAD = 4 + 4;
const COMPACT_MIN_BYTES = 4 * 1024 * 1024;
const LOCK_PATIENCE_MS = 500;
const KINDS = ["m", "f", "l", "e", "v", "i", "x"];
const DELETION = 6;
/** Strings looked for by scanning the table before its map is built. */
const MAX_SCANS = 8;

/**
 * The string table of a log: every interned string, by index and by value.
 * The map from value to index (40,000 strings at N = 10,000: about 10 ms) is
 * built only once a few strings have been looked for by scanning: a build
 * that writes a few records, most of them with their indexes known
 * (`StoreRecord.ix`), never pays for it.
 */
class Strings {
  readonly list: string[] = [];
  #index: Map<string, number> | undefined;
  /** Strings found by scanning (or added) before the map was built. */
  #found = new Map<string, number>();
  #scans = 0;
  /** Strings added since the last frame was written. */
  fresh: string[] = [];

  get index(): Map<string, number> {
    if (this.#index === undefined) {
      this.#index = new Map();
      for (let i = 0; i < this.list.length; i++) this.#index.set(this.list[i], i);
      this.#found.clear();
    }
    return this.#index;
  }

  /**
   * The index of a string, looked for by scanning while few have been, in
   * the map after that.
   * @returns The index, or -1 when it is not in the table.
   */
  find(s: string): number {
    if (this.#index !== undefined) return this.#index.get(s) ?? -1;
    const found = this.#found.get(s);
    if (found !== undefined) return found;
    if (this.#scans >= MAX_SCANS) return this.index.get(s) ?? -1;
    this.#scans++;
    const i = this.list.indexOf(s);
    if (i >= 0) this.#found.set(s, i);
    return i;
  }

  intern(s: string): number {
    if (this.#index === undefined) {
      let i = this.find(s);
      if (i < 0 && this.#index === undefined) {
        i = this.list.length;
        this.list.push(s);
        this.#found.set(s, i);
        this.fresh.push(s);
      }
      if (i >= 0) return i;
    }
    const index = this.index;
    let i = index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      index.set(s, i);
      this.fresh.push(s);
    }
    return i;
  }

  addLoaded(strings: string[]): void {
    for (let i = 0; i < strings.length; i++) this.list.push(strings[i]);
  }
}

/** The name of the store's log file, in its directory. */
export const STORE_FILE = "memo.log";

/** The log file of an engine, with the records it held when opened. */
export class Store {
  /** Directory of the store. */
  readonly dir: string;
  /** Records loaded and not yet taken, still encoded (see {@linkcode Loaded}). */
  #records: LoadedRecords;
  /**
   * The table loaded, which writes go on interning into until a compaction:
   * its index serves both lookups by id and writes.
   */
  #loadedStrings: Strings;
  /** The highest run number found in the log. */
  readonly lastRun: number;
  #path: string;
  #file: Deno.FsFile | undefined;
  #lock: Deno.FsFile | undefined;
  #size = 0;
  /** Lengths of the current record lines, by their ids' places in {@linkcode Store.strings}. */
  #lines: LineLengths;
  #strings: Strings;

  /**
   * Opens (or creates) the store in `dir`.
   * @param dir The directory.
   * @param warn Receives one-line reports of discarded or repaired content.
   * @param readOnly Load only: create, lock and write nothing.
   */
  constructor(dir: string, warn: (message: string) => void, readOnly = false) {
    this.dir = dir;
    this.#path = join(dir, STORE_FILE);
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
    const loaded = load(this.#path, warn);
    this.#records = loaded.records;
    this.lastRun = loaded.lastRun;
    this.#strings = loaded.strings;
    this.#loadedStrings = loaded.strings;
    this.#lines = loaded.lines;
    if (readOnly) return;
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
  }

  /**
   * Removes and returns the loaded record of a cell, as stored: an array
   * laid out as the format above says, with string fields as indexes into
   * {@linkcode Store.strings}.
   * @param id The cell id.
   * @returns The encoded record, if the log had one.
   */
  take(id: string): readonly unknown[] | undefined {
    const i = this.#indexOf(id);
    return i === undefined ? undefined : this.takeAt(i);
  }

  /**
   * Removes and returns the loaded record whose id is entry `index` of the
   * loaded string table (see {@linkcode Store.strings}).
   * @param index The id's index.
   * @returns The encoded record, if the log had one.
   */
  takeAt(index: number): readonly unknown[] | undefined {
    const raw = this.#decodeAt(index);
    if (raw !== undefined) this.#records.frame[index] = NONE;
    return raw;
  }

  /** The loaded record of entry `index`, parsed, if there is one not taken. */
  #decodeAt(index: number): unknown[] | undefined {
    const records = this.#records;
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
    const out: StoreRecord[] = [];
    for (let i = 0; i < this.#records.frame.length; i++) {
      const raw = this.#decodeAt(i);
      if (raw === undefined) continue;
      try {
        out.push(decode(raw, this.#loadedStrings.list));
      } catch {
        // Lost, as above.
      }
    }
    return out;
  }

  /**
   * The loaded table index of an id: a few lookups scan, more use the
   * table's map (which may also hold strings written since, whose indexes
   * have no loaded record).
   */
  #indexOf(id: string): number | undefined {
    const i = this.#loadedStrings.find(id);
    return i < 0 ? undefined : i;
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
    const bytes = frame(run, records, this.#strings, indexed, this.#lines);
    writeAll(this.#file, bytes);
    this.#size += bytes.length;
  }

  /**
   * Whether the log is worth compacting: past its minimum size, and at least
   * three times as large as its live content (records a later one replaced
   * or deleted are stale). A log that only grows with new records, as in a
   * first build, is never compacted.
   */
  get wantsCompaction(): boolean {
    return this.#size > COMPACT_MIN_BYTES && 3 * this.#lines.stale > 2 * this.#size;
  }

  /**
   * Rewrites the log with exactly the given records, atomically.
   * @param run The engine's current run.
   * @param records Every live record.
   */
  compact(run: number, records: StoreRecord[]): void {
    if (this.#file === undefined) return;
    const tmp = this.#path + ".tmp";
    const strings = new Strings();
    const lines = new LineLengths(records.length);
    const out = Deno.openSync(tmp, { create: true, write: true, truncate: true });
    try {
      writeAll(out, header());
      writeAll(out, frame(run, records, strings, false, lines));
      out.syncSync();
    } finally {
      out.close();
    }
    Deno.renameSync(tmp, this.#path);
    this.#file.close();
    this.#file = Deno.openSync(this.#path, { read: true, write: true });
    this.#size = this.#file.seekSync(0, Deno.SeekMode.End);
    this.#lines = lines;
    this.#strings = strings;
  }

  /** Closes the log and releases the lock. */
  close(): void {
    this.#file?.close();
    this.#lock?.close();
    this.#file = this.#lock = undefined;
  }
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
 * The length of each id's current record line, and how much of the log
 * later records made stale: what decides a compaction. Lengths are counted
 * in characters, about the bytes of lines that are mostly ASCII.
 */
class LineLengths {
  #length: Uint32Array;
  /** Characters of lines replaced by a later record, deletions included. */
  stale = 0;

  constructor(capacity: number) {
    this.#length = new Uint32Array(Math.max(capacity, 16));
  }

  /**
   * Counts a line written (or loaded) after every earlier one.
   * @param id The place of the record's id in the string table.
   * @param length The line's length, its newline included.
   * @param deletion Whether the record deletes the id's cell.
   */
  add(id: number, length: number, deletion: boolean): void {
    if (id >= this.#length.length) {
      const grown = new Uint32Array(Math.max(id + 1, 2 * this.#length.length));
      grown.set(this.#length);
      this.#length = grown;
    }
    this.stale += this.#length[id];
    if (deletion) this.stale += length;
    this.#length[id] = deletion ? 0 : length;
  }
}

/** No record for an id, or one already taken. */
const NONE = -1;

interface Loaded {
  records: LoadedRecords;
  strings: Strings;
  lines: LineLengths;
  lastRun: number;
  validBytes: number;
  fileBytes: number;
}

/** A frame that checked out: its payload's text, and where its records begin. */
interface FrameText {
  text: string;
  recordsAt: number;
}

function load(path: string, warn: (message: string) => void): Loaded {
  const empty = (fileBytes: number): Loaded => ({
    records: {
      texts: [],
      frame: new Int32Array(0),
      start: new Uint32Array(0),
      end: new Uint32Array(0),
    },
    strings: new Strings(),
    lines: new LineLengths(0),
    lastRun: 0,
    validBytes: 0,
    fileBytes,
  });
  let data: Uint8Array;
  try {
    data = Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return empty(0);
    throw error;
  }
  if (data.length === 0) return empty(0);
  if (data.length < HEADER || !MAGIC.every((b, i) => data[i] === b)) {
    warn(`Store ${path} is not a barchan store or is damaged at its start; starting afresh`);
    return empty(data.length);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint32(MAGIC.length, true);
  if (version !== VERSION) {
    warn(`Store ${path} has format ${version}, this version reads ${VERSION}; starting afresh`);
    return empty(data.length);
  }
  // First the frames' headers, which make the string table; then, knowing
  // its size, where each record is.
  const frames: FrameText[] = [];
  const strings = new Strings();
  let lastRun = 0;
  let offset = HEADER;
  const decoder = new TextDecoder();
  while (offset < data.length) {
    if (data.length - offset < FRAME_HEAD) break;
    const length = view.getUint32(offset, true);
    const start = offset + FRAME_HEAD;
    if (start + length > data.length) break;
    const payload = data.subarray(start, start + length);
    try {
      if (checksumOf(payload) !== view.getUint32(offset + 4, true)) throw new Error("checksum");
      const text = decoder.decode(payload);
      const newline = text.indexOf("\n");
      const head = JSON.parse(newline < 0 ? text : text.slice(0, newline)) as {
        r: number;
        s: string[];
      };
      if (!Array.isArray(head.s) || typeof head.r !== "number") throw new Error("bad frame");
      strings.addLoaded(head.s);
      if (head.r > lastRun) lastRun = head.r;
      frames.push({ text, recordsAt: newline < 0 ? text.length : newline + 1 });
    } catch {
      warn(`Store ${path} is corrupted at byte ${offset}; starting afresh`);
      return empty(data.length);
    }
    offset = start + length;
  }
  if (offset < data.length) {
    warn(
      `Store ${path} ends in an incomplete record (an interrupted write); ` +
        `dropped its last ${data.length - offset} bytes`,
    );
  }
  const size = strings.list.length;
  const records: LoadedRecords = {
    texts: frames.map((f) => f.text),
    frame: new Int32Array(size).fill(NONE),
    start: new Uint32Array(size),
    end: new Uint32Array(size),
  };
  const lines = new LineLengths(size);
  for (let f = 0; f < frames.length; f++) {
    const { text, recordsAt } = frames[f];
    for (let at = recordsAt; at < text.length;) {
      let end = text.indexOf("\n", at);
      if (end < 0) end = text.length;
      const id = recordId(text, at, end);
      if (id < 0 || id >= size) {
        warn(`Store ${path} is corrupted in a record of its frame ${f + 1}; starting afresh`);
        return empty(data.length);
      }
      const deletion = text.charCodeAt(at + 1) - 48 === DELETION;
      lines.add(id, end - at + 1, deletion);
      records.frame[id] = deletion ? NONE : f;
      records.start[id] = at;
      records.end[id] = end;
      at = end + 1;
    }
  }
  return { records, strings, lines, lastRun, validBytes: offset, fileBytes: data.length };
}

/**
 * The id index a record's line starts with (`[kind,id#,` or `[kind,id#]`),
 * or -1 when the line is not shaped so.
 */
function recordId(text: string, start: number, end: number): number {
  const kind = text.charCodeAt(start + 1) - 48;
  if (text.charCodeAt(start) !== 91 || !(kind >= 0 && kind < KINDS.length)) return -1;
  if (text.charCodeAt(start + 2) !== 44) return -1;
  let id = 0;
  let at = start + 3;
  for (; at < end; at++) {
    const digit = text.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) break;
    id = id * 10 + digit;
  }
  const after = text.charCodeAt(at);
  return at > start + 3 && (after === 44 || after === 93) ? id : -1;
}

function encode(r: StoreRecord, s: Strings, indexed: boolean): unknown[] {
  const id = indexed && r.ix !== undefined && r.ix >= 0 ? r.ix : s.intern(r.id);
  const known = indexed ? r.dx as number[] | undefined : undefined;
  switch (r.t) {
    case "m":
      return [
        0,
        id,
        s.intern(r.n as string),
        s.intern(r.h as string),
        r.i,
        r.v,
        (r.d as string[]).map((d, k) =>
          known !== undefined && known[k] >= 0 ? known[k] : s.intern(d)
        ),
        r.b,
        r.c,
      ];
    case "f":
      return [1, id, r.g, r.m, r.s, r.n, r.x, r.w, r.c];
    case "l":
      return [2, id, r.p, r.q, r.k, r.g, r.c];
    case "e":
      return [3, id, r.k, r.g, r.c];
    case "v":
      return [4, id, r.k, r.g, r.c];
    case "i":
      return [5, id, r.g, r.c];
    default:
      return [6, id];
  }
}

function decode(a: readonly unknown[], list: readonly string[]): StoreRecord {
  const t = KINDS[a[0] as number];
  const id = list[a[1] as number];
  if (t === undefined || id === undefined) throw new Error("bad record");
  switch (t) {
    case "m":
      return {
        t,
        id,
        n: list[a[2] as number],
        h: list[a[3] as number],
        i: a[4],
        v: a[5],
        d: (a[6] as number[]).map((d) => list[d]),
        b: a[7],
        c: a[8],
      };
    case "f":
      return {
        t,
        id,
        p: id.slice(2),
        g: a[2],
        m: a[3],
        s: a[4],
        n: a[5],
        x: a[6],
        w: a[7],
        c: a[8],
      };
    case "l":
      return { t, id, p: a[2], q: a[3], k: a[4], g: a[5], c: a[6] };
    case "e":
      return { t, id, k: a[2], g: a[3], c: a[4] };
    case "v":
      return { t, id, k: a[2], g: a[3], c: a[4] };
    case "i":
      return { t, id, k: id.slice(2), g: a[2], c: a[3] };
    default:
      return { t, id };
  }
}

function header(): Uint8Array {
  const out = new Uint8Array(HEADER);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(MAGIC.length, VERSION, true);
  return out;
}

function frame(
  run: number,
  records: StoreRecord[],
  strings: Strings,
  indexed: boolean,
  lengths: LineLengths,
): Uint8Array {
  strings.fresh = [];
  const lines = records.map((r) => {
    const encoded = encode(r, strings, indexed);
    const line = JSON.stringify(encoded);
    lengths.add(encoded[1] as number, line.length + 1, encoded[0] === DELETION);
    return line;
  });
  const head = JSON.stringify({ r: run, s: strings.fresh });
  strings.fresh = [];
  const payload = new TextEncoder().encode(head + "\n" + lines.join("\n"));
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

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}
