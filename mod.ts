/**
 * barchan: a build system for Deno. Describe a build in a typed `build.ts`
 * with `rule`, `alias` and `memo`, and run it with `deno run -A cli.ts build`.
 *
 * This entry point re-exports the build.ts DSL (`rule`, `alias`, `run`, `sh`,
 * `write`, `copy`), `build()` for scripts, the memo engine (incremental computation with
 * dependency tracking, early cutoff and persistence) and the fiber library
 * (structured concurrency, processes, file watching).
 *
 * @example A memoized function over a file
 * ```ts
 * import { Engine, memo, readText } from "@barchan/barchan";
 * import assert from "node:assert/strict";
 *
 * const words = memo("rootWords", async (path: string) =>
 *   (await readText(path)).split(/\s+/).filter(Boolean).length);
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "one two three");
 * assert.equal(await new Engine().run(() => words(file)), 3);
 * ```
 *
 * @module
 */
export {
  canonicalKey,
  CycleError,
  defaultEngine,
  Engine,
  env,
  exists,
  glob,
  memo,
  MemoError,
  readBytes,
  readDir,
  readText,
  redefine,
  stat,
  Var,
} from "./memo/mod.ts";
export type {
  Codec,
  EngineOptions,
  GlobOptions,
  MemoFunction,
  MemoOptions,
  MemoStats,
  PathInfo,
  StackFrame,
  VarOptions,
} from "./memo/mod.ts";
export {
  alias,
  build,
  BuildFileError,
  copy,
  plainReporter,
  rule,
  RuleError,
  RuleHandle,
  run,
  sh,
  write,
} from "./rules/mod.ts";
export type {
  Action,
  ActionContext,
  BuildFailure,
  BuildOptions,
  BuildResult,
  Dep,
  Reporter,
  RuleOptions,
  RunOptions,
} from "./rules/mod.ts";
export {
  CancelledError,
  CancelScope,
  forkAndJoin,
  isCancellation,
  Ivar,
  Mutex,
  Mvar,
  ParallelError,
  parallelIter,
  parallelMap,
  sequentialMap,
  Throttle,
  withErrorHandler,
} from "./fiber/mod.ts";
