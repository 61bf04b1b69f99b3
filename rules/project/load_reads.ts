/**
 * What build.ts reads while it is evaluated, through Deno's file and
 * environment API: files read, opened or stat'ed, directories listed,
 * environment variables looked up. Together with the modules build.ts
 * imports, they decide whether evaluating it again could give other rules.
 *
 * Each read is handed to a {@linkcode ReadTracker} just before the read
 * itself, so a change made after that instant is always seen as a change
 * later on. Reads through other means (`node:fs`, the network, the clock)
 * are not seen; a build.ts that makes them reports it as `untracked`, as
 * when it lists the whole environment.
 *
 * @module
 */
import { resolve } from "node:path";

/** Receives the reads of an evaluation, each just before it is made. */
export interface ReadTracker {
  /** A file read, opened or stat'ed (an absolute path). */
  file(path: string): void;
  /** A directory listed (an absolute path). */
  dir(path: string): void;
  /** An environment variable looked up. */
  env(name: string): void;
  /** A read that cannot be checked later, described (`Deno.env.toObject()`). */
  untracked(what: string): void;
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

/** A recording under way: where its reads go, each once. */
class Recording {
  readonly tracker: ReadTracker;
  readonly #seen = new Set<string>();

  constructor(tracker: ReadTracker) {
    this.tracker = tracker;
  }

  /** Hands a read to the tracker, unless one of this key was handed already. */
  note(key: string, hand: (tracker: ReadTracker) => void): void {
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    checking = true;
    try {
      hand(this.tracker);
    } finally {
      checking = false;
    }
  }
}

/** Recordings under way: loads may overlap, and then each sees every read. */
const active = new Set<Recording>();
/** Undoes the hooks, while they are installed. */
let uninstall: (() => void) | undefined;
/** Whether a tracker is at work (its own reads are not recorded). */
let checking = false;

/**
 * Runs `fn` (the evaluation of build.ts) and hands `tracker` what it reads
 * through Deno's API, also when it throws. Evaluations that overlap (two
 * projects loaded at once) each see the other's reads too, which only makes
 * what they depend on more cautious.
 *
 * @param fn The evaluation.
 * @param tracker Receives the reads.
 * @returns What `fn` returns.
 */
export async function recordLoadReads<T>(fn: () => Promise<T>, tracker: ReadTracker): Promise<T> {
  const recording = new Recording(tracker);
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
            recording.tracker.untracked(`${name}(${String(args[0])})`);
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
    recording.note("f" + path, (tracker) => tracker.file(path));
  };
  const dir = (recording: Recording, arg: unknown) => {
    const path = pathOf(arg);
    recording.note("l" + path, (tracker) => tracker.dir(path));
  };
  const env = (recording: Recording, arg: unknown) => {
    const name = String(arg);
    recording.note("e" + name, (tracker) => tracker.env(name));
  };
  for (const name of FILE_READS) hook(Deno, name, file);
  for (const name of DIR_READS) hook(Deno, name, dir);
  hook(Deno.env, "get", env);
  hook(Deno.env, "has", env);
  hook(Deno.env, "toObject", (recording) => recording.tracker.untracked("Deno.env.toObject()"));
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
