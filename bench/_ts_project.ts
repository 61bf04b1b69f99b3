/**
 * Generates a TypeScript project for `bench/deno_task.ts`: N modules under
 * `src/lib/` importing one another, three apps under `src/apps/`, a few
 * test files under `src/tests/`, a deno.json whose tasks check, test,
 * bundle, lint and format-check it (each with `files` and, where it writes,
 * `output`, so that `deno task` caches them), and a build.ts doing the same
 * with barchan's `deno` helpers. Nothing is imported from the network.
 *
 * Module `src/lib/dK/mI.ts` (100 a directory) imports up to three modules
 * among the 40 before it, so the imports form a DAG. The first 90 % are
 * reached from the apps: app K imports five modules of the K-th third of
 * them (and, through their imports, much below). The last 10 % import
 * only one another and are reached by no app and no test.
 *
 * @module
 */
import { prng } from "../tests/_prng.ts";
import { join } from "node:path";

/** Modules a directory of `src/lib/`. */
const PER_DIR = 100;

/** How many modules back an import may reach. */
const WINDOW = 40;

/** The apps, bundled one a file to `dist/`. */
export const APPS = ["app0", "app1", "app2"] as const;

/** Test files under `src/tests/`. */
const TESTS = 4;

/** A generated project, described for the benchmark. */
export interface TsProject {
  /** How many modules `src/lib/` holds. */
  n: number;
  /** The entry points, project-relative. */
  entries: string[];
  /** The bundles, project-relative (`dist/app0.js`...). */
  bundles: string[];
  /** A module the first app imports directly. */
  imported: string;
  /** The string the imported module's label holds, found in the first app's bundle. */
  importedLabel: string;
  /** A module no app and no test imports. */
  unimported: string;
  /** How many modules the apps and tests reach. */
  reached: number;
  /** The tasks of deno.json, in the order `build` depends on them. */
  tasks: string[];
}

/**
 * The path of module `i`, project-relative.
 * @param i The module's index.
 * @returns `src/lib/dK/mI.ts`.
 */
export function modulePath(i: number): string {
  return `src/lib/d${Math.floor(i / PER_DIR)}/m${i}.ts`;
}

function fromLib(i: number, j: number): string {
  const [di, dj] = [Math.floor(i / PER_DIR), Math.floor(j / PER_DIR)];
  return di === dj ? `./m${j}.ts` : `../d${dj}/m${j}.ts`;
}

function fromTop(j: number): string {
  return `../lib/d${Math.floor(j / PER_DIR)}/m${j}.ts`;
}

/**
 * The text of module `i`, importing `deps`.
 * @param i Its index.
 * @param deps The modules it imports.
 * @param label The string its label holds (`m42` unless edited).
 * @returns The module's source.
 */
export function moduleText(i: number, deps: readonly number[], label = `m${i}`): string {
  const lines: string[] = [];
  for (const j of deps) lines.push(`import { v${j} } from "${fromLib(i, j)}";`);
  if (deps.length > 0) lines.push("");
  const sum = deps.map((j) => `v${j}`).join(" + ");
  lines.push(
    `/** A record of module ${i}. */`,
    `export interface Item${i} {`,
    "  id: number;",
    "  name: string;",
    "  tags: readonly string[];",
    "}",
    "",
    `/** The label of module ${i}. */`,
    `export const label${i} = "${label}";`,
    "",
    `/** The value of module ${i}, from those it imports. */`,
    `export const v${i}: number = (${sum === "" ? "0" : sum} + ${i}) % 1009;`,
    "",
    `/** Makes an item of module ${i}. */`,
    `export function make${i}(id: number, tags: readonly string[] = []): Item${i} {`,
    `  return { id: id + v${i}, name: \`\${label${i}}-\${id}\`, tags };`,
    "}",
    "",
    `/** Describes module ${i}. */`,
    `export function describe${i}(): string {`,
    `  const item = make${i}(${i % 7}, ["t${i % 5}"]);`,
    '  return `${item.name}:${item.tags.join(",")}`;',
    "}",
    "",
  );
  return lines.join("\n");
}

function appText(imports: readonly number[]): string {
  const lines = imports.map((j) => `import { describe${j} } from "${fromTop(j)}";`);
  lines.push(
    "",
    "const lines: string[] = [",
    ...imports.map((j) => `  describe${j}(),`),
    "];",
    'console.log(lines.join("\\n"));',
    "",
  );
  return lines.join("\n");
}

function testText(t: number, imports: readonly number[]): string {
  const lines = imports.map((j) =>
    `import { describe${j}, make${j}, v${j} } from "${fromTop(j)}";`
  );
  lines.push("");
  for (const j of imports) {
    lines.push(
      `Deno.test("module ${j} makes items with its value (test ${t})", () => {`,
      `  const item = make${j}(1, ["a"]);`,
      `  if (item.id !== 1 + v${j}) throw new Error(\`id \${item.id}\`);`,
      `  if (!describe${j}().includes(":t")) throw new Error(describe${j}());`,
      "});",
      "",
    );
  }
  return lines.join("\n");
}

function denoJson(entries: readonly string[]): { text: string; tasks: string[] } {
  const files = ["src/**/*.ts"];
  const tasks: Record<string, unknown> = {
    check: { command: `deno check ${entries.join(" ")}`, files },
    test: { command: "deno test src/tests/", files },
  };
  APPS.forEach((app, k) => {
    tasks[`bundle:${app}`] = {
      command: `deno bundle -o dist/${app}.js ${entries[k]}`,
      files,
      output: [`dist/${app}.js`],
    };
  });
  tasks.lint = { command: "deno lint src/", files };
  tasks.fmt = { command: "deno fmt --check src/", files };
  const names = Object.keys(tasks);
  tasks.build = { description: "Everything", dependencies: names };
  return { text: JSON.stringify({ tasks }, null, 2) + "\n", tasks: names };
}

function buildTs(mod: string, entries: readonly string[]): string {
  return [
    `import { alias, deno, rule } from "${mod}";`,
    "",
    `const entries = ${JSON.stringify(entries)};`,
    'rule({ alias: "check", action: deno.check(entries) });',
    'rule({ alias: "test", action: deno.test(["src/tests/"]) });',
    "const bundles = entries.map((entry, k) =>",
    "  rule({ action: deno.bundle(entry, `dist/app${k}.js`) })",
    ");",
    'rule({ alias: "lint", action: deno.lint(["src/"]) });',
    'rule({ alias: "fmt", action: deno.fmt(["src/"]) });',
    'alias("default", ["@check", "@test", bundles, "@lint", "@fmt"]);',
    "",
  ].join("\n");
}

/**
 * Writes the project into `dir` (which must not exist or be empty).
 * @param dir Where.
 * @param n How many modules `src/lib/` holds (at least 30).
 * @param mod The URL build.ts imports barchan from.
 * @returns What the benchmark needs to know of it.
 */
export function generateTsProject(dir: string, n: number, mod: string): TsProject {
  if (!Number.isInteger(n) || n < 30) throw new RangeError(`Need at least 30 modules: got ${n}`);
  const rand = prng(n);
  const used = Math.floor(n * 0.9);
  const deps: number[][] = [];
  for (let i = 0; i < n; i++) {
    // Reached modules import reached ones; the rest import among themselves.
    const low = i < used ? Math.max(0, i - WINDOW) : Math.max(used, i - WINDOW);
    const picks = new Set<number>();
    for (let k = 0; k < 3 && i > low; k++) picks.add(low + Math.floor(rand() * (i - low)));
    deps.push([...picks].sort((a, b) => a - b));
  }
  const appImports = APPS.map((_, k) => {
    const top = Math.floor((used * (k + 1)) / 3);
    return [1, 2, 5, 9, 14].map((d) => top - d);
  });
  const testImports = Array.from(
    { length: TESTS },
    (_, t) => [0, 1, 2].map((k) => Math.floor((used * (t * 3 + k + 1)) / (TESTS * 3 + 1))),
  );
  const write = (path: string, text: string) => {
    Deno.mkdirSync(join(dir, path, ".."), { recursive: true });
    Deno.writeTextFileSync(join(dir, path), text);
  };
  for (let i = 0; i < n; i++) write(modulePath(i), moduleText(i, deps[i]));
  const entries = APPS.map((app) => `src/apps/${app}.ts`);
  APPS.forEach((_, k) => write(entries[k], appText(appImports[k])));
  testImports.forEach((imports, t) => write(`src/tests/t${t}_test.ts`, testText(t, imports)));
  const json = denoJson(entries);
  write("deno.json", json.text);
  write("build.ts", buildTs(mod, entries));

  const reached = new Set<number>();
  const stack = [...appImports.flat(), ...testImports.flat()];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (reached.has(i)) continue;
    reached.add(i);
    stack.push(...deps[i]);
  }
  const imported = appImports[0][0];
  return {
    n,
    entries,
    bundles: APPS.map((app) => `dist/${app}.js`),
    imported: modulePath(imported),
    importedLabel: `m${imported}`,
    unimported: modulePath(n - 1),
    reached: reached.size,
    tasks: json.tasks,
  };
}
