/**
 * Rules and the machinery that builds them, one folder a concern: the
 * build.ts DSL (`dsl/`: `rule`, `alias`, `run`, `sh`, `write`, `copy`, rule
 * handles, errors), loading build.ts into a project (`project/`), running a
 * build (`run/`: `build()`, the `Builder` that keeps a project's state open
 * across builds, `clean`, the rule graph), what the user sees (`report/`:
 * the `Reporter` seam and the plain, JSON and trace reporters), the
 * long-lived processes (`daemon/`: the build server `runBuildServer`, which
 * builds start in the background and run in, the watch session
 * `watchBuild`, and their socket's server and client), and the names of the
 * state files (`state.ts`).
 *
 * A build.ts imports the DSL from the package's root entry point.
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

// dsl/
export { copy, depfile, run, sh, write } from "./dsl/actions.ts";
export { deno } from "./deno/deno.ts";
export type { DenoActions, DenoOptions, DenoPermissions, DenoRunOptions } from "./deno/deno.ts";
export { needDepfile, parseDepfile } from "./command/depfile.ts";
export type { Depfile, NeedDepfileOptions } from "./command/depfile.ts";
export { moduleGraph } from "./deno/module_graph.ts";
export type { ModuleGraph } from "./deno/module_graph.ts";
export type {
  Action,
  ActionContext,
  DataAction,
  Dep,
  DepfileOptions,
  RunOptions,
} from "./dsl/actions.ts";
export { alias } from "./dsl/alias.ts";
export { rule } from "./dsl/rule.ts";
export { dir, DirTarget } from "./dsl/dir.ts";
export type { RuleOptions } from "./dsl/rule.ts";
export { defaultPlatform } from "./dsl/platform.ts";
export type { PlatformProperties } from "./command/platform.ts";
export { RuleHandle } from "./dsl/handle.ts";
export { BuildFileError, RuleError } from "./dsl/errors.ts";
export type { RuleErrorInit } from "./dsl/errors.ts";

// project/
export { BUILD_FILE, findBuildFile, loadProject } from "./project/load.ts";
export type { AliasDef, DepSpec, Project, Rule } from "./project/project.ts";

// run/
export { build } from "./run/build.ts";
export type { BuildOptions } from "./run/build.ts";
export { Builder } from "./run/builder.ts";
export type {
  BuildCallOptions,
  BuilderOptions,
  BuildFailure,
  BuildResult,
  OpenedState,
} from "./run/builder.ts";
export type { RanRule } from "./run/one_build.ts";
export { RemoteOutputLog } from "./run/remote_outputs.ts";
export type { RemoteOutput, RemoteOutputLogOptions } from "./run/remote_outputs.ts";
export { buildOpened, openRequest, runBuild } from "./run/open_build.ts";
export type { OpenedRequest, RunBuildOptions } from "./run/open_build.ts";
export { isRequest, requestId, requestKey, TOOL } from "./run/request.ts";
export type { BuildRequestKey } from "./run/request.ts";
export { clean } from "./run/clean.ts";
export type { CleanOptions } from "./run/clean.ts";
export { graphToDot, ruleGraph } from "./run/graph.ts";
export type { GraphEdge, GraphNode, RuleGraph } from "./run/graph.ts";

// report/
export type {
  ActionFinished,
  ActionStarted,
  BuildFinished,
  BuildStarted,
  CommandFinished,
  CommandStarted,
  PhaseFinished,
  Reporter,
} from "./report/reporter.ts";
export { plainReporter } from "./report/plain.ts";
export type { PlainReporterOptions } from "./report/plain.ts";
export { jsonReporter } from "./report/json.ts";
export { CACHE_LANES, traceRecorder } from "./report/trace.ts";
export type { TraceEvent, TraceRecorder } from "./report/trace.ts";
export { combineReporters } from "./report/combine.ts";

// daemon/
export { watchBuild } from "./daemon/watch.ts";
export type { WatchBuildOptions } from "./daemon/watch.ts";
export { runBuildServer, ServerBusyError } from "./daemon/build_server.ts";
export type { BuildServerOptions } from "./daemon/build_server.ts";
export { serveBuilds } from "./daemon/server.ts";
export type { BuildRequest, BuildServer, ServerHost } from "./daemon/server.ts";
export {
  buildThroughServer,
  serverSocketPath,
  serverStatus,
  sessionListening,
} from "./daemon/client.ts";
export type { ServerAnswer, ServerBuildOptions } from "./daemon/client.ts";
export type { BuildSettings, ServerStatus, StoppedCommand } from "./daemon/protocol.ts";
export {
  barchanCommand,
  DEFAULT_IDLE_MS,
  killServer,
  SERVER_BUSY_EXIT,
  serverIdle,
  startBuildServer,
  stopServer,
} from "./daemon/start.ts";
export type { ServerStart, ServerStop, StartServerOptions } from "./daemon/start.ts";

// cache/
export type { ActionCacheOptions } from "./cache/cache_options.ts";

// remote/
export type { RemoteDownload, RemoteExecutionOptions } from "./remote/executor_options.ts";

// state.ts
export {
  BUILD_DIR,
  BUILD_LOCK,
  OUTPUT_DIR,
  OUTPUTS_LOG,
  REMOTE_OUTPUTS_LOG,
  RUNNING_LOG,
  SERVER_FAILED,
  SERVER_LOG,
  SERVER_PID,
  SERVER_SOCKET,
  STATE_DIR,
} from "./state.ts";
