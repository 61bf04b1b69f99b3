/**
 * `deno`: actions that run Deno's own tools (`deno.check`, `deno.test`,
 * `deno.bundle`...) and depend on exactly what those tools read: the module
 * graph of their entry points, or for `lint` and `fmt` the files under
 * their paths, with the configuration in force. They are data actions, used
 * in `rule({...})` as `run()` and `sh()` are:
 *
 * ```ts ignore
 * rule({ alias: "check", action: deno.check(["src/main.ts"]) });
 * const app = rule({ action: deno.bundle("src/main.ts", "_build/app.js") }); // targets: the bundle
 * ```
 *
 * A rule keeps everything else `rule()` offers (an alias, a description,
 * more `deps`, `cache: false`), two rules with the same action are one
 * definition, and `build -n` and `targets` show the command line.
 *
 * @module
 */
import { actionOfSpec, type DataAction } from "../dsl/actions.ts";
import { type DenoCommand, type DenoPermissions, denoSpec } from "./deno_spec.ts";

export type { DenoPermissions };

/** Options of every `deno` action. */
export interface DenoOptions {
  /**
   * Deno's own flags, placed after the subcommand as on the command line:
   * `["--allow-read"]` for tests that read files, `["--doc"]`, `["--minify"]`...
   * @default []
   */
  flags?: readonly string[];
  /**
   * Variables added to the command's environment (part of its key).
   * @default {}
   */
  env?: Readonly<Record<string, string>>;
}

/** Options of {@linkcode deno.run}. */
export interface DenoRunOptions extends DenoOptions {
  /**
   * What the script may do beyond reading the rule's dependencies (and
   * Deno's cache) and writing its targets. Nothing else is granted: no
   * network, no environment, no programs.
   * @default {}
   */
  permissions?: DenoPermissions;
}

/** The `deno` helpers: each returns an action for `rule({ action })`. */
export interface DenoActions {
  /**
   * `deno run` with exactly the permissions the rule declares: read its
   * dependencies (static, and the modules the script imports) and Deno's
   * cache, write its targets, and what `options.permissions` adds. An
   * undeclared read or write fails the rule with an error naming the path.
   * @param script The script, project-relative.
   * @param args Its arguments.
   * @param options Flags, environment, permissions.
   * @returns The action.
   */
  run(script: string, args?: readonly string[], options?: DenoRunOptions): DataAction;
  /**
   * `deno check` of entry points; depends on their module graph.
   * @param entries The entry points, project-relative.
   * @param options Flags and environment.
   * @returns The action.
   */
  check(entries: readonly string[], options?: DenoOptions): DataAction;
  /**
   * `deno test` of files and directories; depends on the module graph of
   * the test files (in a directory, those Deno finds: `*_test.ts`,
   * `*.test.ts`, `test.ts` and their JavaScript forms). Tests run with the
   * flags given (none: no permissions), as `deno test` runs them.
   * @param paths Test files and directories, project-relative.
   * @param options Flags and environment.
   * @returns The action.
   */
  test(paths: readonly string[], options?: DenoOptions): DataAction;
  /**
   * `deno bundle -o outFile entry`; depends on the entry's module graph.
   * @param entry The entry point.
   * @param outFile The bundle: the rule's target unless it names others.
   * @param options Flags (`--minify`, `--platform=browser`...) and environment.
   * @returns The action.
   */
  bundle(entry: string, outFile: string, options?: DenoOptions): DataAction;
  /**
   * `deno compile -o outFile entry`; depends on the entry's module graph.
   * Deno downloads the runtime it embeds unless `DENORT_BIN` names one
   * (read as a dependency of the rule).
   * @param entry The entry point.
   * @param outFile The executable: the rule's target unless it names others.
   * @param options Flags (permissions of the program, `--target`...) and environment.
   * @returns The action.
   */
  compile(entry: string, outFile: string, options?: DenoOptions): DataAction;
  /**
   * `deno doc --json` of entry points, written to one file; depends on
   * their module graph. (HTML documentation is a directory of files, which
   * a rule's targets cannot name yet.)
   * @param entries The entry points.
   * @param outFile The JSON file: the rule's target unless it names others.
   * @param options Flags and environment.
   * @returns The action.
   */
  doc(entries: readonly string[], outFile: string, options?: DenoOptions): DataAction;
  /**
   * `deno lint` of files and directories; depends on every file it could
   * lint under them (TypeScript and JavaScript) and the configuration.
   * @param paths Files and directories.
   * @param options Flags and environment.
   * @returns The action.
   */
  lint(paths: readonly string[], options?: DenoOptions): DataAction;
  /**
   * `deno fmt --check` of files and directories; depends on every file it
   * could format under them and the configuration.
   * @param paths Files and directories.
   * @param options Flags and environment.
   * @returns The action.
   */
  fmt(paths: readonly string[], options?: DenoOptions): DataAction;
}

/**
 * Actions running Deno's tools, each depending on what the tool reads: the
 * module graph of its entry points (`moduleGraph`), or the files under its
 * paths for `lint` and `fmt`, and the deno.json, import map and lock file in
 * force. Editing a module no entry imports runs none of them; editing one
 * reruns the rules whose graphs contain it. Their commands are keyed,
 * replayed and cached as any other (the modules are among their inputs).
 *
 * @example The actions a deno.json project's build.ts uses
 * ```ts
 * import { deno } from "@barchan/barchan";
 * import assert from "node:assert/strict";
 *
 * assert.equal(deno.check(["src/main.ts"]).display, "deno check src/main.ts");
 * const bundle = deno.bundle("src/main.ts", "_build/app.js", { flags: ["--minify"] });
 * assert.equal(bundle.display, "deno bundle --minify -o _build/app.js src/main.ts");
 * assert.deepEqual(bundle.writes, ["_build/app.js"]);
 * assert.equal(deno.test(["src/"], { flags: ["--allow-read"] }).display, "deno test --allow-read src/");
 * ```
 */
export const deno: DenoActions = {
  run: (script, args = [], options = {}) =>
    action("run", [script], options, { args, permissions: options.permissions ?? {} }),
  check: (entries, options = {}) => action("check", entries, options),
  test: (paths, options = {}) => action("test", paths, options),
  bundle: (entry, outFile, options = {}) => action("bundle", [entry], options, { out: outFile }),
  compile: (entry, outFile, options = {}) => action("compile", [entry], options, { out: outFile }),
  doc: (entries, outFile, options = {}) => action("doc", entries, options, { out: outFile }),
  lint: (paths, options = {}) => action("lint", paths, options),
  fmt: (paths, options = {}) => action("fmt", paths, options),
};

function action(
  command: DenoCommand,
  entries: readonly string[],
  options: DenoOptions,
  more: { out?: string; args?: readonly string[]; permissions?: DenoPermissions } = {},
): DataAction {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new TypeError(
      `deno.${command}() needs at least one path: got ${JSON.stringify(entries)}`,
    );
  }
  for (const value of [...entries, ...(more.args ?? []), ...(options.flags ?? [])]) {
    if (typeof value !== "string") {
      throw new TypeError(`deno.${command}() takes strings: got ${JSON.stringify(value)}`);
    }
  }
  if (more.out !== undefined && (typeof more.out !== "string" || more.out === "")) {
    throw new TypeError(`deno.${command}() needs the path of the file it writes`);
  }
  return actionOfSpec(denoSpec({
    command,
    entries: [...entries],
    out: more.out,
    args: more.args === undefined ? undefined : [...more.args],
    flags: [...(options.flags ?? [])],
    env: { ...(options.env ?? {}) },
    permissions: more.permissions,
  }));
}
