import type { CheckpointStrings } from "./checkpoint.ts";

/** Strings looked for by scanning the table before its map is built. */
const MAX_SCANS = 8;

/**
 * The string table of a log: every interned string, by index and by value.
 * The map from value to index (40,000 strings at N = 10,000: about 10 ms) is
 * built only once a few strings have been looked for by scanning: a build
 * that writes a few records, most of them with their indexes known
 * (`StoreRecord.ix`), never pays for it.
 *
 * A table read from a checkpoint starts as the checkpoint's text: strings
 * are cut out of it when asked for, and the whole list is made only when
 * something needs it (a build, not a check that finds nothing to do).
 */
export class Strings {
  #list: string[] | undefined;
  /** The checkpoint's table, until the list is made; then undefined. */
  #base: CheckpointStrings | undefined;
  /** Strings after the checkpoint's, until the list is made. */
  #extra: string[] = [];
  #index: Map<string, number> | undefined;
  /** Strings found by scanning (or added) before the map was built. */
  #found = new Map<string, number>();
  #scans = 0;
  /** Strings added since the last frame was written. */
  fresh: string[] = [];

  /**
   * @param list The strings, or nothing.
   * @param base A checkpoint's table the strings start with, made into a list when needed.
   */
  constructor(list: string[] = [], base?: CheckpointStrings) {
    if (base === undefined) this.#list = list;
    else {
      this.#base = base;
      this.#extra = list;
    }
  }

  /** Every string, by index (made from the checkpoint's text the first time). */
  get list(): string[] {
    if (this.#list === undefined) {
      this.#list = this.#base!.toArray();
      for (const s of this.#extra) this.#list.push(s);
      this.#base = undefined;
      this.#extra = [];
    }
    return this.#list;
  }

  /** How many strings there are. */
  get length(): number {
    return this.#list?.length ?? this.#base!.length + this.#extra.length;
  }

  /** The string at index `i`. */
  at(i: number): string {
    if (this.#list !== undefined) return this.#list[i];
    const base = this.#base!;
    return i < base.length ? base.at(i) : this.#extra[i - base.length];
  }

  get index(): Map<string, number> {
    if (this.#index === undefined) {
      const list = this.list;
      this.#index = new Map();
      for (let i = 0; i < list.length; i++) this.#index.set(list[i], i);
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
    let i: number;
    if (this.#list !== undefined) i = this.#list.indexOf(s);
    else {
      i = this.#base!.indexOf(s);
      if (i < 0) {
        const k = this.#extra.indexOf(s);
        if (k >= 0) i = this.#base!.length + k;
      }
    }
    if (i >= 0) this.#found.set(s, i);
    return i;
  }

  intern(s: string): number {
    if (this.#index === undefined) {
      let i = this.find(s);
      if (i < 0 && this.#index === undefined) {
        const list = this.list;
        i = list.length;
        list.push(s);
        this.#found.set(s, i);
        this.fresh.push(s);
      }
      if (i >= 0) return i;
    }
    const index = this.index;
    let i = index.get(s);
    if (i === undefined) {
      const list = this.list;
      i = list.length;
      list.push(s);
      index.set(s, i);
      this.fresh.push(s);
    }
    return i;
  }

  addLoaded(strings: readonly string[]): void {
    const into = this.#list ?? this.#extra;
    for (let i = 0; i < strings.length; i++) into.push(strings[i]);
  }
}
