/**
 * The leaf of a {@linkcode Var}, in a file of its own: vars belong to
 * computations, which a build with nothing to do never starts.
 *
 * @module
 */
import { Leaf } from "../node.ts";
import { type Var, varNamed } from "../var.ts";

/** The digest of a var no longer defined in this process. */
const GONE = "gone";

/** A {@linkcode Var} as seen by one engine. */
export class VarLeaf extends Leaf {
  readonly kind = "var";
  /** The var's name. */
  readonly name: string;
  /** The var, once defined in this process. */
  variable: Var<unknown> | undefined;
  /** The var version last seen, -1 before the first check in this process. */
  seenVersion = -1;
  /** Digest of the value last seen, "" when not JSON data. */
  digest = "";

  constructor(id: string, name: string) {
    super(id);
    this.name = name;
  }

  describe(): string {
    return `var ${this.name}`;
  }

  /** Compares the var's version (or, first time, its digest) with what was seen. */
  refresh(run: number): boolean {
    const v = this.variable ??= varNamed(this.name);
    if (v === undefined) {
      if (this.digest === GONE) return false;
      this.digest = GONE;
      this.changedAt = run;
      return true;
    }
    if (v.version === this.seenVersion) return false;
    const firstLook = this.seenVersion === -1;
    this.seenVersion = v.version;
    const digest = v.digest();
    if (firstLook && digest !== "" && digest === this.digest) return false;
    this.digest = digest;
    this.changedAt = run;
    return true;
  }
}
