/**
 * A `deno` action as data: the subcommand, its entries, flags and
 * permissions, as `deno.check()` and its siblings (deno.ts) record them in a
 * rule's spec, and how it is shown. Nothing here runs anything
 * (deno_action.ts does), so the DSL can show and compare these actions
 * without loading the module graph's machinery.
 *
 * @module
 */

/** The Deno subcommands barchan has helpers for. */
export type DenoCommand = "run" | "check" | "test" | "bundle" | "compile" | "doc" | "lint" | "fmt";

/**
 * What a script run by `deno.run` may do beyond reading its rule's
 * dependencies and writing its targets: each a list of values (hosts,
 * variable names, programs...) or `true` for any.
 */
export interface DenoPermissions {
  /** Hosts it may reach (`--allow-net`). @default none */
  net?: readonly string[] | true;
  /** Environment variables it may read (`--allow-env`). @default none */
  env?: readonly string[] | true;
  /** Programs it may start (`--allow-run`). @default none */
  run?: readonly string[] | true;
  /** System information it may read (`--allow-sys`). @default none */
  sys?: readonly string[] | true;
  /**
   * More paths it may read. They are not dependencies: declare the files
   * its output depends on in the rule's `deps` instead.
   * @default none
   */
  read?: readonly string[];
}

/** The parameters of one `deno` action. */
export interface DenoParams {
  /** The subcommand. */
  readonly command: DenoCommand;
  /** Entry points or paths, project-relative. */
  readonly entries: readonly string[];
  /** The file it writes (bundle, compile, doc), if any. */
  readonly out?: string;
  /** The script's own arguments (run). */
  readonly args?: readonly string[];
  /** Deno flags, after the subcommand. */
  readonly flags: readonly string[];
  /** Variables added to the command's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** What a script may do (run). */
  readonly permissions?: DenoPermissions;
}

/**
 * The spec of a `deno` action: `["deno", command, parameters as JSON]`.
 * @param params The parameters.
 * @returns The spec.
 *
 * @example A check of one entry point
 * ```ts
 * import { denoSpec } from "./deno_spec.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = denoSpec({ command: "check", entries: ["main.ts"], flags: [], env: {} });
 * assert.equal(spec[1], "check");
 * ```
 */
export function denoSpec(params: DenoParams): string[] {
  // Keys in one order, so that equal actions have equal specs.
  const data: Record<string, unknown> = { entries: params.entries };
  if (params.out !== undefined) data.out = params.out;
  if (params.args !== undefined && params.args.length > 0) data.args = params.args;
  if (params.flags.length > 0) data.flags = params.flags;
  const env = Object.keys(params.env).sort();
  if (env.length > 0) data.env = Object.fromEntries(env.map((k) => [k, params.env[k]]));
  const permissions = params.permissions ?? {};
  const granted = (["net", "env", "run", "sys", "read"] as const).filter((k) =>
    permissions[k] !== undefined
  );
  if (granted.length > 0) {
    data.permissions = Object.fromEntries(granted.map((k) => [k, permissions[k]]));
  }
  return ["deno", params.command, JSON.stringify(data)];
}

/**
 * The parameters a spec holds.
 * @param spec A spec {@linkcode denoSpec} made.
 * @returns The parameters.
 *
 * @example Back from a spec
 * ```ts
 * import { denoParams, denoSpec } from "./deno_spec.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = denoSpec({ command: "test", entries: ["src/"], flags: ["--allow-read"], env: {} });
 * assert.deepEqual(denoParams(spec).flags, ["--allow-read"]);
 * ```
 */
export function denoParams(spec: readonly string[]): DenoParams {
  const data = JSON.parse(spec[2] ?? "{}") as Partial<DenoParams>;
  return {
    command: spec[1] as DenoCommand,
    entries: data.entries ?? [],
    out: data.out,
    args: data.args ?? [],
    flags: data.flags ?? [],
    env: data.env ?? {},
    permissions: data.permissions,
  };
}

/**
 * How a `deno` action is shown: the command line it stands for, without
 * what barchan adds (permissions from the rule, `--json` redirected).
 * @param spec The spec.
 * @returns The line, e.g. `deno bundle -o dist/app.js src/main.ts`.
 *
 * @example fmt in check mode
 * ```ts
 * import { denoDisplay, denoSpec } from "./deno_spec.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = denoSpec({ command: "fmt", entries: ["src/"], flags: [], env: {} });
 * assert.equal(denoDisplay(spec), "deno fmt --check src/");
 * ```
 */
export function denoDisplay(spec: readonly string[]): string {
  const p = denoParams(spec);
  const words = ["deno", p.command];
  if (p.command === "fmt") words.push("--check");
  if (p.command === "doc") words.push("--json");
  words.push(...p.flags);
  if (p.command === "bundle" || p.command === "compile") words.push("-o", p.out ?? "");
  words.push(...p.entries, ...(p.args ?? []));
  if (p.command === "doc") words.push(">", p.out ?? "");
  return words.map(quote).join(" ");
}

/**
 * The files a `deno` action writes, which its rule's targets default to.
 * @param spec The spec.
 * @returns The written file, or none.
 *
 * @example A bundle writes its output file
 * ```ts
 * import { denoSpec, denoWrites } from "./deno_spec.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = denoSpec({ command: "bundle", entries: ["main.ts"], out: "app.js", flags: [], env: {} });
 * assert.deepEqual(denoWrites(spec), ["app.js"]);
 * ```
 */
export function denoWrites(spec: readonly string[]): string[] {
  const out = denoParams(spec).out;
  return out === undefined ? [] : [out];
}

function quote(arg: string): string {
  return /^[\w@%+=:,./>-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
