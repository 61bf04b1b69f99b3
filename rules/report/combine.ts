/**
 * Several reporters as one.
 *
 * @module
 */
import type { Reporter } from "./reporter.ts";

/**
 * Combines reporters: each event goes to each, in order.
 * @param reporters The reporters.
 * @returns One reporter.
 *
 * @example
 * ```ts
 * import { combineReporters } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * let n = 0;
 * combineReporters({ note: () => n++ }, { note: () => n++ }).note?.("x");
 * assert.equal(n, 2);
 * ```
 */
export function combineReporters(...reporters: Reporter[]): Reporter {
  const all =
    <K extends keyof Reporter>(key: K) => (event: Parameters<NonNullable<Reporter[K]>>[0]) => {
      for (const r of reporters) (r[key] as ((e: typeof event) => void) | undefined)?.(event);
    };
  return {
    buildStarted: all("buildStarted"),
    buildFinished: all("buildFinished"),
    actionStarted: all("actionStarted"),
    actionFinished: all("actionFinished"),
    commandStarted: all("commandStarted"),
    commandFinished: all("commandFinished"),
    note: all("note"),
    phase: all("phase"),
  };
}
