/**
 * `memo(name, fn)`: turns a top-level async function of one input into a
 * memoized one whose calls record what they read.
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import { currentFrame } from "./context.ts";
import type { Codec, MemoDefinition } from "./definition.ts";
import { digestOf } from "./stat/digest.ts";
import { defaultEngine } from "./engine.ts";
import { ensure } from "./exec.ts";
import { canonicalKey } from "./key.ts";
import type { MemoNode } from "./node.ts";
import { markEvaluationStarted, register } from "./registry.ts";

/** Options of {@linkcode memo}. */
export interface MemoOptions<I, O> {
  /**
   * Turns an input into a stable string. Required for inputs that are not
   * plain data (class instances, functions, symbols).
   * @default canonical JSON with sorted object keys
   */
  key?: (input: I) => string;
  /**
   * Output equality: when a re-executed body returns a value equal to the
   * previous one, dependents are not re-executed.
   * @default deep structural equality
   */
  cutoff?: (a: O, b: O) => boolean;
  /**
   * How a call is named in errors and cycles: a fixed text, or a function of
   * the input.
   * @default `name(input)`
   */
  description?: string | ((input: I) => string);
  /**
   * Whether results are kept in the engine's store: `true` for JSON data
   * (other outputs are then kept in memory only), `false` never, or a codec
   * for outputs that are not JSON data.
   * @default true
   */
  persist?: boolean | Codec<O>;
  /**
   * Changes the code digest by hand. The digest of the function's source text
   * already changes when the body changes; bump this when something the body
   * relies on outside its text changes.
   * @default ""
   */
  version?: string | number;
}

/** A memoized function: same signature as the original, always async. */
export type MemoFunction<I, O> = (input: I) => Promise<O>;

const jsonCodec: Codec<unknown> = { encode: (v) => v, decode: (v) => v };

/**
 * Memoizes a top-level function of one input. Calls record what they read
 * (files, vars, environment, other memo calls); results are cached per input
 * and reused while none of those changed; a recomputed value equal to the old
 * one does not rerun dependents (early cutoff).
 *
 * Names are unique. Memo functions must be created at module top level,
 * before any evaluation starts.
 *
 * @param name A unique name; it identifies results in the store.
 * @param fn The function, of one input.
 * @param options Options.
 * @returns The memoized function.
 *
 * @example Counting lines of files
 * ```ts
 * import { Engine, memo, readText } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const lines = memo("docLines", async (path: string) =>
 *   (await readText(path)).split("\n").length);
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "1\n2\n3");
 * const engine = new Engine({ root: dir });
 * assert.equal(await engine.run(() => lines("a.txt")), 3);
 * await Deno.writeTextFile(`${dir}/a.txt`, "1");
 * engine.invalidatePaths(["a.txt"]);
 * assert.equal(await engine.run(() => lines("a.txt")), 1);
 * ```
 */
export function memo<I, O>(
  name: string,
  fn: (input: I) => O | Promise<O>,
  options: MemoOptions<I, O> = {},
): MemoFunction<I, O> {
  const what = `input of memo "${name}"`;
  const key = options.key ?? ((input: I) => canonicalKey(input, what));
  const description = options.description;
  const label = typeof description === "function"
    ? description
    : (input: I) => `${description ?? name}(${shortText(input, key)})`;
  const persist = options.persist === false
    ? false
    : options.persist === true || options.persist === undefined
    ? jsonCodec
    : options.persist;
  const def: MemoDefinition = {
    name,
    fn: fn as (input: unknown) => unknown,
    key: key as (input: unknown) => string,
    cutoff: (options.cutoff ?? isDeepStrictEqual) as (a: unknown, b: unknown) => boolean,
    label: label as (input: unknown) => string,
    persist: persist as Codec<unknown> | false,
    code: digestOf(fn.toString() + "\u0000" + (options.version ?? "")),
    site: callerSite(),
  };
  register(def, currentFrame()?.node !== undefined);
  return (input: I) => call(def, input) as Promise<O>;
}

function call(def: MemoDefinition, input: unknown): Promise<unknown> {
  markEvaluationStarted();
  const frame = currentFrame();
  const engine = frame?.engine ?? defaultEngine();
  let node: MemoNode;
  try {
    node = engine.memoNode(def, input);
  } catch (error) {
    // An input without a key: reject like any other failure of the call.
    return Promise.reject(error);
  }
  if (frame !== undefined) frame.addDep(node);
  if (node.verifiedAt === engine.currentRun() && node.inflight === undefined) {
    node.stats.reused++;
    return node.error === undefined ? Promise.resolve(node.value) : Promise.reject(node.error);
  }
  return ensure(engine, node, frame?.node).then(() => outcome(node));
}

function outcome(node: MemoNode): unknown {
  if (node.error !== undefined) throw node.error;
  return node.value;
}

function shortText<I>(input: I, key: (input: I) => string): string {
  let text: string;
  try {
    text = typeof input === "string" ? JSON.stringify(input) : key(input);
  } catch {
    text = String(input);
  }
  return text.length > 80 ? text.slice(0, 77) + "..." : text;
}

function callerSite(): string {
  const lines = new Error().stack?.split("\n") ?? [];
  for (const line of lines.slice(1)) {
    if (!line.includes("/memo/memo.ts")) return line.trim().replace(/^at /, "");
  }
  return "unknown location";
}
