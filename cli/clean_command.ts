/**
 * `barchan clean`.
 *
 * @module
 */
import { resolvePath as resolve } from "../memo/stat/paths.ts";
import { findBuildFile } from "../rules/project/build_file.ts";
import { stopServer } from "../rules/daemon/start.ts";

/**
 * `barchan clean`: removes what barchan built and its state, nothing else;
 * the project's build server is stopped first, and a watch session makes
 * it refuse.
 * @param cwd The directory the command runs in.
 * @param quiet Print nothing on success.
 * @returns The exit code: 0 cleaned, 1 refused.
 */
export async function cleanCommand(cwd: string, quiet: boolean): Promise<number> {
  const stop = await stopServer(resolve(findBuildFile(cwd), ".."));
  if (stop.kind === "refused") {
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
