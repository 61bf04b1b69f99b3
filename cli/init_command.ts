/**
 * `barchan init`: writes a build.ts for the project in a directory, from
 * what is there. A Deno project (a deno.json) gets rules that check, test,
 * lint and format it, and bundle its entry point when it has one, each
 * through the `deno` helpers (which depend on module graphs); a directory of
 * C sources gets an object per source, compiled with a depfile, and a link.
 * The text of the build.ts is init_templates.ts's.
 *
 * @module
 */
import { basename, join, relative } from "node:path";
import { BUILD_DIR } from "../rules/state.ts";
import { parseJsonc } from "../rules/deno/_jsonc.ts";
import { cBuildFile, denoBuildFile, type DenoProject } from "./init_templates.ts";

/** Directories `init` does not look into. */
const SKIPPED = new Set([BUILD_DIR, "node_modules", "vendor"]);

/** Files Deno finds as tests. */
const TEST_FILE = /(^|[._])test\.(ts|tsx|mts|js|mjs|jsx)$/;

/** Files `deno lint` or `deno fmt` look at. */
const CHECKED_FILE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|json|jsonc|md)$/;

/** Entry points looked for, in this order, when deno.json names none. */
const ENTRY_POINTS = ["main.ts", "mod.ts", "src/main.ts", "src/mod.ts", "index.ts", "src/index.ts"];

/** Entry points worth bundling: a program's. */
const PROGRAMS = ["main.ts", "src/main.ts", "main.tsx", "src/main.tsx"];

/**
 * `barchan init`: writes build.ts in `dir`, for the Deno project or the C
 * sources found there, and formats it with `deno fmt` in a Deno project.
 * @param dir The project directory.
 * @param write Where messages go.
 * @returns The exit code: 0 written, 1 when build.ts exists or nothing was recognised.
 *
 * @example In a directory with nothing to build, init says what it looks for
 * ```ts
 * import { initCommand } from "./init_command.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * assert.equal(await initCommand(await Deno.makeTempDir(), (l) => lines.push(l)), 1);
 * assert.match(lines[0], /no deno\.json and no C sources/);
 * ```
 */
export async function initCommand(
  dir: string,
  write: (line: string) => void = console.error,
): Promise<number> {
  const file = join(dir, "build.ts");
  if (await exists(file)) {
    write(`barchan: ${file} exists already: init writes a new build.ts only`);
    return 1;
  }
  const files = await listFiles(dir);
  const config = ["deno.json", "deno.jsonc"].find((name) => files.includes(name));
  const mod = modSpecifier(dir, config === undefined ? {} : await readConfig(join(dir, config)));
  if (config !== undefined) {
    const project = denoProject(dir, files, await readConfig(join(dir, config)));
    await Deno.writeTextFile(file, denoBuildFile(project, mod));
    await formatted(dir);
    const rules = [
      project.entries.length > 0 ? "@check" : undefined,
      project.tests.length > 0 ? "@test" : undefined,
      "@lint",
      "@fmt",
      project.program === undefined ? undefined : project.bundle,
    ].filter((r) => r !== undefined);
    write(`Wrote ${file}: ${rules.join(", ")}, all in @default. Run: barchan build`);
    return 0;
  }
  const sources = files.filter((f) => f.endsWith(".c"));
  if (sources.length > 0) {
    const program = `${BUILD_DIR}/${basename(dir).replace(/[^\w.-]/g, "_") || "program"}`;
    await Deno.writeTextFile(file, cBuildFile(sources, program, mod));
    write(
      `Wrote ${file}: ${sources.length} object${sources.length === 1 ? "" : "s"} ` +
        `(cc -MD, with their headers as dependencies) linked into ${program}. Run: barchan build`,
    );
    return 0;
  }
  write(
    `barchan: ${dir} has no deno.json and no C sources: init writes a build.ts for either; ` +
      `for anything else, write build.ts by hand (docs/dsl.md)`,
  );
  return 1;
}

/** What build.ts builds in a Deno project. */
function denoProject(
  dir: string,
  files: readonly string[],
  config: Record<string, unknown>,
): DenoProject {
  const entries = exportsOf(config).filter((e) => files.includes(e));
  if (entries.length === 0) {
    const found = ENTRY_POINTS.find((e) => files.includes(e));
    if (found !== undefined) entries.push(found);
  }
  const program = PROGRAMS.find((p) => files.includes(p));
  if (program !== undefined && !entries.includes(program)) entries.push(program);
  const name = basename(program ?? "main.ts").replace(/\.tsx?$/, "");
  // Top-level directories and files the tools look at; build.ts is one of them.
  const paths = new Set<string>(["build.ts"]);
  for (const file of files) {
    if (!CHECKED_FILE.test(file)) continue;
    const slash = file.indexOf("/");
    paths.add(slash < 0 ? file : `${file.slice(0, slash)}/`);
  }
  const tests = new Set<string>();
  for (const file of files.filter((f) => TEST_FILE.test(basename(f)))) {
    const slash = file.indexOf("/");
    tests.add(slash < 0 ? file : `${file.slice(0, slash)}/`);
  }
  return {
    entries,
    paths: [...paths].sort(),
    tests: [...tests].sort(),
    testFlags: testFlags(config),
    program,
    bundle: `${BUILD_DIR}/${name}.js`,
    dir,
  };
}

/** The entry points deno.json's `exports` names, project-relative. */
function exportsOf(config: Record<string, unknown>): string[] {
  const exports = config.exports;
  const values = typeof exports === "string"
    ? [exports]
    : typeof exports === "object" && exports !== null
    ? Object.values(exports).filter((v): v is string => typeof v === "string")
    : [];
  return values.map((v) => v.replace(/^\.\//, ""));
}

/** The flags of a `deno test` task in deno.json, which the test rule keeps. */
function testFlags(config: Record<string, unknown>): string[] {
  const task = (config.tasks as Record<string, unknown> | undefined)?.test;
  const command = typeof task === "string"
    ? task
    : (task as { command?: unknown } | undefined)?.command;
  if (typeof command !== "string" || !/^deno test\b/.test(command)) return [];
  return command.split(/\s+/).slice(2).filter((w) => w.startsWith("-"));
}

/**
 * How the new build.ts imports barchan: this checkout's mod.ts by a
 * relative path, or the published package (through deno.json's import map
 * when it maps it).
 */
function modSpecifier(dir: string, config: Record<string, unknown>): string {
  const mod = new URL("../mod.ts", import.meta.url);
  if (mod.protocol === "file:") {
    const path = relative(dir, decodeURIComponent(mod.pathname));
    return path.startsWith(".") ? path : `./${path}`;
  }
  const imports = config.imports as Record<string, unknown> | undefined;
  if (typeof imports?.["@barchan/barchan"] === "string") return "@barchan/barchan";
  return "jsr:@barchan/barchan";
}

/** Every file under `dir`, project-relative, skipping outputs, dot-files and dependencies. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for await (const entry of Deno.readDir(join(dir, rel))) {
      if (entry.name.startsWith(".") || (rel === "" && SKIPPED.has(entry.name))) continue;
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) out.push(path);
    }
  };
  await walk("");
  return out.sort();
}

async function readConfig(path: string): Promise<Record<string, unknown>> {
  try {
    const value = parseJsonc(await Deno.readTextFile(path));
    return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

/** Formats build.ts as the project formats its files (its deno.json's fmt options). */
async function formatted(dir: string): Promise<void> {
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", "build.ts"],
    cwd: dir,
    stdout: "null",
    stderr: "null",
  }).output();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
