/**
 * The `barchan` command line: argument parsing and terminal output only;
 * everything else is the library's.
 *
 * ```sh
 * deno run -A cli.ts --help
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import denoJson from "./deno.json" with { type: "json" };

/** The package version, as published. */
export const VERSION: string = denoJson.version;

const HELP = `barchan ${VERSION}: a build system for Deno

Usage: barchan <command> [options]

Commands:
  help         Show this help

Options:
  -h, --help     Show this help
  -V, --version  Print the version
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
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (error) {
    console.error(`barchan: ${(error as Error).message}\nRun "barchan --help" for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    console.log(`barchan ${VERSION}`);
    return 0;
  }
  const command = positionals[0] ?? "help";
  if (values.help || command === "help") {
    console.log(HELP);
    return 0;
  }
  console.error(`barchan: unknown command "${command}"\nRun "barchan --help" for usage.`);
  return await Promise.resolve(2);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
