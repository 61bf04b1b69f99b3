/**
 * Path operations for the modules a build with nothing to do loads (the
 * CLI, finding build.ts, the up-to-date check, the watch session's client):
 * the same results as node:path's, without starting Node's compatibility
 * layer (about 5 ms of every command). POSIX paths are handled here; on
 * Windows node:path does the work.
 *
 * @module
 */

const windows = Deno.build.os === "windows" ? await import("node:path") : undefined;

/** Removes `.`, `..` and empty segments of an absolute POSIX path. */
function normalizeAbsolute(path: string): string {
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return "/" + out.join("/");
}

/**
 * Like node:path's `resolve`: an absolute, normalized path.
 * @param parts Paths, each resolved against the ones before it (and the working directory).
 * @returns The absolute path.
 *
 * @example Resolving against an absolute path
 * ```ts
 * import { resolvePath } from "./paths.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resolvePath("/src/app", "lib/../out", "a.o"), "/src/app/out/a.o");
 * assert.equal(resolvePath("/src/app", "/tmp"), "/tmp");
 * ```
 */
export function resolvePath(...parts: string[]): string {
  if (windows !== undefined) return windows.resolve(...parts);
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !path.startsWith("/"); i--) {
    if (parts[i] === "") continue;
    path = path === "" ? parts[i] : parts[i] + "/" + path;
  }
  if (!path.startsWith("/")) path = Deno.cwd() + "/" + path;
  return normalizeAbsolute(path);
}

/**
 * Like node:path's `join` when the first part is absolute; otherwise `resolve`.
 * @param first The first part.
 * @param rest The parts joined to it.
 * @returns The joined, normalized path.
 *
 * @example Joining a state file's name to a project root
 * ```ts
 * import { joinPath } from "./paths.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(joinPath("/src/app", "_build/.barchan", "server.sock"), "/src/app/_build/.barchan/server.sock");
 * assert.equal(joinPath("/src/app", "out/"), "/src/app/out/");
 * ```
 */
export function joinPath(first: string, ...rest: string[]): string {
  if (windows !== undefined) return windows.join(first, ...rest);
  if (!first.startsWith("/")) return resolvePath(first, ...rest);
  const joined = [first, ...rest].filter((part) => part !== "").join("/");
  const normal = normalizeAbsolute(joined);
  // A trailing slash is kept, as node:path keeps it.
  return joined.endsWith("/") && normal !== "/" ? normal + "/" : normal;
}

/**
 * Like node:path's `dirname`, for absolute paths.
 * @param path An absolute path.
 * @returns The directory holding it.
 *
 * @example
 * ```ts
 * import { dirnamePath } from "./paths.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(dirnamePath("/src/app/build.ts"), "/src/app");
 * assert.equal(dirnamePath("/build.ts"), "/");
 * ```
 */
export function dirnamePath(path: string): string {
  if (windows !== undefined) return windows.dirname(path);
  const normal = normalizeAbsolute(path);
  const slash = normal.lastIndexOf("/");
  return slash <= 0 ? "/" : normal.slice(0, slash);
}

/**
 * Like node:path's `relative`: the path from `from` to `to`.
 * @param from Where the path starts.
 * @param to Where it leads.
 * @returns The relative path, "" when both are the same.
 *
 * @example A target argument made project-relative
 * ```ts
 * import { relativePath } from "./paths.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(relativePath("/src/app", "/src/app/out/a.o"), "out/a.o");
 * assert.equal(relativePath("/src/app/lib", "/src/app/out"), "../out");
 * ```
 */
export function relativePath(from: string, to: string): string {
  if (windows !== undefined) return windows.relative(from, to);
  const a = resolvePath(from).split("/").filter((s) => s !== "");
  const b = resolvePath(to).split("/").filter((s) => s !== "");
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => ".."), ...b.slice(common)].join("/");
}
