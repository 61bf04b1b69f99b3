/**
 * What the memo store recorded of the outputs barchan wrote: each rule's
 * last value holds the digest of each of its targets. The outputs log
 * (outputs.ts) is recovered from it when it is lost or damaged.
 *
 * @module
 */
import type { Engine } from "../../memo/mod.ts";
import type { RuleValue } from "./nodes.ts";
import type { RemoteOutputLog } from "./remote_outputs.ts";

/** The memo function whose values are rules' targets' digests (nodes.ts). */
const RULE_FUNCTION = "barchan.rule";

/**
 * Every target's digest the engine's store holds, from each rule's last
 * value (reading the whole store). The rule's memo function must be defined
 * in this process (by importing nodes.ts).
 * @param engine The engine, on the project's store.
 * @returns `[path, digest]` pairs, a path once per rule that wrote it.
 */
export function recordedOutputs(engine: Engine): [path: string, digest: string][] {
  const out: [string, string][] = [];
  for (const [, value] of engine.lastValues(RULE_FUNCTION)) {
    const targets = (value as RuleValue | undefined)?.t;
    if (typeof targets !== "object" || targets === null) continue;
    for (const [path, digest] of Object.entries(targets)) {
      if (path !== "" && typeof digest === "string" && digest !== "") out.push([path, digest]);
    }
  }
  return out;
}

/**
 * Recorded outputs, with, for each left on the remote executor and fetched
 * since, the fast digest of the file fetched: the store's value names it by
 * its remote digest (`remote_digest.ts`), the file on disk by its content.
 * @param recorded `[path, digest]` pairs, as {@linkcode recordedOutputs} gives them.
 * @param log The record of remote outputs.
 * @returns The pairs, and one more for each fetched output.
 *
 * @example
 * ```ts
 * import { RemoteOutputLog } from "./remote_outputs.ts";
 * import { withFetched } from "./recorded_outputs.ts";
 * import assert from "node:assert/strict";
 *
 * const log = new RemoteOutputLog(await Deno.makeTempDir());
 * const remote = `r:${"ab".repeat(32)}/3`;
 * log.left("out/b.o", remote);
 * log.fetched("out/b.o", "fast");
 * assert.deepEqual(withFetched([["out/b.o", remote]], log), [
 *   ["out/b.o", remote],
 *   ["out/b.o", "fast"],
 * ]);
 * ```
 */
export function withFetched(
  recorded: [path: string, digest: string][],
  log: RemoteOutputLog,
): [path: string, digest: string][] {
  const out = [...recorded];
  for (const [path, digest] of recorded) {
    const entry = log.get(path);
    if (entry?.fetched !== undefined && entry.digest === digest) out.push([path, entry.fetched]);
  }
  return out;
}
