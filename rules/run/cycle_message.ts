/**
 * A dependency cycle as the user reads it: each rule and alias in it with
 * where build.ts defines it, in the order each depends on the next.
 *
 * @module
 */
import type { StackFrame } from "../../memo/mod.ts";
import type { Project } from "../project/project.ts";

/**
 * The message of a dependency cycle: one line for each rule and alias in it,
 * with its build.ts location, closed by the first again. The memo calls a
 * build makes between them (a target of a rule with several, a rule's
 * definition) are left out; other memo functions are shown by their label.
 *
 * @param frames The calls in the cycle, each depending on the next (`CycleError#frames`).
 * @param project The project, for the locations; undefined when build.ts does not load.
 * @returns The message.
 *
 * @example An alias that contains itself
 * ```ts
 * import { cycleMessage } from "./cycle_message.ts";
 * import assert from "node:assert/strict";
 *
 * const frames = [{ name: "barchan.alias", input: "all", label: "alias @all" }];
 * assert.match(cycleMessage(frames, undefined), /alias @all\n  -> alias @all/);
 * ```
 */
export function cycleMessage(frames: readonly StackFrame[], project: Project | undefined): string {
  const shown: string[] = [];
  for (const frame of frames) {
    const line = describe(frame, project);
    if (line !== undefined && line !== shown[shown.length - 1]) shown.push(line);
  }
  if (shown.length > 1 && shown[shown.length - 1] === shown[0]) shown.pop();
  if (shown.length === 0) shown.push(...frames.map((f) => f.label));
  const lines = [...shown, shown[0]];
  const hint = shown.length === 1
    ? "It depends on itself: remove it from its own dependencies."
    : "Each depends on the next: remove one of these dependencies.";
  return `Dependency cycle:\n  ${lines.join("\n  -> ")}\n${hint}`;
}

function describe(frame: StackFrame, project: Project | undefined): string | undefined {
  switch (frame.name) {
    case "barchan.rule": {
      const id = frame.input as string;
      return `rule ${id}${at(project?.rules.get(id)?.site)}`;
    }
    case "barchan.target": {
      const { rule } = frame.input as { rule: string };
      return `rule ${rule}${at(project?.rules.get(rule)?.site)}`;
    }
    case "barchan.alias": {
      const name = frame.input as string;
      return `alias @${name}${at(project?.aliases.get(name)?.site)}`;
    }
    case "barchan.spec":
    case "barchan.load":
    case "barchan.request":
      return undefined;
    default:
      return frame.label;
  }
}

function at(site: string | undefined): string {
  return site === undefined ? "" : ` (${site})`;
}
