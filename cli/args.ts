// Command-line parsing for the CLI (main.ts), with node:util's `parseArgs` rules for
// what barchan accepts (`--name value`, `--name=value`, `-x value`, `-xVALUE`,
// grouped flags `-vq`, `--` ending the options), without starting Node's
// compatibility layer, which costs every command about 5 ms.

/** One option: a flag, or one that takes a value. */
export interface OptionSpec {
  /** `boolean` for a flag, `string` for an option with a value. */
  type: "boolean" | "string";
  /** Its one-letter form, if any. */
  short?: string;
}

/** The values of options, by long name: true for a flag given, the text for others. */
export type OptionValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string;
};

/** What the command line says. */
export interface ParsedArgs<O extends Record<string, OptionSpec>> {
  /** Option values by long name. */
  values: OptionValues<O>;
  /** The arguments that are not options, in order. */
  positionals: string[];
}

/**
 * Parses arguments; throws a `TypeError` naming an unknown option, or an
 * option missing its value.
 */
export function parseCommandLine<const O extends Record<string, OptionSpec>>(
  args: readonly string[],
  options: O,
): ParsedArgs<O> {
  const values: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.short !== undefined) byShort.set(spec.short, name);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const equals = arg.indexOf("=");
      const name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
      const spec = options[name];
      if (spec === undefined) throw new TypeError(`Unknown option '--${name}'`);
      if (spec.type === "boolean") {
        if (equals >= 0) throw new TypeError(`Option '--${name}' does not take an argument`);
        values[name] = true;
      } else if (equals >= 0) {
        values[name] = arg.slice(equals + 1);
      } else {
        values[name] = valueAfter(args, i++, `--${name}`);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j];
        const name = byShort.get(letter);
        if (name === undefined) throw new TypeError(`Unknown option '-${letter}'`);
        if (options[name].type === "boolean") {
          values[name] = true;
          continue;
        }
        if (j + 1 < arg.length) values[name] = arg.slice(j + 1);
        else values[name] = valueAfter(args, i++, `-${letter}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { values: values as OptionValues<O>, positionals };
}

function valueAfter(args: readonly string[], i: number, option: string): string {
  const value = args[i + 1];
  if (value === undefined || (value.startsWith("-") && value.length > 1)) {
    throw new TypeError(`Option '${option} <value>' needs a value`);
  }
  return value;
}

/**
 * The action cache's options, taken by `build` and `cache`
 * (cache_flags.ts turns their values into the cache's options).
 *
 * @example Parsing them
 * ```ts
 * import { CACHE_OPTIONS, parseCommandLine } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const { values } = parseCommandLine(["--remote-cache", "http://cache", "--no-cache"], CACHE_OPTIONS);
 * assert.equal(values["remote-cache"], "http://cache");
 * assert.equal(values["no-cache"], true);
 * ```
 */
export const CACHE_OPTIONS = {
  "cache-dir": { type: "string" },
  "no-cache": { type: "boolean" },
  "remote-cache": { type: "string" },
  "remote-cache-upload": { type: "boolean" },
  "cache-namespace": { type: "string" },
  "remote-instance": { type: "string" },
  "cache-trusted-keys": { type: "string" },
  "cache-signing-key": { type: "string" },
} as const satisfies Record<string, OptionSpec>;

/**
 * The remote executor's options, taken by `build` (cache_flags.ts turns
 * their values into remote execution's options). `--remote-instance` is
 * among {@linkcode CACHE_OPTIONS}: the cache and the executor share it.
 *
 * @example Parsing them
 * ```ts
 * import { parseCommandLine, REMOTE_OPTIONS } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const { values } = parseCommandLine(
 *   ["--remote-executor", "grpc://127.0.0.1:8980", "--remote-jobs", "32", "--remote-only"],
 *   REMOTE_OPTIONS,
 * );
 * assert.equal(values["remote-jobs"], "32");
 * assert.equal(values["remote-only"], true);
 * ```
 */
export const REMOTE_OPTIONS = {
  "remote-executor": { type: "string" },
  "remote-jobs": { type: "string" },
  "remote-only": { type: "boolean" },
  "remote-ca": { type: "string" },
  "remote-download": { type: "string" },
} as const satisfies Record<string, OptionSpec>;
