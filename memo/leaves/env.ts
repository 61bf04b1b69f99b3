/**
 * The environment variable leaf.
 *
 * @module
 */
import { Leaf } from "../node.ts";

/**
 * An environment variable.
 * @internal For barchan's own layers.
 *
 * @example A variable set after the first check
 * ```ts
 * import { EnvLeaf } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const leaf = new EnvLeaf("", "BARCHAN_ENV_LEAF_EXAMPLE");
 * leaf.refresh(1);
 * Deno.env.set("BARCHAN_ENV_LEAF_EXAMPLE", "on");
 * assert.equal(leaf.refresh(2), true);
 * assert.equal(leaf.value, "on");
 * ```
 */
export class EnvLeaf extends Leaf {
  /** What kind of leaf this is. */
  readonly kind = "env";
  /** The variable's name. */
  readonly name: string;
  /** Its value, null when unset; undefined before the first check. */
  value: string | null | undefined = undefined;

  /**
   * @param id The leaf's cell id in its engine.
   * @param name The variable's name.
   */
  constructor(id: string, name: string) {
    super(id);
    this.name = name;
  }

  /** @returns `environment variable NAME`. */
  describe(): string {
    return `environment variable ${this.name}`;
  }

  /** Re-reads the variable; returns whether it changed. */
  refresh(run: number): boolean {
    const value = Deno.env.get(this.name) ?? null;
    if (value === this.value) return false;
    this.value = value;
    this.changedAt = run;
    return true;
  }
}
