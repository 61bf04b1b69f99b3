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
 * number by number, nor visiting each cell: its columns are used where they
 * are (all integers little-endian, each section starting at a multiple of 8
 * bytes from the payload's start; cells are files first, so that the
 * columns only files have are as long as there are files):
 *
 * ```
 * 8 bytes   "\0BCHCKP4"
 * u32       run             u32  cells (n)
 * u32       strings (s)     u32  string characters (c)
 * u32       blob bytes (b)  u32  dependency entries (d)
 * u32       other bytes (o) u32  files (f)
 * u32[s+1]  where each string starts in the table's text, in UTF-16 units
 * u8[b]     the table's text: every string, one after another, UTF-8
 * i32[s]    the cell whose id each table entry is, -1 for none
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
 * u32       root index entries (r)
 * i32[r]    the roots asked for when it was written: per root, its table index,
 *           whether it was clean (1) or not (0), how many leaves and nodes are
 *           under it (itself included), then those leaves and nodes, each sorted
 * ```
 *
 * The table's text is decoded as one string and cut by its offsets when a
 * string is asked for (`CheckpointStrings`): a check reaching 20,000 files
 * makes those 20,000 strings, not the table's 60,000.
 *
 * The root index lets a check of such a root stat its leaves without walking
 * its graph, as long as no record since the checkpoint changed a value
 * under it (`Summary#rootIndex`).
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
/** A record that a root was verified (not a cell). */
export const VERIFIED = 7;

/** A node's failed flag, and a file's trusted flag. */
const FLAG = 1;
const NONE = -1;
const MAGIC = "\0BCHCKP4";
const DIGEST_CHARS = 22;

/** A cell recorded after the checkpoint was read (or one a record deleted: null). */
interface Entry {
  kind: number;
  flags: number;
  changedAt: number;
  builtAt: number;
  deps?: readonly number[];
  digest?: string;
  mtime?: number;
  size?: number;
  ino?: number;
  ctime?: number;
  other?: readonly unknown[];
}

/** The columns of a checkpoint, by cell (files first), as read. */
interface Base {
  cellOf: Int32Array;
  ids: Int32Array;
  kinds: Int8Array;
  flags: Uint8Array;
  changed: Int32Array;
  built: Int32Array;
  depStart: Uint32Array;
  deps: Int32Array;
  mtime: Float64Array;
  size: Float64Array;
  ino: Float64Array;
  ctime: Float64Array;
  digests: string;
  others: Map<number, readonly unknown[]>;
  roots: Map<number, RootIndex>;
}

/** What a checkpoint says of one root asked for: what lies under it, and whether it was clean. */
export interface RootIndex {
  /** Whether, when the checkpoint was written, nothing under the root called for executing it. */
  readonly clean: boolean;
  /** The leaves under it, sorted table indexes. */
  readonly leaves: Int32Array;
  /** The nodes under it (itself included), sorted table indexes. */
  readonly nodes: Int32Array;
}

const EMPTY: Base = {
  cellOf: new Int32Array(0),
  ids: new Int32Array(0),
  kinds: new Int8Array(0),
  flags: new Uint8Array(0),
  changed: new Int32Array(0),
  built: new Int32Array(0),
  depStart: new Uint32Array(1),
  deps: new Int32Array(0),
  mtime: new Float64Array(0),
  size: new Float64Array(0),
  ino: new Float64Array(0),
  ctime: new Float64Array(0),
  digests: "",
  others: new Map(),
  roots: new Map(),
};

/**
 * What the log holds, by the place of each cell's id in the string table:
 * the fields verification compares. The cells of a checkpoint stay in its
 * columns, read where they are; cells recorded since are kept beside them.
 */
export class Summary {
  #base: Base = EMPTY;
  #entries = new Map<number, Entry | null>();
  /**
   * Cells recorded since the checkpoint with another value than it holds
   * (not only other stat fields): a root index with one under it is stale.
   */
  #touched = new Set<number>();
  /** The order cells were touched in, and roots marked verified (see `rootIndex`). */
  #touchedAt = new Map<number, number>();
  #verifiedAt = new Map<number, number>();
  #applied = 0;
  /** Nodes recorded since the checkpoint with other dependencies than it holds (or deleted). */
  #reshaped = new Set<number>();
  /** How many cells the summary holds. */
  cells = 0;

  /** The base cell of table index `i`, unless a later record replaced it; -1 otherwise. */
  #cell(i: number): number {
    return this.#entries.has(i) || i >= this.#base.cellOf.length ? -1 : this.#base.cellOf[i];
  }

  /** The kind of the cell whose id is at table index `i`, -1 when there is none. */
  kindOf(i: number): number {
    const entry = this.#entries.get(i);
    if (entry !== undefined) return entry === null ? NONE : entry.kind;
    const c = i < this.#base.cellOf.length ? this.#base.cellOf[i] : -1;
    return c < 0 ? NONE : this.#base.kinds[c];
  }

  /** The run its value (a node's: outcome) last changed in. */
  changedAtOf(i: number): number {
    const c = this.#cell(i);
    return c >= 0 ? this.#base.changed[c] : this.#entries.get(i)?.changedAt ?? 0;
  }

  /** The run a node was last built in. */
  builtAtOf(i: number): number {
    const c = this.#cell(i);
    return c >= 0 ? this.#base.built[c] : this.#entries.get(i)?.builtAt ?? 0;
  }

  #flags(i: number): number {
    const c = this.#cell(i);
    return c >= 0 ? this.#base.flags[c] : this.#entries.get(i)?.flags ?? 0;
  }

  /** Whether the node at table index `i` failed in its last execution. */
  failed(i: number): boolean {
    return this.#flags(i) === FLAG;
  }

  /** Whether the file at table index `i` has stat fields that vouch for its digest. */
  trusted(i: number): boolean {
    return this.#flags(i) === FLAG;
  }

  /** A node's dependencies, as table indexes. */
  depsOf(i: number): ArrayLike<number> {
    const c = this.#cell(i);
    if (c < 0) return this.#entries.get(i)?.deps ?? [];
    const base = this.#base;
    return base.deps.subarray(base.depStart[c], base.depStart[c + 1]);
  }

  /**
   * A file's recorded state: digest, mtime, size, inode, ctime, trusted (1 or 0).
   * @param i The file's table index.
   * @returns The state, in the order `FileLeaf.withState` takes it.
   */
  fileOf(i: number): [string, number, number, number, number, number] {
    const c = this.#cell(i);
    const trusted = this.trusted(i) ? 1 : 0;
    if (c < 0) {
      const e = this.#entries.get(i)!;
      return [e.digest!, e.mtime!, e.size!, e.ino!, e.ctime!, trusted];
    }
    const b = this.#base;
    const digest = b.digests.slice(c * DIGEST_CHARS, (c + 1) * DIGEST_CHARS).trimEnd();
    return [digest, b.mtime[c], b.size[c], b.ino[c], b.ctime[c], trusted];
  }

  /**
   * Whether a file's recorded stat fields are these (allocates nothing).
   * @returns True when mtime, size, inode and ctime are all equal.
   */
  fileStatIs(
    i: number,
    check: (mtime: number, size: number, ino: number, ctime: number) => boolean,
  ): boolean {
    const c = this.#cell(i);
    if (c < 0) {
      const e = this.#entries.get(i)!;
      return check(e.mtime!, e.size!, e.ino!, e.ctime!);
    }
    const b = this.#base;
    return check(b.mtime[c], b.size[c], b.ino[c], b.ctime[c]);
  }

  /** A file's digest. */
  digestOf(i: number): string {
    return this.fileOf(i)[0];
  }

  /** The record of another leaf (listing, environment variable, var, input). */
  otherOf(i: number): readonly unknown[] | undefined {
    const c = this.#cell(i);
    return c >= 0 ? this.#base.others.get(c) : this.#entries.get(i)?.other;
  }

  /**
   * What the checkpoint says of a root it indexed, when no record since
   * changed a value under it; undefined otherwise.
   * @param i The root's table index.
   * @returns The index, still true of the log.
   */
  rootIndex(i: number): RootIndex | undefined {
    const index = this.#base.roots.get(i);
    if (index === undefined) return undefined;
    // Records since the checkpoint keep the index true as long as they left
    // every node under the root with the dependencies it had (so the same
    // leaves lie under it), and either touched nothing under it or came
    // before a mark that the root was verified since.
    const verified = this.#verifiedAt.get(i);
    let clean = index.clean || verified !== undefined;
    for (const t of this.#touched) {
      if (!includes(index.nodes, t) && !includes(index.leaves, t)) continue;
      if (this.#reshaped.has(t)) return undefined;
      if (verified === undefined || this.#touchedAt.get(t)! > verified) clean = false;
    }
    return clean === index.clean ? index : { ...index, clean };
  }

  /**
   * Takes in one record, as the log encodes it (an array whose first
   * element is its kind and second the table index of its id).
   * @param record The encoded record.
   */
  apply(record: readonly unknown[]): void {
    const kind = record[0] as number;
    const i = record[1] as number;
    const at = ++this.#applied;
    if (kind === VERIFIED) {
      this.#verifiedAt.set(record[2] as number, at);
      return;
    }
    const had = this.kindOf(i) !== NONE;
    // A file found again with new stat fields and the same content and
    // change run (as a check that hashed it again records) changes no value.
    const sameFile = kind === FILE && this.kindOf(i) === FILE &&
      this.changedAtOf(i) === record[8] && this.digestOf(i) === record[2];
    if (!sameFile) {
      this.#touched.add(i);
      this.#touchedAt.set(i, at);
    }
    if (
      had &&
      (kind === DELETION || (kind === NODE && !sameDeps(this.depsOf(i), record[6] as number[])))
    ) {
      this.#reshaped.add(i);
    }
    if (kind === DELETION) {
      if (had) this.cells--;
      this.#entries.set(i, null);
      return;
    }
    if (!had) this.cells++;
    switch (kind) {
      case NODE: {
        const extra = record[9] as { f?: number } | undefined;
        this.#entries.set(i, {
          kind,
          flags: extra?.f !== undefined ? FLAG : 0,
          changedAt: record[8] as number,
          builtAt: record[7] as number,
          deps: record[6] as number[],
        });
        return;
      }
      case FILE:
        this.#entries.set(i, {
          kind,
          flags: record[7] === 1 ? FLAG : 0,
          changedAt: record[8] as number,
          builtAt: 0,
          digest: record[2] as string,
          mtime: record[3] as number,
          size: record[4] as number,
          ino: record[5] as number,
          ctime: record[6] as number,
        });
        return;
      default:
        this.#entries.set(i, {
          kind,
          flags: 0,
          changedAt: record[record.length - 1] as number,
          builtAt: 0,
          other: record,
        });
    }
  }

  /** Every table index that holds a cell. */
  #indexes(): number[] {
    const out: number[] = [];
    const ids = this.#base.ids;
    for (let c = 0; c < ids.length; c++) if (!this.#entries.has(ids[c])) out.push(ids[c]);
    for (const [i, entry] of this.#entries) if (entry !== null) out.push(i);
    return out;
  }

  /**
   * The checkpoint payload: this summary and the string table.
   * @param run The run the checkpoint is written in.
   * @param strings The whole string table.
   * @param isRoot Which nodes to index as roots, by id.
   * @returns The payload, to be written as one frame.
   */
  encode(
    run: number,
    strings: readonly string[],
    isRoot: (id: string) => boolean = () => false,
  ): Uint8Array {
    const encoder = new TextEncoder();
    const text = strings.join("");
    const blob = encoder.encode(text);
    const all = this.#indexes();
    const files = all.filter((i) => this.kindOf(i) === FILE);
    const rest = all.filter((i) => this.kindOf(i) !== FILE);
    const cells = files.concat(rest);
    const n = cells.length;
    const f = files.length;
    let d = 0;
    for (const i of rest) if (this.kindOf(i) === NODE) d += this.depsOf(i).length;
    const others: [number, readonly unknown[]][] = [];
    cells.forEach((i, c) => {
      const k = this.kindOf(i);
      if (k !== NODE && k !== FILE) others.push([c, this.otherOf(i)!]);
    });
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
    const cellOf = new Int32Array(strings.length).fill(-1);
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
      cellOf[i] = c;
      ids[c] = i;
      kinds[c] = this.kindOf(i);
      flags[c] = this.#flags(i);
      changed[c] = this.changedAtOf(i);
      built[c] = this.builtAtOf(i);
      depStart[c] = next;
      if (kinds[c] === NODE) {
        const list = this.depsOf(i);
        for (let k = 0; k < list.length; k++) deps[next++] = list[k];
      }
      if (c < f) {
        const [digest, m, z, ino_, ct] = this.fileOf(i);
        mtime[c] = m;
        size[c] = z;
        ino[c] = ino_;
        ctime[c] = ct;
        encoder.encodeInto(digest, digests.subarray(c * DIGEST_CHARS, (c + 1) * DIGEST_CHARS));
      }
    }
    depStart[n] = next;
    for (
      const section of [
        cellOf,
        ids,
        kinds,
        flags,
        changed,
        built,
        depStart,
        deps,
        mtime,
        size,
        ino,
        ctime,
      ]
    ) {
      writer.section(section);
    }
    writer.section(digests);
    writer.section(other);
    const roots = this.#rootsSection(
      rest.filter((i) => this.kindOf(i) === NODE && isRoot(strings[i])),
    );
    writer.u32s([roots.length]);
    writer.section(roots);
    return writer.bytes();
  }

  /** The root index section: what lies under each root, and whether it is clean. */
  #rootsSection(roots: number[]): Int32Array {
    const out: number[] = [];
    for (const root of roots) {
      const { nodes, leaves } = this.#under(root);
      // Nodes come each after those it depends on: one pass decides.
      const dirty = new Set<number>();
      for (const node of nodes) {
        const builtAt = this.builtAtOf(node);
        let bad = this.failed(node);
        const deps = this.depsOf(node);
        for (let k = 0; k < deps.length && !bad; k++) {
          const dep = deps[k];
          bad = this.kindOf(dep) < 0 || dirty.has(dep) || this.changedAtOf(dep) > builtAt;
        }
        if (bad) dirty.add(node);
      }
      out.push(root, dirty.has(root) ? 0 : 1, leaves.length, nodes.length);
      leaves.sort((a, b) => a - b);
      for (const leaf of leaves) out.push(leaf);
      nodes.sort((a, b) => a - b);
      for (const node of nodes) out.push(node);
    }
    return new Int32Array(out);
  }

  /** The nodes under a root, each after those it depends on, and the leaves under it. */
  #under(root: number): { nodes: number[]; leaves: number[] } {
    const nodes: number[] = [];
    const leaves: number[] = [];
    const seen = new Set<number>([root]);
    const stack = [root];
    const next = [0];
    while (stack.length > 0) {
      const top = stack.length - 1;
      const deps = this.depsOf(stack[top]);
      if (next[top] < deps.length) {
        const dep = deps[next[top]++];
        if (seen.has(dep)) continue;
        seen.add(dep);
        const kind = this.kindOf(dep);
        if (kind === NODE) {
          stack.push(dep);
          next.push(0);
        } else if (kind >= 0) leaves.push(dep);
        continue;
      }
      nodes.push(stack.pop()!);
      next.pop();
    }
    return { nodes, leaves };
  }

  /**
   * Reads a checkpoint payload back. Its columns are used where they are:
   * nothing is visited cell by cell.
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
    const cellOf = reader.section(s, Int32Array);
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
    const others = new Map(
      JSON.parse(new TextDecoder().decode(reader.section(o, Uint8Array))) as [number, unknown[]][],
    );
    const [r] = reader.u32s(1);
    const rootData = reader.section(r, Int32Array);
    const roots = new Map<number, RootIndex>();
    for (let at = 0; at < rootData.length;) {
      const [root, clean, nLeaves, nNodes] = rootData.subarray(at, at + 4);
      const leaves = rootData.subarray(at + 4, at + 4 + nLeaves);
      const nodes = rootData.subarray(at + 4 + nLeaves, at + 4 + nLeaves + nNodes);
      roots.set(root, { clean: clean === 1, leaves, nodes });
      at += 4 + nLeaves + nNodes;
    }
    const summary = new Summary();
    summary.#base = {
      cellOf,
      ids,
      kinds,
      flags,
      changed,
      built,
      depStart,
      deps,
      mtime,
      size,
      ino,
      ctime,
      digests,
      others,
      roots,
    };
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

/** Whether two dependency lists are the same, in the same order. */
function sameDeps(a: ArrayLike<number>, b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Whether a sorted array holds a value (binary search). */
function includes(sorted: Int32Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === value;
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
