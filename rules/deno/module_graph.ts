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
import { buildServices } from "../run/build_services.ts";
import { readInfoGraph } from "./_deno_info.ts";
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
    const info = await denoInfo(root, absolute, config.lock);
    const graph = readInfoGraph(info.json, lock);
    const modules = new Set<string>(absolute);
    for (const file of graph.files) if (file !== info.scratchModule) modules.add(file);
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

/** What one `deno info` gave: its graph, and the scratch module that imported several entries. */
interface InfoRun {
  json: unknown;
  scratchModule: string | undefined;
}

/** Runs `deno info --json` on the entries, in a job slot when in a build. */
async function denoInfo(
  root: string,
  entries: readonly string[],
  lock: string | undefined,
): Promise<InfoRun> {
  const scratch = await Deno.makeTempDir({ prefix: "barchan_graph_" });
  try {
    let target = entries[0];
    let scratchModule: string | undefined;
    if (entries.length > 1) {
      scratchModule = join(scratch, `entries_${digestOf(entries.join("\n")).slice(0, 8)}.ts`);
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
    const { code, stdout, stderr } = await spawnInfo(root, args, entries);
    if (code !== 0) {
      const what = entries.map((e) => projectPath(root, e)).join(", ");
      const why = stripAnsi(stderr).trim().split("\n").slice(0, 4).join("\n");
      throw new Error(`deno info cannot read the module graph of ${what}: ${why}`);
    }
    return { json: JSON.parse(stdout), scratchModule };
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}

async function spawnInfo(
  root: string,
  args: string[],
  entries: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const services = buildServices();
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
