/**
 * The environment variable leaf.
 *
 * @module
 */
import { Leaf } from "../node.ts";

/** An environment variable. */
export class EnvLeaf extends Leaf {
  readonly kind = "env";
  /** The variable's name. */
  readonly name: string;
  /** Its value, null when unset; undefined before the first check. */
  value: string | null | undefined = undefined;

  constructor(id: string, name: string) {
    super(id);
    this.name = name;
  }

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
