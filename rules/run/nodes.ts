/**
 * A build as memo functions. Every step of a build is a memo node, so one
 * persistent record (the memo store) says what a build depends on, and a
 * later build redoes only what a change reaches:
 *
 * - `barchan.request(request)`: the root of a build; depends on build.ts and
 *   on what was asked for.
 * - `barchan.load(null)`: evaluating build.ts. Its dependencies are the
 *   modules and configuration files it is made of and what it read while
 *   evaluated (loader.ts); its value the digest of every spec, so an edit
 *   that changes no rule (a comment) stops there.
 * - `barchan.spec(key)`: one rule's, alias's or path's definition, as data
 *   (specs.ts), cut off by its key: editing one rule reruns that rule.
 * - `barchan.rule(id)`: a rule brought up to date: its spec, its
 *   dependencies (read together), its action; its value the digests of its
 *   targets (with the commands its action ran, for replay), cut off by the
 *   digests alone.
 * - `barchan.target({path, rule})`: one target of a rule with several, so a
 *   dependent of one is cut off when only another changed.
 * - `barchan.alias(name)`: an alias's dependencies and rules; an alias that
 *   contains itself is a cycle, reported with each alias and rule in it.
 *
 * The memo functions find the builder that runs them through their engine
 * ({@linkcode useBuildContext}).
 *
 * @module
 */
import { currentEngine, type Engine, memo, previousValue, readTogether } from "../../memo/mod.ts";
import { forkAndJoin } from "../../fiber/mod.ts";
import { BuildFileError } from "../dsl/errors.ts";
import { typeCheck } from "./type_check.ts";
import { provideBuildServices } from "./build_services.ts";
// The library's memo functions, which rules call from their actions, are
// defined before any evaluation, as the build's own are: a rule's recorded
// call to one is checked before build.ts (which imports them too) is
// evaluated, if it is at all.
import "../deno/module_graph.ts";
import type { DepSpec } from "../project/project.ts";
import type { LoadedProject, ProjectLoader } from "./loader.ts";
import type { InfoRunner } from "../project/modules.ts";
import type { OneBuild } from "./one_build.ts";
import { isDirDigest } from "./dir_targets.ts";
import { type BuildRequestKey, REQUEST_FUNCTION } from "./request.ts";
import {
  aliasKey,
  type AliasSpec,
  DEFAULT_KEY,
  type DefaultSpec,
  producerKey,
  type ProducerSpec,
  ruleKey,
  type RuleSpec,
  sameSpec,
  type Spec,
  specCodec,
  specOf,
} from "./specs.ts";

/** What the memo functions of a build ask of the builder that runs them. */
export interface BuildContext {
  /** Loads build.ts. */
  readonly loader: ProjectLoader;
  /** Where `deno info` runs. */
  readonly runner: InfoRunner;
  /** The build under way. */
  one(): OneBuild;
  /** Told when build.ts was evaluated anew, with the project it gave. */
  loaded(project: LoadedProject): void;
}

const contexts = new WeakMap<Engine, BuildContext>();

/**
 * Makes the memo functions of a build run in `engine` ask `context`.
 * @param engine The engine.
 * @param context The builder's side.
 */
export function useBuildContext(engine: Engine, context: BuildContext): void {
  contexts.set(engine, context);
}

function context(): BuildContext {
  const found = contexts.get(currentEngine());
  if (found === undefined) throw new Error("A rule was demanded outside a build");
  return found;
}

// The services library memo functions use (build_services.ts), from the
// build the running call is part of.
provideBuildServices(() => {
  const found = contexts.get(currentEngine());
  if (found === undefined) return undefined;
  let one: OneBuild;
  try {
    one = found.one();
  } catch {
    return undefined;
  }
  return {
    root: one.root,
    scheduler: one.scheduler,
    signal: one.signal,
    async produce(path) {
      const producer = await ruleSpec(producerKey(path)) as ProducerSpec | null;
      if (producer === null) return false;
      await one.needPath(path, undefined, { producer: producer.rule, single: producer.single });
      // What the library then reads (deno info reads modules) is here.
      await one.remoteFiles?.materialize([path]);
      return true;
    },
  };
});

/** What evaluating build.ts gives, as the load node keeps it. */
export interface LoadValue {
  /** Digest of every spec. */
  digest: string;
  /** Digest of what function actions and memo bodies defined there can see. */
  code: string;
  /** The memo functions build.ts defines. */
  memo: string[];
}

/** Evaluating build.ts (loader.ts). */
export const loadBuild = memo(
  "barchan.load",
  async (_: null): Promise<LoadValue> => {
    const ctx = context();
    const started = performance.now();
    const loaded = await ctx.loader.evaluateTracked(ctx.runner);
    ctx.one().reporter.phase?.({ name: "load build.ts", durationMs: performance.now() - started });
    ctx.loaded(loaded);
    return {
      digest: loaded.specs.digest,
      code: loaded.code,
      memo: [...loaded.project.memoFunctions].sort(),
    };
  },
  { description: () => "build.ts" },
);

/**
 * The project evaluated in this process, evaluating build.ts (outside any
 * memo body) when the load node is up to date but none was.
 * @returns The project.
 */
export async function currentProject(): Promise<LoadedProject> {
  const { code } = await loadBuild(null);
  return await context().loader.project(code);
}

/** One definition of build.ts, as data (specs.ts). */
export const ruleSpec = memo(
  "barchan.spec",
  async (key: string): Promise<Spec | null> => {
    const loaded = await currentProject();
    return specOf(loaded.project, loaded.specs, key);
  },
  {
    cutoff: sameSpec,
    persist: specCodec,
    description: (key: string) => `the definition of ${key} in build.ts`,
  },
);

/** A rule's value: its targets' digests, and what its action ran (for replay). */
export interface RuleValue {
  /** Target path to content digest; in a dry run, "" marks a rule that would run. */
  t: Record<string, string>;
  /** The steps its action took, in order (command/steps.ts). */
  c?: unknown[];
  /** The dependencies its action found while running (`ctx.need`, `ctx.readText`). */
  n?: unknown[];
}

/** A rule brought up to date. */
export const buildRule = memo(
  "barchan.rule",
  async (id: string): Promise<RuleValue> => {
    const one = context().one();
    const spec = await ruleSpec(ruleKey(id)) as RuleSpec | null;
    if (spec === null) throw new Error(`There is no rule "${id}" in build.ts any more`);
    await readTogether(() => one.need(spec.deps, spec));
    return await one.execute(spec, previousValue() as RuleValue | undefined);
  },
  {
    description: (id: string) => `rule ${id}`,
    cutoff: (a: RuleValue, b: RuleValue) => sameDigests(a.t, b.t),
  },
);

/** One target of a rule with several. */
export const buildTarget = memo(
  "barchan.target",
  async (target: { path: string; rule: string }): Promise<[string, string]> => {
    const value = await buildRule(target.rule);
    return [value.t[target.path] ?? treeOf(value, target.path), value.t[""] ?? ""];
  },
  { description: (target: { path: string }) => `target ${target.path}` },
);

/** An alias: its dependencies and rules. */
export const buildAlias = memo(
  "barchan.alias",
  async (name: string): Promise<null> => {
    const one = context().one();
    const spec = await ruleSpec(aliasKey(name)) as AliasSpec | null;
    if (spec === null) throw await one.noSuchAlias(name, undefined);
    await readTogether(() => one.needAlias(spec));
    return null;
  },
  { description: (name: string) => `alias @${name}` },
);

/**
 * The type check of build.ts and the modules it imports (type_check.ts):
 * its type errors, one line each.
 */
export const checkBuild = memo(
  "barchan.check",
  async (_: null): Promise<string[]> => {
    const ctx = context();
    const one = ctx.one();
    const started = performance.now();
    const errors = await typeCheck(ctx.loader.file, one.scheduler, one.signal);
    one.reporter.phase?.({ name: "type-check build.ts", durationMs: performance.now() - started });
    return errors;
  },
  { description: () => "the type check of build.ts" },
);

/**
 * The root of a build: build.ts, then what was asked for, and beside it
 * (when asked) the type check of build.ts.
 */
export const buildRequest = memo(
  REQUEST_FUNCTION,
  async (request: BuildRequestKey): Promise<null> => {
    const ctx = context();
    const one = ctx.one();
    await loadBuild(null);
    const deps: readonly (DepSpec | DefaultSpec["deps"][number])[] = request.targets.length === 0
      ? (await ruleSpec(DEFAULT_KEY) as DefaultSpec).deps
      : one.normalizeRequest(request.targets);
    if (request.check !== true) {
      await readTogether(() => one.need(deps, undefined));
      return null;
    }
    await readTogether(() =>
      forkAndJoin(
        () => one.need(deps, undefined),
        async () => {
          const errors = await checkBuild(null);
          if (errors.length === 0) return;
          throw new BuildFileError(
            ctx.loader.file,
            `does not type-check (--no-check builds without this check):\n` +
              errors.map((e) => `  ${e}`).join("\n"),
          );
        },
      )
    );
    return null;
  },
  {
    description: (request: BuildRequestKey) =>
      request.targets.length === 0 ? "the build" : `the build of ${request.targets.join(" ")}`,
  },
);

/** For a file in a directory target, the tree's digest; "" when none holds it. */
function treeOf(value: RuleValue, path: string): string {
  for (const [target, digest] of Object.entries(value.t)) {
    if (isDirDigest(digest) && path.startsWith(target + "/")) return digest;
  }
  return "";
}

function sameDigests(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}
