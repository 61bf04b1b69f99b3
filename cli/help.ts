/**
 * The text of `barchan --help`.
 *
 * @module
 */
import { VERSION } from "./version.ts";

/** What `barchan --help` prints: the commands, the options, the exit codes. */
export const HELP: string = `barchan ${VERSION}: a build system for Deno

Usage: barchan <command> [options] [TARGET|@ALIAS ...]

Commands:
  build     Build targets and aliases (default: @default, or every target)
  clean     Remove what barchan built and its state, nothing else
  targets   List rules and aliases with their build.ts locations
  graph     Print the rule graph, with dependencies the last build found
            while running (--format dot|json, default dot)
  check     Type-check build.ts
  help      Show this help

Options:
  -C, --directory DIR  Run as if started in DIR (build.ts is searched upward)
  -j, --jobs N         Run at most N commands at once (default: CPUs)
  -w, --watch          Build, then rebuild whenever something the build read changes;
                       meanwhile other builds in the project are sent to this one
  -n, --dry-run        Print what would run and why; run and change nothing
      --explain        Print, for each action that runs, why it runs
      --json           Print events as JSON lines on standard output
      --trace-file F   Write a Chrome trace (opens in Perfetto) of each build to F
  -v, --verbose        Print each command as it starts
  -q, --quiet          Print only failures
  -h, --help           Show this help
  -V, --version        Print the version

Colours follow NO_COLOR and FORCE_COLOR.

Exit status: 0 success, 1 failed build, 2 bad usage.
`;
