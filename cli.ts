/**
 * The `barchan` command line: argument parsing and terminal output only;
 * everything else is the library's.
 *
 * ```sh
 * deno run -A cli.ts build [TARGET|@ALIAS ...] [-j N] [-C DIR]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { relative, resolve } from "node:path";
import denoJson from "./deno.json" with { type: "json" };
import { isCancellation } from "./fiber/cancel.ts";
import { onInterrupt } from "./fiber/on_interrupt.ts";
import { Scheduler } from "./fiber/scheduler.ts";
import { build } from "./rules/build.ts";
import { clean } from "./rules/clean.ts";
import { BuildFileError } from "./rules/errors.ts";
import { findBuildFile, loadProject } from "./rules/load.ts";
import { plainReporter } from "./rules/report.ts";

/** The package version, as published. */
export const VERSION: string = denoJson.version;

const HELP = `barchan ${VERSION}: a build system for Deno

Usage: barchan <command> [options] [TARGET|@ALIAS ...]

Commands:
  build     Build targets and aliases (default: @default, or every target)
  clean     Remove what barchan built and its state, nothing else
  targets   List rules and aliases with their build.ts locations
  check     Type-check build.ts
  help      Show this help

Options:
  -C, --directory DIR  Run as if started in DIR (build.ts is searched upward)
  -j, --jobs N         Run at most N commands at once (default: CPUs)
  -v, --verbose        Print each command as it starts
  -q, --quiet          Print only failures
  -h, --help           Show this help
  -V, --version        Print the version

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
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        directory: { type: "string", short: "C" },
        jobs: { type: "string", short: "j" },
        verbose: { type: "boolean", short: "v" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
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
        return await buildCommand(cwd, rest, jobs, values.verbose, values.quiet);
      case "clean": {
        const removed = await clean(cwd);
        if (!values.quiet) console.error(`Removed ${removed.length} built files and the state`);
        return 0;
      }
      case "targets":
        return await targetsCommand(cwd);
      case "check":
        return await checkCommand(cwd);
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

async function buildCommand(
  cwd: string,
  requests: string[],
  jobs: number | undefined,
  verbose: boolean | undefined,
  quiet: boolean | undefined,
): Promise<number> {
  const file = findBuildFile(cwd);
  const root = resolve(file, "..");
  const targets = requests.map((t) => t.startsWith("@") ? t : relative(root, resolve(cwd, t)));
  const scheduler = new Scheduler({ jobs });
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  const uninstall = onInterrupt(scheduler, async () => {
    controller.abort();
    await running.catch(() => {});
  });
  const reporter = plainReporter({ verbose, quiet });
  try {
    const build_ = build({ root, targets, scheduler, reporter, signal: controller.signal });
    running = build_;
    const result = await build_;
    for (const failure of result.failed) {
      console.error(`Error: ${failure.message}`);
    }
    if (!quiet) {
      const status = result.ok ? "Done" : `Failed (${result.failed.length} errors)`;
      console.error(`${status}: ${result.ran.length} actions ran`);
    }
    return result.ok ? 0 : 1;
  } catch (error) {
    if (isCancellation(error)) return 130;
    throw error;
  } finally {
    uninstall();
  }
}

async function targetsCommand(cwd: string): Promise<number> {
  const project = await loadProject(findBuildFile(cwd));
  for (const rule of project.rules.values()) {
    console.log(`${rule.id}\t${rule.site}\t${rule.display}`);
  }
  for (const alias of project.aliases.values()) {
    console.log(`@${alias.name}\t${alias.site}`);
  }
  return 0;
}

async function checkCommand(cwd: string): Promise<number> {
  const file = findBuildFile(cwd);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["check", file],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code === 0 ? 0 : 1;
}

function usage(message: string): number {
  console.error(`barchan: ${message}\nRun "barchan --help" for usage.`);
  return 2;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
