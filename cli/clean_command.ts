/**
 * `barchan clean`.
 *
 * @module
 */
import { resolvePath as resolve } from "../memo/stat/paths.ts";
import { findBuildFile } from "../rules/project/build_file.ts";
import { sessionListening } from "../rules/daemon/client.ts";

/**
 * `barchan clean`: removes what barchan built and its state, nothing else;
 * refused while a watch session runs in the project.
 * @param cwd The directory the command runs in.
 * @param quiet Print nothing on success.
 * @returns The exit code: 0 cleaned, 1 refused.
 */
export async function cleanCommand(cwd: string, quiet: boolean): Promise<number> {
  if (await sessionListening(resolve(findBuildFile(cwd), ".."))) {
    console.error(
      "barchan: a watch session (build -w) runs in this project; stop it before cleaning",
    );
    return 1;
  }
  const { clean } = await import("../rules/run/clean.ts");
  const removed = await clean(cwd, { note: (m) => console.error(m) });
  const files = `${removed.length} built file${removed.length === 1 ? "" : "s"}`;
  if (!quiet) console.error(`Removed ${files} and the state`);
  return 0;
}
