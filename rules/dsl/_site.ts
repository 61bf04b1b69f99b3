// Where in build.ts a rule or an alias is defined, from a stack captured by
// Project#captureSite when rule() or alias() was called.
import { relative } from "node:path";
import type { Project } from "../project/project.ts";

/**
 * The first frame of `capture` outside barchan's DSL and project modules, as
 * `build.ts:line` relative to the project root.
 */
export function callerSite(capture: Error, project: Project): string {
  const lines = capture.stack?.split("\n") ?? [];
  for (const line of lines.slice(1)) {
    const m = line.match(/(file:\/\/[^\s)]+?):(\d+):\d+\)?$/);
    if (m === null || /\/rules\/(dsl\/(rule|alias)|project\/project)\.ts$/.test(m[1])) continue;
    const path = decodeURIComponent(new URL(m[1]).pathname);
    return `${relative(project.root, path) || path}:${m[2]}`;
  }
  return project.file;
}
