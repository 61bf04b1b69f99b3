/**
 * `build --replay`: what the actions that were up to date printed when they
 * last ran, shown again from their rules' values (the output each recorded
 * step kept), as warnings of a compiler that ran yesterday are worth seeing
 * today.
 *
 * @module
 */
import type { Engine } from "../../memo/mod.ts";
import { isCommandStep, type Step } from "../command/steps.ts";
import type { Reporter } from "../report/reporter.ts";
import type { OneBuild } from "./one_build.ts";
import type { RuleValue } from "./nodes.ts";
import { type BuildRequestKey, requestId } from "./request.ts";

/** The memo functions whose dependencies lead to rules. */
const WALKED = ["barchan.request", "barchan.alias", "barchan.target", "barchan.rule"];

/**
 * Reports, as finished actions, what each rule under the request that did
 * not run this build printed when it last ran.
 * @param engine The build's engine, after the build.
 * @param request The request built.
 * @param one The build (what ran).
 * @param reporter Where to report.
 *
 * @example An engine that knows nothing reports nothing
 * ```ts
 * import { Engine } from "../../memo/mod.ts";
 * import { replayOutput } from "./replay_output.ts";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * replayOutput(new Engine(), { targets: [], tool: "t" }, { ran: [] } as never, {
 *   actionFinished: (e) => void seen.push(e.rule),
 * });
 * assert.deepEqual(seen, []);
 * ```
 */
export function replayOutput(
  engine: Engine,
  request: BuildRequestKey,
  one: Pick<OneBuild, "ran">,
  reporter: Reporter,
): void {
  const ran = new Set(one.ran.map((r) => r.rule));
  const seen = new Set<string>();
  const rules: string[] = [];
  const queue = [requestId(request)];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const zero = id.indexOf("\u0000");
    const name = id.slice(0, zero);
    if (!WALKED.includes(name)) continue;
    if (name === "barchan.rule") rules.push(JSON.parse(id.slice(zero + 1)));
    for (const dep of engine.recordedDeps(name, id.slice(zero + 1)) ?? []) queue.push(dep);
  }
  for (const rule of rules.sort()) {
    if (ran.has(rule)) continue;
    const value = engine.lastValue("barchan.rule", rule) as RuleValue | undefined;
    const output = (value?.c as Step[] | undefined ?? [])
      .map((step) => isCommandStep(step) && step.x !== undefined ? step.x[0] + step.x[1] : "")
      .join("");
    if (output.trim() === "") continue;
    reporter.actionFinished?.({
      rule,
      command: "(its output when it last ran)",
      reason: "up to date",
      output,
      durationMs: 0,
    });
  }
}
