/**
 * The `barchan` command line: from the arguments to a command, and from the
 * command to an exit code. Each command is a file of its own
 * (`build_command.ts`, `clean_command.ts`, `targets_command.ts`,
 * `graph_command.ts`, `check_command.ts`, `server_command.ts`); argument
 * parsing is `args.ts`'s.
 * Everything else is the library's.
 *
 * @module
 */
import { parseCommandLine } from "./args.ts";
import { resolvePath as resolve } from "../memo/stat/paths.ts";
import { BuildFileError } from "../rules/dsl/errors.ts";
import denoJson from "../deno.json" with { type: "json" };
import { buildCommand, SettingError } from "./build_command.ts";

// `build` is the command that must start fast; the others are imported when
// asked for.

/** The package version, as published. */
export const VERSION: string = denoJson.version;

/** What `barchan --help` prints: the commands, the options, the exit codes. */
const HELP: string = `barchan ${VERSION}: a build system for Deno

Usage: barchan <command> [options] [TARGET|@ALIAS ...]

Commands:
  build     Build targets and aliases (default: @default, or every target)
  clean     Remove what barchan built and its state, nothing else
  targets   List rules and aliases with their build.ts locations
  graph     Print the rule graph, with dependencies the last build found
            while running (--format dot|json, default dot)
  check     Type-check build.ts
  server    The project's build server, which builds run in:
            server status|start|stop (default status)
  help      Show this help

Options:
  -C, --directory DIR  Run as if started in DIR (build.ts is searched upward)
  -j, --jobs N         Run at most N commands at once (default: CPUs)
  -w, --watch          Build, then rebuild whenever something the build read changes;
                       meanwhile other builds in the project are sent to this one
      --no-server      Build in this process, not in the project's build server
                       (stopping it if it runs)
  -n, --dry-run        Print what would run and why; run and change nothing
      --explain        Print, for each action that runs, why it runs
      --json           Print events as JSON lines on standard output
      --trace-file F   Write a Chrome trace (opens in Perfetto) of each build to F
  -v, --verbose        Print each command as it starts
  -q, --quiet          Print only failures
  -h, --help           Show this help
  -V, --version        Print the version

A build runs in the project's build server, started in the background by the
first build and stopped after 15 minutes without one (BARCHAN_SERVER_IDLE);
not when CI is set, or with --no-server or BARCHAN_SERVER=off.

Colours follow NO_COLOR and FORCE_COLOR.

Exit status: 0 success, 1 failed build, 2 bad usage.
`;

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
      "no-server": { type: "boolean" },
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
          noServer: values["no-server"],
        });
      case "clean":
        return await (await import("./clean_command.ts")).cleanCommand(cwd, values.quiet ?? false);
      case "targets":
        return await (await import("./targets_command.ts")).targetsCommand(cwd);
      case "check":
        return await (await import("./check_command.ts")).checkCommand(cwd);
      case "server":
        return await (await import("./server_command.ts")).serverCommand(cwd, rest);
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
    if (error instanceof SettingError) return usage(error.message);
    throw error;
  }
}

function usage(message: string): number {
  console.error(`barchan: ${message}\nRun "barchan --help" for usage.`);
  return 2;
}
