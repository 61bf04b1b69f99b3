/**
 * What build.ts reads while it is evaluated, through Deno's file and
 * environment API: files read, opened or stat'ed, directories listed,
 * environment variables looked up. Together with the modules build.ts
 * imports, they decide whether evaluating it again could give other rules.
 *
 * Each read is recorded as a leaf checked just before the read itself, so a
 * change made after that instant is always seen as a change later on. Reads
 * through other means (`node:fs`, the network, the clock) are not seen; a
 * build.ts that makes them reports it with `untracked`, as when it lists
 * the whole environment.
 *
 * @module
 */
import { resolve } from "node:path";
import { EnvLeaf } from "../../memo/leaves/env.ts";
import { FileLeaf } from "../../memo/leaves/file.ts";
import { ListingLeaf } from "../../memo/leaves/listing.ts";
import type { Leaf } from "../../memo/node.ts";

/** What one evaluation of build.ts read. */
export interface LoadReads {
  /** Files, directory listings and environment variables, as checked when read. */
  leaves: Leaf[];
  /** Reads that cannot be checked later (such as `Deno.env.toObject()`), described. */
  untracked: string[];
}

type AnyFn = (...args: never[]) => unknown;

const FILE_READS = [
  "readFile",
  "readFileSync",
  "readTextFile",
  "readTextFileSync",
  "open",
  "openSync",
  "stat",
  "statSync",
  "lstat",
  "lstatSync",
  "realPath",
  "realPathSync",
] as const;
const DIR_READS = ["readDir", "readDirSync"] as const;

/** A recording under way: where its reads go. */
class Recording {
  readonly reads: LoadReads;
  readonly #seen = new Set<string>();

  constructor(reads: LoadReads) {
    this.reads = reads;
  }

  /** Adds a leaf checked now, unless one of this key was added already. */
  note(key: string, make: () => Leaf): void {
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    const leaf = make();
    checking = true;
    try {
      (leaf as FileLeaf | ListingLeaf | EnvLeaf).refresh(0);
    } finally {
      checking = false;
    }
    this.reads.leaves.push(leaf);
  }
}

/** Recordings under way: loads may overlap, and then each sees every read. */
const active = new Set<Recording>();
/** Undoes the hooks, while they are installed. */
let uninstall: (() => void) | undefined;
/** Whether a hook is checking a leaf (its own reads are not recorded). */
let checking = false;

/**
 * Runs `fn` (the evaluation of build.ts) and records into `reads` what it
 * read through Deno's API, also when it throws. Evaluations that overlap
 * (two projects loaded at once) each record the other's reads too, which
 * only makes their records more cautious.
 *
 * @param fn The evaluation.
 * @param reads Where to record (appended to).
 * @returns What `fn` returns.
 */
export async function recordLoadReads<T>(fn: () => Promise<T>, reads: LoadReads): Promise<T> {
  const recording = new Recording(reads);
  active.add(recording);
  uninstall ??= install();
  try {
    return await fn();
  } finally {
    active.delete(recording);
    if (active.size === 0) {
      uninstall?.();
      uninstall = undefined;
    }
  }
}

/** Wraps Deno's read functions so that each read is noted by every active recording. */
function install(): () => void {
  const restore: (() => void)[] = [];
  const hook = <O extends object>(
    owner: O,
    name: keyof O & string,
    record: (recording: Recording, arg: unknown) => void,
  ) => {
    const original = owner[name] as AnyFn;
    const replacement = function (this: unknown, ...args: never[]) {
      if (!checking) {
        for (const recording of active) {
          try {
            record(recording, args[0]);
          } catch {
            recording.reads.untracked.push(`${name}(${String(args[0])})`);
          }
        }
      }
      return original.apply(this, args);
    };
    (owner as Record<string, unknown>)[name] = replacement;
    restore.push(() => (owner as Record<string, unknown>)[name] = original);
  };
  const file = (recording: Recording, arg: unknown) => {
    const path = pathOf(arg);
    recording.note("f" + path, () => new FileLeaf("", path));
  };
  const dir = (recording: Recording, arg: unknown) => {
    const path = pathOf(arg);
    recording.note("l" + path, () => new ListingLeaf("", path, null));
  };
  const env = (recording: Recording, arg: unknown) => {
    const name = String(arg);
    recording.note("e" + name, () => new EnvLeaf("", name));
  };
  for (const name of FILE_READS) hook(Deno, name, file);
  for (const name of DIR_READS) hook(Deno, name, dir);
  hook(Deno.env, "get", env);
  hook(Deno.env, "has", env);
  hook(Deno.env, "toObject", (recording) => recording.reads.untracked.push("Deno.env.toObject()"));
  return () => {
    for (const undo of restore.reverse()) undo();
  };
}

function pathOf(arg: unknown): string {
  if (arg instanceof URL) {
    if (arg.protocol !== "file:") throw new Error("not a file URL");
    return decodeURIComponent(arg.pathname);
  }
  if (typeof arg !== "string") throw new Error("not a path");
  return resolve(arg);
}
