/**
 * What an action did, step by step, as its rule's value records it: each
 * command with its key and what it printed, each `writeText`, and the
 * targets' contents after each step but the last (the last step leaves the
 * targets as the rule's value says). A later run of the action's code that
 * issues the same steps in the same order is replayed from this record
 * instead of spawning (replay.ts).
 *
 * @module
 */

/**
 * Target path to `fast sha256/size` (see {@linkcode targetState}); for a
 * directory target, its tree's digest (`dir:...`) and the SHA-256 and size
 * of its REAPI `Tree`.
 */
export type TargetStates = Readonly<Record<string, string>>;

/** A command an action ran. */
export interface CommandStep {
  /** The command's key: the hex SHA-256 of its REAPI `Action`. */
  readonly k: string;
  /** Its exit code, when not 0 (the action caught the failure and went on). */
  readonly e?: number;
  /** What it printed on stdout and stderr, when short enough to keep. */
  readonly x?: readonly [string, string];
  /** The targets after it, unless it is the last step. */
  readonly o?: TargetStates;
}

/** A target an action wrote itself. */
export interface WriteStep {
  /** The target. */
  readonly w: string;
  /** The fast digest of what it wrote. */
  readonly d: string;
  /** The targets after it, unless it is the last step. */
  readonly o?: TargetStates;
}

/**
 * One step.
 *
 * @example
 * ```ts
 * import { isCommandStep, type Step } from "./steps.ts";
 * import assert from "node:assert/strict";
 *
 * const steps: Step[] = [{ k: "ab".repeat(32), x: ["", ""] }, { w: "out/a", d: "digest" }];
 * assert.deepEqual(steps.map(isCommandStep), [true, false]);
 * ```
 */
export type Step = CommandStep | WriteStep;

/** Output longer than this (stdout and stderr together, in UTF-16 units) is not kept for replay. */
export const MAX_KEPT_OUTPUT = 16 * 1024;

/**
 * Whether a step is a command.
 * @param step The step.
 * @returns True for a command, false for a write.
 *
 * @example
 * ```ts
 * import { isCommandStep } from "./steps.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isCommandStep({ w: "a", d: "d" }), false);
 * ```
 */
export function isCommandStep(step: Step): step is CommandStep {
  return "k" in step;
}

/**
 * A target's state as steps record it: both its digests.
 * @param fast The build's fast digest.
 * @param sha256 `hash/size`.
 * @returns The state.
 *
 * @example
 * ```ts
 * import { parseTargetState, targetState } from "./steps.ts";
 * import assert from "node:assert/strict";
 *
 * const state = targetState("f", "ab/3");
 * assert.deepEqual(parseTargetState(state), { fast: "f", sha256: "ab/3" });
 * ```
 */
export function targetState(fast: string, sha256: string): string {
  return `${fast} ${sha256}`;
}

/**
 * The digests in a target's state.
 * @param state As {@linkcode targetState} made it.
 * @returns Both digests.
 *
 * @example
 * ```ts
 * import { parseTargetState } from "./steps.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseTargetState("f ab/3").fast, "f");
 * ```
 */
export function parseTargetState(state: string): { fast: string; sha256: string } {
  const space = state.indexOf(" ");
  return { fast: state.slice(0, space), sha256: state.slice(space + 1) };
}
