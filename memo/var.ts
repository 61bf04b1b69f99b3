/**
 * Vars: input cells set from outside the computation. Reading one inside a
 * memo body records a dependency; setting it invalidates what read it.
 *
 * @module
 */
import { currentFrame } from "./context.ts";
import { canonicalKey } from "./key.ts";
import { digestOf } from "./stat/digest.ts";

/** Options of a {@linkcode Var}. */
export interface VarOptions<T> {
  /**
   * Equality of values: a `set` to a value equal to the current one is
   * ignored. Without it, every `set` counts as a change.
   * @default undefined
   */
  cutoff?: (a: T, b: T) => boolean;
}

let generation = 0;
const liveNames = new Map<string, Error>();

function siteOf(capture: Error): string {
  return capture.stack?.split("\n")[2]?.trim().replace(/^at /, "") ?? "unknown";
}
const liveVars = new Map<string, Var<unknown>>();

/**
 * Returns the live var of a name, if one exists in this process.
 * @param name The var's name.
 * @returns The var.
 */
export function varNamed(name: string): Var<unknown> | undefined {
  return liveVars.get(name);
}

/**
 * Returns a counter that grows on every effective `Var#set`; engines compare
 * it to notice that a new run has begun.
 * @returns The counter.
 */
export function varGeneration(): number {
  return generation;
}

/**
 * An input cell. `get()` inside a memo body records a dependency; `set()`
 * makes the next evaluation re-check whatever read it.
 *
 * @example A memo function over a var
 * ```ts
 * import { Engine, memo, Var } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const level = new Var("docLevel", 1);
 * const doubled = memo("docDoubled", () => level.get() * 2);
 * const engine = new Engine();
 * assert.equal(await engine.run(() => doubled(null)), 2);
 * level.set(5);
 * assert.equal(await engine.run(() => doubled(null)), 10);
 * ```
 */
export class Var<T> {
  /** The var's name, unique among vars; it names the var in the store and in explanations. */
  readonly name: string;
  #value: T;
  #version = 0;
  #cutoff: ((a: T, b: T) => boolean) | undefined;
  #reason = "";

  /**
   * Creates a var.
   * @param name A unique name.
   * @param initial The initial value.
   * @param options Options.
   */
  constructor(name: string, initial: T, options: VarOptions<T> = {}) {
    // Formatting a stack is slow; it is captured here and read only for a message.
    const capture = new Error();
    const previous = liveNames.get(name);
    if (previous !== undefined) {
      throw new Error(
        `Var "${name}" is defined twice: at ${siteOf(previous)} and at ${siteOf(capture)}. ` +
          `Give each var a unique name`,
      );
    }
    liveNames.set(name, capture);
    liveVars.set(name, this as Var<unknown>);
    this.name = name;
    this.#value = initial;
    this.#cutoff = options.cutoff;
  }

  /**
   * Returns the value, recording a dependency of the running memo body.
   * @returns The current value.
   */
  get(): T {
    const frame = currentFrame();
    if (frame?.node !== undefined) frame.engine.readVar(this as Var<unknown>, frame);
    return this.#value;
  }

  /**
   * Sets the value. Unless the cutoff says it equals the current one, what
   * read the var is re-checked on the next evaluation.
   * @param value The new value.
   * @param reason Why it changed, kept for explanations.
   */
  set(value: T, reason = `var ${this.name} was set`): void {
    if (this.#cutoff !== undefined && this.#cutoff(this.#value, value)) return;
    this.#value = value;
    this.#version++;
    this.#reason = reason;
    generation++;
  }

  /** Counts effective sets; engines compare it with what they saw. */
  get version(): number {
    return this.#version;
  }

  /** Why the var last changed. */
  get reason(): string {
    return this.#reason;
  }

  /**
   * Returns a digest of the value, or "" when it is not plain data.
   * @returns The digest.
   */
  digest(): string {
    try {
      return digestOf(canonicalKey(this.#value));
    } catch {
      return "";
    }
  }

  /** Releases the name, as when a build description is reloaded and defines the var again. */
  dispose(): void {
    liveNames.delete(this.name);
    liveVars.delete(this.name);
  }
}
