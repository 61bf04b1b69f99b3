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
 * multiple of 8 bytes from the payload's start):
 *
 * ```
 * 8 bytes   "\0BCHCKP1"
 * u32       run             u32  cells (n)
 * u32       strings (s)     u32  string characters (c)
 * u32       blob bytes (b)  u32  dependency entries (d)
 * u32       other bytes (o) u32  digest characters (g)
 * u32[s+1]  where each string starts in the table's text, in UTF-16 units
 * u8[b]     the table's text: every string, one after another, UTF-8
 * i32[n]    each cell's id, as a table index
 * i8[n]     kind (0 node, 1 file, 2 listing, 3 environment variable, 4 var, 5 input)
 * u8[n]     flags (node: 1 failed; file: 1 trusted)
 * i32[n]    changedAt
 * i32[n]    builtAt (nodes)
 * u32[n+1]  where each node's dependencies start in the next array
 * i32[d]    dependencies, as table indexes
 * f64[n]×4  mtime, size, inode, ctime (files)
 * u8[g]     file digests, 22 characters each (ASCII); "-" and "/" padded with spaces
 * u8[o]     the other leaves' records (listings, environment variables), as a JSON array
 * ```
 *
 * Strings are decoded as one text and cut by their offsets: a process that
 * checks 20,000 files pays one decode, not 20,000.
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
const MAGIC = "\0BCHCKP1";
const DIGEST_CHARS = 22;

/**
 * What the log holds, by the place of each cell's id in the string table:
 * the fields verification compares. Columns grow with the table.
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
  /** Node dependencies, as table indexes. */
  deps: (readonly number[] | Int32Array | undefined)[] = [];
  /** File digests. */
  digest: (string | undefined)[] = [];
  /** The records of other leaves (listings, environment variables, vars, inputs). */
  other: (readonly unknown[] | undefined)[] = [];
  /** How many cells the summary holds. */
  cells = 0;

  /** Makes room for table indexes below `size`. */
  reserve(size: number): void {
    if (size <= this.kind.length) return;
    const n = Math.max(size, 2 * this.kind.length, 64);
    const grow = <T extends Int8Array | Uint8Array | Int32Array | Float64Array>(
      old: T,
      make: (n: number) => T,
    ): T => {
      const next = make(n);
      next.set(old as ArrayLike<number>);
      return next;
    };
    const oldLength = this.kind.length;
    this.kind = grow(this.kind, (k) => new Int8Array(k));
    this.kind.fill(NONE, oldLength);
    this.flags = grow(this.flags, (k) => new Uint8Array(k));
    this.changedAt = grow(this.changedAt, (k) => new Int32Array(k));
    this.builtAt = grow(this.builtAt, (k) => new Int32Array(k));
    this.mtime = grow(this.mtime, (k) => new Float64Array(k));
    this.size = grow(this.size, (k) => new Float64Array(k));
    this.ino = grow(this.ino, (k) => new Float64Array(k));
    this.ctime = grow(this.ctime, (k) => new Float64Array(k));
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
    if (kind === DELETION) {
      if (had) this.cells--;
      this.kind[i] = NONE;
      this.deps[i] = this.digest[i] = this.other[i] = undefined;
      return;
    }
    if (!had) this.cells++;
    this.kind[i] = kind;
    this.deps[i] = this.digest[i] = this.other[i] = undefined;
    this.flags[i] = 0;
    this.builtAt[i] = 0;
    switch (kind) {
      case NODE: {
        this.deps[i] = record[6] as number[];
        this.builtAt[i] = record[7] as number;
        this.changedAt[i] = record[8] as number;
        const extra = record[9] as { f?: number } | undefined;
        if (extra?.f !== undefined) this.flags[i] = FLAG;
        return;
      }
      case FILE:
        this.digest[i] = record[2] as string;
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
    const cells: number[] = [];
    for (let i = 0; i < this.kind.length; i++) if (this.kind[i] !== NONE) cells.push(i);
    const n = cells.length;
    let d = 0;
    for (const i of cells) d += this.deps[i]?.length ?? 0;
    const others: unknown[] = [];
    for (const i of cells) {
      const k = this.kind[i];
      if (k !== NODE && k !== FILE) others.push(this.other[i]);
    }
    const other = encoder.encode(JSON.stringify(others));
    const writer = new Writer();
    writer.text(MAGIC);
    const counts = [
      run,
      n,
      strings.length,
      text.length,
      blob.length,
      d,
      other.length,
      n * DIGEST_CHARS,
    ];
    writer.u32s(counts);
    const offsets = new Uint32Array(strings.length + 1);
    let at = 0;
    for (let s = 0; s < strings.length; s++) {
      offsets[s] = at;
      at += strings[s].length;
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
    const mtime = new Float64Array(n);
    const size = new Float64Array(n);
    const ino = new Float64Array(n);
    const ctime = new Float64Array(n);
    const digests = new Uint8Array(n * DIGEST_CHARS).fill(32);
    let next = 0;
    for (let c = 0; c < n; c++) {
      const i = cells[c];
      ids[c] = i;
      kinds[c] = this.kind[i];
      flags[c] = this.flags[i];
      changed[c] = this.changedAt[i];
      built[c] = this.builtAt[i];
      depStart[c] = next;
      const list = this.deps[i];
      if (list !== undefined) { for (let k = 0; k < list.length; k++) deps[next++] = list[k]; }
      if (this.kind[i] === FILE) {
        mtime[c] = this.mtime[i];
        size[c] = this.size[i];
        ino[c] = this.ino[i];
        ctime[c] = this.ctime[i];
        encoder.encodeInto(
          this.digest[i]!,
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
    // A copy, so that every section is aligned for its typed array.
    const reader = new Reader(payload.slice());
    reader.skip(MAGIC.length);
    const [run, n, s, chars, b, d, o, g] = reader.u32s(8);
    const offsets = reader.section(s + 1, Uint32Array);
    const text = new TextDecoder().decode(reader.section(b, Uint8Array));
    if (text.length !== chars) return undefined;
    const strings = new Array<string>(s);
    for (let k = 0; k < s; k++) strings[k] = text.slice(offsets[k], offsets[k + 1]);
    const ids = reader.section(n, Int32Array);
    const kinds = reader.section(n, Int8Array);
    const flags = reader.section(n, Uint8Array);
    const changed = reader.section(n, Int32Array);
    const built = reader.section(n, Int32Array);
    const depStart = reader.section(n + 1, Uint32Array);
    const deps = reader.section(d, Int32Array);
    const mtime = reader.section(n, Float64Array);
    const size = reader.section(n, Float64Array);
    const ino = reader.section(n, Float64Array);
    const ctime = reader.section(n, Float64Array);
    const digests = new TextDecoder().decode(reader.section(g, Uint8Array));
    const others = JSON.parse(
      new TextDecoder().decode(reader.section(o, Uint8Array)),
    ) as unknown[][];
    const summary = new Summary();
    summary.reserve(s);
    let otherAt = 0;
    for (let c = 0; c < n; c++) {
      const i = ids[c];
      const kind = kinds[c];
      summary.kind[i] = kind;
      summary.flags[i] = flags[c];
      summary.changedAt[i] = changed[c];
      summary.builtAt[i] = built[c];
      if (kind === NODE) summary.deps[i] = deps.subarray(depStart[c], depStart[c + 1]);
      else if (kind === FILE) {
        summary.mtime[i] = mtime[c];
        summary.size[i] = size[c];
        summary.ino[i] = ino[c];
        summary.ctime[i] = ctime[c];
        summary.digest[i] = digests.slice(c * DIGEST_CHARS, (c + 1) * DIGEST_CHARS).trimEnd();
      } else summary.other[i] = others[otherAt++];
    }
    summary.cells = n;
    return { summary, strings, run };
  }
}

/** A checkpoint read back. */
export interface DecodedCheckpoint {
  /** The summary. */
  summary: Summary;
  /** The string table as it was when the checkpoint was written. */
  strings: string[];
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
