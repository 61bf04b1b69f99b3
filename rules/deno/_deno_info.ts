/**
 * Reading what `deno info --json` prints: the local modules of a graph, and
 * the packages and remote modules it uses, with what the lock file pins for
 * each.
 *
 * @module
 */

/** The parts of a graph barchan reads. */
export interface InfoGraph {
  /** Absolute paths of the graph's `file:` modules, those that failed to load included. */
  readonly files: string[];
  /** Each `jsr:`, `npm:` and `http(s):` specifier the graph uses, with what the lock pins. */
  readonly locked: Record<string, string>;
}

interface InfoModule {
  specifier?: string;
  typesDependency?: unknown;
  npmPackage?: string;
  dependencies?: {
    specifier?: string;
    code?: { specifier?: string };
    type?: { specifier?: string };
    npmPackage?: string;
  }[];
}

/**
 * Reads a graph printed by `deno info --json`.
 * @param info The parsed output.
 * @param lock The parsed lock file, if one is in force.
 * @returns Local files and pinned specifiers.
 *
 * @example An npm package pinned by the lock
 * ```ts
 * import { readInfoGraph } from "./_deno_info.ts";
 * import assert from "node:assert/strict";
 *
 * const graph = readInfoGraph({
 *   modules: [{
 *     specifier: "file:///p/main.ts",
 *     dependencies: [{ specifier: "zod", code: { specifier: "npm:zod@3" }, npmPackage: "zod@3.1.0" }],
 *   }],
 * }, { specifiers: { "npm:zod@3": "3.1.0" } });
 * assert.deepEqual(graph, { files: ["/p/main.ts"], locked: { "npm:zod@3": "3.1.0" } });
 * ```
 */
export function readInfoGraph(info: unknown, lock: unknown): InfoGraph {
  const modules = (info as { modules?: InfoModule[] } | null)?.modules ?? [];
  const specifiers = lockTable(lock, "specifiers");
  const remote = lockTable(lock, "remote");
  const files = new Set<string>();
  const locked: Record<string, string> = {};
  for (const module of modules) {
    const specifier = module.specifier ?? "";
    if (specifier.startsWith("file://")) files.add(filePath(specifier));
    else if (/^https?:/.test(specifier) && remote[specifier] !== undefined) {
      locked[specifier] = remote[specifier];
    }
    for (const dep of module.dependencies ?? []) {
      for (const resolved of [dep.code?.specifier, dep.type?.specifier]) {
        if (resolved === undefined) continue;
        if (resolved.startsWith("jsr:") || resolved.startsWith("npm:")) {
          locked[resolved] = specifiers[resolved] ?? versionOf(dep.npmPackage) ?? "";
        } else if (/^https?:/.test(resolved) && specifier.startsWith("file://")) {
          locked[resolved] = remote[resolved] ?? "";
        }
      }
    }
  }
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(locked).sort()) sorted[key] = locked[key];
  return { files: [...files].sort(), locked: sorted };
}

/** A table of the lock file: v4 and v5 keep it at the top, v3 under `packages`. */
function lockTable(lock: unknown, name: string): Record<string, string> {
  if (typeof lock !== "object" || lock === null) return {};
  const top = (lock as Record<string, unknown>)[name];
  const nested = ((lock as Record<string, unknown>).packages as Record<string, unknown> | undefined)
    ?.[name];
  const table = top ?? nested;
  return typeof table === "object" && table !== null ? table as Record<string, string> : {};
}

/** `zod@3.1.0` → `3.1.0`. */
function versionOf(npmPackage: string | undefined): string | undefined {
  if (npmPackage === undefined) return undefined;
  const at = npmPackage.lastIndexOf("@");
  return at > 0 ? npmPackage.slice(at + 1).split("_")[0] : undefined;
}

/**
 * The part of a graph printed by `deno info --json` for several entry
 * points that one set of them imports: the modules reachable from
 * `entries` through every dependency the output names (code, types,
 * `typesDependency`) and its redirects, in the shape {@linkcode readInfoGraph}
 * reads. What `deno info` prints for those entries alone is that part, as
 * module resolution does not depend on what else is in the graph.
 * @param info The parsed output.
 * @param entries Absolute paths of the entry points wanted.
 * @returns The same shape, with the modules reachable from `entries`.
 *
 * @example Two entries, one of which imports a module the other does not
 * ```ts
 * import { readInfoGraph, reachableFrom } from "./_deno_info.ts";
 * import assert from "node:assert/strict";
 *
 * const info = {
 *   modules: [
 *     { specifier: "file:///p/a.ts", dependencies: [{ code: { specifier: "file:///p/x.ts" } }] },
 *     { specifier: "file:///p/b.ts", dependencies: [] },
 *     { specifier: "file:///p/x.ts", dependencies: [] },
 *   ],
 * };
 * assert.deepEqual(readInfoGraph(reachableFrom(info, ["/p/a.ts"]), undefined).files, ["/p/a.ts", "/p/x.ts"]);
 * assert.deepEqual(readInfoGraph(reachableFrom(info, ["/p/b.ts"]), undefined).files, ["/p/b.ts"]);
 * ```
 */
export function reachableFrom(info: unknown, entries: readonly string[]): { modules: unknown[] } {
  const graph = info as { modules?: InfoModule[]; redirects?: Record<string, string> } | null;
  const modules = graph?.modules ?? [];
  const redirects = graph?.redirects ?? {};
  const bySpecifier = new Map<string, InfoModule>();
  const byPath = new Map<string, string>();
  for (const module of modules) {
    const specifier = module.specifier;
    if (specifier === undefined) continue;
    bySpecifier.set(specifier, module);
    if (specifier.startsWith("file://")) byPath.set(filePath(specifier), specifier);
  }
  const seen = new Set<string>();
  const queue: string[] = [];
  const visit = (specifier: string) => {
    for (let hops = 0; redirects[specifier] !== undefined && hops < 10; hops++) {
      specifier = redirects[specifier];
    }
    if (seen.has(specifier) || !bySpecifier.has(specifier)) return;
    seen.add(specifier);
    queue.push(specifier);
  };
  for (const entry of entries) {
    const specifier = byPath.get(entry);
    if (specifier !== undefined) visit(specifier);
  }
  while (queue.length > 0) {
    const module = bySpecifier.get(queue.pop()!)!;
    for (const specifier of specifiersIn([module.dependencies, module.typesDependency])) {
      visit(specifier);
    }
  }
  return { modules: modules.filter((m) => m.specifier !== undefined && seen.has(m.specifier)) };
}

/** Every `specifier` string anywhere in `value`, but in the source positions (`span`). */
function specifiersIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) specifiersIn(item, found);
  } else if (typeof value === "object" && value !== null) {
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (key === "specifier" && typeof item === "string") found.push(item);
      else if (key !== "span" && typeof item === "object") specifiersIn(item, found);
    }
  }
  return found;
}

/**
 * The path of a `file:` URL as deno prints it (`file:///abs/path`, percent-
 * encoded): what `new URL(url).pathname` decoded gives, at a fraction of
 * its cost over thousands of modules.
 */
function filePath(url: string): string {
  let path = url.slice("file://".length);
  if (!path.startsWith("/") || path.includes("?") || path.includes("#")) {
    path = new URL(url).pathname;
  }
  // Deno leaves a "%" of the file's name as it is: only whole escapes are decoded.
  return path.includes("%") ? path.replace(ESCAPES, decodeEscapes) : path;
}

const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;

function decodeEscapes(escapes: string): string {
  try {
    return decodeURIComponent(escapes);
  } catch {
    return escapes;
  }
}
