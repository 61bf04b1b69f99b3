/**
 * Actions: what a rule does to write its targets. Data actions (`run`, `sh`,
 * `write`, `copy`, and the `deno` helpers of rules/deno) are compared by value; a function action by the code
 * digest of build.ts (its text, the modules it imports, what it read), and
 * each command it runs by that command's key.
 *
 * @module
 */
import { resolve } from "node:path";
import type { SpawnResult } from "../../fiber/mod.ts";
import type { RuleHandle } from "./handle.ts";
import { denoDisplay, denoWrites } from "../deno/deno_spec.ts";

/** Something a rule can depend on: a path, `@alias`, a glob, a rule handle, or a list of these. */
export type Dep = string | RuleHandle | readonly Dep[];

/** Options of {@linkcode ActionContext.run}. */
export interface RunOptions {
  /**
   * Variables added to the environment.
   * @default {}
   */
  env?: Record<string, string>;
  /**
   * Standard input text.
   * @default undefined
   */
  stdin?: string;
  /**
   * Working directory, relative to the project root.
   * @default the project root
   */
  cwd?: string;
  /**
   * Keep what it prints out of the build's output (it is still returned,
   * and still shown when it fails): for a command whose output is data,
   * such as `deno info --json`.
   * @default false
   */
  quiet?: boolean;
  /**
   * A Make-style depfile the command writes (`gcc -MD -MF _build/a.o.d`):
   * once it ran, every file the depfile names is needed (as `ctx.need`), a
   * dependency of the rule and an input of the command's key, and a file
   * edited while the command ran makes the action run again. Unless it is
   * one of the rule's targets (then it is kept), the depfile must be under
   * `_build/` and is deleted once read. Relative paths in it are relative
   * to `cwd`.
   * @default undefined
   */
  depfile?: string;
  /**
   * Whether files outside the project that the depfile names (system
   * headers) are dependencies too, tracked by content.
   * @default true
   */
  depfileOutside?: boolean;
}

/** What a function action is given. */
export interface ActionContext {
  /** The rule's id (its first target, or `@alias/...` for a rule without targets). */
  readonly rule: string;
  /** The rule's targets, relative to the project root. */
  readonly targets: readonly string[];
  /** The project root (the directory of build.ts). */
  readonly root: string;
  /** Aborted when the build is cancelled. */
  readonly signal: AbortSignal;
  /**
   * Builds more dependencies, found while running (e.g. scanned headers);
   * they are recorded like static ones.
   */
  need(...deps: Dep[]): Promise<void>;
  /**
   * The files its commands may read so far, project-relative (absolute
   * outside the project): every file its dependencies come to (a glob's
   * matches, a rule's targets) and those it needed while running.
   */
  inputs(): Promise<string[]>;
  /** Runs a program (no shell) in a job slot, output captured for the report. */
  run(cmd: string, args?: readonly string[], options?: RunOptions): Promise<SpawnResult>;
  /** Runs a shell script with `sh -c` in a job slot. */
  sh(script: string, options?: RunOptions): Promise<SpawnResult>;
  /** Builds a file if needed and reads it as a tracked dependency. */
  readText(path: string): Promise<string>;
  /** Writes one of the rule's targets. */
  writeText(path: string, text: string): Promise<void>;
}

/** An action described as data; barchan knows how to run it and when it changed. */
export interface DataAction {
  /** What kind of action. */
  readonly kind: "run" | "sh" | "write" | "copy" | "deno";
  /** The action as plain data: what decides whether it changed. */
  readonly spec: readonly string[];
  /** The command line as shown to users. */
  readonly display: string;
  /** Paths the action reads that are dependencies by construction. */
  readonly reads: readonly string[];
  /** Paths the action writes by construction: a rule's targets when it names none. */
  readonly writes: readonly string[];
  /** Runs the action. */
  perform(ctx: ActionContext): Promise<void>;
}

/** What a rule does: a data action or an async function of an {@linkcode ActionContext}. */
export type Action = DataAction | ((ctx: ActionContext) => Promise<void> | void);

/**
 * Runs a program with arguments, without a shell.
 * @param cmd The program, looked up on PATH (or a path with a `/`).
 * @param args Its arguments.
 * @returns The action.
 *
 * @example
 * ```ts
 * import { run } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.equal(run("cc", "-c", "a.c").display, "cc -c a.c");
 * ```
 */
export function run(cmd: string, ...args: string[]): DataAction {
  return new SpecAction("run", ["run", cmd, ...args]);
}

/**
 * Runs a shell script with `sh -c`.
 * @param script The script.
 * @returns The action.
 *
 * @example
 * ```ts
 * import { sh } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sh("echo hi > out.txt").kind, "sh");
 * ```
 */
export function sh(script: string): DataAction {
  return new SpecAction("sh", ["sh", script]);
}

/**
 * Writes a text file (which must be the rule's target).
 * @param path The file, relative to the project root.
 * @param text Its content.
 * @returns The action.
 *
 * @example
 * ```ts
 * import { write } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.equal(write("version.txt", "1.0").display, "write version.txt");
 * ```
 */
export function write(path: string, text: string): DataAction {
  return new SpecAction("write", ["write", path, text]);
}

/**
 * Copies a file; the source becomes a dependency of the rule.
 * @param from The file to copy, relative to the project root.
 * @param to The target, relative to the project root.
 * @returns The action.
 *
 * @example
 * ```ts
 * import { copy } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(copy("a.txt", "out/a.txt").reads, ["a.txt"]);
 * ```
 */
export function copy(from: string, to: string): DataAction {
  return new SpecAction("copy", ["copy", from, to]);
}

/** Options of {@linkcode depfile}. */
export interface DepfileOptions {
  /**
   * Whether files outside the project the depfile names (system headers)
   * are dependencies too.
   * @default true
   */
  outside?: boolean;
}

/**
 * A `run` or `sh` action whose command writes a Make-style depfile: once it
 * ran, every file the depfile names is a dependency of the rule (see
 * {@linkcode RunOptions.depfile}).
 * @param path The depfile, relative to the project root: one of the rule's
 * targets (kept), or under `_build/` (deleted once read).
 * @param action The command, `run(...)` or `sh(...)`.
 * @param options Whether system headers count.
 * @returns The action.
 *
 * @example A C object whose headers are found by the compiler
 * ```ts
 * import { depfile, run } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const action = depfile(
 *   "_build/a.o.d",
 *   run("cc", "-MD", "-MF", "_build/a.o.d", "-c", "a.c", "-o", "_build/a.o"),
 * );
 * assert.equal(action.kind, "run");
 * assert.equal(action.display, "cc -MD -MF _build/a.o.d -c a.c -o _build/a.o");
 * ```
 */
export function depfile(
  path: string,
  action: DataAction,
  options: DepfileOptions = {},
): DataAction {
  if (typeof path !== "string" || path === "") {
    throw new TypeError("depfile() takes the depfile's path first, then a run() or sh() action");
  }
  if ((action.kind !== "run" && action.kind !== "sh") || action.spec[0] === DEPFILE) {
    throw new TypeError(
      `depfile("${path}", ...) takes a run() or sh() action, not ${action.kind}: ` +
        "in a function action, pass { depfile } to ctx.run or ctx.sh",
    );
  }
  return new SpecAction(action.kind, [
    DEPFILE,
    path,
    options.outside === false ? "0" : "1",
    ...action.spec,
  ]);
}

/** The first element of the spec of a command with a depfile. */
const DEPFILE = "depfile";

/** A command's spec without its depfile's prefix. */
function commandOf(spec: readonly string[]): readonly string[] {
  return spec[0] === DEPFILE ? spec.slice(3) : spec;
}

/**
 * @internal The data action a spec describes, as `run`, `sh`, `write` and
 * `copy` make it (the rule cache keeps only specs).
 * @param spec The spec: kind, then its arguments.
 * @returns The action.
 */
export function actionOfSpec(spec: readonly string[]): DataAction {
  const kind = commandOf(spec)[0];
  if (kind === "run" || kind === "sh" || kind === "write" || kind === "copy" || kind === "deno") {
    return new SpecAction(kind, spec);
  }
  throw new Error(`Unknown action "${kind}"`);
}

/** Nothing read beyond the rule's dependencies (or written beyond its targets). */
const NO_READS: readonly string[] = Object.freeze([]);

/**
 * A data action: everything follows from its spec. One class, with its
 * display and behaviour on the prototype, keeps the ten thousand actions of
 * a large build.ts small (an object literal with a getter is a dictionary).
 */
class SpecAction implements DataAction {
  readonly kind: DataAction["kind"];
  readonly spec: readonly string[];
  readonly reads: readonly string[];

  constructor(kind: DataAction["kind"], spec: readonly string[]) {
    this.kind = kind;
    this.spec = spec;
    this.reads = kind === "copy" ? [spec[1]] : NO_READS;
  }

  get writes(): readonly string[] {
    switch (this.kind) {
      case "write":
        return [this.spec[1]];
      case "copy":
        return [this.spec[2]];
      case "deno":
        return denoWrites(this.spec);
      default:
        return NO_READS;
    }
  }

  get display(): string {
    const spec = commandOf(this.spec);
    switch (this.kind) {
      case "run":
        // Shown only when the rule runs or is listed: quoting waits till then.
        return spec.slice(1).map(quote).join(" ");
      case "sh":
        return spec[1];
      case "write":
        return `write ${spec[1]}`;
      case "deno":
        return denoDisplay(spec);
      default:
        return `copy ${spec[1]} ${spec[2]}`;
    }
  }

  async perform(ctx: ActionContext): Promise<void> {
    const spec = commandOf(this.spec);
    const options: RunOptions = spec === this.spec
      ? {}
      : { depfile: this.spec[1], depfileOutside: this.spec[2] !== "0" };
    switch (this.kind) {
      case "run":
        await ctx.run(spec[1], spec.slice(2), options);
        return;
      case "sh":
        await ctx.sh(spec[1], options);
        return;
      case "write":
        await ctx.writeText(spec[1], spec[2]);
        return;
      case "copy":
        await Deno.copyFile(resolve(ctx.root, spec[1]), resolve(ctx.root, spec[2]));
        return;
      case "deno": {
        // The module graph's machinery loads when a deno action first runs.
        const { performDeno } = await import("../deno/deno_action.ts");
        await performDeno(spec, ctx);
      }
    }
  }
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
