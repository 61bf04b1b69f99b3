/**
 * Finding build.ts: in a directory or the nearest one above it, like
 * dune-project. Kept apart from loading it, which a build with nothing to do
 * never does.
 *
 * @module
 */
import { dirnamePath, joinPath, resolvePath } from "../../memo/stat/paths.ts";
import { BuildFileError } from "../dsl/errors.ts";

/** The name of the build description file. */
export const BUILD_FILE = "build.ts";

/**
 * Finds build.ts in `dir` or the nearest directory above it.
 * @param dir Where to start.
 * @returns The absolute path of build.ts.
 */
export function findBuildFile(dir: string): string {
  let current = resolvePath(dir);
  for (;;) {
    const candidate = joinPath(current, BUILD_FILE);
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const parent = dirnamePath(current);
    if (parent === current) {
      throw new BuildFileError(
        joinPath(resolvePath(dir), BUILD_FILE),
        `no ${BUILD_FILE} here or in any parent directory; create one, or pass -C DIR`,
      );
    }
    current = parent;
  }
}
