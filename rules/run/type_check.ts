/**
 * Type-checking build.ts during a build: `deno check` of build.ts (and so of
 * the local modules it imports), in a job slot beside the build's actions,
 * as the body of the `barchan.check` memo node (nodes.ts). The node depends
 * on the modules and the configuration files, read before the check starts,
 * so its answer is kept until one of them changes, and a build with nothing
 * to do never runs it.
 *
 * @module
 */
import { dirname, relative } from "node:path";
import type { Scheduler } from "../../fiber/mod.ts";
import { readInput, stat } from "../../memo/mod.ts";
import { configFiles, importedModules } from "../project/modules.ts";
import { PROCESS_INPUT } from "./loader.ts";

/**
 * Type-checks build.ts. The modules it is made of and the configuration
 * files become dependencies of the running memo call before the check runs:
 * an edit made meanwhile is a change the next build sees.
 * @param file The build.ts path.
 * @param scheduler Where `deno check` runs.
 * @param signal Cancels it.
 * @returns The type errors, one line each (`build.ts:3:50: message (TS2345)`), or none.
 *
 * @example A build.ts with a type error
 * ```ts
 * import { typeCheck } from "./type_check.ts";
 * import { Scheduler } from "../../fiber/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/build.ts`, `const n: number = "one";\nexport {};\n`);
 * const errors = await typeCheck(`${dir}/build.ts`, new Scheduler(), new AbortController().signal);
 * assert.match(errors[0], /^build\.ts:1:7: Type 'string' is not assignable to type 'number'\. \(TS2322\)$/);
 * ```
 */
export async function typeCheck(
  file: string,
  scheduler: Scheduler,
  signal: AbortSignal,
): Promise<string[]> {
  const root = dirname(file);
  const modules = await importedModules(file, scheduler);
  if (modules === undefined) readInput(PROCESS_INPUT);
  for (const path of modules ?? [file]) await stat(path);
  for (const path of configFiles([root])) await stat(path);
  const result = await scheduler.spawn(Deno.execPath(), ["check", "--quiet", file], {
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "capture",
    stderr: "capture",
    successExitCodes: [],
    signal,
    label: "deno check build.ts",
  });
  if (result.code === 0) return [];
  const output = `${result.stdout}\n${result.stderr}`;
  const errors = typeErrors(output, root);
  if (errors.length > 0) return errors;
  return [
    output.trim().split("\n").slice(-6).join("\n") || `deno check exited with ${result.code}`,
  ];
}

/**
 * The type errors in what `deno check` printed, one line each, with paths
 * relative to the project root.
 * @param output What it printed (without colours).
 * @param root The project root.
 * @returns `path:line:column: message (TScode)` for each error.
 *
 * @example One error, with its place
 * ```ts
 * import { typeErrors } from "./type_check.ts";
 * import assert from "node:assert/strict";
 *
 * const output = `TS2345 [ERROR]: Argument of type 'number' is not assignable to parameter of type 'string'.
 * rule({ action: run("cp", "in.txt", 3) });
 *                                    ^
 *     at file:///p/build.ts:3:36
 * `;
 * assert.deepEqual(typeErrors(output, "/p"), [
 *   "build.ts:3:36: Argument of type 'number' is not assignable to parameter of type 'string'. (TS2345)",
 * ]);
 * ```
 */
export function typeErrors(output: string, root: string): string[] {
  const errors: string[] = [];
  let pending: { code: string; message: string } | undefined;
  for (const line of output.split("\n")) {
    const start = line.match(/^(TS\d+) \[ERROR\]: (.*)$/);
    if (start !== null) {
      pending = { code: start[1], message: start[2].trim() };
      continue;
    }
    const at = line.match(/^\s+at (file:\/\/\S+):(\d+):(\d+)$/);
    if (at !== null && pending !== undefined) {
      const path = relative(root, decodeURIComponent(new URL(at[1]).pathname));
      errors.push(`${path}:${at[2]}:${at[3]}: ${pending.message} (${pending.code})`);
      pending = undefined;
    }
  }
  return errors;
}
