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
 * @module
 */
import { dirname, relative, resolve } from "node:path";
import { watch } from "../fiber/watcher.ts";
import { Builder, type BuilderOptions, STATE_DIR } from "./builder.ts";
import { messageOf } from "../memo/errors.ts";
import { importedModules } from "./modules.ts";

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
  const load = async (): Promise<boolean> => {
    try {
      await builder.load();
      modules = await localModules(builder.file);
      loaded = true;
    } catch (error) {
      reporter.note?.(`${messageOf(error)}\nWaiting for build.ts to be fixed...`);
      loaded = false;
    }
    return loaded;
  };
  const ignored = new Set((options.ignore ?? []).map((p) => resolve(builder.root, p)));
  const isOutput = (path: string) => {
    const r = rel(path);
    return r === STATE_DIR || r.startsWith("_build/") || r === "_build" ||
      builder.project?.producers.has(r) === true || ignored.has(path);
  };
  const watcher = watch([builder.root], {
    ignore: ["_build"],
    debounceMs: options.debounceMs ?? 8,
    signal: options.signal,
  });
  try {
    if (await load()) await builder.build(targets, []);
    for await (const batch of watcher) {
      const relevant = batch.paths.filter((p) =>
        !isOutput(p) &&
        (p === builder.file || modules.has(p) || builder.loadRead(p) ||
          builder.engine.tracks(p, isOutput))
      );
      if (relevant.length === 0) continue;
      const changedModule = relevant.find((p) => modules.has(p) && p !== builder.file);
      if (changedModule !== undefined && options.onRestart !== undefined) {
        options.onRestart(changedModule);
        return;
      }
      builder.engine.invalidatePaths(relevant, "changed on disk");
      if (!loaded || relevant.some((p) => p === builder.file || builder.loadRead(p))) {
        if (!await load()) continue;
      }
      await builder.build(targets, relevant.map(rel));
    }
  } finally {
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
