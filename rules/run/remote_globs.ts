/**
 * What a glob matches under `--remote-download minimal`: the files it lists
 * on disk, and the targets it can match (`GlobSpec.produced`) that were
 * left on the remote executor, which are there for the build though not on
 * disk. Building a dependency on a glob (one_build.ts) and keying a command
 * that depends on it (inputs.ts) both take this set, so that a rule sees
 * the same files as when every output is downloaded.
 *
 * @module
 */
import { BUILD_DIR } from "../state.ts";

/**
 * The paths a glob matches: those listed, then the targets it can match that
 * are left remote, each once.
 * @param listed What the glob listed on disk.
 * @param produced The targets it can match (`GlobSpec.produced`).
 * @param isRemote Whether a path is an output left remote and absent here.
 * @returns The paths.
 *
 * @example
 * ```ts
 * import { globMatches } from "./remote_globs.ts";
 * import assert from "node:assert/strict";
 *
 * const produced = { "gen/x.txt": {}, "gen/y.txt": {}, "_build/z.txt": {} };
 * assert.deepEqual(
 *   globMatches(["gen/x.txt"], produced, (path) => path !== "gen/x.txt"),
 *   ["gen/x.txt", "gen/y.txt"],
 * );
 * ```
 */
export function globMatches(
  listed: readonly string[],
  produced: Readonly<Record<string, unknown>>,
  isRemote: ((path: string) => boolean) | undefined,
): string[] {
  if (isRemote === undefined) return [...listed];
  const paths = new Set(listed);
  for (const path of Object.keys(produced)) {
    // Globs never enter the build directory (one_build.ts).
    if (!paths.has(path) && !path.startsWith(`${BUILD_DIR}/`) && isRemote(path)) paths.add(path);
  }
  return [...paths];
}
