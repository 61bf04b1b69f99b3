/**
 * The up-to-date record: after a successful build, everything the request
 * depended on, each with its state as the build saw it:
 *
 * - the leaves of the memo graph the build reached: sources, targets, files
 *   read while running, listings and globs, environment variables;
 * - build.ts, the modules it imports and the configuration files that decide
 *   how imports resolve;
 * - what build.ts read while it was evaluated.
 *
 * When the same request comes again and every entry checks out unchanged
 * (the stat cache's rules, the racy-file rule included, and a re-hash when
 * only stat fields moved), the build would run nothing, and barchan can say
 * so without evaluating build.ts or loading its state. Anything else (a
 * changed entry, another request, another barchan or Deno, an unreadable
 * record) sends the build the normal way; the record never changes what a
 * build does, only whether one is needed.
 *
 * Vars and named inputs are not recorded: in a build they are set by
 * build.ts and the modules it imports, which are.
 *
 * @module
 */
import { joinPath } from "../memo/_paths.ts";
import { EnvLeaf, FileLeaf, ListingLeaf } from "../memo/leaves.ts";
import { type PathStat, statUnchanged } from "../memo/stat.ts";
import type { Leaf } from "../memo/node.ts";

/** The record's file name, in the state directory. */
export const UP_TO_DATE_FILE = "up-to-date.json";

const FORMAT = 3;
/** Digests of a missing file and of a directory, as file leaves record them. */
const ABSENT = "-";
const DIRECTORY = "/";
/** How many entries may move (same content, new stat) before the record is rewritten. */
const REWRITE_AFTER = 16;
/** Fields per file entry: path, digest, mtime, size, ino, ctime, trusted. */
const FILE_FIELDS = 7;

/** What a record answers for: the same request of the same tool in the same place. */
export interface UpToDateKey {
  /** The project root. */
  root: string;
  /** The targets and aliases requested, as given to the build. */
  request: readonly string[];
  /** The tool's version (and the runtime's), so an upgrade is never answered from an old record. */
  tool: string;
}

interface Record {
  format: number;
  key: string;
  /** The rule cache that goes with the record, "" for none. */
  cacheId: string;
  /** The memo store's stamp when the record was written (see rule_cache.ts). */
  stamp: number[];
  /** How many file entries, first in `files`, are what build.ts is made of or read. */
  loadFiles: number;
  files: (string | number)[];
  listings: [string, string | null, string[], string][];
  env: [string, string | null][];
}

/**
 * Writes the record of a successful build, replacing any earlier one.
 *
 * @param stateDir The state directory.
 * @param key What the record answers for.
 * @param leaves Everything the build and build.ts depended on, as checked:
 * first what build.ts is made of and read while loading.
 * @param options How many of `leaves` come from build.ts (`loadLeaves`),
 * the id of the rule cache written with the record, and the memo store's
 * stamp.
 */
export function writeUpToDate(
  stateDir: string,
  key: UpToDateKey,
  leaves: readonly Leaf[],
  options: { loadLeaves?: number; cacheId?: string; stamp?: number[] } = {},
): void {
  const record: Record = {
    format: FORMAT,
    key: keyOf(key),
    cacheId: options.cacheId ?? "",
    stamp: options.stamp ?? [],
    loadFiles: 0,
    files: [],
    listings: [],
    env: [],
  };
  const prefix = key.root + "/";
  const seen = new Set<string>();
  const loadLeaves = options.loadLeaves ?? 0;
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i];
    if (leaf instanceof FileLeaf) {
      if (leaf.digest === "" || seen.has(leaf.path)) continue;
      seen.add(leaf.path);
      if (i < loadLeaves) record.loadFiles++;
      const path = leaf.path.startsWith(prefix) ? leaf.path.slice(prefix.length) : leaf.path;
      record.files.push(path, ...leaf.state());
    } else if (leaf instanceof ListingLeaf) {
      record.listings.push([leaf.dir, leaf.pattern, [...leaf.skip], leaf.digest]);
    } else if (leaf instanceof EnvLeaf) {
      if (leaf.value !== undefined) record.env.push([leaf.name, leaf.value]);
    }
  }
  save(stateDir, record);
}

/** What {@linkcode checkUpToDate} found. */
export interface UpToDateVerdict {
  /** Whether a build would run nothing. */
  upToDate: boolean;
  /**
   * Whether what build.ts is made of and read while loading is unchanged
   * (every environment variable and listing of the record unchanged too).
   */
  buildTsUnchanged: boolean;
  /** The rule cache the record goes with, "" for none. */
  cacheId: string;
  /** The memo store's stamp when the record was written, empty if unknown. */
  stamp: number[];
}

/**
 * Whether the last successful build of this request is still up to date:
 * every recorded entry unchanged; and if not, whether build.ts's inputs
 * changed. When many entries' stat fields moved without a change of
 * content, the record is updated.
 * @param stateDir The state directory.
 * @param key The request.
 * @param stats When given and the answer is no, filled with the stats the
 * check took, for the build that follows (see `useStatsTakenAhead`).
 * @returns The verdict.
 */
export function checkUpToDate(
  stateDir: string,
  key: UpToDateKey,
  stats?: Map<string, PathStat | null>,
): UpToDateVerdict {
  try {
    return check(stateDir, key, stats);
  } catch {
    // An entry that cannot be checked (say, a file now unreadable) is the
    // normal build's to report.
    return NO;
  }
}

const NO: UpToDateVerdict = { upToDate: false, buildTsUnchanged: false, cacheId: "", stamp: [] };

function check(
  stateDir: string,
  key: UpToDateKey,
  stats: Map<string, PathStat | null> | undefined,
): UpToDateVerdict {
  let record: Record;
  try {
    record = JSON.parse(Deno.readTextFileSync(joinPath(stateDir, UP_TO_DATE_FILE)));
  } catch {
    return NO;
  }
  if (record?.format !== FORMAT || record.key !== keyOf(key)) return NO;
  let moved = 0;
  for (const [name, value] of record.env) {
    if ((Deno.env.get(name) ?? null) !== value) return NO;
  }
  for (const [dir, pattern, skip, digest] of record.listings) {
    const leaf = new ListingLeaf("", dir, pattern, skip);
    leaf.digest = digest;
    if (leaf.refresh(1)) return NO;
  }
  const files = record.files;
  const prefix = key.root + "/";
  // The check's own stats serve the build when the answer is no; their
  // time is taken as the check's start, which is never later than the stat.
  const started = Date.now();
  let changedAt = -1;
  for (let i = 0; i < files.length; i += FILE_FIELDS) {
    const name = files[i] as string;
    const path = name.startsWith("/") ? name : prefix + name;
    const digest = files[i + 1] as string;
    // Most entries: a trusted file whose stat is as recorded.
    if (
      files[i + 6] === 1 && digest !== ABSENT && digest !== DIRECTORY &&
      statUnchanged(
        path,
        files[i + 2] as number,
        files[i + 3] as number,
        files[i + 4] as number,
        files[i + 5] as number,
      )
    ) continue;
    const probe = FileLeaf.withState(path, files, i + 1);
    if (!probe.refresh(1)) continue;
    files.splice(i + 1, FILE_FIELDS - 1, ...probe.state());
    if (probe.changedAt === 1) {
      changedAt = i;
      break;
    }
    moved++;
  }
  if (changedAt >= 0) {
    const verdict = {
      upToDate: false,
      buildTsUnchanged: changedAt >= record.loadFiles * FILE_FIELDS,
      cacheId: String(record.cacheId ?? ""),
      stamp: Array.isArray(record.stamp) ? record.stamp : [],
    };
    if (stats === undefined) return verdict;
    // Up to the change, each entry holds the stat just taken (unchanged, or
    // updated above). The build stats the rest itself.
    for (let i = 0; i <= changedAt; i += FILE_FIELDS) {
      const name = files[i] as string;
      const digest = files[i + 1] as string;
      stats.set(
        name.startsWith("/") ? name : prefix + name,
        digest === ABSENT ? null : {
          isDirectory: digest === DIRECTORY,
          mtime: files[i + 2] as number,
          size: files[i + 3] as number,
          ino: files[i + 4] as number,
          ctime: files[i + 5] as number,
          takenAt: started,
        },
      );
    }
    return verdict;
  }
  // Rewriting the whole record costs about as much as hashing 500 small
  // files again: a few moved entries (a touched source) are hashed again on
  // each check instead, many (outputs just built) are saved.
  if (moved > REWRITE_AFTER) save(stateDir, record);
  return { upToDate: true, buildTsUnchanged: true, cacheId: "", stamp: [] };
}

function keyOf(key: UpToDateKey): string {
  return JSON.stringify([key.root, key.request, key.tool]);
}

function save(stateDir: string, record: Record): void {
  const file = joinPath(stateDir, UP_TO_DATE_FILE);
  const temp = `${file}.${Deno.pid}.tmp`;
  Deno.writeTextFileSync(temp, JSON.stringify(record));
  Deno.renameSync(temp, file);
}
