/**
 * A command as barchan keys, replays, caches and runs it: the program and
 * its arguments, the environment the action sets, the working directory,
 * standard input, and the paths it may write (its rule's targets). What it
 * may read is given beside it, as the files its rule depends on so far
 * (command_key.ts).
 *
 * @module
 */

/**
 * One command of an action.
 *
 * @example
 * ```ts
 * import type { CommandSpec } from "./command.ts";
 * import assert from "node:assert/strict";
 *
 * const cc: CommandSpec = {
 *   program: "gcc",
 *   args: ["-c", "main.c", "-o", "_build/main.o"],
 *   env: {},
 *   cwd: "",
 *   outputs: ["_build/main.o"],
 * };
 * assert.equal(cc.stdin, undefined);
 * ```
 */
export interface CommandSpec {
  /** The program: a name looked up in `PATH`, or a path. */
  readonly program: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Variables the action sets, added to the environment barchan runs in. */
  readonly env: Readonly<Record<string, string>>;
  /** The working directory, relative to the project root; `""` is the root. */
  readonly cwd: string;
  /** Standard input text, if any. */
  readonly stdin?: string;
  /** The paths it may write, relative to the project root: its rule's targets. */
  readonly outputs: readonly string[];
  /**
   * Those of `outputs` that are directories (directory targets): created
   * empty before it runs, here or remotely, and stored as REAPI trees.
   * @default {[]}
   */
  readonly dirs?: readonly string[];
}

/**
 * A command line as a person reads it: a shell script alone
 * (`sh -c SCRIPT`), else program and arguments, quoted where a shell would
 * need it.
 * @param program The program.
 * @param args Its arguments.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { commandLine } from "./command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(commandLine("cp", ["a b", "c"]), "cp 'a b' c");
 * assert.equal(commandLine("sh", ["-c", "cat a > b"]), "cat a > b");
 * ```
 */
export function commandLine(program: string, args: readonly string[]): string {
  if (program === "sh" && args.length === 2 && args[0] === "-c") return args[1];
  return [program, ...args].map(quote).join(" ");
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
