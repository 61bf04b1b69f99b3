/**
 * Watch mode: build, then wait for file events on what the build read, and
 * rebuild what they affect, with the memo engine's caches kept warm.
 *
 * Which events matter: a path the engine tracks (a source, a dependency
 * found while running, a file a memo function read, an entry of a listed
 * directory or glob), build.ts, a local module it imports, or what build.ts
 * read through Deno's API while it was loaded (then it is loaded again). Build outputs,
 * barchan's state and the files given as `ignore` (a trace file) never
 * trigger a rebuild. Events that arrive during a build are merged by the
 * watcher and handled right after it: none is lost.
 *
 * Editing build.ts reloads it in this process (new and removed rules and
 * memo functions take effect). A module build.ts imports is cached by the
 * runtime once evaluated, so when one changes barchan starts itself afresh
 * (same arguments) to read it.
 *
 * With `serve`, the session also builds what other processes ask of it
 * (server.ts): each request is answered once the watcher has seen every
 * change made before it arrived. Build outputs changed by hand since (deleted
 * or edited) are checked again before such a build, as a build of its own
 * would; watch mode's own rebuilds do not react to them.
 *
 * A second after its last activity, a session runs a full garbage collection
 * (`_idle_collector.ts`): V8 would otherwise keep the memory a build grew.
 *
 * @module
 */
import { dirname, relative, resolve } from "node:path";
import { watch } from "../../fiber/watcher.ts";
import { Builder, type BuilderOptions } from "../run/builder.ts";
import { BUILD_DIR, STATE_DIR } from "../state.ts";
import { messageOf } from "../../memo/errors.ts";
import { importedModules } from "../project/modules.ts";
import { type BuildRequest, type BuildServer, serveBuilds } from "./server.ts";
import { isCancellation } from "../../fiber/cancel.ts";
import { idleCollector } from "./_idle_collector.ts";

/** How long a session waits, after its last build or file event, to collect garbage. */
const IDLE_COLLECT_MS = 1000;

/** Options of {@linkcode watchBuild}. */
export interface WatchBuildOptions extends BuilderOptions {
  /**
   * Targets and `@aliases` to keep built.
   * @default ["@default"], or every target
   */
  targets?: string[];
  /**
   * Quiet period that closes a batch of file events, in milliseconds. An
   * editor's save (write a temporary file, rename it) takes well under it.
   * @default 8
   */
  debounceMs?: number;
  /**
   * Called when a module imported by build.ts changed: the runtime cannot
   * evaluate it again, so the caller should start afresh. Watching stops.
   * @default undefined (the change is reported and ignored)
   */
  onRestart?: (changed: string) => void;
  /**
   * Files written while watching that must never start a build, such as a
   * trace file rewritten after each build: absolute, or relative to the
   * project root.
   * @default []
   */
  ignore?: string[];
  /**
   * Serve build requests from other processes on the project's socket
   * ({@linkcode serverSocketPath}) while watching.
   * @default false
   */
  serve?: boolean;
}

/**
 * Builds, then rebuilds after every relevant change until `signal` aborts.
 * Errors in build.ts or in the build are reported and watching goes on.
 *
 * @param options What to build, and how.
 *
 * @example Watching until cancelled
 * ```ts ignore
 * import { plainReporter, watchBuild } from "@barchan/barchan/rules";
 *
 * const controller = new AbortController();
 * Deno.addSignalListener("SIGINT", () => controller.abort());
 * await watchBuild({ root: ".", reporter: plainReporter(), signal: controller.signal });
 * ```
 */
export async function watchBuild(options: WatchBuildOptions = {}): Promise<void> {
  const builder = await Builder.open(options);
  const reporter = options.reporter ?? {};
  const targets = options.targets ?? [];
  const rel = (p: string) => relative(builder.root, p);
  let modules = new Set<string>();
  let loaded = false;
  let loadError = "";
  const load = async (): Promise<boolean> => {
    try {
      await builder.load();
      modules = await localModules(builder.file);
      loaded = true;
    } catch (error) {
      loadError = messageOf(error);
      reporter.note?.(`${loadError}\nWaiting for build.ts to be fixed...`);
      loaded = false;
    }
    return loaded;
  };
  const ignored = new Set((options.ignore ?? []).map((p) => resolve(builder.root, p)));
  const stateDir = resolve(builder.root, STATE_DIR);
  const isOutput = (path: string) => {
    const r = rel(path);
    return r === BUILD_DIR || r.startsWith(BUILD_DIR + "/") ||
      builder.project?.producers.has(r) === true || ignored.has(path);
  };
  const watcher = watch([builder.root], {
    ignore: [STATE_DIR],
    debounceMs: options.debounceMs ?? 8,
    signal: options.signal,
    markDir: stateDir,
  });
  // Requests from other processes, by the watcher mark that must be reached
  // before each is built; outputs changed since the last such build.
  const requests = new Map<number, BuildRequest>();
  const touchedOutputs = new Set<string>();
  let server: BuildServer | undefined;
  const serve = async (request: BuildRequest) => {
    if (!loaded) return request.finish(1, [loadError]);
    // Invalidating even nothing would start a new run, verified from the top.
    if (touchedOutputs.size > 0) {
      builder.engine.invalidatePaths(touchedOutputs, "changed on disk");
      touchedOutputs.clear();
    }
    try {
      const result = await builder.build(request.targets, {
        signal: request.signal,
        reporter: request.reporter,
      });
      request.finish(result.ok ? 0 : 1, result.failed.map((f) => f.message));
    } catch (error) {
      if (!isCancellation(error) || options.signal?.aborted) throw error;
      request.finish(130);
    }
  };
  // A second after the last activity, the memory a build grew is given back.
  const collector = await idleCollector(IDLE_COLLECT_MS);
  try {
    if (options.serve) {
      try {
        server = serveBuilds(builder.root, (request) => {
          try {
            requests.set(watcher.mark(), request);
          } catch (error) {
            request.finish(1, [messageOf(error)]);
          }
        });
      } catch (error) {
        // Watching goes on; other builds wait for the lock instead.
        reporter.note?.(`Cannot serve builds to other processes: ${messageOf(error)}`);
      }
    }
    if (await load()) await builder.build(targets);
    collector.schedule();
    for await (const batch of watcher) {
      if (batch.rescan) {
        reporter.note?.("File events were lost: checking every file again");
        builder.engine.invalidateAll("file events were lost");
      }
      const relevant = batch.paths.filter((p) =>
        !isOutput(p) &&
        (p === builder.file || modules.has(p) || builder.loadRead(p) ||
          builder.engine.tracks(p, isOutput))
      );
      for (const p of batch.paths) if (isOutput(p)) touchedOutputs.add(p);
      const changedModule = relevant.find((p) => modules.has(p) && p !== builder.file);
      if (changedModule !== undefined && options.onRestart !== undefined) {
        options.onRestart(changedModule);
        return;
      }
      if (relevant.length > 0 || batch.rescan) {
        builder.engine.invalidatePaths(relevant, "changed on disk");
        const reload = !loaded || batch.rescan ||
          relevant.some((p) => p === builder.file || builder.loadRead(p));
        if (!reload || await load()) {
          await builder.build(targets, { trigger: relevant.map(rel) });
        }
      }
      for (const mark of batch.marks ?? []) {
        const request = requests.get(mark);
        requests.delete(mark);
        if (request !== undefined) await serve(request);
      }
      collector.schedule();
    }
  } finally {
    collector.stop();
    await server?.close();
    await watcher.close();
    builder.close();
  }
}

/** The files under the project root that build.ts imports, directly or not, itself included. */
async function localModules(file: string): Promise<Set<string>> {
  const root = dirname(file);
  const modules = await importedModules(file) ?? [file];
  return new Set(modules.filter((path) => path === file || path.startsWith(root + "/")));
}
