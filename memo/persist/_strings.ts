/** Strings looked for by scanning the table before its map is built. */
const MAX_SCANS = 8;

/**
 * The string table of a log: every interned string, by index and by value.
 * The map from value to index (40,000 strings at N = 10,000: about 10 ms) is
 * built only once a few strings have been looked for by scanning: a build
 * that writes a few records, most of them with their indexes known
 * (`StoreRecord.ix`), never pays for it.
 */
export class Strings {
  readonly list: string[];
  #index: Map<string, number> | undefined;
  /** Strings found by scanning (or added) before the map was built. */
  #found = new Map<string, number>();
  #scans = 0;
  /** Strings added since the last frame was written. */
  fresh: string[] = [];

  constructor(list: string[] = []) {
    this.list = list;
  }

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

  addLoaded(strings: readonly string[]): void {
    for (let i = 0; i < strings.length; i++) this.list.push(strings[i]);
  }
}
