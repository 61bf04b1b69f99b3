/**
 * Watch mode: build, then wait for file events on what the build read, and
 * rebuild what they affect, with the memo engine's caches kept warm.
 *
 * Which events matter: a path the engine tracks (a source, a dependency
 * found while running, a file a memo function read, an entry of a listed
 * directory or glob, a target the build wrote, build.ts and the files it
 * is made of or read while evaluated) whose state differs from what the
 * engine recorded. A build's own writes are what the engine recorded, so
 * they start nothing; an output deleted or edited by hand is rebuilt.
 * barchan's state and the files given as `ignore` (a trace file) never
 * trigger a rebuild. Events that arrive during a build are merged by the
 * watcher and handled right after it: none is lost.
 *
 * Editing build.ts evaluates it again in this process (new and removed
 * rules and memo functions take effect). A module build.ts imports is
 * cached by the runtime once evaluated, so when one changes barchan starts
 * itself afresh (same arguments) to read it; so it does when its state
 * directory is deleted, since the lock it holds guards nothing then.
 *
 * With `serve`, the session also builds what other processes ask of it
 * (server.ts): each request is answered once the watcher has seen every
 * change made before it arrived, with its `-j` and settings (the type
 * check, replay, the sandbox, the cache namespace); one that asks for
 * another action cache or remote executor than the session's is left to
 * wait for the lock (`_settings.ts`).
 *
 * A second after its last activity, a session runs a full garbage collection
 * (`_idle_collector.ts`): V8 would otherwise keep the memory a build grew.
 *
 * @module
 */
import { relative, resolve } from "node:path";
import { isCancellation, watch } from "../../fiber/mod.ts";
import { Builder, type BuilderOptions } from "../run/builder.ts";
import { STATE_DIR } from "../state.ts";
import { messageOf } from "../../memo/mod.ts";
import { TOOL } from "../run/request.ts";
import { type BuildRequest, type BuildServer, serveBuilds } from "./server.ts";
import { idleCollector } from "./_idle_collector.ts";
import { changedModule, changedPaths } from "./_batch.ts";
import { onCancel, relayTo, STUCK, unlessStuck } from "./_cancel.ts";
import { buildCallSettings, builderSetup, requestSetup } from "./_settings.ts";

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
   * ({@linkcode serverSocketPath}) while watching; never in a dry run,
   * which holds no lock.
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
  const ignored = new Set((options.ignore ?? []).map((p) => resolve(builder.root, p)));
  const stateDir = resolve(builder.root, STATE_DIR);
  const watcher = watch([builder.root], {
    ignore: [STATE_DIR],
    debounceMs: options.debounceMs ?? 8,
    signal: options.signal,
    markDir: stateDir,
  });
  // Requests from other processes, by the watcher mark that must be reached
  // before each is built.
  const requests = new Map<number, BuildRequest>();
  let server: BuildServer | undefined;
  const watches = (path: string) => watcher.watches(path);
  // The action cache and remote executor of the session's builder.
  const setup = builderSetup(options, (name) => Deno.env.get(name), Deno.cwd());
  const jobs = builder.scheduler.jobs;
  const serve = async (request: BuildRequest) => {
    if (request.signal.aborted) return request.finish(130, [], { stopped: [] });
    // What the watcher does not see is checked as a build of its own would.
    builder.engine.invalidateUnwatched(watches, "not watched");
    const cancelled = onCancel(request.signal, builder.scheduler);
    builder.scheduler.jobs = request.jobs ?? jobs;
    try {
      const building = builder.build(request.targets, {
        signal: request.signal,
        reporter: relayTo(request),
        ...buildCallSettings(request.settings, request.env),
      });
      const result = await unlessStuck(building, request.signal);
      if (result === STUCK) {
        // Its client is answered; the session goes on once the build ends, if it does.
        request.finish(130, [], cancelled());
        await building.catch(() => {});
        return;
      }
      const failures = result.failed.map((f) => f.message);
      const fatal = builder.loadFailure?.message;
      request.finish(result.ok ? 0 : 1, failures, fatal === undefined ? {} : { fatal });
    } catch (error) {
      if (!isCancellation(error) || options.signal?.aborted) throw error;
      request.finish(130, [], cancelled());
    } finally {
      builder.scheduler.jobs = jobs;
    }
  };
  // A second after the last activity, the memory a build grew is given back.
  const collector = await idleCollector(IDLE_COLLECT_MS);
  try {
    if (options.serve && !options.dryRun) {
      try {
        const started = performance.now();
        let builds = 0;
        server = serveBuilds(builder.root, {
          kind: "watch",
          build(request) {
            try {
              if (requestSetup(request.settings, request.env, request.cwd).key !== setup.key) {
                return request.withdraw(
                  "A watch session (build -w) runs in this project with another action cache " +
                    "or remote executor",
                  false,
                );
              }
              builds++;
              requests.set(watcher.mark(), request);
            } catch (error) {
              request.finish(1, [messageOf(error)]);
            }
          },
          status: () => ({
            kind: "watch",
            pid: Deno.pid,
            root: builder.root,
            tool: TOOL,
            uptimeMs: performance.now() - started,
            rssBytes: Deno.memoryUsage().rss,
            builds,
          }),
        });
      } catch (error) {
        // Watching goes on; other builds wait for the lock instead.
        reporter.note?.(`Cannot serve builds to other processes: ${messageOf(error)}`);
      }
    }
    await builder.build(targets);
    collector.schedule();
    for await (const batch of watcher) {
      if (!builder.holdsLock()) {
        // What it would write now would land in another build's state.
        await builder.abandon();
        reporter.note?.(`${STATE_DIR} was deleted: starting afresh`);
        options.onRestart?.(stateDir);
        return;
      }
      if (batch.rescan) {
        reporter.note?.("File events were lost: checking every file again");
        builder.engine.invalidateAll("file events were lost");
      }
      const changed = changedPaths(builder, batch, ignored);
      const module = changedModule(builder, changed);
      if (module !== undefined && options.onRestart !== undefined) {
        options.onRestart(module);
        return;
      }
      if (changed.length > 0 || batch.rescan) {
        builder.engine.invalidatePaths(changed, "changed on disk");
        await builder.build(targets, { trigger: changed.map(rel) });
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
