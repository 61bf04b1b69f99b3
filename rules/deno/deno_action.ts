/**
 * Running a `deno` action (deno.ts): its dependencies first (the module
 * graph of its entries, or the files under its paths, and the configuration
 * in force), then the command, then the same dependencies again, so that a
 * module edited while the command ran makes the action run again. For
 * `deno.run`, the permissions the rule grants, and Deno's permission errors
 * in words naming the path.
 *
 * @module
 */
import { join } from "node:path";
import { env, glob, stat } from "../../memo/mod.ts";
import type { ActionContext } from "../dsl/actions.ts";
import { RuleError } from "../dsl/errors.ts";
import { BUILD_DIR } from "../state.ts";
import { type DenoParams, denoParams } from "./deno_spec.ts";
import { moduleGraph } from "./module_graph.ts";

/** The files Deno finds in a directory given to `deno test`. */
const TEST_FILES = "{*_test,*.test,test}.{ts,tsx,mts,js,mjs,jsx}";

/** The files `deno lint` looks at in a directory. */
const LINT_FILES = "*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}";

/** The files `deno fmt` looks at in a directory. */
const FMT_FILES =
  "*.{ts,tsx,mts,cts,js,jsx,mjs,cjs,json,jsonc,md,markdown,mkd,mkdn,mdwn,mdown,css,scss,sass,less,html,htm,svelte,vue,astro,vto,njk,yml,yaml,ipynb,sql}";

/** A permission list longer than this is widened to directories (one argument is at most 128 KiB). */
const MAX_PERMISSION_LIST = 64 * 1024;

/**
 * Performs a `deno` action.
 * @param spec Its spec (deno_spec.ts).
 * @param ctx The rule's action context.
 *
 * @example A deno action's output file must be one of its rule's targets
 * ```ts
 * import { performDeno } from "./deno_action.ts";
 * import { denoSpec } from "./deno_spec.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = denoSpec({ command: "bundle", entries: ["main.ts"], out: "app.js", flags: [], env: {} });
 * await assert.rejects(performDeno(spec, { targets: ["other.js"] } as never), /not one of the rule's targets/);
 * ```
 */
export async function performDeno(spec: readonly string[], ctx: ActionContext): Promise<void> {
  const params = denoParams(spec);
  if (params.out !== undefined && !ctx.targets.includes(params.out)) {
    throw new Error(
      `deno.${params.command}() writes "${params.out}", which is not one of the rule's targets: ` +
        `name it in targets (or leave targets out)`,
    );
  }
  const { deps, npm } = await dependenciesOf(params, ctx);
  await ctx.need(...deps);
  const args = await commandArgs(params, ctx, npm);
  const runEnv: Record<string, string> = { ...params.env };
  if (params.command === "compile") {
    const denort = env("DENORT_BIN");
    if (denort !== undefined && runEnv.DENORT_BIN === undefined) runEnv.DENORT_BIN = denort;
  }
  try {
    const result = await ctx.run(Deno.execPath(), args, {
      env: runEnv,
      quiet: params.command === "doc",
    });
    if (params.command === "doc") await ctx.writeText(params.out!, result.stdout);
  } catch (error) {
    if (params.command === "run") throw permissionError(error) ?? error;
    throw error;
  }
  // Needed again once the command ran: a file edited while it ran is caught.
  await ctx.need(...deps);
}

/** What an action depends on: paths and globs, and whether its graph uses npm packages. */
async function dependenciesOf(
  params: DenoParams,
  ctx: ActionContext,
): Promise<{ deps: string[]; npm: boolean }> {
  switch (params.command) {
    case "lint":
    case "fmt": {
      const pattern = params.command === "lint" ? LINT_FILES : FMT_FILES;
      const deps: string[] = [];
      for (const path of params.entries) {
        const dir = await directory(ctx, path);
        deps.push(
          dir === undefined ? asPath(path) : dir === "." ? `**/${pattern}` : `${dir}/**/${pattern}`,
        );
      }
      const { denoConfig } = await import("./config.ts");
      const config = await denoConfig(ctx.root);
      return {
        deps: [...deps, ...config.files.map((f) => asPath(relativePath(ctx.root, f)))],
        npm: false,
      };
    }
    case "test": {
      const files: string[] = [];
      for (const path of params.entries) {
        const dir = await directory(ctx, path);
        if (dir === undefined) files.push(path);
        else {
          const pattern = dir === "." ? `**/${TEST_FILES}` : `${dir}/**/${TEST_FILES}`;
          files.push(...await glob(pattern, { skip: [BUILD_DIR] }));
        }
      }
      if (files.length === 0) return { deps: [], npm: false };
      return graphDeps(await moduleGraph(files));
    }
    default:
      return graphDeps(await moduleGraph(params.entries));
  }
}

function graphDeps(
  graph: Awaited<ReturnType<typeof moduleGraph>>,
): { deps: string[]; npm: boolean } {
  return {
    deps: [...graph.modules, ...graph.config].map(asPath),
    npm: Object.keys(graph.locked).some((s) => s.startsWith("npm:")),
  };
}

/** A directory given as a path, without its trailing slash; undefined for a file. */
async function directory(ctx: ActionContext, path: string): Promise<string | undefined> {
  const trimmed = path.replace(/\/+$/, "") || ".";
  const info = await stat(join(ctx.root, trimmed));
  if (info === null) {
    throw new Error(`"${path}" does not exist: give deno a file or a directory of the project`);
  }
  return info.isDirectory ? trimmed : undefined;
}

/** The arguments of the deno command. */
async function commandArgs(
  params: DenoParams,
  ctx: ActionContext,
  npm: boolean,
): Promise<string[]> {
  const { command, entries, flags } = params;
  switch (command) {
    case "run":
      return [
        "run",
        "--no-prompt",
        ...await permissionFlags(params, ctx, npm),
        ...flags,
        entries[0],
        ...(params.args ?? []),
      ];
    case "fmt":
      return ["fmt", "--check", ...flags, ...entries];
    case "doc":
      return ["doc", "--json", ...flags, ...entries];
    case "bundle":
    case "compile":
      return [command, ...flags, "--output", params.out!, entries[0]];
    default:
      return [command, ...flags, ...entries];
  }
}

/** The permission flags of `deno.run`: exactly what its rule declares. */
async function permissionFlags(
  params: DenoParams,
  ctx: ActionContext,
  npm: boolean,
): Promise<string[]> {
  const granted = params.permissions ?? {};
  const read = [...await ctx.inputs(), ...(granted.read ?? [])];
  // npm packages may read their own files, in Deno's cache.
  if (npm) read.push(join(denoDir(), "npm"));
  const out = [`--allow-read=${permissionList(read)}`];
  if (ctx.targets.length > 0) out.push(`--allow-write=${permissionList(ctx.targets)}`);
  for (const kind of ["net", "env", "run", "sys"] as const) {
    const value = granted[kind];
    if (value === true) out.push(`--allow-${kind}`);
    else if (value !== undefined && value.length > 0) {
      out.push(`--allow-${kind}=${value.join(",")}`);
    }
  }
  return out;
}

/** Paths for a permission flag, widened to their directories when the list is too long. */
function permissionList(paths: readonly string[]): string {
  let list = [...new Set(paths)].sort();
  while (list.join(",").length > MAX_PERMISSION_LIST) {
    const wider = [
      ...new Set(list.map((p) => p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : ".")),
    ];
    if (wider.length === list.length && wider.every((p, i) => p === list[i])) break;
    list = wider.sort();
  }
  return list.join(",");
}

/** Deno's cache directory, as Deno finds it. */
function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit !== undefined && explicit !== "") return explicit;
  const home = Deno.env.get("HOME") ?? "";
  if (Deno.build.os === "darwin") return join(home, "Library/Caches/deno");
  if (Deno.build.os === "windows") return join(Deno.env.get("LOCALAPPDATA") ?? home, "deno");
  return join(Deno.env.get("XDG_CACHE_HOME") || join(home, ".cache"), "deno");
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Deno's permission error in a failed `deno run`, as the rule's error naming the path. */
function permissionError(error: unknown): Error | undefined {
  if (!(error instanceof RuleError)) return undefined;
  const cause = error.cause as { stderr?: unknown } | undefined;
  if (typeof cause?.stderr !== "string") return undefined;
  const match = cause.stderr.replace(ANSI, "").match(/Requires (\w+) access to "([^"]*)"/);
  if (match === null) return undefined;
  const [, kind, what] = match;
  if (kind === "read") {
    return new Error(
      `the script read "${what}", which is not among the rule's dependencies: add it to deps`,
    );
  }
  if (kind === "write") {
    return new Error(
      `the script wrote "${what}", which is not one of the rule's targets: add it to targets`,
    );
  }
  return new Error(
    `the script needs ${kind} access to "${what}", which the rule does not grant: ` +
      `add it to permissions: { ${kind}: [...] }`,
  );
}

/** A path as a dependency: glob characters in a file's name match themselves. */
function asPath(path: string): string {
  return path.replace(/[*?[{]/g, (c) => `[${c}]`);
}

function relativePath(root: string, path: string): string {
  return path.startsWith(root + "/") ? path.slice(root.length + 1) : path;
}
