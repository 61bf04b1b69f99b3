// Removing a file that may already be gone.

/** Removes a file (or empty directory); one that is not there is fine. */
export function removeIfPresent(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
