/**
 * Make-style depfiles, as `gcc -MD -MF file`, `clang` and many other tools
 * write them: what a command read, known once it ran. `needDepfile` makes
 * every file one names a dependency of the rule running the command, found
 * after the command, as a module graph's files are.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import type { ActionContext } from "../dsl/actions.ts";

/** What a depfile says. */
export interface Depfile {
  /** The targets of its rules, each once, in order. */
  targets: string[];
  /** The prerequisites of its rules, each once, in order. */
  deps: string[];
}

/**
 * Parses a Make-style depfile: rules `targets: prerequisites`, several
 * targets or rules (`-MP` adds one without prerequisites per header),
 * continuation lines (`\` at the end of a line), spaces escaped as `\ `,
 * `\#` and `\:` for `#` and `:`, `$$` for `$`, comments, CRLF line ends.
 * @param text The depfile's text.
 * @returns Its targets and prerequisites.
 * @throws {SyntaxError} When a line has words but no `:`.
 *
 * @example What gcc -MD writes for a source with a header
 * ```ts
 * import { parseDepfile } from "@barchan/barchan";
 * import assert from "node:assert/strict";
 *
 * const text = "_build/main.o: src/main.c src/my\\ header.h \\\n /usr/include/stdio.h\n";
 * assert.deepEqual(parseDepfile(text), {
 *   targets: ["_build/main.o"],
 *   deps: ["src/main.c", "src/my header.h", "/usr/include/stdio.h"],
 * });
 * ```
 */
export function parseDepfile(text: string): Depfile {
  const targets = new Set<string>();
  const deps = new Set<string>();
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  lines.forEach((line, index) => {
    const words: string[] = [];
    let word = "";
    let colon = -1;
    const end = () => {
      if (word !== "") words.push(word);
      word = "";
    };
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      const next = line[i + 1];
      if (c === "\\" && (next === " " || next === "#" || next === ":" || next === "\t")) {
        word += next;
        i++;
      } else if (c === "$" && next === "$") {
        word += "$";
        i++;
      } else if (c === "#") {
        break;
      } else if (c === " " || c === "\t") {
        end();
      } else if (
        c === ":" && colon < 0 && (next === undefined || next === " " || next === "\t")
      ) {
        end();
        colon = words.length;
      } else word += c;
    }
    end();
    if (words.length === 0) return;
    if (colon < 0) {
      throw new SyntaxError(
        `Depfile line ${index + 1} has no ":" between targets and prerequisites: "${line}"`,
      );
    }
    for (const target of words.slice(0, colon)) targets.add(target);
    for (const dep of words.slice(colon)) deps.add(dep);
  });
  return { targets: [...targets], deps: [...deps] };
}

/** Options of {@linkcode needDepfile}. */
export interface NeedDepfileOptions {
  /**
   * Whether files outside the project (system headers such as
   * `/usr/include/stdio.h`) are dependencies too, tracked by content like
   * the others. `gcc -MMD` leaves system headers out of the depfile itself.
   * @default true
   */
  outside?: boolean;
  /**
   * The directory the command ran in, project-relative: the depfile's
   * relative paths are relative to it.
   * @default the project root
   */
  cwd?: string;
}

/**
 * Reads a depfile a command of the running action wrote and needs every
 * file it names (`ctx.need`): they become dependencies of the rule and
 * inputs of the command's key, and one edited while the command ran makes
 * the action run again. Make the depfile one of the rule's targets (it is
 * then kept, and restored from the action cache with the rest).
 * @param ctx The action's context.
 * @param path The depfile, relative to the project root.
 * @param options Whether files outside the project count, where the command ran.
 * @returns The files needed, project-relative unless absolute.
 *
 * @example An object compiled with gcc, its headers found by gcc
 * ```ts ignore
 * import { needDepfile, rule } from "@barchan/barchan";
 *
 * rule({
 *   targets: ["_build/main.o", "_build/main.o.d"],
 *   deps: ["src/main.c"],
 *   action: async (ctx) => {
 *     await ctx.run("gcc", ["-MD", "-MF", "_build/main.o.d", "-c", "src/main.c", "-o", "_build/main.o"]);
 *     await needDepfile(ctx, "_build/main.o.d");
 *   },
 * });
 * ```
 *
 * @example The files a depfile names, needed
 * ```ts
 * import { needDepfile } from "@barchan/barchan";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/a.o.d`, "a.o: a.c a.h /usr/include/stdio.h\n");
 * const needed: unknown[] = [];
 * const ctx = { root, need: async (...deps: unknown[]) => void needed.push(...deps) };
 * assert.deepEqual(await needDepfile(ctx as never, "a.o.d", { outside: false }), ["a.c", "a.h"]);
 * assert.deepEqual(needed, ["a.c", "a.h"]);
 * ```
 */
export async function needDepfile(
  ctx: ActionContext,
  path: string,
  options: NeedDepfileOptions = {},
): Promise<string[]> {
  const file = isAbsolute(path) ? path : join(ctx.root, path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `The depfile "${path}" does not exist: the command must write it (gcc -MD -MF ${path})`,
      );
    }
    throw error;
  }
  let deps = parseDepfile(text).deps;
  const cwd = options.cwd ?? "";
  if (cwd !== "" && cwd !== ".") deps = deps.map((d) => isAbsolute(d) ? d : join(cwd, d));
  if (options.outside === false) {
    deps = deps.filter((d) => !isAbsolute(d) || d.startsWith(ctx.root + "/"));
  }
  // A file name with glob characters is that file, not a pattern.
  await ctx.need(...deps.map((d) => d.replace(/[*?[{]/g, (c) => `[${c}]`)));
  return deps;
}
