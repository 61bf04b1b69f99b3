/**
 * The `barchan` command line: from the arguments to a command, and from the
 * command to an exit code. Each command is a file of its own
 * (`build_command.ts`, `clean_command.ts`, `targets_command.ts`,
 * `graph_command.ts`, `check_command.ts`); argument parsing is `args.ts`'s.
 * Everything else is the library's.
 *
 * @module
 */
import { parseCommandLine } from "./args.ts";
import { resolvePath as resolve } from "../memo/stat/paths.ts";
import { BuildFileError } from "../rules/dsl/errors.ts";
import { buildCommand } from "./build_command.ts";
import { VERSION } from "./version.ts";

// `build` is the command that must start fast; the others, and the help
// text, are imported when asked for.

export { VERSION };

/**
 * Runs the command line and returns the exit code: 0 success, 1 a failed
 * build, 2 bad usage.
 *
 * @param args The arguments, without the program name.
 * @returns The exit code.
 *
 * @example Printing the version
 * ```ts
 * import { main } from "@barchan/barchan/cli";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await main(["--version"]), 0);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(args, {
      directory: { type: "string", short: "C" },
      jobs: { type: "string", short: "j" },
      verbose: { type: "boolean", short: "v" },
      watch: { type: "boolean", short: "w" },
      "dry-run": { type: "boolean", short: "n" },
      explain: { type: "boolean" },
      json: { type: "boolean" },
      "trace-file": { type: "string" },
      format: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    console.log(`barchan ${VERSION}`);
    return 0;
  }
  const [command = "help", ...rest] = positionals;
  if (values.help || command === "help") {
    const { HELP } = await import("./help.ts");
    console.log(HELP);
    return 0;
  }
  let jobs: number | undefined;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) {
      return usage(`-j takes a whole number of at least 1, not "${values.jobs}"`);
    }
  }
  const cwd = resolve(values.directory ?? ".");
  try {
    switch (command) {
      case "build":
        return await buildCommand(cwd, rest, {
          jobs,
          verbose: values.verbose,
          quiet: values.quiet,
          watch: values.watch,
          dryRun: values["dry-run"],
          explain: values.explain,
          json: values.json,
          traceFile: values["trace-file"],
        });
      case "clean":
        return await (await import("./clean_command.ts")).cleanCommand(cwd, values.quiet ?? false);
      case "targets":
        return await (await import("./targets_command.ts")).targetsCommand(cwd);
      case "check":
        return await (await import("./check_command.ts")).checkCommand(cwd);
      case "graph": {
        const format = values.format ?? "dot";
        if (format !== "dot" && format !== "json") {
          return usage(`--format takes dot or json, not "${format}"`);
        }
        return await (await import("./graph_command.ts")).graphCommand(cwd, rest, format);
      }
      default:
        return usage(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof BuildFileError) {
      console.error(`barchan: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

function usage(message: string): number {
  console.error(`barchan: ${message}\nRun "barchan --help" for usage.`);
  return 2;
}
