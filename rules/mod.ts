/**
 * Rules, aliases and the build executor: the build.ts DSL (`rule`, `alias`,
 * `run`, `sh`, `write`, `copy`) and `build()` for scripts.
 *
 * @example A build.ts
 * ```ts ignore
 * import { alias, rule, run } from "jsr:@barchan/barchan";
 *
 * const hello = rule({
 *   targets: "_build/hello",
 *   deps: ["src/hello.c"],
 *   action: run("cc", "-o", "_build/hello", "src/hello.c"),
 * });
 * alias("default", [hello]);
 * ```
 *
 * @module
 */
export { copy, run, sh, write } from "./dsl/actions.ts";
export type { Action, ActionContext, DataAction, Dep, RunOptions } from "./dsl/actions.ts";
export { alias } from "./dsl/alias.ts";
export { rule } from "./dsl/rule.ts";
export type { RuleOptions } from "./dsl/rule.ts";
export { RuleHandle } from "./dsl/handle.ts";
export { build } from "./run/build.ts";
export { Builder } from "./run/builder.ts";
export {
  BUILD_DIR,
  BUILD_LOCK,
  OUTPUTS_LOG,
  RULE_CACHE_FILE,
  SERVER_SOCKET,
  STATE_DIR,
  UP_TO_DATE_FILE,
} from "./state.ts";
export type { BuildCallOptions, BuilderOptions, BuildFailure, BuildResult } from "./run/builder.ts";
export { buildThroughServer, serverSocketPath, sessionListening } from "./daemon/client.ts";
export { serveBuilds } from "./daemon/server.ts";
export type { BuildRequest, BuildServer } from "./daemon/server.ts";
export { clean } from "./run/clean.ts";
export { watchBuild } from "./daemon/watch.ts";
export type { WatchBuildOptions } from "./daemon/watch.ts";
export type { BuildOptions } from "./run/build.ts";
export { BuildFileError, RuleError } from "./dsl/errors.ts";
export type { RuleErrorInit } from "./dsl/errors.ts";
export type {
  ActionFinished,
  ActionStarted,
  BuildFinished,
  BuildStarted,
  Reporter,
} from "./report/reporter.ts";
export { plainReporter } from "./report/plain.ts";
export type { PlainReporterOptions } from "./report/plain.ts";
export type { RanRule } from "./run/one_build.ts";
export { BUILD_FILE, findBuildFile, loadProject } from "./project/load.ts";
export type { AliasDef, DepSpec, Project, Rule } from "./project/project.ts";
export { combineReporters } from "./report/combine.ts";
export { jsonReporter } from "./report/json.ts";
export { traceRecorder } from "./report/trace.ts";
export type { TraceEvent, TraceRecorder } from "./report/trace.ts";
export { graphToDot, ruleGraph } from "./run/graph.ts";
export type { GraphEdge, GraphNode, RuleGraph } from "./run/graph.ts";
