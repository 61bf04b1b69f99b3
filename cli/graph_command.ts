/**
 * `barchan graph`.
 *
 * @module
 */
import {
  joinPath as join,
  relativePath as relative,
  resolvePath as resolve,
} from "../memo/stat/paths.ts";
import { findBuildFile } from "../rules/project/build_file.ts";
import { STATE_DIR } from "../rules/state.ts";

/**
 * `barchan graph`: the rule graph, with the dependencies the last build found
 * while running, as dot or JSON.
 * @param cwd The directory the command runs in.
 * @param targets Targets (relative to `cwd`) and `@aliases` to keep only what they need; all when empty.
 * @param format `dot` or `json`.
 * @returns The exit code: 0, or 1 for a target not in the graph.
 */
export async function graphCommand(
  cwd: string,
  targets: string[],
  format: "dot" | "json",
): Promise<number> {
  const [{ loadProject }, { Engine, messageOf }, { graphToDot, ruleGraph }] = await Promise.all([
    import("../rules/project/load.ts"),
    import("../memo/mod.ts"),
    import("../rules/run/graph.ts"),
  ]);
  const file = findBuildFile(cwd);
  const root = resolve(file, "..");
  const project = await loadProject(file);
  const engine = new Engine({ dir: join(root, STATE_DIR), root, readOnly: true });
  let graph;
  try {
    graph = ruleGraph(
      project,
      engine,
      targets.map((t) => t.startsWith("@") ? t : relative(root, resolve(cwd, t))),
    );
  } catch (error) {
    console.error(`barchan: ${messageOf(error)}`);
    return 1;
  }
  console.log(format === "json" ? JSON.stringify(graph, null, 2) : graphToDot(graph));
  return 0;
}
