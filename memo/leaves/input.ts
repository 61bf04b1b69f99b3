/**
 * The input leaf: a named value the engine's owner sets (`Engine#setInput`).
 *
 * @module
 */
import { Leaf } from "../node.ts";

/** A named input whose value the engine's owner sets, such as the digest of a rule's spec. */
export class InputLeaf extends Leaf {
  readonly kind = "input";
  /** The input's key. */
  readonly key: string;
  /** The current value. */
  value = "";

  constructor(id: string, key: string) {
    super(id);
    this.key = key;
  }

  describe(): string {
    return this.key;
  }

  /** Inputs change only through `Engine#setInput`. */
  refresh(_run: number): boolean {
    return false;
  }
}
