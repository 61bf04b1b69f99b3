/**
 * Replaying an action from the steps its last run recorded (steps.ts). The
 * action's code runs again (its code, or a value it uses, may have changed);
 * each step it issues is compared with the recorded one at the same place:
 * a command by its key, a write by its content. While they match, nothing
 * is spawned or written: the targets already hold what those steps wrote.
 *
 * The targets are checked to be as the last run left them before a replay
 * starts. Past the steps matched so far, the targets hold what the last run
 * left at its end, while the action's code expects what they held after the
 * matched steps (the "state" here). At the first step that differs, the
 * action goes on for real when the two agree (a target the matched steps
 * had not written yet is deleted first); when they do not, it must start
 * again from nothing.
 *
 * @module
 */
import {
  type CommandStep,
  isCommandStep,
  parseTargetState,
  type Step,
  type TargetStates,
} from "./steps.ts";

/** How an action goes on for real after its replay diverged. */
export interface Divergence {
  /** Targets to delete first: they did not exist yet at that step. */
  readonly remove: readonly string[];
}

/**
 * A replay in progress.
 *
 * @example A command that matches, then one that does not
 * ```ts
 * import { Replay } from "./replay.ts";
 * import assert from "node:assert/strict";
 *
 * const final = { out: "f2 s2/1" };
 * const replay = new Replay([{ k: "a", x: ["", ""], o: { out: "f1 s1/1" } }, { k: "b", x: ["", ""] }], final);
 * assert.ok(replay.command("a"));
 * assert.deepEqual(replay.state, { out: "f1 s1/1" });
 * assert.equal(replay.command("c"), undefined);
 * assert.equal(replay.diverge(), null); // out holds f2, the code expects f1: start again
 * ```
 */
export class Replay {
  readonly #steps: readonly Step[];
  readonly #final: TargetStates;
  #next = 0;
  #state: TargetStates = {};

  /**
   * @param steps What the last run did.
   * @param final The targets as the last run left them (and as they are now),
   * as {@linkcode targetState} gives them.
   */
  constructor(steps: readonly Step[], final: TargetStates) {
    this.#steps = steps;
    this.#final = final;
  }

  /** The targets as the action's code expects them now (after the steps matched). */
  get state(): TargetStates {
    return this.#state;
  }

  /** The steps matched so far, as a new record starts them. */
  get matched(): Step[] {
    const steps = this.#steps.slice(0, this.#next);
    const last = steps.length - 1;
    if (last >= 0 && steps[last].o === undefined) steps[last] = { ...steps[last], o: this.#final };
    return steps;
  }

  /** Whether every recorded step was matched. */
  get complete(): boolean {
    return this.#next === this.#steps.length;
  }

  /**
   * Matches a command.
   * @param key Its key.
   * @returns The recorded step when it is next, with output to replay;
   * undefined when the replay diverges here.
   */
  command(key: string): CommandStep | undefined {
    const step = this.#steps[this.#next];
    if (step === undefined || !isCommandStep(step) || step.k !== key || step.x === undefined) {
      return undefined;
    }
    this.#advance(step);
    return step;
  }

  /**
   * Matches a write of a target.
   * @param path The target.
   * @param fast The fast digest of what would be written.
   * @returns Whether it is the next recorded step.
   */
  write(path: string, fast: string): boolean {
    const step = this.#steps[this.#next];
    if (step === undefined || isCommandStep(step) || step.w !== path || step.d !== fast) {
      return false;
    }
    this.#advance(step);
    return true;
  }

  /**
   * How to go on for real from here.
   * @returns The targets to delete first, or null when the targets cannot
   * be put in the state the code expects: it must start again.
   */
  diverge(): Divergence | null {
    const remove: string[] = [];
    for (const [path, state] of Object.entries(this.#final)) {
      const expected = this.#state[path];
      if (expected === undefined) remove.push(path);
      else if (parseTargetState(expected).fast !== parseTargetState(state).fast) return null;
    }
    for (const path of Object.keys(this.#state)) {
      if (!(path in this.#final)) return null;
    }
    return { remove };
  }

  #advance(step: Step): void {
    this.#next++;
    this.#state = step.o ?? this.#final;
  }
}
