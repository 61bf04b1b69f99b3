/**
 * The build.ts files `barchan init` writes (init_command.ts finds what
 * goes in them).
 *
 * @module
 */

/** What a Deno project's build.ts builds. */
export interface DenoProject {
  /** Entry points to type-check, project-relative. */
  entries: string[];
  /** Top-level files and directories (`src/`) lint and fmt look at. */
  paths: string[];
  /** Top-level files and directories holding test files; none: no test rule. */
  tests: string[];
  /** Flags of the project's `deno test` task, kept. */
  testFlags: string[];
  /** The program's entry point, bundled; none: no bundle rule. */
  program: string | undefined;
  /** Where the bundle goes. */
  bundle: string;
  /** The project directory. */
  dir: string;
}

/**
 * The build.ts of a Deno project.
 * @param project What it builds.
 * @param mod How it imports barchan.
 * @returns Its text.
 *
 * @example A library with tests and a program
 * ```ts
 * import { denoBuildFile } from "./init_templates.ts";
 * import assert from "node:assert/strict";
 *
 * const text = denoBuildFile({
 *   entries: ["mod.ts"], paths: ["build.ts", "mod.ts", "src/"], tests: ["src/"], testFlags: [],
 *   program: "main.ts", bundle: "_build/main.js", dir: "/app",
 * }, "jsr:@barchan/barchan");
 * assert.match(text, /rule\(\{ alias: "check", action: deno\.check\(\["mod\.ts"\]\) \}\);/);
 * assert.match(text, /alias\("default", \["@check", "@test", "@lint", "@fmt", bundle\]\);/);
 * ```
 */
export function denoBuildFile(project: DenoProject, mod: string): string {
  const list = (items: readonly string[]) => `[${items.map((i) => JSON.stringify(i)).join(", ")}]`;
  const lines = [
    "// The build of this project: `barchan build` builds @default; `barchan build @test` tests.",
    "// Each deno.* action depends on what its tool reads (the module graph of its entry points,",
    "// or the files under its paths) and on deno.json and deno.lock: an edit reruns only the",
    "// rules whose graphs contain the edited module.",
    ...importLine(["alias", "deno", "rule"], mod),
    "",
  ];
  const all: string[] = [];
  if (project.entries.length > 0) {
    lines.push(`rule({ alias: "check", action: deno.check(${list(project.entries)}) });`);
    all.push(`"@check"`);
  }
  if (project.tests.length > 0) {
    const flags = project.testFlags.length > 0 ? `, { flags: ${list(project.testFlags)} }` : "";
    lines.push(`rule({ alias: "test", action: deno.test(${list(project.tests)}${flags}) });`);
    all.push(`"@test"`);
  }
  lines.push(`rule({ alias: "lint", action: deno.lint(${list(project.paths)}) });`);
  lines.push(`rule({ alias: "fmt", action: deno.fmt(${list(project.paths)}) });`);
  all.push(`"@lint"`, `"@fmt"`);
  if (project.program !== undefined) {
    lines.push(
      `const bundle = rule({ action: deno.bundle(${JSON.stringify(project.program)}, ${
        JSON.stringify(project.bundle)
      }) });`,
    );
    all.push("bundle");
  }
  lines.push("", `alias("default", [${all.join(", ")}]);`, "");
  return lines.join("\n");
}

/**
 * The build.ts of a directory of C sources.
 * @param sources The `.c` files, project-relative.
 * @param program The executable to link.
 * @param mod How it imports barchan.
 * @returns Its text.
 *
 * @example Two sources
 * ```ts
 * import { cBuildFile } from "./init_templates.ts";
 * import assert from "node:assert/strict";
 *
 * const text = cBuildFile(["src/main.c", "src/util.c"], "_build/app", "../barchan/mod.ts");
 * assert.match(text, /const sources = \["src\/main.c", "src\/util.c"\];/);
 * assert.match(text, /await needDepfile\(ctx, depfile\);/);
 * ```
 */
export function cBuildFile(sources: readonly string[], program: string, mod: string): string {
  return `// The build of this C program: each object is compiled with \`cc -MD\`, whose depfile names
// every header the compiler read (needDepfile makes each one a dependency, however deeply it
// was included), then the objects are linked. Add a source to \`sources\` to build it too.
${importLine(["alias", "needDepfile", "rule", "run"], mod).join("\n")}

const sources = [${sources.map((s) => JSON.stringify(s)).join(", ")}];

const objects = sources.map((source) => {
  const object = \`_build/\${source.replace(/\\.c$/, ".o")}\`;
  return rule({
    targets: [object, \`\${object}.d\`],
    deps: [source],
    action: async (ctx) => {
      const [object, depfile] = ctx.targets;
      await ctx.run("cc", ["-MD", "-MF", depfile, "-c", source, "-o", object]);
      await needDepfile(ctx, depfile);
    },
  });
});

const program = rule({
  targets: ${JSON.stringify(program)},
  deps: objects.map((o) => o.target),
  action: run("cc", "-o", ${JSON.stringify(program)}, ...objects.map((o) => o.target)),
});

alias("default", [program]);
`;
}

/** The import of barchan's names: a published package's needs deno lint told it is on purpose. */
function importLine(names: readonly string[], mod: string): string[] {
  const line = `import { ${names.join(", ")} } from ${JSON.stringify(mod)};`;
  return mod.startsWith("jsr:")
    ? [
      "// `deno add jsr:@barchan/barchan` maps it in deno.json instead.",
      "// deno-lint-ignore no-import-prefix",
      line,
    ]
    : [line];
}
