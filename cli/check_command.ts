/**
 * `barchan check`.
 *
 * @module
 */
import { findBuildFile } from "../rules/project/build_file.ts";

/**
 * `barchan check`: type-checks build.ts with `deno check`.
 * @param cwd The directory the command runs in.
 * @returns The exit code: 0 when build.ts type-checks, 1 otherwise.
 */
export async function checkCommand(cwd: string): Promise<number> {
  const file = findBuildFile(cwd);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["check", file],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code === 0 ? 0 : 1;
}
