/**
 * The store's summary: for every cell its log holds, what verifying it needs
 * and nothing more (no values, no inputs): a node's dependencies, when it was
 * built and when its outcome changed, whether it failed; a leaf's recorded
 * state. It is derived from the records, kept up to date as records are
 * appended, and written now and then into the log as a checkpoint frame,
 * together with the string table as it was then.
 *
 * A later process reads the last checkpoint and the frames after it, and
 * nothing before: that is enough to tell whether a request's root and
 * everything under it is still as recorded (see `memo/verify_root.ts`),
 * without decoding any record of the log's earlier frames.
 *
 * The checkpoint is binary, so that a process reads it without parsing text
 * number by number (all integers little-endian, each section starting at a
 * multiple of 8 bytes from the payload's start; cells are files first, so
 * that the columns only files have are as long as there are files):
 *
 * ```
 * 8 bytes   "\0BCHCKP2"
 * u32       run             u32  cells (n)
 * u32       strings (s)     u32  string characters (c)
 * u32       blob bytes (b)  u32  dependency entries (d)
 * u32       other bytes (o) u32  files (f)
 * u32[s+1]  where each string starts in the table's text, in UTF-16 units
 * u8[b]     the table's text: every string, one after another, UTF-8
 * i32[n]    each cell's id, as a table index
 * i8[n]     kind (0 node, 1 file, 2 listing, 3 environment variable, 4 var, 5 input)
 * u8[n]     flags (node: 1 failed; file: 1 trusted)
 * i32[n]    changedAt
 * i32[n]    builtAt (nodes)
 * u32[n+1]  where each node's dependencies start in the next array
 * i32[d]    dependencies, as table indexes
 * f64[f]×4  mtime, size, inode, ctime (files)
 * u8[22f]   file digests, 22 characters each (ASCII); "-" and "/" padded with spaces
 * u8[o]     the other leaves' records (listings, environment variables), as a JSON array
 * ```
 *
 * The table's text is decoded as one string and cut by its offsets when a
 * string is asked for (`CheckpointStrings`): a check reaching 20,000 files
 * makes those 20,000 strings, not the table's 60,000.
 *
 * @module
 */

/** Cell kinds, as records number them (store.ts). */
export const NODE = 0;
/** A file leaf record. */
export const FILE = 1;
/** A listing or glob leaf record. */
export const LISTING = 2;
/** An environment variable leaf record. */
export const ENV = 3;
/** A var leaf record. */
export const VAR = 4;
/** An input leaf record. */
export const INPUT = 5;
/** A deletion record. */
export const DELETION = 6;

/** A node's failed flag, and a file's trusted flag. */
const FLAG = 1;
const NONE = -1;
const MAGIC = "\0BCHCKP2";
const DIGEST_CHARS = 22;

/**
 * What the log holds, by the place of each cell's id in the string table:
 * the fields verification compares. Columns grow with the table. A
 * summary read from a checkpoint keeps the checkpoint's dependencies and
 * digests where they are, and makes an array or a string of one only when
 * asked ({@linkcode Summary.depsOf}, {@linkcode Summary.digestOf}).
 */
export class Summary {
  /** Kind of the cell whose id is at each table index, -1 where none is. */
  kind: Int8Array = new Int8Array(0).fill(NONE);
  /** Node: 1 when its last execution failed. File: 1 when its stat fields vouch for its digest. */
  flags: Uint8Array = new Uint8Array(0);
  changedAt: Int32Array = new Int32Array(0);
  builtAt: Int32Array = new Int32Array(0);
  mtime: Float64Array = new Float64Array(0);
  size: Float64Array = new Float64Array(0);
  ino: Float64Array = new Float64Array(0);
  ctime: Float64Array = new Float64Array(0);
  /** The records of other leaves (listings, environment variables, vars, inputs). */
  other: (readonly unknown[] | undefined)[] = [];
  /** How many cells the summary holds. */
  cells = 0;
  /** Dependencies of nodes the checkpoint held: where each node's are in `#depPool`, -1 for none. */
  #depFrom: Int32Array = new Int32Array(0);
  #depTo: Int32Array = new Int32Array(0);
  #depPool: Int32Array = new Int32Array(0);
  /** Dependencies of nodes recorded after the checkpoint. */
  #deps = new Map<number, readonly number[]>();
  /** Digests of files the checkpoint held: where each is in `#digestText`, -1 for none. */
  #digestAt: Int32Array = new Int32Array(0);
  #digestText = "";
  /** Digests of files recorded after the checkpoint. */
  #digests = new Map<number, string>();

  /** Makes room for table indexes below `size`. */
  reserve(size: number): void {
    if (size <= this.kind.length) return;
    const n = Math.max(size, 2 * this.kind.length, 64);
    const grow = <T extends Int8Array | Uint8Array | Int32Array | Float64Array>(
      old: T,
      make: (n: number) => T,
      fill?: number,
    ): T => {
      const next = make(n);
      next.set(old as ArrayLike<number>);
      if (fill !== undefined) next.fill(fill, old.length);
      return next;
    };
    this.kind = grow(this.kind, (k) => new Int8Array(k), NONE);
    this.flags = grow(this.flags, (k) => new Uint8Array(k));
    this.changedAt = grow(this.changedAt, (k) => new Int32Array(k));
    this.builtAt = grow(this.builtAt, (k) => new Int32Array(k));
    this.mtime = grow(this.mtime, (k) => new Float64Array(k));
    this.size = grow(this.size, (k) => new Float64Array(k));
    this.ino = grow(this.ino, (k) => new Float64Array(k));
    this.ctime = grow(this.ctime, (k) => new Float64Array(k));
    this.#depFrom = grow(this.#depFrom, (k) => new Int32Array(k), -1);
    this.#depTo = grow(this.#depTo, (k) => new Int32Array(k), -1);
    this.#digestAt = grow(this.#digestAt, (k) => new Int32Array(k), -1);
  }

  /** A node's dependencies, as table indexes. */
  depsOf(i: number): ArrayLike<number> {
    const recorded = this.#deps.get(i);
    if (recorded !== undefined) return recorded;
    const from = this.#depFrom[i];
    return from < 0 ? [] : this.#depPool.subarray(from, this.#depTo[i]);
  }

  /** A file's digest. */
  digestOf(i: number): string {
    const recorded = this.#digests.get(i);
    if (recorded !== undefined) return recorded;
    const at = this.#digestAt[i];
    return at < 0 ? "" : this.#digestText.slice(at, at + DIGEST_CHARS).trimEnd();
  }

  /**
   * Takes in one record, as the log encodes it (an array whose first
   * element is its kind and second the table index of its id).
   * @param record The encoded record.
   */
  apply(record: readonly unknown[]): void {
    const kind = record[0] as number;
    const i = record[1] as number;
    this.reserve(i + 1);
    const had = this.kind[i] !== NONE;
    this.#depFrom[i] = -1;
    this.#digestAt[i] = -1;
    this.#deps.delete(i);
    this.#digests.delete(i);
    this.other[i] = undefined;
    if (kind === DELETION) {
      if (had) this.cells--;
      this.kind[i] = NONE;
      return;
    }
    if (!had) this.cells++;
    this.kind[i] = kind;
    this.flags[i] = 0;
    this.builtAt[i] = 0;
    switch (kind) {
      case NODE: {
        this.#deps.set(i, record[6] as number[]);
        this.builtAt[i] = record[7] as number;
        this.changedAt[i] = record[8] as number;
        const extra = record[9] as { f?: number } | undefined;
        if (extra?.f !== undefined) this.flags[i] = FLAG;
        return;
      }
      case FILE:
        this.#digests.set(i, record[2] as string);
        this.mtime[i] = record[3] as number;
        this.size[i] = record[4] as number;
        this.ino[i] = record[5] as number;
        this.ctime[i] = record[6] as number;
        this.flags[i] = record[7] === 1 ? FLAG : 0;
        this.changedAt[i] = record[8] as number;
        return;
      default:
        this.other[i] = record;
        this.changedAt[i] = record[record.length - 1] as number;
    }
  }

  /** Whether the node at table index `i` failed in its last execution. */
  failed(i: number): boolean {
    return this.flags[i] === FLAG;
  }

  /** Whether the file at table index `i` has stat fields that vouch for its digest. */
  trusted(i: number): boolean {
    return this.flags[i] === FLAG;
  }

  /** @internal Takes a checkpoint's dependencies and digests as they are laid out there. */
  adopt(
    depFrom: Int32Array,
    depTo: Int32Array,
    depPool: Int32Array,
    digestAt: Int32Array,
    digestText: string,
  ): void {
    this.#depFrom = depFrom;
    this.#depTo = depTo;
    this.#depPool = depPool;
    this.#digestAt = digestAt;
    this.#digestText = digestText;
  }

  /**
   * The checkpoint payload: this summary and the string table.
   * @param run The run the checkpoint is written in.
   * @param strings The whole string table.
   * @returns The payload, to be written as one frame.
   */
  encode(run: number, strings: readonly string[]): Uint8Array {
    const encoder = new TextEncoder();
    const text = strings.join("");
    const blob = encoder.encode(text);
    const files: number[] = [];
    const rest: number[] = [];
    for (let i = 0; i < this.kind.length; i++) {
      const k = this.kind[i];
      if (k === FILE) files.push(i);
      else if (k !== NONE) rest.push(i);
    }
    const cells = files.concat(rest);
    const n = cells.length;
    const f = files.length;
    let d = 0;
    for (const i of rest) if (this.kind[i] === NODE) d += this.depsOf(i).length;
    const others: unknown[] = [];
    for (const i of rest) if (this.kind[i] !== NODE) others.push(this.other[i]);
    const other = encoder.encode(JSON.stringify(others));
    const writer = new Writer();
    writer.text(MAGIC);
    writer.u32s([run, n, strings.length, text.length, blob.length, d, other.length, f]);
    const offsets = new Uint32Array(strings.length + 1);
    let at = 0;
    for (let k = 0; k < strings.length; k++) {
      offsets[k] = at;
      at += strings[k].length;
    }
    offsets[strings.length] = at;
    writer.section(offsets);
    writer.section(blob);
    const ids = new Int32Array(n);
    const kinds = new Int8Array(n);
    const flags = new Uint8Array(n);
    const changed = new Int32Array(n);
    const built = new Int32Array(n);
    const depStart = new Uint32Array(n + 1);
    const deps = new Int32Array(d);
    const mtime = new Float64Array(f);
    const size = new Float64Array(f);
    const ino = new Float64Array(f);
    const ctime = new Float64Array(f);
    const digests = new Uint8Array(f * DIGEST_CHARS).fill(32);
    let next = 0;
    for (let c = 0; c < n; c++) {
      const i = cells[c];
      ids[c] = i;
      kinds[c] = this.kind[i];
      flags[c] = this.flags[i];
      changed[c] = this.changedAt[i];
      built[c] = this.builtAt[i];
      depStart[c] = next;
      if (this.kind[i] === NODE) {
        const list = this.depsOf(i);
        for (let k = 0; k < list.length; k++) deps[next++] = list[k];
      }
      if (c < f) {
        mtime[c] = this.mtime[i];
        size[c] = this.size[i];
        ino[c] = this.ino[i];
        ctime[c] = this.ctime[i];
        encoder.encodeInto(
          this.digestOf(i),
          digests.subarray(c * DIGEST_CHARS, (c + 1) * DIGEST_CHARS),
        );
      }
    }
    depStart[n] = next;
    for (
      const section of [ids, kinds, flags, changed, built, depStart, deps, mtime, size, ino, ctime]
    ) {
      writer.section(section);
    }
    writer.section(digests);
    writer.section(other);
    return writer.bytes();
  }

  /**
   * Reads a checkpoint payload back.
   * @param payload What {@linkcode Summary.encode} wrote.
   * @returns The summary, the string table and the run it was written in;
   * undefined when the payload is not a checkpoint.
   */
  static decode(payload: Uint8Array): DecodedCheckpoint | undefined {
    if (!isCheckpoint(payload)) return undefined;
    // Sections are aligned for their typed arrays in a payload at the start of its buffer.
    const reader = new Reader(payload.byteOffset === 0 ? payload : payload.slice());
    reader.skip(MAGIC.length);
    const [run, n, s, chars, b, d, o, f] = reader.u32s(8);
    const offsets = reader.section(s + 1, Uint32Array);
    const text = new TextDecoder().decode(reader.section(b, Uint8Array));
    if (text.length !== chars || offsets[s] !== chars) return undefined;
    const ids = reader.section(n, Int32Array);
    const kinds = reader.section(n, Int8Array);
    const flags = reader.section(n, Uint8Array);
    const changed = reader.section(n, Int32Array);
    const built = reader.section(n, Int32Array);
    const depStart = reader.section(n + 1, Uint32Array);
    const deps = reader.section(d, Int32Array);
    const mtime = reader.section(f, Float64Array);
    const size = reader.section(f, Float64Array);
    const ino = reader.section(f, Float64Array);
    const ctime = reader.section(f, Float64Array);
    const digests = new TextDecoder().decode(reader.section(f * DIGEST_CHARS, Uint8Array));
    const others = JSON.parse(
      new TextDecoder().decode(reader.section(o, Uint8Array)),
    ) as unknown[][];
    const summary = new Summary();
    summary.reserve(s);
    const depFrom = new Int32Array(summary.kind.length).fill(-1);
    const depTo = new Int32Array(summary.kind.length).fill(-1);
    const digestAt = new Int32Array(summary.kind.length).fill(-1);
    let otherAt = 0;
    for (let c = 0; c < n; c++) {
      const i = ids[c];
      const kind = kinds[c];
      summary.kind[i] = kind;
      summary.flags[i] = flags[c];
      summary.changedAt[i] = changed[c];
      summary.builtAt[i] = built[c];
      if (kind === NODE) {
        depFrom[i] = depStart[c];
        depTo[i] = depStart[c + 1];
      } else if (kind === FILE) {
        summary.mtime[i] = mtime[c];
        summary.size[i] = size[c];
        summary.ino[i] = ino[c];
        summary.ctime[i] = ctime[c];
        digestAt[i] = c * DIGEST_CHARS;
      } else summary.other[i] = others[otherAt++];
    }
    summary.adopt(depFrom, depTo, deps, digestAt, digests);
    summary.cells = n;
    return { summary, strings: new CheckpointStrings(text, offsets), run };
  }
}

/**
 * The string table a checkpoint holds, cut out of its text when asked for.
 */
export class CheckpointStrings {
  readonly #text: string;
  readonly #offsets: Uint32Array;

  constructor(text: string, offsets: Uint32Array) {
    this.#text = text;
    this.#offsets = offsets;
  }

  /** How many strings there are. */
  get length(): number {
    return this.#offsets.length - 1;
  }

  /** The string at index `i`. */
  at(i: number): string {
    return this.#text.slice(this.#offsets[i], this.#offsets[i + 1]);
  }

  /** The index of a string, or -1, found by searching the text. */
  indexOf(s: string): number {
    const text = this.#text;
    const offsets = this.#offsets;
    for (let at = text.indexOf(s); at >= 0; at = text.indexOf(s, at + 1)) {
      // A match that starts a string and ends where the next one starts.
      let lo = 0;
      let hi = offsets.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (offsets[mid] < at) lo = mid + 1;
        else hi = mid;
      }
      // Empty strings share their offset with the string after them.
      for (; lo < offsets.length - 1 && offsets[lo] === at; lo++) {
        if (offsets[lo + 1] === at + s.length) return lo;
      }
    }
    return -1;
  }

  /** Every string, as an array. */
  toArray(): string[] {
    const out = new Array<string>(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.at(i);
    return out;
  }
}

/** A checkpoint read back. */
export interface DecodedCheckpoint {
  /** The summary. */
  summary: Summary;
  /** The string table as it was when the checkpoint was written. */
  strings: CheckpointStrings;
  /** The run the checkpoint was written in. */
  run: number;
}

/**
 * Whether a frame's payload is a checkpoint (record frames are JSON text).
 * @param payload The payload.
 * @returns True for a checkpoint.
 */
export function isCheckpoint(payload: Uint8Array): boolean {
  if (payload.length < MAGIC.length) return false;
  for (let k = 0; k < MAGIC.length; k++) if (payload[k] !== MAGIC.charCodeAt(k)) return false;
  return true;
}

type Section = Int8Array | Uint8Array | Int32Array | Uint32Array | Float64Array;

class Writer {
  #parts: Uint8Array[] = [];
  #length = 0;

  text(text: string): void {
    this.#push(new TextEncoder().encode(text));
  }

  u32s(values: number[]): void {
    this.#push(new Uint8Array(new Uint32Array(values).buffer));
    this.#align();
  }

  section(array: Section): void {
    this.#push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    this.#align();
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  #push(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    this.#length += bytes.length;
  }

  #align(): void {
    const pad = (8 - this.#length % 8) % 8;
    if (pad > 0) this.#push(new Uint8Array(pad));
  }
}

class Reader {
  #buffer: ArrayBuffer;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#buffer = bytes.buffer as ArrayBuffer;
  }

  skip(n: number): void {
    this.#at += n;
  }

  u32s(count: number): number[] {
    const values = [...new Uint32Array(this.#buffer, this.#at, count)];
    this.#at += count * 4;
    this.#align();
    return values;
  }

  section<T extends Section>(
    count: number,
    Kind: {
      new (buffer: ArrayBuffer, offset: number, length: number): T;
      BYTES_PER_ELEMENT: number;
    },
  ): T {
    const bytes = count * Kind.BYTES_PER_ELEMENT;
    if (this.#at + bytes > this.#buffer.byteLength) throw new RangeError("checkpoint cut short");
    const array = new Kind(this.#buffer, this.#at, count);
    this.#at += bytes;
    this.#align();
    return array;
  }

  #align(): void {
    this.#at += (8 - this.#at % 8) % 8;
  }
}
