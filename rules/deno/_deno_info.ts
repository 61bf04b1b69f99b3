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
    if (specifier.startsWith("file://")) files.add(decodeURIComponent(new URL(specifier).pathname));
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
