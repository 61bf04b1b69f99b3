/**
 * Records as the log holds them: one JSON array per line, its first element
 * the kind, its second the table index of the cell's id (layout in
 * store.ts); and how much of the log later records made stale.
 *
 * @module
 */
import type { Strings } from "./_strings.ts";

/**
 * One stored cell, as the engine reads and writes it. `t` is the kind, `id`
 * the cell's id. A `r` record is not a cell: it marks that the root `r.root`
 * was verified, everything under it up to date, at that point of the log.
 */
export interface StoreRecord {
  /**
   * Kind: `m` memo node, `f` file, `l` listing, `e` env, `v` var, `i` input,
   * `x` deletion, `r` root verified.
   */
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

export const KINDS = ["m", "f", "l", "e", "v", "i", "x", "r"];
export const DELETION_KIND = 6;
export const VERIFIED_KIND = 7;

/**
 * The id index a record's line starts with (`[kind,id#,` or `[kind,id#]`),
 * or -1 when the line is not shaped so.
 */
export function recordId(text: string, start: number, end: number): number {
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

/** A record as its line's array, interning its strings (or using the known places of `ix`/`dx`). */
export function encodeRecord(r: StoreRecord, s: Strings, indexed: boolean): unknown[] {
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
        ...(r.e === undefined ? [] : [r.e]),
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
    case "r":
      return [7, id, s.intern(r.root as string)];
    default:
      return [6, id];
  }
}

/** A line's array as a record, its strings looked up in `list`. */
export function decodeRecord(a: readonly unknown[], list: readonly string[]): StoreRecord {
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
        e: a[9],
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
    case "r":
      return { t, id, root: list[a[2] as number] };
    default:
      return { t, id };
  }
}

/**
 * The length of each id's current record line, and how much of the log
 * later records made stale: what decides a compaction. Lengths are counted
 * in characters, about the bytes of lines that are mostly ASCII.
 */
export class LineLengths {
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
