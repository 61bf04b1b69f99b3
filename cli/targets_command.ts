/**
 * `barchan targets`.
 *
 * @module
 */
import { findBuildFile } from "../rules/project/build_file.ts";

/**
 * `barchan targets`: each rule and alias, with where build.ts defines it.
 * @param cwd The directory the command runs in.
 * @returns The exit code, 0.
 */
export async function targetsCommand(cwd: string): Promise<number> {
  const { loadProject } = await import("../rules/project/load.ts");
  const project = await loadProject(findBuildFile(cwd));
  for (const rule of project.rules.values()) {
    console.log(`${rule.id}\t${rule.site}\t${rule.display}`);
  }
  for (const alias of project.aliases.values()) {
    console.log(`@${alias.name}\t${alias.site}`);
  }
  return 0;
}
