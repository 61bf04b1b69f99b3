/**
 * What the memo store recorded of the outputs barchan wrote: each rule's
 * last value holds the digest of each of its targets. The outputs log
 * (outputs.ts) is recovered from it when it is lost or damaged.
 *
 * @module
 */
import type { Engine } from "../../memo/mod.ts";
import type { RuleValue } from "./nodes.ts";

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
