// Random rule graphs under random edits: after every edit, the incremental
// build leaves exactly the files a build from scratch leaves, and runs
// exactly the actions whose inputs changed, each once.
//
// Rules are of six kinds: a shell pipeline over its deps; a shell rule with
// two targets (one of which rarely changes); a function action reading its
// deps with ctx.readText (dependencies found while running); a function
// action running a shell command built from a top-level constant of
// build.ts; a function action writing what a memo function of build.ts
// computes; and a pipeline over a glob of the sources. Edits change, touch
// or add sources, change commands, top-level constants, a comment, or the
// memo function's body (sometimes to one giving the same values), delete or
// hand-edit targets, remove or add rules, move a rule's targets to a new rule
// (reordered, with another action), and make a rule fail, then restore it.
//
// The test keeps its own record of what each rule saw when it last ran (its
// definition, the content of each file it read, what it wrote) and derives
// from file contents alone which rules must run: a rule runs iff it is new,
// its definition changed, a file it reads now has other content than it saw
// (or it reads other files), or a target is missing or not what it wrote. A
// function action is executed again whenever build.ts changes, and starts
// only when one of its steps differs from its last run: a command by its
// command line and inputs, a write by its content.
//
// BARCHAN_SEED=n runs one seed only, to reproduce a failure.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  buildIn,
  buildOk,
  type Files,
  MOD,
  recordSaysUpToDate,
  snapshot,
  withOwnCache,
  writeFiles,
} from "../_util.ts";
import { prng } from "../../_prng.ts";

const SOURCES = 6;
const RULES = 15;
const ROUNDS = 25;
/** Seeds, and whether their graphs have function actions. */
const SEEDS: [number, boolean][] = [
  [2, true],
  [5, true],
  [7, false],
  [11, false],
  [13, true],
  [17, false],
  [29, true],
];

class Random {
  next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Shell filters over the concatenation of a rule's deps; some often keep their output. */
const FILTERS: Record<string, string> = {
  cat: "cat",
  upper: "tr a-z A-Z",
  lines: "wc -l | tr -d ' '",
  initials: "cut -c 1",
  unique: "sort -u",
  tail: "tail -n 1",
};

/** The same idea for function actions, as JavaScript expressions over `text`. */
const JS_FILTERS: Record<string, string> = {
  reverse: `text.split("\\n").reverse().join("\\n")`,
  lower: `text.toLowerCase()`,
  size: `String(text.length % 5)`,
  words: `String(text.split(/\\s+/).filter(Boolean).length)`,
};

type Kind = "sh" | "split" | "fn" | "fnsh" | "memo" | "glob";

/** Kinds of function actions whose runs are judged by what they write. */
const WRITERS: readonly Kind[] = ["fn", "memo"];

/** Bodies of the memo function `measure`; the first two give the same values. */
const MEMO_BODIES = [
  `(await readText(path)).length`,
  `(await readText(path)).length + 0`,
  `(await readText(path)).split("\\n").length`,
];

/** What a memo body computes, for the model: equal for bodies giving equal values. */
const MEMO_MEANING = ["length", "length", "lines"];

interface RuleDef {
  name: string;
  kind: Kind;
  /** What it reads: paths, or for a glob rule nothing (it reads the matching sources). */
  deps: string[];
  filter: string;
  salt: number;
  /** The targets, when not derived from the name (a rule its targets moved to). */
  targets?: string[];
  /** The top-level constant a `fnsh` rule uses. */
  constant?: number;
  /** Whether its command fails (sh and split rules). */
  failing?: boolean;
}

const GLOB = "src/*.txt";

function targetsOf(rule: RuleDef): string[] {
  if (rule.targets !== undefined) return rule.targets;
  return rule.kind === "split"
    ? [`out/${rule.name}.count.txt`, `out/${rule.name}.text.txt`]
    : [`out/${rule.name}.txt`];
}

function idOf(rule: RuleDef): string {
  return targetsOf(rule)[0];
}

/** The build.ts text of a rule. */
function ruleSource(rule: RuleDef): string {
  const targets = targetsOf(rule);
  const salt = (rule.salt === 0 ? "" : `: salt ${rule.salt}; `) + (rule.failing ? "exit 3; " : "");
  const deps = rule.deps.join(" ");
  switch (rule.kind) {
    case "sh":
      return `rule({ targets: ${JSON.stringify(targets[0])}, deps: ${JSON.stringify(rule.deps)}, ` +
        `action: sh(${
          JSON.stringify(`${salt}cat ${deps} | ${FILTERS[rule.filter]} > ${targets[0]}`)
        }) });`;
    case "split":
      return `rule({ targets: ${JSON.stringify(targets)}, deps: ${JSON.stringify(rule.deps)}, ` +
        `action: sh(${
          JSON.stringify(
            `${salt}cat ${deps} | wc -l | tr -d ' ' > ${targets[0]}; ` +
              `cat ${deps} | ${FILTERS[rule.filter]} > ${targets[1]}`,
          )
        }) });`;
    case "glob":
      return `rule({ targets: ${JSON.stringify(targets[0])}, deps: ${JSON.stringify(GLOB)}, ` +
        `action: sh(${
          JSON.stringify(`${salt}cat ${GLOB} | ${FILTERS[rule.filter]} > ${targets[0]}`)
        }) });`;
    case "fn":
      return `rule({ targets: ${JSON.stringify(targets[0])}, action: async (ctx) => {
  /* salt ${rule.salt} */
  let text = "";
  for (const dep of ${JSON.stringify(rule.deps)}) text += await ctx.readText(dep);
  await ctx.writeText(${JSON.stringify(targets[0])}, ${JS_FILTERS[rule.filter]});
} });`;
    case "fnsh":
      return `rule({ targets: ${JSON.stringify(targets[0])}, deps: ${JSON.stringify(rule.deps)}, ` +
        `action: async (ctx) => {
  /* salt ${rule.salt} */
  await ctx.sh("echo " + K${rule.constant} + " | cat - ${deps} | ${FILTERS[rule.filter]} > ${
          targets[0]
        }");
} });`;
    case "memo":
      return `rule({ targets: ${JSON.stringify(targets[0])}, deps: ${JSON.stringify(rule.deps)}, ` +
        `action: async (ctx) => {
  /* salt ${rule.salt} */
  let text = "";
  for (const dep of ${JSON.stringify(rule.deps)}) text += (await measure(dep)) + "\\n";
  await ctx.writeText(${JSON.stringify(targets[0])}, text);
} });`;
  }
}

/**
 * What decides whether a rule's action must execute: its text, and for a
 * rule using a constant or the memo function, what those are.
 */
function meaningOf(model: Model, rule: RuleDef): string {
  const source = ruleSource(rule);
  if (rule.kind === "fnsh") return `${source} with K = ${model.constants[rule.constant!]}`;
  if (rule.kind === "memo") return `${source} measuring ${MEMO_MEANING[model.memoBody]}`;
  return source;
}

/** The command a `fnsh` rule runs: what decides whether it starts. */
function commandOf(model: Model, rule: RuleDef): string {
  return `echo ${model.constants[rule.constant!]} | cat - ${rule.deps.join(" ")} | ${
    FILTERS[rule.filter]
  } > ${targetsOf(rule)[0]}`;
}

function buildTsOf(model: Model): string {
  return `import { memo, readText, rule, sh } from "${MOD}";
// comment ${model.comment}
${model.constants.map((value, i) => `const K${i} = ${JSON.stringify(value)};`).join("\n")}
${
    model.functions
      ? `const measure = memo("measure", async (path: string) => ${MEMO_BODIES[model.memoBody]});`
      : ""
  }
` + model.rules.map((r) => ruleSource(r) + "\n").join("");
}

const WORDS = ["sand", "Dune", "wind", "crest", "slip", "face", "horn", "Barchan"];

function randomLine(rnd: Random): string {
  return Array.from({ length: 1 + rnd.int(3) }, () => rnd.pick(WORDS)).join(" ");
}

function randomText(rnd: Random): string {
  return Array.from({ length: 1 + rnd.int(4) }, () => randomLine(rnd) + "\n").join("");
}

/** What a rule saw the last time its action ran. */
interface Seen {
  source: string;
  /** For a `fnsh` rule, the command it ran. */
  command?: string;
  reads: Map<string, string | undefined>;
  wrote: Map<string, string | undefined>;
}

class Model {
  rnd: Random;
  rules: RuleDef[] = [];
  sources: string[] = [];
  seen = new Map<string, Seen>();
  constants: string[] = ["alpha", "beta", "gamma"];
  memoBody = 0;
  comment = 0;
  #nextRule = 0;

  /** Whether rules may have function actions. */
  functions: boolean;

  constructor(rnd: Random, functions: boolean) {
    this.rnd = rnd;
    this.functions = functions;
  }

  newSource(): [string, string] {
    const path = `src/s${this.sources.length}.txt`;
    this.sources.push(path);
    return [path, randomText(this.rnd)];
  }

  addRule(): RuleDef {
    const kind = this.rnd.pick<Kind>(
      this.functions
        ? ["sh", "sh", "split", "split", "fn", "fnsh", "memo", "glob"]
        : ["sh", "sh", "split", "glob"],
    );
    const deps = new Set<string>();
    if (kind !== "glob") {
      const count = 1 + this.rnd.int(3);
      for (let i = 0; i < count; i++) {
        // Prefer recent rules, for deeper graphs.
        // Prefer the rarely changing first target of a two-target rule, to
        // see dependents of one target cut off while the other changes.
        const recent = this.rules.slice(-5);
        const targets = recent.length > 0 && this.rnd.chance(0.6)
          ? targetsOf(this.rnd.pick(recent))
          : undefined;
        deps.add(
          targets === undefined
            ? this.rnd.pick(this.sources)
            : this.rnd.chance(0.7)
            ? targets[0]
            : this.rnd.pick(targets),
        );
      }
    }
    const rule: RuleDef = {
      name: `r${this.#nextRule++}`,
      kind,
      deps: [...deps],
      filter: this.rnd.pick(Object.keys(kind === "fn" ? JS_FILTERS : FILTERS)),
      salt: 0,
      constant: kind === "fnsh" ? this.rnd.int(3) : undefined,
    };
    this.rules.push(rule);
    return rule;
  }

  /** The files a rule reads when the project's files are `files`. */
  readsOf(rule: RuleDef, files: Files): string[] {
    if (rule.kind !== "glob") return rule.deps;
    return Object.keys(files).filter((p) => /^src\/[^/]*\.txt$/.test(p)).sort();
  }

  /** The rules that fail now, and every rule depending on one of them. */
  blocked(): Set<string> {
    const blocked = new Set(this.rules.filter((r) => r.failing).map((r) => r.name));
    for (let grew = true; grew;) {
      grew = false;
      for (const r of this.rules) {
        if (blocked.has(r.name)) continue;
        const deps = r.kind === "glob" ? [] : r.deps;
        const from = this.rules.filter((p) => blocked.has(p.name)).flatMap(targetsOf);
        if (deps.some((d) => from.includes(d))) {
          blocked.add(r.name);
          grew = true;
        }
      }
    }
    return blocked;
  }

  hasDependents(rule: RuleDef): boolean {
    const targets = targetsOf(rule);
    return this.rules.some((r) => r.deps.some((d) => targets.includes(d)));
  }
}

/** Applies one to three random edits to the project; returns their descriptions. */
async function edit(model: Model, root: string): Promise<string[]> {
  const rnd = model.rnd;
  const done: string[] = [];
  const changedRules = new Set<string>();
  const edits = 1 + rnd.int(3);
  for (let e = 0; e < edits; e++) {
    const kind = rnd.pick([
      "content",
      "content",
      "content",
      "touch",
      "new-source",
      "command",
      "delete-target",
      "edit-target",
      "remove-rule",
      "add-rule",
      ...(model.functions
        ? ["constant", "comment", "memo-body", "move", "fail"]
        : ["move", "fail"]),
    ]);
    switch (kind) {
      case "content": {
        const path = rnd.pick(model.sources);
        const lines = (await Deno.readTextFile(join(root, path))).split("\n").filter(Boolean);
        const i = rnd.int(lines.length);
        const how = rnd.pick(["replace", "case", "append", "reverse"]);
        if (how === "replace") lines[i] = randomLine(rnd);
        else if (how === "case") {
          lines[i] = lines[i] === lines[i].toLowerCase()
            ? lines[i].toUpperCase()
            : lines[i].toLowerCase();
        } else if (how === "append") lines.push(randomLine(rnd));
        else lines.reverse();
        await Deno.writeTextFile(join(root, path), lines.map((l) => l + "\n").join(""));
        done.push(`${how} ${path}`);
        break;
      }
      case "touch": {
        const built = model.rules.filter((r) => model.seen.has(r.name) && !changedRules.has(r.name))
          .flatMap(targetsOf);
        const path = rnd.pick([...model.sources, ...built]);
        const later = new Date(Date.now() + 1000 + rnd.int(100_000));
        await Deno.utime(join(root, path), later, later);
        done.push(`touch ${path}`);
        break;
      }
      case "new-source": {
        if (model.sources.length >= SOURCES + 4) break;
        const [path, text] = model.newSource();
        await Deno.writeTextFile(join(root, path), text);
        done.push(`new source ${path}`);
        break;
      }
      case "command": {
        const rule = rnd.pick(model.rules);
        if (rnd.chance(0.5)) rule.salt++;
        else rule.filter = rnd.pick(Object.keys(rule.kind === "fn" ? JS_FILTERS : FILTERS));
        done.push(`definition of ${rule.name}: ${ruleSource(rule)}`);
        break;
      }
      case "delete-target":
      case "edit-target": {
        // Only targets barchan built: a file written where none was is the user's.
        const built = model.rules.filter((r) =>
          model.seen.has(r.name) && !changedRules.has(r.name)
        );
        if (built.length === 0) break;
        const rule = rnd.pick(built);
        const target = rnd.pick(targetsOf(rule));
        const path = join(root, target);
        if (kind === "delete-target") await Deno.remove(path);
        else await Deno.writeTextFile(path, "edited by hand\n", { append: true });
        changedRules.add(rule.name);
        done.push(`${kind} ${target}`);
        break;
      }
      case "remove-rule": {
        const leaves = model.rules.filter((r) =>
          !model.hasDependents(r) && !changedRules.has(r.name)
        );
        if (leaves.length === 0 || model.rules.length <= 5) break;
        const rule = rnd.pick(leaves);
        model.rules = model.rules.filter((r) => r !== rule);
        model.seen.delete(rule.name);
        done.push(`remove ${rule.name}`);
        break;
      }
      case "add-rule": {
        const rule = model.addRule();
        changedRules.add(rule.name);
        done.push(`add ${rule.name}: ${ruleSource(rule)}`);
        break;
      }
      case "constant": {
        const i = rnd.int(model.constants.length);
        model.constants[i] = rnd.pick(WORDS);
        done.push(`K${i} = ${model.constants[i]}`);
        break;
      }
      case "comment": {
        model.comment++;
        done.push(`comment ${model.comment}`);
        break;
      }
      case "memo-body": {
        model.memoBody = rnd.int(MEMO_BODIES.length);
        done.push(`measure = ${MEMO_BODIES[model.memoBody]}`);
        break;
      }
      case "move": {
        // A rule's targets move to a new rule, reordered (or behind a new
        // one), with another action: their dependents see new content.
        const movable = model.rules.filter((r) =>
          (r.kind === "sh" || r.kind === "split") && !r.failing && !changedRules.has(r.name)
        );
        if (movable.length === 0) break;
        const old = rnd.pick(movable);
        const name = `r${model.rules.length + 100 + rnd.int(1000)}`;
        const moved = targetsOf(old);
        const targets = moved.length === 2
          ? [moved[1], moved[0]]
          : [`out/${name}.new.txt`, moved[0]];
        const rule: RuleDef = { ...old, name, kind: "split", targets, salt: old.salt + 1 };
        model.rules = model.rules.map((r) => r === old ? rule : r);
        model.seen.delete(old.name);
        changedRules.add(name);
        done.push(`move ${moved.join(", ")} from ${old.name} to ${name}: ${ruleSource(rule)}`);
        break;
      }
      case "fail": {
        const candidates = model.rules.filter((r) =>
          (r.kind === "sh" || r.kind === "split") && model.seen.has(r.name) &&
          !changedRules.has(r.name)
        );
        if (candidates.length === 0 || model.rules.some((r) => r.failing)) break;
        const rule = rnd.pick(candidates);
        rule.failing = true;
        changedRules.add(rule.name);
        done.push(`fail ${rule.name}`);
        break;
      }
    }
  }
  const buildTs = buildTsOf(model);
  if (buildTs !== await Deno.readTextFile(join(root, "build.ts"))) {
    await writeFiles(root, { "build.ts": buildTs });
  }
  return done;
}

/**
 * Whether a rule's action must execute: it is new, its definition changed,
 * a file it reads now has other content than it saw (or it reads other
 * files), or a target is missing or not what it wrote.
 */
function mustExecute(model: Model, rule: RuleDef, before: Files, after: Files): boolean {
  const seen = model.seen.get(rule.name);
  const reads = model.readsOf(rule, after);
  return seen === undefined || seen.source !== meaningOf(model, rule) ||
    targetsOf(rule).some((t) => before[t] !== seen.wrote.get(t)) ||
    reads.length !== seen.reads.size ||
    reads.some((d) => !seen.reads.has(d) || after[d] !== seen.reads.get(d));
}

/**
 * The ids of the rules whose action must start, from what they saw and the
 * files before and after. A function action that writes its target itself
 * starts (is reported as run) only when what it writes differs, or its
 * target is not what it wrote; a rule depending on a failing one does not
 * start at all.
 */
function mustRun(model: Model, before: Files, after: Files): string[] {
  const out: string[] = [];
  const blocked = model.blocked();
  for (const rule of model.rules) {
    if (!mustExecute(model, rule, before, after)) continue;
    if (blocked.has(rule.name) && !rule.failing) continue;
    const seen = model.seen.get(rule.name);
    const reads = model.readsOf(rule, after);
    const runs = seen === undefined ||
      targetsOf(rule).some((t) => before[t] !== seen.wrote.get(t)) ||
      (WRITERS.includes(rule.kind)
        ? targetsOf(rule).some((t) => after[t] !== before[t])
        : rule.kind === "fnsh"
        // Its command's key: the command line and the files it may read.
        ? seen.command !== commandOf(model, rule) ||
          reads.some((d) => after[d] !== seen.reads.get(d))
        : true);
    if (runs) out.push(idOf(rule));
  }
  return out.sort();
}

/** Records what each rule that executed (and did not fail) saw. */
function remember(model: Model, before: Files, after: Files): void {
  const blocked = model.blocked();
  for (const rule of model.rules) {
    if (blocked.has(rule.name) || !mustExecute(model, rule, before, after)) continue;
    model.seen.set(rule.name, {
      source: meaningOf(model, rule),
      command: rule.kind === "fnsh" ? commandOf(model, rule) : undefined,
      reads: new Map(model.readsOf(rule, after).map((d) => [d, after[d]])),
      wrote: new Map(targetsOf(rule).map((t) => [t, after[t]])),
    });
  }
}

/** Builds a copy of the project's build.ts and sources from scratch; returns its files. */
async function cleanBuild(root: string): Promise<Files> {
  const copy = await Deno.makeTempDir({ prefix: "barchan_property_clean_" });
  try {
    await writeFiles(copy, await snapshot(root, ["_build", "out"]));
    await withOwnCache(() => buildOk(copy));
    return await snapshot(copy);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
}

async function checkSeed(seed: number, functions: boolean): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: `barchan_property_${seed}_` });
  try {
    const model = new Model(new Random(seed), functions);
    const files: Files = {};
    for (let i = 0; i < SOURCES; i++) {
      const [path, text] = model.newSource();
      files[path] = text;
    }
    for (let i = 0; i < RULES; i++) model.addRule();
    await writeFiles(root, { ...files, "build.ts": buildTsOf(model) });
    let history: string[] = ["initial build"];
    for (let round = 0; round <= ROUNDS; round++) {
      if (round > 0) {
        // A rule that failed last round is restored (to its definition
        // before), among this round's edits.
        const restored = model.rules.filter((r) => r.failing);
        for (const r of restored) r.failing = false;
        history = await edit(model, root);
        if (restored.length > 0) {
          history.push(`restore ${restored.map((r) => r.name).join(", ")}`);
          await writeFiles(root, { "build.ts": buildTsOf(model) });
        }
      }
      const where = `seed ${seed}, round ${round} after ${history.join("; ")}`;
      const before = await snapshot(root);
      const upToDate = recordSaysUpToDate(root);
      const result = await buildIn(root);
      const failing = model.rules.filter((r) => r.failing).map(idOf);
      assert.deepEqual(
        result.failed.map((f) => f.rule).sort(),
        failing,
        `${result.failed.map((f) => f.message).join("\n")} (${where})`,
      );
      const after = await snapshot(root);

      const started = result.started.map((e) => e.rule).sort();
      assert.deepEqual(started, [...new Set(started)], `an action ran twice (${where})`);
      assert.deepEqual(result.ranIds, started, `ran and started differ (${where})`);
      assert.deepEqual(started, mustRun(model, before, after), `wrong actions ran (${where})`);
      if (upToDate) assert.deepEqual(started, [], `the checkpoint was wrong (${where})`);
      remember(model, before, after);
      if (failing.length > 0) continue;
      // The build left a checkpoint that holds right away.
      assert.ok(
        recordSaysUpToDate(root),
        `the checkpoint does not hold after the build (${where})`,
      );
      assert.deepEqual(after, await cleanBuild(root), `not what a clean build gives (${where})`);
    }
    if (model.rules.some((r) => r.failing)) {
      for (const r of model.rules) r.failing = false;
      await writeFiles(root, { "build.ts": buildTsOf(model) });
      await buildOk(root);
    }
    const last = await buildOk(root);
    assert.deepEqual(last.ran, [], `a final build ran something (seed ${seed})`);
    assert.ok(
      recordSaysUpToDate(root),
      `no checkpoint after a build with nothing to do (seed ${seed})`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const only = Deno.env.get("BARCHAN_SEED");
for (const [seed, functions] of SEEDS) {
  if (only !== undefined && Number(only) !== seed) continue;
  Deno.test(`incremental builds of a random rule graph equal clean builds and run the minimal set (seed ${seed})`, async () => {
    await checkSeed(seed, functions);
  });
}
