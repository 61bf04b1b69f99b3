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
import { EnvLeaf, FileLeaf, ListingLeaf } from "../memo/leaves.ts";
import type { Leaf } from "../memo/node.ts";

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

let recording = false;

/**
 * Runs `fn` (the evaluation of build.ts) and records into `reads` what it
 * read through Deno's API, also when it throws. Only one recording runs at
 * a time.
 *
 * @param fn The evaluation.
 * @param reads Where to record (appended to).
 * @returns What `fn` returns.
 */
export async function recordLoadReads<T>(fn: () => Promise<T>, reads: LoadReads): Promise<T> {
  if (recording) throw new Error("build.ts reads are already being recorded");
  recording = true;
  const seen = new Set<string>();
  let inside = false;
  const note = (key: string, make: () => Leaf) => {
    if (seen.has(key)) return;
    seen.add(key);
    const leaf = make();
    inside = true;
    try {
      (leaf as FileLeaf | ListingLeaf | EnvLeaf).refresh(0);
    } finally {
      inside = false;
    }
    reads.leaves.push(leaf);
  };
  const restore: (() => void)[] = [];
  const hook = <O extends object>(
    owner: O,
    name: keyof O & string,
    record: (arg: unknown) => void,
  ) => {
    const original = owner[name] as AnyFn;
    const replacement = function (this: unknown, ...args: never[]) {
      if (!inside) {
        try {
          record(args[0]);
        } catch {
          reads.untracked.push(`${name}(${String(args[0])})`);
        }
      }
      return original.apply(this, args);
    };
    (owner as Record<string, unknown>)[name] = replacement;
    restore.push(() => (owner as Record<string, unknown>)[name] = original);
  };
  const file = (arg: unknown) => {
    const path = pathOf(arg);
    note("f" + path, () => new FileLeaf("", path));
  };
  const dir = (arg: unknown) => {
    const path = pathOf(arg);
    note("l" + path, () => new ListingLeaf("", path, null));
  };
  const env = (arg: unknown) => {
    const name = String(arg);
    note("e" + name, () => new EnvLeaf("", name));
  };
  try {
    for (const name of FILE_READS) hook(Deno, name, file);
    for (const name of DIR_READS) hook(Deno, name, dir);
    hook(Deno.env, "get", env);
    hook(Deno.env, "has", env);
    hook(Deno.env, "toObject", () => reads.untracked.push("Deno.env.toObject()"));
    return await fn();
  } finally {
    for (const undo of restore.reverse()) undo();
    recording = false;
  }
}

function pathOf(arg: unknown): string {
  if (arg instanceof URL) {
    if (arg.protocol !== "file:") throw new Error("not a file URL");
    return decodeURIComponent(arg.pathname);
  }
  if (typeof arg !== "string") throw new Error("not a path");
  return resolve(arg);
}
