/**
 * The listing leaf: a directory's entries, or the files a glob matches under
 * a directory (`glob.ts`), tracked by the digest of the list.
 *
 * @module
 */
import { Leaf } from "../node.ts";
import { digestOf } from "../stat/digest.ts";
import { globToRegExp, listGlob } from "./glob.ts";

/** A directory listing, or the files matching a glob under a directory. */
export class ListingLeaf extends Leaf {
  readonly kind = "listing";
  /** Absolute path of the directory. */
  readonly dir: string;
  /** The glob pattern relative to `dir`, or null for a plain listing. */
  readonly pattern: string | null;
  /** Directories not entered by a glob, relative to `dir`. */
  readonly skip: readonly string[];
  /** Digest of the listing. */
  digest = "";
  /** The listing of the last check: names (`/` after directories) or matching paths. */
  entries: string[] = [];

  constructor(id: string, dir: string, pattern: string | null, skip: readonly string[] = []) {
    super(id);
    this.dir = dir;
    this.pattern = pattern;
    this.skip = skip;
  }

  describe(): string {
    return this.pattern === null ? `listing of ${this.dir}` : `glob ${this.pattern} in ${this.dir}`;
  }

  #regex: RegExp | undefined;

  /**
   * Whether a change at `path` may change this listing: an entry of the
   * listed directory, or for a glob a matching file, a directory holding
   * matches, or a directory that now exists where matches could be.
   * @param path An absolute path that changed.
   * @returns True when the listing must be checked again.
   */
  covers(path: string): boolean {
    if (path === this.dir || this.dir.startsWith(path + "/")) return true;
    if (!path.startsWith(this.dir + "/")) return false;
    const rel = path.slice(this.dir.length + 1);
    if (this.pattern === null) return !rel.includes("/");
    if (this.skip.some((s) => rel === s || rel.startsWith(s + "/"))) return false;
    if (/(^|\/)\./.test(rel) && !/(^|\/)\./.test(this.pattern)) return false;
    if ((this.#regex ??= globToRegExp(this.pattern)).test(rel)) return true;
    const prefix = rel + "/";
    if (this.entries.some((e) => e.startsWith(prefix))) return true;
    try {
      return Deno.statSync(path).isDirectory;
    } catch {
      return false;
    }
  }

  /** Re-lists; returns whether anything was recorded. */
  refresh(run: number): boolean {
    const entries = this.pattern === null
      ? listDir(this.dir)
      : listGlob(this.dir, this.pattern, this.skip);
    const digest = digestOf(entries.join("\n"));
    this.entries = entries;
    if (digest === this.digest) return false;
    this.digest = digest;
    this.changedAt = run;
    return true;
  }
}

function listDir(dir: string): string[] {
  try {
    const names: string[] = [];
    for (const entry of Deno.readDirSync(dir)) {
      names.push(entry.isDirectory ? entry.name + "/" : entry.name);
    }
    return names.sort();
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory;
}
