// What a batch of file events means to a builder kept open across builds,
// the same for a watch session (watch.ts) and the build server
// (build_server.ts).

import type { WatchBatch } from "../../fiber/mod.ts";
import type { Builder } from "../run/builder.ts";

/**
 * The paths of a batch that matter: tracked by the engine (files read,
 * entries of listings and globs) and different from what it recorded. A
 * build's own writes are as recorded, and are left out.
 * @param builder The builder.
 * @param batch The batch.
 * @param ignored Absolute paths that never count (a trace file the session writes).
 * @returns The paths to invalidate.
 */
export function changedPaths(
  builder: Builder,
  batch: WatchBatch,
  ignored: ReadonlySet<string>,
): string[] {
  return batch.paths.filter((p) =>
    !ignored.has(p) && builder.engine.tracks(p) && builder.engine.moved(p)
  );
}

/**
 * A module build.ts imports (other than build.ts) among `paths`: the runtime
 * evaluates a module once, so reading it again needs a new process.
 * @param builder The builder.
 * @param paths Changed paths.
 * @returns The first such module, if any.
 */
export function changedModule(builder: Builder, paths: readonly string[]): string | undefined {
  return paths.find((p) => p !== builder.file && builder.modules.has(p));
}
