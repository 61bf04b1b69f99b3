/**
 * Rule handles: what `rule()` returns, so that other rules can depend on it.
 *
 * @module
 */

/**
 * A rule as other rules see it: its id and its targets. Pass it in `deps` to
 * depend on everything it builds.
 *
 * @example
 * ```ts
 * import { RuleHandle } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const handle = new RuleHandle("out/a.o", ["out/a.o"], "build.ts:3");
 * assert.equal(handle.target, "out/a.o");
 * ```
 */
export class RuleHandle {
  /** The rule's id: its first target, or `@alias/...` for a rule without targets. */
  readonly id: string;
  /** Targets, relative to the project root. */
  readonly targets: readonly string[];
  #site: string | (() => string) | { readonly site: string };

  /**
   * Creates a handle.
   * @param id The rule id.
   * @param targets Its targets.
   * @param site Where it is defined, or a function or an object (the rule)
   * that says so when asked.
   */
  constructor(
    id: string,
    targets: readonly string[],
    site: string | (() => string) | { readonly site: string },
  ) {
    this.id = id;
    this.targets = targets;
    this.#site = site;
  }

  /** Where the rule is defined, `build.ts:line`. */
  get site(): string {
    if (typeof this.#site === "function") this.#site = this.#site();
    return typeof this.#site === "string" ? this.#site : this.#site.site;
  }

  /** The first target; an error for a rule without targets. */
  get target(): string {
    if (this.targets.length === 0) {
      throw new Error(`Rule ${this.id} (${this.site}) has no targets; depend on the handle itself`);
    }
    return this.targets[0];
  }

  /** The first target, or the id. */
  toString(): string {
    return this.targets[0] ?? this.id;
  }
}
