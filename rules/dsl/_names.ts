// What a target or a dependency may be called, checked when build.ts is
// evaluated so that the message can name the rule's line. A target is a file
// barchan writes, records in its state (one line each) and may delete: its
// name must be a file's name inside the project, without control characters
// (a newline in `"notes\nfoo"` would split a line of the outputs record, and
// shows as two paths in every message).

import type { DepSpec } from "../project/project.ts";

/**
 * Why a target name cannot be used, or undefined when it can.
 * @param raw The name as build.ts wrote it.
 * @param normalized The name relative to the project root.
 */
export function targetProblem(raw: unknown, normalized: string): string | undefined {
  if (typeof raw !== "string") return `has a target that is not a string (${String(raw)})`;
  if (raw === "") return `has an empty target name (targets: "")`;
  const control = controlCharacter(raw);
  if (control !== undefined) {
    return `has a target whose name holds a control character (${control}): ${
      JSON.stringify(raw)
    }; name targets with printable characters only`;
  }
  if (normalized === "") {
    return `names the project directory itself (${JSON.stringify(raw)}) as a target: ` +
      `targets are files`;
  }
  return undefined;
}

/**
 * Why a dependency written as a path cannot be used, or undefined.
 * @param dep The dependency, normalised.
 */
export function depProblem(dep: DepSpec): string | undefined {
  if (dep.kind !== "path") return undefined;
  if (dep.path === "") {
    return `depends on the project directory itself (deps: ["."] or ""): ` +
      `depend on files, or on a glob such as "src/**/*.ts"`;
  }
  if (dep.path.includes("\0")) {
    return `depends on a path holding a NUL character: ${JSON.stringify(dep.path)}`;
  }
  return undefined;
}

/** The first control character of a name, escaped (`\n`, `\u0000`), if any. */
function controlCharacter(name: string): string | undefined {
  // deno-lint-ignore no-control-regex
  const found = /[\u0000-\u001f\u007f-\u009f]/.exec(name);
  if (found === null) return undefined;
  return JSON.stringify(found[0]).slice(1, -1);
}
