/**
 * Tracked reads: inside a memo body (or a rule action), each records a
 * dependency of the running computation; at the top of `engine.run`, a root
 * of it; outside any engine run, each is a plain read.
 *
 * @module
 */
import { resolve } from "node:path";
import { currentFrame } from "./context.ts";
import { listGlob } from "./leaves/glob.ts";
import { defaultEngine, type Engine } from "./engine.ts";
import { isJsonData } from "./json.ts";
import { EnvLeaf } from "./leaves/env.ts";
import { FileLeaf } from "./leaves/file.ts";
import { fileStandIns } from "./leaves/stand_ins.ts";
import { InputLeaf } from "./leaves/input.ts";
import { ListingLeaf } from "./leaves/listing.ts";
import { VarLeaf } from "./leaves/var.ts";
import { type Cell, MemoNode } from "./node.ts";
import { digestOf, digestOfFile } from "./stat/digest.ts";

const decoder = new TextDecoder();

/**
 * Reads a file as bytes; a change of its content re-runs the computation.
 * Reading a missing file is tracked too: creating it is a change.
 * @param path The file, relative to the engine's root or absolute.
 * @returns Its content.
 *
 * @example
 * ```ts
 * import { readBytes } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.writeFile(file, new Uint8Array([1, 2]));
 * assert.deepEqual([...await readBytes(file)], [1, 2]);
 * ```
 */
export function readBytes(path: string): Promise<Uint8Array> {
  const frame = currentFrame();
  if (frame === undefined) return Deno.readFile(path);
  const engine = frame.engine;
  const leaf = engine.fileLeaf(resolve(engine.root, path));
  engine.checkLeaf(leaf);
  frame.addDep(leaf);
  if (leaf.standsIn) return fetchAndRead(leaf.path);
  try {
    return Promise.resolve(Deno.readFileSync(leaf.path));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Reads a file known by content alone (leaves/stand_ins.ts), fetched first:
 * it counts as present, so it is never read as missing.
 */
async function fetchAndRead(path: string): Promise<Uint8Array> {
  const fetch = fileStandIns()?.fetch;
  if (fetch === undefined) {
    throw new Error(`Cannot read ${path}: it is known by its content alone, not on disk here`);
  }
  await fetch(path);
  return Deno.readFileSync(path);
}

/**
 * Reads a file as UTF-8 text; a change of its content re-runs the computation.
 * @param path The file, relative to the engine's root or absolute.
 * @returns Its text.
 *
 * @example
 * ```ts
 * import { readText } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "hi");
 * assert.equal(await readText(file), "hi");
 * ```
 */
export async function readText(path: string): Promise<string> {
  return decoder.decode(await readBytes(path));
}

/** What {@linkcode stat} tells of a path. */
export interface PathInfo {
  /** A regular file (or a link to one). */
  isFile: boolean;
  /** A directory. */
  isDirectory: boolean;
}

/**
 * Tells whether a path is a file, a directory or absent. The dependency is
 * on the file's content digest, so any change of the file re-runs the
 * computation.
 * @param path The path.
 * @returns What it is, or null when absent.
 *
 * @example
 * ```ts
 * import { stat } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * assert.equal((await stat(await Deno.makeTempDir()))?.isDirectory, true);
 * ```
 */
export function stat(path: string): Promise<PathInfo | null> {
  const frame = currentFrame();
  if (frame === undefined) {
    try {
      const st = Deno.statSync(path);
      return Promise.resolve({ isFile: st.isFile, isDirectory: st.isDirectory });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return Promise.resolve(null);
      return Promise.reject(error);
    }
  }
  const engine = frame.engine;
  const leaf = engine.fileLeaf(resolve(engine.root, path));
  engine.checkLeaf(leaf);
  frame.addDep(leaf);
  if (leaf.isDirectory) return Promise.resolve({ isFile: false, isDirectory: true });
  return Promise.resolve(leaf.exists ? { isFile: true, isDirectory: false } : null);
}

/**
 * The digest of a file's content (as {@linkcode digestOf} gives it), with a
 * dependency on it, as {@linkcode stat} records: a change of the file re-runs
 * the computation. Cheap when the file was read before: its digest is known.
 * @param path The path.
 * @returns The digest, or null when the path is absent or a directory.
 *
 * @example
 * ```ts
 * import { contentDigest, digestOf, Engine } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "hi");
 * assert.equal(await new Engine().run(() => contentDigest(file)), digestOf("hi"));
 * ```
 */
export function contentDigest(path: string): Promise<string | null> {
  const frame = currentFrame();
  if (frame === undefined) {
    try {
      return Promise.resolve(Deno.statSync(path).isFile ? digestOfFile(path) : null);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return Promise.resolve(null);
      return Promise.reject(error);
    }
  }
  const engine = frame.engine;
  const leaf = engine.fileLeaf(resolve(engine.root, path));
  engine.checkLeaf(leaf);
  frame.addDep(leaf);
  return Promise.resolve(leaf.exists && !leaf.isDirectory ? leaf.digest : null);
}

/**
 * Tells whether a path exists; creating or deleting it re-runs the computation.
 * @param path The path.
 * @returns True when it exists.
 *
 * @example
 * ```ts
 * import { exists } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await exists("/no/such/path"), false);
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  return (await stat(path)) !== null;
}

/**
 * Lists a directory: names sorted, directories with a trailing `/`. Adding or
 * removing an entry re-runs the computation.
 * @param path The directory.
 * @returns The sorted names; empty when the directory does not exist.
 *
 * @example
 * ```ts
 * import { readDir } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/sub`);
 * await Deno.writeTextFile(`${dir}/a.txt`, "");
 * assert.deepEqual(await readDir(dir), ["a.txt", "sub/"]);
 * ```
 */
export function readDir(path: string): Promise<string[]> {
  const frame = currentFrame();
  const engine = frame?.engine;
  if (frame === undefined || engine === undefined) {
    const names = [...Deno.readDirSync(path)].map((e) => e.isDirectory ? e.name + "/" : e.name);
    return Promise.resolve(names.sort());
  }
  const leaf = engine.listingLeaf(resolve(engine.root, path), null);
  engine.checkLeaf(leaf);
  frame.addDep(leaf);
  return Promise.resolve([...leaf.entries]);
}

/** Options of {@linkcode glob}. */
export interface GlobOptions {
  /**
   * The directory the pattern is relative to.
   * @default the engine's root
   */
  cwd?: string;
  /**
   * Directories (relative to `cwd`) not to enter, such as build outputs.
   * @default []
   */
  skip?: string[];
}

/**
 * Lists the files matching a glob pattern (`*`, `**`, `?`, `[ab]`, `{a,b}`),
 * sorted. A new or removed matching file re-runs the computation.
 * @param pattern The pattern, relative to `cwd`.
 * @param options Options.
 * @returns Matching paths relative to `cwd`.
 *
 * @example
 * ```ts
 * import { Engine, glob } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/src/x`, { recursive: true });
 * await Deno.writeTextFile(`${dir}/src/x/a.c`, "");
 * await Deno.writeTextFile(`${dir}/src/b.h`, "");
 * assert.deepEqual(await glob("src/**\/*.c", { cwd: dir }), ["src/x/a.c"]);
 * ```
 */
export function glob(pattern: string, options: GlobOptions = {}): Promise<string[]> {
  const frame = currentFrame();
  const engine = frame?.engine;
  const cwd = resolve(engine?.root ?? Deno.cwd(), options.cwd ?? ".");
  if (frame === undefined || engine === undefined) {
    return Promise.resolve(listGlob(cwd, pattern, options.skip));
  }
  const leaf = engine.listingLeaf(cwd, pattern, options.skip ?? []);
  engine.checkLeaf(leaf);
  frame.addDep(leaf);
  return Promise.resolve([...leaf.entries]);
}

/**
 * Reads an environment variable; a change re-runs the computation (checked
 * once per engine epoch, i.e. per process or after `invalidateAll`).
 * @param name The variable.
 * @returns Its value, or undefined when unset.
 *
 * @example
 * ```ts
 * import { env } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * Deno.env.set("DOC_ENV_EXAMPLE", "1");
 * assert.equal(env("DOC_ENV_EXAMPLE"), "1");
 * ```
 */
export function env(name: string): string | undefined {
  const frame = currentFrame();
  if (frame === undefined) return Deno.env.get(name);
  const leaf = frame.engine.envLeaf(name);
  frame.engine.checkLeaf(leaf);
  frame.addDep(leaf);
  return leaf.value ?? undefined;
}

/**
 * Reads a named input set with `Engine#setInput`; a change re-runs the
 * computation.
 * @param key The input's name.
 * @returns Its value, "" when never set.
 *
 * @example
 * ```ts
 * import { Engine, readInput } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const engine = new Engine();
 * engine.setInput("flags", "-O2");
 * assert.equal(await engine.run(() => readInput("flags")), "-O2");
 * ```
 */
export function readInput(key: string): string {
  const frame = currentFrame();
  if (frame === undefined) return "";
  const leaf = frame.engine.inputLeaf(key);
  frame.addDep(leaf);
  return leaf.value;
}

/**
 * Declares that the running computation wrote a file: its new content is
 * digested and becomes a dependency, so that a later change by anyone else
 * re-runs the computation.
 * @param path The file written.
 * @returns Its digest, or null when the file does not exist.
 *
 * @example
 * ```ts
 * import { Engine, memo, recordWrite } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const out = await Deno.makeTempFile();
 * const make = memo("docRecordWrite", async (path: string) => {
 *   await Deno.writeTextFile(path, "built");
 *   return recordWrite(path);
 * });
 * assert.equal(typeof await new Engine().run(() => make(out)), "string");
 * ```
 */
export function recordWrite(path: string): string | null {
  const frame = currentFrame();
  if (frame?.node === undefined) throw new Error(`recordWrite(${path}) outside a memo computation`);
  const engine = frame.engine;
  const leaf = engine.fileLeaf(resolve(engine.root, path));
  engine.recheckFile(leaf);
  frame.addDep(leaf);
  return leaf.exists ? leaf.digest : null;
}

/**
 * Declares that the running computation wrote a directory's entries: they
 * are listed afresh and the listing becomes a dependency, so that an entry
 * someone else adds or removes re-runs the computation.
 * @param path The directory written.
 * @returns Its entries, sorted, directories with a trailing `/`.
 *
 * @example
 * ```ts
 * import { Engine, memo, recordListing } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const make = memo("docRecordListing", async (path: string) => {
 *   await Deno.writeTextFile(`${path}/a.txt`, "built");
 *   return recordListing(path);
 * });
 * assert.deepEqual(await new Engine().run(() => make(dir)), ["a.txt"]);
 * ```
 */
export function recordListing(path: string): string[] {
  const frame = currentFrame();
  if (frame?.node === undefined) {
    throw new Error(`recordListing(${path}) outside a memo computation`);
  }
  const engine = frame.engine;
  const leaf = engine.listingLeaf(resolve(engine.root, path), null);
  engine.recheckFile(leaf);
  frame.addDep(leaf);
  return [...leaf.entries];
}

/**
 * Runs `fn`, whose reads form one group: when the computation is next
 * verified, the members of a group are re-checked all at once (memo calls
 * among them in parallel), groups one after another in the order they were
 * read. Reads made outside any group are re-checked one by one, since a
 * later one may depend on what an earlier one returned. Use it where reads
 * are independent, such as the dependencies a rule needs at once.
 * @param fn The reads, typically started together.
 * @returns What `fn` returns.
 *
 * @example Two independent reads, checked together next time
 * ```ts
 * import { Engine, memo, readTogether } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const square = memo("docSquare", (n: number) => n * n);
 * const sum = memo("docSquares", (n: number) =>
 *   readTogether(async () => (await Promise.all([square(n), square(n + 1)])).reduce((a, b) => a + b)));
 * assert.equal(await new Engine().run(() => sum(2)), 13);
 * ```
 */
export function readTogether<T>(fn: () => Promise<T>): Promise<T> {
  const frame = currentFrame();
  return frame === undefined ? fn() : frame.readTogether(fn);
}

/**
 * The value the running memo call returned the last time it succeeded (in
 * this process or, with a store, an earlier one), for a body that can reuse
 * work it did then, such as commands whose inputs did not change. Reading it
 * records no dependency: what the body returns must not depend on it beyond
 * work it would redo identically.
 * @returns The previous value, or undefined (first execution, or outside a memo body).
 *
 * @example
 * ```ts
 * import { Engine, memo, previousValue, Var } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const tick = new Var("docTick", 1);
 * const runs = memo("docRuns", () => {
 *   tick.get();
 *   return ((previousValue() as number | undefined) ?? 0) + 1;
 * });
 * const engine = new Engine();
 * assert.equal(await engine.run(() => runs(null)), 1);
 * tick.set(2);
 * assert.equal(await engine.run(() => runs(null)), 2);
 * ```
 */
export function previousValue(): unknown {
  return currentFrame()?.node?.success?.value;
}

/**
 * A digest of what the running computation has read so far: each file's
 * content, each listing, each environment variable, var and input, each
 * memo call's value. Two computations that read the same things with the
 * same values get the same digest: a body can use it as the version of
 * values it built from those reads, such as the code of functions defined
 * by a module it evaluated.
 * @returns The digest, or "" outside any computation.
 *
 * @example
 * ```ts
 * import { Engine, env, readsDigest } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * Deno.env.set("DOC_READS_DIGEST", "1");
 * const engine = new Engine();
 * const first = await engine.run(() => (env("DOC_READS_DIGEST"), readsDigest()));
 * Deno.env.set("DOC_READS_DIGEST", "2");
 * engine.invalidateAll();
 * const second = await engine.run(() => (env("DOC_READS_DIGEST"), readsDigest()));
 * assert.notEqual(first, second);
 * ```
 */
export function readsDigest(): string {
  const frame = currentFrame();
  if (frame === undefined) return "";
  const parts: unknown[] = [];
  for (const dep of frame.deps) parts.push(dep.id, valueOf(dep));
  return digestOf(JSON.stringify(parts));
}

function valueOf(cell: Cell): unknown {
  if (cell instanceof MemoNode) {
    const state = cell.state;
    return state.kind === "value"
      ? jsonOrChange(state.success.value, cell)
      : `failed ${cell.changedAt}`;
  }
  if (cell instanceof FileLeaf || cell instanceof ListingLeaf || cell instanceof VarLeaf) {
    return cell.digest;
  }
  if (cell instanceof EnvLeaf || cell instanceof InputLeaf) return cell.value ?? null;
  return cell.changedAt;
}

/** A value as JSON, or (when it is not JSON data) the run it last changed in. */
function jsonOrChange(value: unknown, cell: Cell): unknown {
  return isJsonData(value) ? value : `changed ${cell.changedAt}`;
}

/**
 * Returns the engine of the running computation, or the default engine.
 * @returns The engine.
 *
 * @example
 * ```ts
 * import { currentEngine, Engine } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const engine = new Engine();
 * assert.equal(await engine.run(() => currentEngine()), engine);
 * ```
 */
export function currentEngine(): Engine {
  return currentFrame()?.engine ?? defaultEngine();
}
