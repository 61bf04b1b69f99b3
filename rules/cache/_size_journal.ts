// The local cache's size journal: how many bytes the cache holds, kept
// without scanning the directory.
//
// Format (text, one record a line):
//   barchan cache size v1     the format stamp, written with every reset
//   =<n>                      the cache holds n bytes (after a scan)
//   +<n> / -<n>               an entry of n bytes was added / removed
// The total is the last `=` plus the `+` and `-` after it. A line of any
// other form marks the journal damaged: the cache is then scanned, which
// resets it.
//
// Writers append without a lock: each record is one write() on the file opened
// with O_APPEND, so records from two processes never interleave. A reset
// (under the cache's lock, after a scan) writes a new journal beside it and
// renames it over the old one, so a reader sees one or the other whole. The
// file is opened for each record, never kept open, so that no record goes to
// a journal replaced long ago; one racing with a reset may be lost. The
// journal is an estimate that the next scan corrects, and its only use is to
// decide when to scan.

import { removeQuietly, tempBeside } from "./_files.ts";

const STAMP = "barchan cache size v1";
const encoder = new TextEncoder();

/** What a journal says. */
export interface JournalState {
  /** The recorded total in bytes. */
  total: number;
  /** Whether the journal is missing or has a line it cannot read. */
  damaged: boolean;
  /** The journal's length in bytes, to decide when to compact it. */
  length: number;
}

/** A size journal at a path. */
export class SizeJournal {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** Reads the journal; a missing or empty one is damaged with a total of 0. */
  async read(): Promise<JournalState> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { total: 0, damaged: true, length: 0 };
      throw error;
    }
    return parseJournal(text);
  }

  /** Records an entry of `delta` bytes added (or removed when negative). */
  async add(delta: number): Promise<void> {
    if (delta === 0) return;
    const record = encoder.encode(delta > 0 ? `+${delta}\n` : `${delta}\n`);
    await Deno.writeFile(this.path, record, { append: true });
  }

  /** {@linkcode SizeJournal.add}, synchronously (for a cache being closed). */
  addSync(delta: number): void {
    if (delta === 0) return;
    Deno.writeFileSync(this.path, encoder.encode(delta > 0 ? `+${delta}\n` : `${delta}\n`), {
      append: true,
    });
  }

  /** Replaces the journal's content by the stamp and `total`. */
  async reset(total: number): Promise<void> {
    const tmp = tempBeside(this.path);
    try {
      await Deno.writeFile(tmp, encoder.encode(`${STAMP}\n=${total}\n`));
      await Deno.rename(tmp, this.path);
    } finally {
      await removeQuietly(tmp);
    }
  }
}

/** Reads a journal's text. */
export function parseJournal(text: string): JournalState {
  let total = 0;
  let stamped = false;
  let damaged = false;
  const lines = text.split("\n");
  // A complete journal ends with a newline: the last piece is empty.
  if (lines.pop() !== "") damaged = true;
  for (const line of lines) {
    if (line === STAMP) {
      stamped = true;
      continue;
    }
    const match = /^([=+-])(\d{1,16})$/.exec(line);
    if (!match) {
      damaged = true;
      break;
    }
    const n = Number(match[2]);
    total = match[1] === "=" ? n : match[1] === "+" ? total + n : total - n;
  }
  return { total: Math.max(0, total), damaged: damaged || !stamped, length: text.length };
}
