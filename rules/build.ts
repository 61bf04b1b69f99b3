/**
 * The demand-driven executor: `build()` loads build.ts, opens the project's
 * state, and builds the requested targets and aliases. Each rule is a memo
 * node whose value is the digests of its targets, so an action reruns only
 * when its definition, a dependency or one of its targets changed, and a
 * target rebuilt to identical content stops the propagation.
 *
 * @module
 */
import { join } from "node:path";
import { errorsOf } from "../fiber/parallel.ts";
import { Scheduler } from "../fiber/scheduler.ts";
import { isCancellation } from "../fiber/cancel.ts";
import { Engine } from "../memo/engine.ts";
import { CycleError, MemoError, messageOf } from "../memo/errors.ts";
import { memo } from "../memo/memo.ts";
import { currentEngine, readInput } from "../memo/reads.ts";
import { digestOf } from "../memo/digest.ts";
import { RuleError } from "./errors.ts";
import { findBuildFile, loadProject } from "./load.ts";
import { OutputLog } from "./outputs.ts";
import type { DepSpec, Project } from "./project.ts";
import type { Reporter } from "./report.ts";
import { type RanRule, Session } from "./session.ts";

/** Where barchan keeps its state, relative to the project root. */
export const STATE_DIR = "_build/.barchan";

/** Options of {@linkcode build}. */
export interface BuildOptions {
  /**
   * Where to look for build.ts (this directory or the nearest above it).
   * @default Deno.cwd()
   */
  root?: string;
  /**
   * Targets (paths relative to the project root) and `@aliases` to build.
   * @default ["@default"], or every target when there is no default alias
   */
  targets?: string[];
  /**
   * How many commands run at once.
   * @default navigator.hardwareConcurrency
   */
  jobs?: number;
  /**
   * Receives what happens.
   * @default a reporter that prints nothing
   */
  reporter?: Reporter;
  /**
   * Cancels the build: running commands are killed.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * The scheduler commands run on (the CLI passes one wired to Ctrl-C).
   * @default a new scheduler with `jobs` slots
   */
  scheduler?: Scheduler;
}

/** One failure of a build. */
export interface BuildFailure {
  /** The failing rule, when the failure belongs to one. */
  rule?: string;
  /** What went wrong, in one or more lines. */
  message: string;
  /** Captured output of the failed command, if any. */
  output?: string;
}

/** What a build did. */
export interface BuildResult {
  /** True when everything requested was built. */
  ok: boolean;
  /** Rules whose action ran, with the reason. */
  ran: RanRule[];
  /** Every failure, each once. */
  failed: BuildFailure[];
  /** The build.ts that was loaded. */
  file: string;
}

const sessions = new WeakMap<Engine, Session>();

const buildRule = memo(
  "barchan.rule",
  async (id: string): Promise<Record<string, string>> => {
    const session = sessions.get(currentEngine());
    if (session === undefined) throw new Error(`Rule "${id}" was demanded outside a build`);
    const rule = session.project.rules.get(id);
    if (rule === undefined) throw new Error(`No rule "${id}" in ${session.project.file}`);
    readInput(`rule ${id}`);
    await session.need(rule.deps, rule);
    return await session.execute(rule);
  },
  { description: (id: string) => `rule ${id}` },
);

/**
 * Builds targets and aliases of the project whose build.ts is in `root` or
 * above it. Only what the requested targets need runs, in parallel up to
 * `jobs`; every failure is reported, not just the first.
 *
 * @param options What to build, and how.
 * @returns What ran and what failed.
 *
 * @example Building a one-rule project
 * ```ts
 * import { build } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const mod = new URL("../mod.ts", import.meta.url).href;
 * await Deno.writeTextFile(
 *   `${dir}/build.ts`,
 *   `import { rule, write } from "${mod}";
 *    rule({ targets: "hello.txt", action: write("hello.txt", "hi") });`,
 * );
 * const result = await build({ root: dir });
 * assert.ok(result.ok);
 * assert.equal(await Deno.readTextFile(`${dir}/hello.txt`), "hi");
 * ```
 */
export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const file = findBuildFile(options.root ?? Deno.cwd());
  const project = await loadProject(file);
  const reporter = options.reporter ?? {};
  const stateDir = join(project.root, STATE_DIR);
  const lock = await lockState(stateDir, reporter);
  const engine = new Engine({
    dir: stateDir,
    root: project.root,
    onWarning: (m) => reporter.note?.(m),
  });
  const outputs = new OutputLog(stateDir);
  const scheduler = options.scheduler ?? new Scheduler({ jobs: options.jobs });
  if (options.scheduler !== undefined && options.jobs !== undefined) scheduler.jobs = options.jobs;
  const session = new Session({
    project,
    engine,
    scheduler,
    outputs,
    reporter,
    signal: options.signal ?? new AbortController().signal,
    buildRule,
  });
  const failed: BuildFailure[] = [];
  const flusher = setInterval(() => engine.flush(), 1000);
  try {
    removeStaleOutputs(project, outputs, reporter);
    for (const rule of project.rules.values()) {
      engine.setInput(`rule ${rule.id}`, rule.spec, "its definition in build.ts changed");
    }
    sessions.set(engine, session);
    engine.onExecute = (call) => {
      if (call.name === "barchan.rule") session.willRun(call.input as string, call.reason);
    };
    await engine.run(() => session.need(requestsOf(project, options.targets ?? []), undefined));
  } catch (error) {
    if (isCancellation(error)) throw error;
    failed.push(...failuresOf(error));
  } finally {
    clearInterval(flusher);
    engine.close();
    outputs.close();
    lock.close();
  }
  return { ok: failed.length === 0, ran: session.ran, failed, file };
}

function requestsOf(project: Project, targets: string[]): DepSpec[] {
  if (targets.length > 0) return project.normalizeDeps(targets);
  if (project.aliases.has("default")) return [{ kind: "alias", name: "default" }];
  return [...project.rules.values()]
    .filter((r) => r.targets.length > 0)
    .map((r) => ({ kind: "rule", id: r.id }));
}

/** Deletes outputs whose rule is gone, when unchanged since barchan wrote them. */
function removeStaleOutputs(project: Project, outputs: OutputLog, reporter: Reporter): void {
  for (const path of outputs.paths()) {
    if (project.producers.has(path)) continue;
    const abs = join(project.root, path);
    let content: Uint8Array | undefined;
    try {
      content = Deno.readFileSync(abs);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (content !== undefined) {
      const wrote = outputs.digest(path);
      if (wrote !== "" && digestOf(content) === wrote) {
        Deno.removeSync(abs);
        reporter.note?.(`Deleted ${path}: no rule produces it any more`);
      } else {
        reporter.note?.(
          `Kept ${path}: no rule produces it any more, but it changed since barchan wrote it`,
        );
      }
    }
    outputs.release(path);
  }
}

async function lockState(stateDir: string, reporter: Reporter): Promise<Deno.FsFile> {
  Deno.mkdirSync(stateDir, { recursive: true });
  const lock = await Deno.open(join(stateDir, "build.lock"), { create: true, write: true });
  if (!(await lock.tryLock(true))) {
    reporter.note?.(`Waiting for another build of this project to finish (${stateDir})`);
    await lock.lock(true);
  }
  return lock;
}

/** Flattens an error tree into distinct failures, rule errors first-class. */
function failuresOf(error: unknown): BuildFailure[] {
  const seen = new Set<unknown>();
  const out: BuildFailure[] = [];
  const visit = (e: unknown): void => {
    for (const x of errorsOf(e)) {
      if (x instanceof MemoError) {
        visit(x.cause);
        continue;
      }
      if (seen.has(x)) continue;
      seen.add(x);
      if (x instanceof RuleError) {
        out.push({ rule: x.rule, message: x.message, output: x.output });
      } else if (x instanceof CycleError) out.push({ message: x.message });
      else out.push({ message: messageOf(x) });
    }
  };
  visit(error);
  return out;
}
