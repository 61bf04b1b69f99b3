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
 * The file holds two JSON lines, then patch lines: the record, the graph of
 * memo nodes the build reached (empty when there is none: their ids, each
 * after the nodes it depends on, and each node's dependencies, other nodes
 * by index, file entries as `-1 - entry`). A check that finds a change reads the graph too, when
 * build.ts's inputs are unchanged and a rule cache goes with the record: it
 * then checks every entry, and names the nodes no changed file lies under
 * (`CheckedRecord`). The build can take those as up to date without
 * checking what they depend on (`Engine#trustUnchanged`), and afterwards
 * write the record again with only the states of the files it checked
 * changed, as long as no node read other dependencies than before.
 *
 * Such a build appends its changes as a patch line (the states that moved,
 * by entry, and the store's new stamp) instead of rewriting the file, and so
 * does a check that found nothing to do but hashed files again (a touched
 * source, recent outputs); the next check applies the patches in order. A patch names the record it
 * applies to (`base`, new at each full write), so one appended after another
 * request replaced the record is ignored, as is a torn one: either leaves
 * older states, which only sends the next check to the build. The file is
 * written whole again once it holds {@linkcode MAX_PATCHES} patches.
 *
 * @module
 */
import { joinPath } from "../../memo/stat/paths.ts";
import { EnvLeaf } from "../../memo/leaves/env.ts";
import { FileLeaf } from "../../memo/leaves/file.ts";
import { ListingLeaf } from "../../memo/leaves/listing.ts";
import { type PathStat, statUnchanged } from "../../memo/stat/stat.ts";
import type { Leaf, MemoNode } from "../../memo/node.ts";
import { UP_TO_DATE_FILE } from "../state.ts";

const FORMAT = 5;
/** Digests of a missing file and of a directory, as file leaves record them. */
const ABSENT = "-";
const DIRECTORY = "/";
/** How many entries may move (same content, new stat) before the record is written whole. */
const REWRITE_AFTER = 16;
/** Fields per file entry: path, digest, mtime, size, ino, ctime, trusted. */
const FILE_FIELDS = 7;
/** Patch lines a record may hold before it is written whole again. */
const MAX_PATCHES = 8;

/** What a record answers for: the same request of the same tool in the same place. */
export interface UpToDateKey {
  /** The project root. */
  root: string;
  /** The targets and aliases requested, as given to the build. */
  request: readonly string[];
  /** The tool's version (and the runtime's), so an upgrade is never answered from an old record. */
  tool: string;
}

/** The record, as its first line holds it. */
export interface Record {
  format: number;
  key: string;
  /** Names this full write of the record: the patches appended to it carry it. */
  base: string;
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

/** A patch line: the record it applies to, the store's stamp, and the entries that moved. */
interface Patch {
  base: string;
  stamp: number[];
  /** Entry number, then the state (digest, mtime, size, ino, ctime, trusted). */
  files: [entry: number, ...state: (string | number)[]][];
}

/** The graph line: memo node ids, dependencies first, and each node's dependencies. */
interface Graph {
  ids: string[];
  /** Per node: a node's index, or `-1 - entry` for file entry `entry`. */
  deps: number[][];
}

/** The memo graph a build reached, as `Engine#graphUnder` gives it. */
export interface RecordedGraph {
  /** Memo nodes, each after every node it depends on. */
  nodes: readonly MemoNode[];
  /** Per node, its dependencies: leaves, and nodes by index in `nodes`. */
  deps: readonly (readonly (number | Leaf)[])[];
}

/**
 * Writes the record of a successful build, replacing any earlier one.
 *
 * @param stateDir The state directory.
 * @param key What the record answers for.
 * @param leaves Everything the build and build.ts depended on, as checked:
 * first what build.ts is made of and read while loading.
 * @param options How many of `leaves` come from build.ts (`loadLeaves`),
 * the id of the rule cache written with the record, the memo store's stamp,
 * and the memo graph the build reached.
 */
export function writeUpToDate(
  stateDir: string,
  key: UpToDateKey,
  leaves: readonly Leaf[],
  options: { loadLeaves?: number; cacheId?: string; stamp?: number[]; graph?: RecordedGraph } = {},
): void {
  const record: Record = {
    format: FORMAT,
    key: keyOf(key),
    base: crypto.randomUUID(),
    cacheId: options.cacheId ?? "",
    stamp: options.stamp ?? [],
    loadFiles: 0,
    files: [],
    listings: [],
    env: [],
  };
  const prefix = key.root + "/";
  /** The entry number of each file recorded. */
  const entries = new Map<string, number>();
  const loadLeaves = options.loadLeaves ?? 0;
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i];
    if (leaf instanceof FileLeaf) {
      if (leaf.digest === "" || entries.has(leaf.path)) continue;
      entries.set(leaf.path, record.files.length / FILE_FIELDS);
      if (i < loadLeaves) record.loadFiles++;
      const path = leaf.path.startsWith(prefix) ? leaf.path.slice(prefix.length) : leaf.path;
      record.files.push(path, ...leaf.state());
    } else if (leaf instanceof ListingLeaf) {
      record.listings.push([leaf.dir, leaf.pattern, [...leaf.skip], leaf.digest]);
    } else if (leaf instanceof EnvLeaf) {
      if (leaf.value !== undefined) record.env.push([leaf.name, leaf.value]);
    }
  }
  save(stateDir, record, options.graph === undefined ? "" : graphLine(options.graph, entries));
}

function graphLine(graph: RecordedGraph, entries: Map<string, number>): string {
  const line: Graph = { ids: graph.nodes.map((node) => node.id), deps: [] };
  for (const deps of graph.deps) {
    const refs: number[] = [];
    for (const dep of deps) {
      if (typeof dep === "number") refs.push(dep);
      else if (dep instanceof FileLeaf) {
        const entry = entries.get(dep.path);
        if (entry !== undefined) refs.push(-1 - entry);
      }
    }
    line.deps.push(refs);
  }
  return JSON.stringify(line);
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
  /**
   * When every entry was checked and the record has a graph: what the build
   * may trust, and the record to write again after it.
   */
  checked?: CheckedRecord;
}

/**
 * Whether the last successful build of this request is still up to date:
 * every recorded entry unchanged; and if not, whether build.ts's inputs
 * changed. Entries whose stat fields moved without a change of content are
 * recorded anew (a patch line, or the whole record when there are many).
 * @param stateDir The state directory.
 * @param key The request.
 * @param stats When given and the answer is no, filled with the stats the
 * check took, for the build that follows (see `useStatsTakenAhead`); not
 * when the verdict carries a {@linkcode CheckedRecord}, which says more.
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
  const read = readRecord(stateDir);
  if (read === undefined || read.record.key !== keyOf(key)) return NO;
  const { record, graphText, patches } = read;
  /** Entries (their offsets in `files`) whose stat fields or trust moved, content unchanged. */
  const moved: number[] = [];
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
  const loadEnd = record.loadFiles * FILE_FIELDS;
  // With a graph and a rule cache, a change after build.ts's own entries
  // does not end the check: the build is told what it does not reach.
  const complete = graphText !== "" && record.cacheId !== "";
  /** Per entry, 1 when it changed (only once the check goes on past a change). */
  let changed: Uint8Array | undefined;
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
    if (probe.changedAt !== 1) {
      files.splice(i + 1, FILE_FIELDS - 1, ...probe.state());
      moved.push(i);
      continue;
    }
    if (changed === undefined) {
      changedAt = i;
      if (!complete || i < loadEnd) {
        files.splice(i + 1, FILE_FIELDS - 1, ...probe.state());
        break;
      }
      changed = new Uint8Array(files.length / FILE_FIELDS);
    }
    // A changed entry keeps its old state: only the build that reads the
    // file again may record the new one.
    changed[i / FILE_FIELDS] = 1;
  }
  if (changedAt >= 0) {
    const verdict: UpToDateVerdict = {
      upToDate: false,
      buildTsUnchanged: changedAt >= loadEnd,
      cacheId: String(record.cacheId ?? ""),
      stamp: Array.isArray(record.stamp) ? record.stamp : [],
    };
    if (changed !== undefined) {
      verdict.checked = new CheckedRecord(record, graphText, changed, prefix, patches, moved);
      return verdict;
    }
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
  // What moved is kept, so that the next check does not hash it again.
  if (moved.length > 0) keepStates(stateDir, record, graphText, patches, moved, moved.length);
  return { upToDate: true, buildTsUnchanged: true, cacheId: "", stamp: [] };
}

/**
 * A record every entry of which was checked, some found changed, with the
 * graph of the build that wrote it: which memo nodes no changed file lies
 * under, and how to write the record again after a build that trusted them.
 */
export class CheckedRecord {
  /** Ids of the memo nodes that depend on no changed file, directly or not. */
  readonly unchanged: ReadonlySet<string>;
  readonly #record: Record;
  readonly #graphText: string;
  readonly #prefix: string;
  readonly #patches: number;
  readonly #moved: readonly number[];
  /**
   * The entries a build that trusts this check may find in a new state: the
   * changed ones and the files of the nodes above them. Another file the
   * build read keeps the state the check found, and if it changed meanwhile
   * the next check finds it so.
   */
  readonly #reachable = new Set<number>();

  /**
   * @param record The record, its unchanged entries as just checked.
   * @param graphText Its graph line.
   * @param changed Per file entry, 1 when it changed.
   * @param prefix The project root and a slash.
   * @param patches How many patch lines the file holds.
   * @param moved Entries (offsets in `files`) the check found moved, and
   * updated: the stat fields or trust of an unchanged file.
   */
  constructor(
    record: Record,
    graphText: string,
    changed: Uint8Array,
    prefix: string,
    patches: number,
    moved: readonly number[],
  ) {
    this.#record = record;
    this.#graphText = graphText;
    this.#prefix = prefix;
    this.#patches = patches;
    this.#moved = moved;
    const graph = JSON.parse(graphText) as Graph;
    const dirty = new Uint8Array(graph.ids.length);
    const unchanged = new Set<string>();
    for (let entry = 0; entry < changed.length; entry++) {
      if (changed[entry] !== 0) this.#reachable.add(entry);
    }
    for (let node = 0; node < graph.ids.length; node++) {
      const deps = graph.deps[node];
      let clean = true;
      for (const ref of deps) {
        // Dependencies come first; anything else is not trusted.
        if (ref < 0 ? changed[-1 - ref] !== 0 : ref >= node || dirty[ref] === 1) {
          clean = false;
          break;
        }
      }
      if (clean) {
        unchanged.add(graph.ids[node]);
        continue;
      }
      dirty[node] = 1;
      for (const ref of deps) if (ref < 0) this.#reachable.add(-1 - ref);
    }
    this.unchanged = unchanged;
  }

  /**
   * Writes the record again for the same request, after a build that took
   * `unchanged` as up to date and whose graph kept its shape: every file of
   * a node above a change that the build checked, with the state it saw; the
   * other entries as this check found them (a changed one the build did not
   * read keeps its old
   * state, so that the next check finds it changed again; one that moved
   * keeps the state the check gave it, or it would be hashed again by every
   * check, as the outputs of a build are until they are a tick old).
   * @param stateDir The state directory.
   * @param checked The files the build checked.
   * @param stamp The memo store's stamp now.
   */
  save(stateDir: string, checked: Iterable<FileLeaf>, stamp: number[]): void {
    const files = this.#record.files;
    const prefix = this.#prefix;
    // The build checked a few hundred files: looked for in one pass.
    const byName = new Map<string, FileLeaf>();
    for (const leaf of checked) {
      if (leaf.digest === "") continue;
      byName.set(leaf.path.startsWith(prefix) ? leaf.path.slice(prefix.length) : leaf.path, leaf);
    }
    const patched = new Set<number>();
    // What build.ts is made of or read keeps the state the check found: a
    // rule reading build.ts may see a newer one than the rules came from.
    const loadEnd = this.#record.loadFiles;
    for (const entry of this.#reachable) {
      if (entry < loadEnd) continue;
      const at = entry * FILE_FIELDS;
      const leaf = byName.get(files[at] as string);
      if (leaf === undefined) continue;
      const state = leaf.state();
      if (state.every((field, i) => files[at + 1 + i] === field)) continue;
      files.splice(at + 1, FILE_FIELDS - 1, ...state);
      patched.add(at);
    }
    for (const at of this.#moved) patched.add(at);
    this.#record.stamp = stamp;
    keepStates(
      stateDir,
      this.#record,
      this.#graphText,
      this.#patches,
      patched,
      this.#moved.length,
    );
  }
}

/** The record file as read: the record with its patches applied, its graph line, how many patches. */
export interface RecordRead {
  record: Record;
  graphText: string;
  patches: number;
}

/**
 * Reads the record file, applying its patches.
 * @param stateDir The state directory.
 * @returns The record, or undefined when there is none of this format.
 */
export function readRecord(stateDir: string): RecordRead | undefined {
  try {
    const text = Deno.readTextFileSync(joinPath(stateDir, UP_TO_DATE_FILE));
    const first = text.indexOf("\n");
    const record: Record = JSON.parse(first < 0 ? text : text.slice(0, first));
    if (record?.format !== FORMAT) return undefined;
    let graphText = "";
    let patches = 0;
    if (first >= 0) {
      const second = text.indexOf("\n", first + 1);
      graphText = text.slice(first + 1, second < 0 ? text.length : second);
      if (second >= 0) patches = applyPatches(record, text, second + 1);
    }
    return { record, graphText, patches };
  } catch {
    return undefined;
  }
}

/**
 * Applies the patch lines from `at` on to the record; skips a line that does
 * not parse (a torn append) or belongs to another record.
 * @returns How many lines there were.
 */
function applyPatches(record: Record, text: string, at: number): number {
  const files = record.files;
  const entries = files.length / FILE_FIELDS;
  let lines = 0;
  while (at < text.length) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    lines++;
    let patch: Patch | undefined;
    try {
      patch = JSON.parse(text.slice(at, end));
    } catch {
      // Torn: its build's changes are seen again by the next check.
    }
    at = end + 1;
    if (patch?.base !== record.base) continue;
    for (const [entry, ...state] of patch.files) {
      if (Number.isInteger(entry) && entry >= 0 && entry < entries && state.length === 6) {
        files.splice(entry * FILE_FIELDS + 1, FILE_FIELDS - 1, ...state);
      }
    }
    record.stamp = patch.stamp;
  }
  return lines;
}

/**
 * Keeps the record's new states of some entries: in a patch line with the
 * record's stamp, or by writing the record whole once it holds
 * {@linkcode MAX_PATCHES} patches or more than {@linkcode REWRITE_AFTER}
 * entries moved (the outputs of a cold build, say: as cheap to write whole).
 * @param entries The entries, by their offsets in `files`.
 * @param moved How many of them the check found moved.
 */
function keepStates(
  stateDir: string,
  record: Record,
  graphText: string,
  patches: number,
  entries: Iterable<number>,
  moved: number,
): void {
  if (patches >= MAX_PATCHES || moved > REWRITE_AFTER) return save(stateDir, record, graphText);
  const patch: Patch = { base: record.base, stamp: record.stamp, files: [] };
  const files = record.files;
  for (const at of entries) {
    patch.files.push([at / FILE_FIELDS, ...files.slice(at + 1, at + FILE_FIELDS)]);
  }
  appendPatch(stateDir, patch);
}

/**
 * Appends a patch line. The check that appends one holds no lock: a build
 * that replaced the record meanwhile gave it another base (the patch is
 * ignored) or renamed a new file over it (the patch is lost); both only make
 * the next check hash again. A record removed meanwhile is not made anew.
 */
function appendPatch(stateDir: string, patch: Patch): void {
  const file = joinPath(stateDir, UP_TO_DATE_FILE);
  try {
    Deno.writeTextFileSync(file, "\n" + JSON.stringify(patch), { append: true, create: false });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function keyOf(key: UpToDateKey): string {
  return JSON.stringify([key.root, key.request, key.tool]);
}

function save(stateDir: string, record: Record, graphText: string): void {
  const file = joinPath(stateDir, UP_TO_DATE_FILE);
  const temp = `${file}.${Deno.pid}.tmp`;
  // The graph line is there even empty: patch lines come after it.
  Deno.writeTextFileSync(temp, JSON.stringify(record) + "\n" + graphText);
  Deno.renameSync(temp, file);
}
