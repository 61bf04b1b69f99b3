/**
 * The `barchan` command line: from the arguments to a command, and from the
 * command to an exit code. Each command is a file of its own
 * (`build_command.ts`, `clean_command.ts`, `targets_command.ts`,
 * `graph_command.ts`, `check_command.ts`, `init_command.ts`,
 * `cache_command.ts`, `server_command.ts`); argument parsing is `args.ts`'s.
 * Everything else is the library's.
 *
 * @module
 */
import { CACHE_OPTIONS, parseCommandLine, REMOTE_OPTIONS } from "./args.ts";
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
  init      Write a build.ts for the Deno project (deno.json) or the C
            sources in the directory
  cache     The local action cache: stats, trim [SIZE], clear;
            keygen [NAME] writes a key pair to sign remote cache entries
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
      --explain        Print, for each action that runs, why it runs (or why its
                       result was not in the action cache, or where it came from)
      --replay         Print also what up-to-date actions printed when they last ran
      --sandbox        Run commands under bubblewrap, the project read-only but for
                       the targets of their rule: a write elsewhere fails the rule
      --json           Print events as JSON lines on standard output
      --trace-file F   Write a Chrome trace (opens in Perfetto) of each build to F
      --no-check       Do not type-check build.ts (build does, beside the build,
                       when build.ts or a module it imports changed; BARCHAN_CHECK=off)
  -v, --verbose        Print each command as it starts
  -q, --quiet          Print only failures
  -h, --help           Show this help
  -V, --version        Print the version

Cache options:
      --cache-dir DIR          The local cache (default: $XDG_CACHE_HOME/barchan or
                               ~/.cache/barchan; BARCHAN_CACHE_DIR)
      --no-cache               No action cache at all (BARCHAN_CACHE=off)
      --remote-cache URL       A remote cache: http(s):// (Bazel's HTTP cache: nginx,
                               bazel-remote) or grpc(s):// (REAPI); BARCHAN_REMOTE_CACHE
      --remote-cache-upload    Write to the remote cache (trusted CI only);
                               BARCHAN_REMOTE_CACHE_UPLOAD=1
      --remote-instance NAME   The REAPI instance of a grpc remote cache
      --cache-namespace NAME   Keys of this namespace only (BARCHAN_CACHE_NAMESPACE)
      --cache-trusted-keys P   Use remote entries only if signed by a public key in
                               file or directory P (BARCHAN_CACHE_TRUSTED_KEYS)
      --cache-signing-key F    Sign the entries stored with this private key
                               (BARCHAN_CACHE_SIGNING_KEY: a path or the PEM text)

Remote execution options (build):
      --remote-executor URL    Run commands on a REAPI executor, grpc(s)://HOST:PORT
                               (BARCHAN_REMOTE_EXECUTOR); its cache is the remote cache
                               unless --remote-cache names another
      --remote-jobs N          Commands on the executor at once, beside -j (default 50;
                               BARCHAN_REMOTE_JOBS)
      --remote-only            Fail a command the executor cannot run instead of running
                               it here (BARCHAN_REMOTE_ONLY=1)
      --remote-ca FILE         CA certificates for grpcs:// (BARCHAN_REMOTE_CA); tokens go
                               in BARCHAN_REMOTE_HEADERS=Name=value,...
      --remote-download MODE   all (default), or minimal: leave outputs of remote commands
                               on the executor but for the requested targets, fetching
                               them when something here reads them (BARCHAN_REMOTE_DOWNLOAD)

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
      replay: { type: "boolean" },
      sandbox: { type: "boolean" },
      json: { type: "boolean" },
      "trace-file": { type: "string" },
      format: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      "no-server": { type: "boolean" },
      "no-check": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
      ...CACHE_OPTIONS,
      ...REMOTE_OPTIONS,
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
      case "build": {
        const given = (options: object) => Object.keys(options).some((name) => name in values);
        const cacheGiven = given({ ...CACHE_OPTIONS, "remote-ca": 0 });
        const remoteGiven = given(REMOTE_OPTIONS) || "remote-instance" in values ||
          REMOTE_VARIABLES.some((name) => Deno.env.get(name) !== undefined);
        let settings = {};
        // The flags module is loaded only when a flag or variable needs it.
        if (cacheGiven || remoteGiven) {
          try {
            const flags = await import("./cache_flags.ts");
            settings = {
              cache: cacheGiven ? flags.cacheSettingsFromArgs(values) : undefined,
              // Read here when set, so that a value that cannot be used is a usage error.
              remote: remoteGiven
                ? flags.remoteSettingsFromArgs(values) ?? false as const
                : undefined,
            };
          } catch (error) {
            return usage((error as Error).message);
          }
        }
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
          replay: values.replay,
          sandbox: values.sandbox,
          noCheck: values["no-check"],
          ...settings,
        });
      }
      case "clean":
        return await (await import("./clean_command.ts")).cleanCommand(cwd, values.quiet ?? false);
      case "targets":
        return await (await import("./targets_command.ts")).targetsCommand(cwd);
      case "check":
        return await (await import("./check_command.ts")).checkCommand(cwd);
      case "init":
        return await (await import("./init_command.ts")).initCommand(cwd);
      case "cache":
        return await (await import("./cache_command.ts")).cacheCommand(rest, {
          cacheDir: values["cache-dir"],
          json: values.json,
          cwd,
        });
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
    // A full disk, a read-only project: said in one paragraph, without a trace.
    const { isOsError, withOsHint } = await import("../rules/run/os_errors.ts");
    if (isOsError(error)) {
      console.error(`barchan: ${withOsHint((error as Error).message)}`);
      return 1;
    }
    throw error;
  }
}

/** The variables of remote execution (rules/remote/executor_options.ts). */
const REMOTE_VARIABLES = [
  "BARCHAN_REMOTE_EXECUTOR",
  "BARCHAN_REMOTE_JOBS",
  "BARCHAN_REMOTE_ONLY",
  "BARCHAN_REMOTE_CA",
];

function usage(message: string): number {
  console.error(`barchan: ${message}\nRun "barchan --help" for usage.`);
  return 2;
}
