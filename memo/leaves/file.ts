/**
 * The file leaf: a file's content digest behind a stat cache. The other
 * leaves are in this folder too: directory listings and globs
 * (`listing.ts`), environment variables (`env.ts`), inputs (`input.ts`) and
 * vars (`var.ts`).
 *
 * The stat cache trusts a file's digest while its mtime, size, inode and
 * ctime are unchanged, except when the file may have been written again
 * since the digest was taken without any of them moving (Git's "racy"
 * rule): a write in the same tick of the clock file times are stamped with
 * keeps them. Times with nanoseconds (ext4, XFS, Btrfs, tmpfs) are stamped
 * from the kernel's coarse clock, which barchan reads too (`fileClock`): a
 * time below that clock read after the content was read proves that a later
 * write moves it. Other times fall back on a tick of 100 ms, or 2 s for file
 * systems with whole seconds. The rule is applied to ctime as well as mtime:
 * mtime can be set back by any program (`cp -p`, `touch -d`), ctime cannot.
 *
 * @module
 */
import { Leaf } from "../node.ts";
import { digestOfFile } from "../stat/digest.ts";
import { fileClock, statPath } from "../stat/stat.ts";
import { fileStandIns } from "./stand_ins.ts";

const ABSENT = "-";
const DIRECTORY = "/";

/**
 * A file leaf's recorded state: digest, mtime, size, inode, ctime, trusted (1 or 0).
 * @internal For barchan's own layers.
 */
export type FileState = [
  digest: string,
  mtime: number,
  size: number,
  ino: number,
  ctime: number,
  trusted: number,
];

/**
 * A file's content, tracked by digest.
 * @internal For barchan's own layers.
 *
 * @example A changed file is found changed
 * ```ts
 * import { FileLeaf } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * const leaf = new FileLeaf("", file);
 * leaf.refresh(1);
 * await Deno.writeTextFile(file, "new content");
 * assert.equal(leaf.refresh(2), true);
 * assert.equal(leaf.changedAt, 2);
 * ```
 */
export class FileLeaf extends Leaf {
  /** What kind of leaf this is. */
  readonly kind = "file";
  /** Absolute path. */
  readonly path: string;
  /** Content digest, `-` when absent, `/` for a directory. */
  digest = "";
  /** Modification time of the last check, in milliseconds. */
  mtime = 0;
  /** Size of the last check, -1 when there was no file. */
  size = -1;
  /** Inode of the last check. */
  ino = 0;
  /** Status-change time of the last check, in milliseconds. */
  ctime = 0;
  /**
   * Whether the stat fields alone may vouch for `digest`: true when the file
   * was last modified more than a clock tick before the check that recorded
   * the digest (otherwise a second write in that tick could keep every field).
   */
  trusted = false;

  /**
   * @param id The leaf's cell id in its engine.
   * @param path Absolute path.
   */
  constructor(id: string, path: string) {
    super(id);
    this.path = path;
  }

  /** @returns `file PATH`. */
  describe(): string {
    return `file ${this.path}`;
  }

  /**
   * Re-reads the file's state.
   * @param run The engine's current run, which `changedAt` takes when the digest changed.
   * @param fresh Stat the file now, not with a stat taken ahead.
   * @returns Whether anything recorded changed (stat fields, trust or digest;
   * `changedAt` tells whether the digest did).
   */
  refresh(run: number): boolean {
    const st = statPath(this.path);
    const now = Date.now();
    if (st === null) {
      // A file known by content alone is present, and checked afresh every time.
      const standIn = fileStandIns()?.absent(this.path);
      if (standIn !== undefined) return this.#set(standIn, 0, -1, 0, 0, now, run, false);
      return this.#set(ABSENT, 0, -1, 0, 0, now, run);
    }
    if (st.isDirectory) return this.#set(DIRECTORY, 0, -1, 0, 0, now, run);
    if (st.special !== undefined) {
      throw new Error(
        `${this.path} is ${st.special}, not a regular file: reading it could block or never end. ` +
          `Depend on regular files only`,
      );
    }
    const { mtime, ctime, ino } = st;
    if (
      mtime === this.mtime && st.size === this.size && ino === this.ino && ctime === this.ctime &&
      this.digest !== "" && this.digest !== ABSENT && this.trusted
    ) return false;
    let digest: string;
    try {
      digest = digestOfFile(this.path);
      const standIns = fileStandIns();
      if (standIns !== undefined) digest = standIns.present(this.path, digest);
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

  /**
   * Whether the last check found no file but a stand-in for one (a file the
   * build knows by content alone, `stand_ins.ts`): it counts as present, yet
   * reading it needs fetching it first.
   */
  get standsIn(): boolean {
    return this.size === -1 && this.exists && this.digest !== "";
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
    mayTrust = true,
  ): boolean {
    const changed = digest !== this.digest;
    const clock = fileClock();
    const trusted = mayTrust && settled(mtime, now, clock) && settled(ctime, now, clock);
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
 * @internal For barchan's own layers.
 *
 * @example Whole seconds, and finer times
 * ```ts
 * import { tickOf } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tickOf(1_700_000_000_000), 2000);
 * assert.equal(tickOf(1_700_000_000_123), 100);
 * ```
 */
export function tickOf(mtime: number): number {
  return mtime % 1000 === 0 ? 2000 : 100;
}

/**
 * Whether a file time is old enough that a later write must change it: a
 * time with nanoseconds (which ext4, XFS, Btrfs and tmpfs keep) below the
 * kernel's file clock read after the content was (see `fileClock`), or any
 * time more than its tick before the check began.
 * @param time The file time, in milliseconds.
 * @param checkedAt When the check began (before the content was read).
 * @param clock The file clock after the content was read, if known.
 * @returns True when the stat fields may vouch for the content read.
 */
export function settled(time: number, checkedAt: number, clock: number | undefined): boolean {
  if (clock !== undefined && time % 1 !== 0) return time < clock;
  return time < checkedAt - tickOf(time);
}

function isMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory;
}
