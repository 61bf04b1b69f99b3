// Helpers shared by the rules tests: temporary projects on disk, builds in
// this process with a recording reporter, and the CLI in a child process.

import { ownCacheDir, ownCacheEnv, withOwnCache } from "../_own_cache.ts";

export { withOwnCache };
import { dirname, join, relative } from "node:path";
import { build, type BuildResult, type Reporter } from "../../mod.ts";
import { STATE_DIR } from "../../rules/state.ts";
import type { ActionFinished, ActionStarted } from "../../rules/report/reporter.ts";
import { Store, verifyRoot } from "../../memo/mod.ts";
import { isRequest, requestId, TOOL } from "../../rules/run/request.ts";

/** The repository's mod.ts, as build.ts files import it. */
export const MOD: string = new URL("../../mod.ts", import.meta.url).href;

/** The repository's cli.ts. */
export const CLI: string = new URL("../../cli.ts", import.meta.url).pathname;

/**
 * The environment a CLI started by a test adds: builds run in their own
 * process and start no build server, which would outlive the test (the
 * tests of the build server ask for one).
 */
export const NO_SERVER: Readonly<Record<string, string>> = { BARCHAN_SERVER: "off" };

/** The import line every test build.ts starts with. */
export const IMPORT = `import { alias, copy, rule, run, sh, write } from "${MOD}";\n`;

/** Files of a project: path relative to the root, to content. */
export type Files = Record<string, string>;

/** Writes files (creating directories) under `root`. */
export async function writeFiles(root: string, files: Files): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const abs = join(root, path);
    await Deno.mkdir(dirname(abs), { recursive: true });
    await Deno.writeTextFile(abs, text);
  }
}

/**
 * Runs `fn` in a new project directory holding `files`, removed afterwards,
 * with an action cache of its own ({@linkcode withOwnCache}).
 */
export async function withProject<T>(
  files: Files,
  fn: (root: string) => Promise<T>,
): Promise<T> {
  const root = await Deno.makeTempDir({ prefix: "barchan_rules_test_" });
  try {
    await writeFiles(root, files);
    return await withOwnCache(() => fn(root));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** What a recording reporter saw. */
export interface Recorded {
  started: ActionStarted[];
  finished: ActionFinished[];
  notes: string[];
  /** Every action event in order: `start RULE` or `finish RULE`. */
  events: string[];
}

/** A reporter that keeps every event. */
export function recorder(): Reporter & Recorded {
  const started: ActionStarted[] = [];
  const finished: ActionFinished[] = [];
  const notes: string[] = [];
  const events: string[] = [];
  return {
    started,
    finished,
    notes,
    events,
    actionStarted: (e) => {
      started.push(e);
      events.push(`start ${e.rule}`);
    },
    actionFinished: (e) => {
      finished.push(e);
      events.push(`finish ${e.rule}`);
    },
    note: (m) => void notes.push(m),
  };
}

/** The result of a build with what its reporter saw. */
export interface Built extends BuildResult, Recorded {
  /**
   * Ids of the rules that ran, sorted, each once: an action runs again in
   * the same build when a file it found may have changed while it ran (a
   * file written within a clock tick of its start), which a test that
   * writes and builds at once can meet.
   */
  ranIds: string[];
}

/** Builds the project in `root` in this process. */
export async function buildIn(
  root: string,
  targets: string[] = [],
  jobs = 2,
): Promise<Built> {
  const reporter = recorder();
  const cacheDir = ownCacheDir();
  const cache = cacheDir === undefined ? undefined : { cacheDir };
  const result = await build({ root, targets, jobs, reporter, cache });
  return { ...result, ...reporter, ranIds: [...new Set(result.ran.map((r) => r.rule))].sort() };
}

/** Builds and asserts success, with the failures in the message otherwise. */
export async function buildOk(root: string, targets: string[] = [], jobs = 2): Promise<Built> {
  const result = await buildIn(root, targets, jobs);
  if (!result.ok) {
    throw new Error(`Build failed:\n${result.failed.map((f) => f.message).join("\n")}`);
  }
  return result;
}

/**
 * Whether the store's checkpoint says a build of `root` would run nothing,
 * as the CLI and build() check it first (nothing is written).
 */
export function recordSaysUpToDate(root: string, targets: string[] = []): boolean {
  const store = new Store(join(root, STATE_DIR), () => {}, {
    lazy: true,
    readOnly: true,
    roots: isRequest,
  });
  try {
    return verifyRoot(store, requestId({ targets, tool: TOOL }), root).upToDate;
  } finally {
    store.close();
  }
}

/** What a CLI process did. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cli.ts` with `args` in `cwd`, with NO_COLOR set and no build server. */
export function cli(cwd: string, ...args: string[]): Promise<CliResult> {
  return cliWithEnv({ NO_COLOR: "1" }, cwd, ...args);
}

/**
 * Runs `cli.ts` with `args` in `cwd`, with variables added to the
 * environment: {@linkcode NO_SERVER} unless `env` says otherwise.
 */
export async function cliWithEnv(
  env: Record<string, string>,
  cwd: string,
  ...args: string[]
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { ...NO_SERVER, ...ownCacheEnv(), ...env },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/**
 * Every file under `root` except barchan's state, as path to content,
 * sorted by path.
 */
export async function snapshot(root: string, skip: string[] = ["_build/.barchan"]): Promise<Files> {
  const out: Files = {};
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const abs = join(dir, entry.name);
      const rel = relative(root, abs);
      if (skip.includes(rel)) continue;
      if (entry.isDirectory) await walk(abs);
      else out[rel] = await Deno.readTextFile(abs);
    }
  };
  await walk(root);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a < b ? -1 : 1));
}

/** Reads a file under `root`, or undefined when it does not exist. */
export async function readMaybe(root: string, path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(join(root, path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * The files of a fixture project under tests/fixtures/rules/, with its
 * `build.ts.in` turned into a build.ts importing this checkout's mod.ts.
 */
export async function fixtureFiles(name: string): Promise<Files> {
  const dir = new URL(`../fixtures/rules/${name}/`, import.meta.url).pathname;
  const files = await snapshot(dir, []);
  const template = files["build.ts.in"];
  delete files["build.ts.in"];
  files["build.ts"] = template.replaceAll("@MOD@", MOD);
  return files;
}

/**
 * Every entry under `dir` but `skip` (barchan's state), as a sorted record:
 * its kind, and a file's executable bit and content or a link's target.
 */
export async function treeListing(dir: string, skip: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for await (const entry of Deno.readDir(join(dir, rel))) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (path === skip) continue;
      const abs = join(dir, path);
      const info = await Deno.lstat(abs);
      if (info.isSymlink) out[path] = `link ${await Deno.readLink(abs)}`;
      else if (info.isDirectory) {
        out[path] = "dir";
        await walk(path);
      } else {
        const x = (info.mode! & 0o111) !== 0 ? "x" : "-";
        out[path] = `file ${x} ${await Deno.readTextFile(abs)}`;
      }
    }
  };
  await walk("");
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a < b ? -1 : 1));
}
