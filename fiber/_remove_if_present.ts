// Removing a file that may already be gone.

/**
 * Removes a file (or empty directory); one that is not there is fine.
 * @param path The path.
 * @internal For barchan's own layers.
 *
 * @example Removing twice
 * ```ts
 * import { removeIfPresent } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * removeIfPresent(file);
 * removeIfPresent(file);
 * assert.throws(() => Deno.statSync(file), Deno.errors.NotFound);
 * ```
 */
export function removeIfPresent(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
