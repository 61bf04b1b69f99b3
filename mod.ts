/**
 * barchan: a build system for Deno. Describe a build in a typed `build.ts`
 * with `rule`, `alias` and `memo`, and run it with `deno run -A cli.ts build`.
 *
 * This entry point holds what a build.ts author needs: the DSL (`rule`,
 * `alias`, the actions `run`, `sh`, `write`, `copy`, and `defaultPlatform`
 * for remote workers), memoized functions and the tracked reads they use
 * (`memo`, `readText`, `glob`, `env`, `Var`...), and `build()` for scripts.
 * The rest has entry points of its own: `@barchan/barchan/rules` (the
 * builder, watch mode, reporters, the watch session's client and server,
 * the rule graph), `@barchan/barchan/memo` (the incremental computation
 * engine), `@barchan/barchan/fiber` (structured concurrency, processes,
 * file watching) and `@barchan/barchan/cli`.
 *
 * @example A build.ts, built by a script
 * ```ts
 * import { build } from "@barchan/barchan";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/name.txt`, "world");
 * await Deno.writeTextFile(
 *   `${dir}/build.ts`,
 *   `import { memo, readText, rule, write } from ${JSON.stringify(new URL("./mod.ts", import.meta.url).href)};
 *    const greeting = memo("modGreeting", async () => "hello " + (await readText("name.txt")).trim());
 *    rule({ targets: "hello.txt", action: async (ctx) => ctx.writeText("hello.txt", await greeting(null)) });`,
 * );
 * const result = await build({ root: dir });
 * assert.ok(result.ok);
 * assert.equal(await Deno.readTextFile(`${dir}/hello.txt`), "hello world");
 * ```
 *
 * @module
 */
export { alias } from "./rules/dsl/alias.ts";
export { rule } from "./rules/dsl/rule.ts";
export type { RuleOptions } from "./rules/dsl/rule.ts";
export { defaultPlatform } from "./rules/dsl/platform.ts";
export { copy, depfile, run, sh, write } from "./rules/dsl/actions.ts";
export { deno } from "./rules/deno/deno.ts";
export type {
  DenoActions,
  DenoOptions,
  DenoPermissions,
  DenoRunOptions,
} from "./rules/deno/deno.ts";
export { needDepfile, parseDepfile } from "./rules/command/depfile.ts";
export type { Depfile, NeedDepfileOptions } from "./rules/command/depfile.ts";
export { moduleGraph } from "./rules/deno/module_graph.ts";
export type { ModuleGraph } from "./rules/deno/module_graph.ts";
export type {
  Action,
  ActionContext,
  DataAction,
  Dep,
  DepfileOptions,
  RunOptions,
} from "./rules/dsl/actions.ts";
export { RuleHandle } from "./rules/dsl/handle.ts";
export { BuildFileError, RuleError } from "./rules/dsl/errors.ts";
export { build } from "./rules/run/build.ts";
export type { BuildOptions } from "./rules/run/build.ts";
export type { BuildFailure, BuildResult } from "./rules/run/builder.ts";
export type { RanRule } from "./rules/run/one_build.ts";
export type { SpawnResult } from "./fiber/mod.ts";
export type { Reporter } from "./rules/report/reporter.ts";
export { env, exists, glob, memo, readBytes, readDir, readText, stat, Var } from "./memo/mod.ts";
export type { GlobOptions, MemoFunction, MemoOptions, PathInfo, VarOptions } from "./memo/mod.ts";
