/**
 * The file leaf: a file's content digest behind a stat cache. The other
 * leaves are in this folder too: directory listings and globs
 * (`listing.ts`), environment variables (`env.ts`), inputs (`input.ts`) and
 * vars (`var.ts`).
 *
 * The stat cache trusts a file's digest while its mtime, size, inode and
 * ctime are unchanged, except when the file was modified within one clock
 * tick of the check that recorded the digest: a second write in the same tick
 * could keep every stat field, so such a file is hashed again (Git's "racy"
 * rule). The tick is taken as 2 s on file systems whose times have whole
 * seconds, 100 ms otherwise. The rule is applied to ctime as well as mtime:
 * mtime can be set back by any program (`cp -p`, `touch -d`), and Deno
 * reports ctime in whole seconds, so only a ctime older than the check by a
 * full tick proves that no write followed the check.
 *
 * @module
 */
import { Leaf } from "../node.ts";
import { digestOf } from "../stat/digest.ts";
import { statPath, statPathNow } from "../stat/stat.ts";

const ABSENT = "-";
const DIRECTORY = "/";

/** A file leaf's recorded state: digest, mtime, size, inode, ctime, trusted (1 or 0). */
export type FileState = [
  digest: string,
  mtime: number,
  size: number,
  ino: number,
  ctime: number,
  trusted: number,
];

/** A file's content, tracked by digest. */
export class FileLeaf extends Leaf {
  readonly kind = "file";
  /** Absolute path. */
  readonly path: string;
  /** Content digest, `-` when absent, `/` for a directory. */
  digest = "";
  mtime = 0;
  size = -1;
  ino = 0;
  ctime = 0;
  /**
   * Whether the stat fields alone may vouch for `digest`: true when the file
   * was last modified more than a clock tick before the check that recorded
   * the digest (otherwise a second write in that tick could keep every field).
   */
  trusted = false;

  constructor(id: string, path: string) {
    super(id);
    this.path = path;
  }

  describe(): string {
    return `file ${this.path}`;
  }

  /**
   * Re-reads the file's state.
   * @returns Whether anything recorded changed (stat fields, trust or digest;
   * `changedAt` tells whether the digest did).
   */
  refresh(run: number, fresh = false): boolean {
    const st = fresh ? statPathNow(this.path) : statPath(this.path);
    const now = st?.takenAt ?? Date.now();
    if (st === null) return this.#set(ABSENT, 0, -1, 0, 0, now, run);
    if (st.isDirectory) return this.#set(DIRECTORY, 0, -1, 0, 0, now, run);
    const { mtime, ctime, ino } = st;
    if (
      mtime === this.mtime && st.size === this.size && ino === this.ino && ctime === this.ctime &&
      this.digest !== "" && this.digest !== ABSENT && this.trusted
    ) return false;
    let digest: string;
    try {
      digest = digestOf(Deno.readFileSync(this.path));
    } catch (error) {
      if (!isMissing(error)) throw error;
      digest = ABSENT;
    }
    return this.#set(digest, mtime, st.size, ino, ctime, now, run);
  }

  /**
   * What a check recorded, as plain data: digest, mtime, size, inode, ctime
   * and trust (1 or 0), the form records and caches keep it in.
   * @returns The state.
   */
  state(): FileState {
    return [this.digest, this.mtime, this.size, this.ino, this.ctime, this.trusted ? 1 : 0];
  }

  /**
   * A leaf as a check recorded it, for checking it again.
   * @param path Absolute path.
   * @param fields Holds what {@linkcode FileLeaf#state} gave, from index `at`.
   * @param at Where the state starts in `fields`.
   * @param id The leaf's cell id, "" for a leaf outside an engine.
   * @returns The leaf, its `changedAt` 0.
   */
  static withState(
    path: string,
    fields: readonly unknown[],
    at = 0,
    id = "",
  ): FileLeaf {
    const leaf = new FileLeaf(id, path);
    leaf.digest = fields[at] as string;
    leaf.mtime = fields[at + 1] as number;
    leaf.size = fields[at + 2] as number;
    leaf.ino = fields[at + 3] as number;
    leaf.ctime = fields[at + 4] as number;
    leaf.trusted = fields[at + 5] === 1;
    leaf.changedAt = 0;
    return leaf;
  }

  /** Whether the last check found a file (not a directory). */
  get exists(): boolean {
    return this.digest !== ABSENT && this.digest !== DIRECTORY;
  }

  /** Whether the last check found a directory. */
  get isDirectory(): boolean {
    return this.digest === DIRECTORY;
  }

  #set(
    digest: string,
    mtime: number,
    size: number,
    ino: number,
    ctime: number,
    now: number,
    run: number,
  ): boolean {
    const changed = digest !== this.digest;
    const trusted = mtime < now - tickOf(mtime) && ctime < now - tickOf(ctime);
    if (
      !changed && mtime === this.mtime && size === this.size && ino === this.ino &&
      ctime === this.ctime && trusted === this.trusted
    ) return false;
    this.digest = digest;
    this.mtime = mtime;
    this.size = size;
    this.ino = ino;
    this.ctime = ctime;
    this.trusted = trusted;
    if (changed) this.changedAt = run;
    return true;
  }
}

/**
 * The clock tick of a file time: 2 s for whole seconds (a file system, or
 * Deno's ctime, without finer times), 100 ms otherwise.
 * @param mtime A file time in milliseconds.
 * @returns The tick in milliseconds.
 */
export function tickOf(mtime: number): number {
  return mtime % 1000 === 0 ? 2000 : 100;
}

function isMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory;
}
