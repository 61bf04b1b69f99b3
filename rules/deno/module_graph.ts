/**
 * `moduleGraph(entries)`: the modules a TypeScript program is made of, as a
 * memo function. It asks `deno info --json` (in a job slot of the build, its
 * output not shown), and depends on every local module it lists, on the
 * configuration in force and on the lock file: an edit that changes an
 * import changes the graph, an edit elsewhere runs nothing.
 *
 * @module
 */
import { isAbsolute, join, relative, resolve } from "node:path";
import {
  contentDigest,
  currentEngine,
  digestOf,
  fileClock,
  memo,
  readText,
  stat,
  statPath,
} from "../../memo/mod.ts";
import { type BuildServices, buildServices } from "../run/build_services.ts";
import { reachableFrom, readInfoGraph } from "./_deno_info.ts";
import { denoConfig } from "./config.ts";

/** How many times `deno info` runs when modules change under it (or are built meanwhile). */
const MAX_ROUNDS = 4;

/** How far behind the real clock file times may be, where the kernel's clock cannot be read. */
const CLOCK_SLACK_MS = 20;

/** What {@linkcode moduleGraph} finds. */
export interface ModuleGraph {
  /** The entries, project-relative, sorted. */
  readonly entries: readonly string[];
  /**
   * Every local (`file:`) module the entries import, directly or not, and
   * the entries: project-relative paths (absolute outside the project),
   * sorted. A module that is imported but missing is listed too.
   */
  readonly modules: readonly string[];
  /**
   * The configuration in force where commands run (the project root):
   * `deno.json` or `deno.jsonc` and `package.json` from there upward, the
   * import map deno.json names, and the lock file.
   */
  readonly config: readonly string[];
  /**
   * Each `jsr:`, `npm:` and `http(s):` specifier the graph uses, with the
   * version (for a remote module, the hash) the lock file pins; `""` when
   * it pins none.
   */
  readonly locked: Readonly<Record<string, string>>;
}

const graphOf = memo(
  "barchan.moduleGraph",
  (entries: string[]) => computeGraph(entries),
  { description: (entries: string[]) => `the module graph of ${entries.join(", ")}` },
);

/**
 * The module graph of one or more entry points, as a memo function: inside
 * a rule's action (or another memo function) the call is a dependency, and
 * the graph a dependency on every file it lists. In a build, a module a rule
 * generates is built before `deno info` reads it.
 *
 * Paths are relative to the engine's root (the project root in a build).
 * `deno info` runs there (so that it finds the same deno.json as the
 * commands), on a copy of the lock file, which it would otherwise update.
 *
 * @param entries An entry point, or several (their graphs together).
 * @returns The local modules, the configuration and the pinned versions.
 * @throws {Error} When an entry point does not exist, or `deno info` fails.
 *
 * @example The modules a program imports, and not the others
 * ```ts
 * import { moduleGraph } from "@barchan/barchan";
 * import { Engine } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/deno.json`, "{}");
 * await Deno.writeTextFile(`${dir}/main.ts`, `import { two } from "./two.ts"; console.log(two);`);
 * await Deno.writeTextFile(`${dir}/two.ts`, "export const two = 2;");
 * await Deno.writeTextFile(`${dir}/unused.ts`, "export const three = 3;");
 * const graph = await new Engine({ root: dir }).run(() => moduleGraph("main.ts"));
 * assert.deepEqual(graph.modules, ["main.ts", "two.ts"]);
 * assert.deepEqual(graph.config, ["deno.json"]);
 * ```
 */
export function moduleGraph(entries: string | readonly string[]): Promise<ModuleGraph> {
  const list = typeof entries === "string" ? [entries] : [...entries];
  if (list.length === 0 || list.some((e) => typeof e !== "string" || e === "")) {
    return Promise.reject(new TypeError("moduleGraph() needs at least one entry point (a path)"));
  }
  return graphOf([...new Set(list)].sort());
}

async function computeGraph(entries: readonly string[]): Promise<ModuleGraph> {
  preparing++;
  let prepared = false;
  const ready = () => {
    if (prepared) return;
    prepared = true;
    preparing--;
  };
  try {
    return await graphAfterPreparing(entries, ready);
  } finally {
    ready();
  }
}

async function graphAfterPreparing(
  entries: readonly string[],
  ready: () => void,
): Promise<ModuleGraph> {
  const root = currentEngine().root;
  const services = buildServices();
  const shown = (path: string) => projectPath(root, path);
  const absolute = entries.map((e) => resolve(root, e));
  if (services !== undefined) {
    for (const entry of absolute) await services.produce(shown(entry));
  }
  for (const entry of absolute) {
    if ((await stat(entry))?.isFile !== true) {
      throw new Error(
        `The entry point "${shown(entry)}" of a module graph does not exist ` +
          `(paths are relative to ${root})`,
      );
    }
  }
  const config = await denoConfig(root);
  let lock: unknown;
  if (config.lock !== undefined) {
    try {
      lock = JSON.parse(await readText(config.lock));
    } catch {
      // A lock file Deno cannot read either: its commands will say so.
    }
  }
  for (let round = 1;; round++) {
    const started = fileClock() ?? Date.now() - CLOCK_SLACK_MS;
    const asked = sharedInfo(services, root, absolute, config.lock);
    ready();
    const info = await asked;
    const graph = readInfoGraph(info, lock);
    const modules = new Set<string>(absolute);
    for (const file of graph.files) modules.add(file);
    let unsettled = false;
    for (const file of modules) {
      const path = shown(file);
      if (services === undefined || !(await services.produce(path))) await contentDigest(file);
      const now = statPath(file);
      if (now !== null && now.mtime >= started) unsettled = true;
    }
    if (!unsettled || round === MAX_ROUNDS) {
      return {
        entries: entries.map(shown).sort(),
        modules: [...modules].map(shown).sort(),
        config: config.files.map(shown),
        locked: graph.locked,
      };
    }
  }
}

/**
 * A batch of graphs runs its `deno info` once no graph joined it for this
 * long and none is being prepared (its entries built, the configuration
 * read), in milliseconds: the graphs an edit affects are asked for as the
 * engine reaches each rule that uses one, a few milliseconds apart.
 */
const QUIET_MS = 20;

/** The longest a batch waits for more graphs, in milliseconds. */
const MAX_WAIT_MS = 100;

/** Graph computations between their start and their first `deno info` request. */
let preparing = 0;

/** Graphs waiting to share one `deno info`. */
interface SharedInfo {
  readonly root: string;
  readonly lock: string | undefined;
  readonly services: BuildServices | undefined;
  readonly opened: number;
  timer?: ReturnType<typeof setTimeout>;
  readonly entries: Set<string>;
  readonly waiters: {
    entries: readonly string[];
    resolve: (info: unknown) => void;
    reject: (error: unknown) => void;
  }[];
}

/** The open batch of each root and lock file. */
const openBatches = new Map<string, SharedInfo>();

/**
 * The part of `deno info --json`'s output that `entries` import. The graphs
 * asked for within a few milliseconds of each other (after an edit, every
 * graph that holds the module is) share one `deno info` run on all their
 * entries, each taking the modules its own entries reach: a graph of
 * thousands of modules takes `deno info` a second or more, and most of
 * that is common to the graphs of one project.
 */
function sharedInfo(
  services: BuildServices | undefined,
  root: string,
  entries: readonly string[],
  lock: string | undefined,
): Promise<unknown> {
  const key = `${root}\0${lock ?? ""}`;
  let batch = openBatches.get(key);
  // One build's graphs share a run (their services differ by the memo call they serve).
  const sameBuild = batch?.services?.scheduler === services?.scheduler;
  if (batch !== undefined && !sameBuild) runBatch(key);
  if (batch === undefined || !sameBuild) {
    const opened = performance.now();
    batch = { root, lock, services, opened, entries: new Set(), waiters: [] };
    openBatches.set(key, batch);
  }
  for (const entry of entries) batch.entries.add(entry);
  armTimer(key, batch);
  const waiters = batch.waiters;
  return new Promise((resolve, reject) => waiters.push({ entries, resolve, reject }));
}

/** Runs the batch after a quiet moment, or later while a graph is being prepared. */
function armTimer(key: string, batch: SharedInfo): void {
  clearTimeout(batch.timer);
  const left = batch.opened + MAX_WAIT_MS - performance.now();
  batch.timer = setTimeout(() => {
    if (preparing > 0 && performance.now() < batch.opened + MAX_WAIT_MS) armTimer(key, batch);
    else runBatch(key);
  }, Math.max(0, Math.min(QUIET_MS, left)));
}

function runBatch(key: string): void {
  const batch = openBatches.get(key);
  if (batch === undefined) return;
  openBatches.delete(key);
  clearTimeout(batch.timer);
  void runShared(batch);
}

async function runShared(batch: SharedInfo) {
  const { root, lock, services, waiters } = batch;
  let json: unknown;
  try {
    json = await denoInfo(services, root, [...batch.entries].sort(), lock);
  } catch (error) {
    if (waiters.length === 1) return waiters[0].reject(error);
    // Each on its own, so that an error names the entries it is about.
    for (const waiter of waiters) {
      denoInfo(services, root, waiter.entries, lock)
        .then((own) => reachableFrom(own, waiter.entries))
        .then(waiter.resolve, waiter.reject);
    }
    return;
  }
  for (const waiter of waiters) {
    try {
      waiter.resolve(reachableFrom(json, waiter.entries));
    } catch (error) {
      waiter.reject(error);
    }
  }
}

let infoRuns = 0;

/**
 * How many times this process ran `deno info`, for tests of the sharing.
 * @returns The count so far.
 * @internal
 *
 * @example Counting
 * ```ts
 * import { denoInfoRuns } from "./module_graph.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof denoInfoRuns(), "number");
 * ```
 */
export function denoInfoRuns(): number {
  return infoRuns;
}

/** Runs `deno info --json` on the entries, in a job slot when in a build; its parsed output. */
async function denoInfo(
  services: BuildServices | undefined,
  root: string,
  entries: readonly string[],
  lock: string | undefined,
): Promise<unknown> {
  const scratch = await Deno.makeTempDir({ prefix: "barchan_graph_" });
  try {
    let target = entries[0];
    if (entries.length > 1) {
      // One module importing them all; what it adds to the output is not reachable from an entry.
      const scratchModule = join(scratch, `entries_${digestOf(entries.join("\n")).slice(0, 8)}.ts`);
      await Deno.writeTextFile(
        scratchModule,
        entries.map((e) => `import ${JSON.stringify(fileUrl(e))};\n`).join(""),
      );
      target = scratchModule;
    }
    const args = ["info", "--json"];
    if (lock === undefined) args.push("--no-lock");
    else {
      // deno info adds what it resolves to the lock: a copy keeps the project's as it is.
      const copy = join(scratch, "deno.lock");
      await Deno.copyFile(lock, copy);
      args.push(`--lock=${copy}`);
    }
    args.push(target);
    infoRuns++;
    const { code, stdout, stderr } = await spawnInfo(services, root, args, entries);
    if (code !== 0) {
      const what = entries.map((e) => projectPath(root, e)).join(", ");
      const why = stripAnsi(stderr).trim().split("\n").slice(0, 4).join("\n");
      throw new Error(`deno info cannot read the module graph of ${what}: ${why}`);
    }
    return JSON.parse(stdout);
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}

async function spawnInfo(
  services: BuildServices | undefined,
  root: string,
  args: string[],
  entries: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { NO_COLOR: "1" };
  if (services !== undefined) {
    const label = `deno info ${entries.map((e) => projectPath(root, e)).join(" ")}`;
    return await services.scheduler.spawn(Deno.execPath(), args, {
      cwd: root,
      env,
      stdout: "capture",
      stderr: "capture",
      successExitCodes: [],
      signal: services.signal,
      label: label.length > 80 ? `${label.slice(0, 77)}...` : label,
    });
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A path relative to the root, or absolute outside it. */
function projectPath(root: string, path: string): string {
  const absolute = isAbsolute(path) ? path : resolve(root, path);
  const rel = relative(root, absolute);
  return rel.startsWith("..") ? absolute : rel;
}

function fileUrl(path: string): string {
  return "file://" + path.split("/").map(encodeURIComponent).join("/");
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}
