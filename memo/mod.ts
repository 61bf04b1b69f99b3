/**
 * Incremental computation: memoized functions that record what they read
 * (files, directory listings, globs, environment variables, vars and other
 * memo calls), verify their traces after changes with early cutoff, detect
 * cycles, cache errors, and persist results across processes.
 *
 * @example Early cutoff
 * ```ts
 * import { Engine, memo, Var } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const n = new Var("modN", 4);
 * const parity = memo("modParity", () => n.get() % 2);
 * const label = memo("modLabel", async () => (await parity(null)) === 0 ? "even" : "odd");
 * const engine = new Engine();
 * assert.equal(await engine.run(() => label(null)), "even");
 * n.set(6);
 * assert.equal(await engine.run(() => label(null)), "even");
 * assert.equal(engine.stats().get("modLabel")?.executed, 1);
 * ```
 *
 * @module
 */
export { memo } from "./memo.ts";
export type { MemoFunction, MemoOptions } from "./memo.ts";
export type { Codec, MemoStats } from "./definition.ts";
export { Var } from "./var.ts";
export type { VarOptions } from "./var.ts";
export { defaultEngine, Engine } from "./engine.ts";
export type { EngineOptions, ExecutionInfo, TrustedPlaces } from "./engine.ts";
export {
  contentDigest,
  currentEngine,
  env,
  exists,
  glob,
  previousValue,
  readBytes,
  readDir,
  readInput,
  readsDigest,
  readText,
  readTogether,
  recordListing,
  recordWrite,
  stat,
} from "./reads.ts";
export type { GlobOptions, PathInfo } from "./reads.ts";
export { CycleError, MemoError } from "./errors.ts";
export type { StackFrame } from "./errors.ts";
export { redefine, stampDefinitions } from "./registry.ts";
export { canonicalKey } from "./key.ts";
export { digestOf, digestOfFile } from "./stat/digest.ts";
export { fileClock, statPath } from "./stat/stat.ts";
export { Store } from "./persist/store.ts";
export type { StoreOptions, StoreRecord } from "./persist/store.ts";
export { verifyRoot } from "./verify_root.ts";
export type { RootIndex, Summary } from "./persist/checkpoint.ts";
export type { RootVerdict } from "./verify_root.ts";
export type { PathStat } from "./stat/stat.ts";
export { globToRegExp } from "./leaves/glob.ts";
export { isJsonData } from "./json.ts";

// For barchan's own layers (marked @internal): what rules/ needs of memo.
export { currentFrame } from "./context.ts";
export { messageOf } from "./errors.ts";
export type { Cell, Leaf, LeafKind } from "./node.ts";
export { FileLeaf, tickOf } from "./leaves/file.ts";
export type { FileState } from "./leaves/file.ts";
export { fileStandIns, setFileStandIns } from "./leaves/stand_ins.ts";
export type { FileStandIns } from "./leaves/stand_ins.ts";
export { ListingLeaf } from "./leaves/listing.ts";
export { EnvLeaf } from "./leaves/env.ts";
export { directoryAt, pathPresent, statRelativeTo } from "./stat/stat.ts";
export { STORE_FILE } from "./persist/store.ts";
