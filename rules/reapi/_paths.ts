/**
 * The relative paths REAPI messages hold: `/`-separated, no leading or
 * trailing `/`, no empty, `.` or `..` segments, no NUL.
 *
 * @module
 */

/**
 * Splits a relative path into its segments, or throws if it is not in
 * normal form.
 *
 * @param path The path.
 * @param what What the path is, for the error message ("input file").
 */
export function splitRelativePath(path: string, what: string): string[] {
  const parts = path.split("/");
  for (const part of parts) {
    if (part === "" || part === "." || part === ".." || part.includes("\0")) {
      throw new Error(
        `Cannot use ${what} "${path}": a path here must be relative, "/"-separated, ` +
          `without empty, "." or ".." segments; normalise it first`,
      );
    }
  }
  return parts;
}
