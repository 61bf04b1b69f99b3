// Random rule graphs under random edits: after every edit, the incremental
// build leaves exactly the files a build from scratch leaves, and runs
// exactly the actions whose inputs changed, each once.
//
// Rules are of four kinds: a shell pipeline over its deps; a shell rule
// with two targets (one of which rarely changes); a function action reading
// its deps with ctx.readText (dependencies found while running); and a
// pipeline over a glob of the sources. Edits change, touch or add sources,
// change commands, delete or hand-edit targets, and remove or add rules.
//
// The test keeps its own record of what each rule saw when it last ran (its
// definition, the content of each file it read, what it wrote) and derives
// from file contents alone which rules must run: a rule runs iff it is new,
// its definition changed, a file it reads now has other content than it saw
// (or it reads other files), or a target is missing or not what it wrote.
//
// BARCHAN_SEED=n runs one seed only, to reproduce a failure.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  buildIn,
  buildOk,
  type Files,
  IMPORT,
  recordSaysUpToDate,
  snapshot,
  writeFiles,
} from "../_util.ts";
import { prng } from "../../_prng.ts";

const SOURCES = 6;
const RULES = 15;
const ROUNDS = 25;
/** Seeds, and whether their graphs have function actions (which keep the rule cache unused). */
const SEEDS: [number, boolean][] = [
  [2, true],
  [5, true],
  [7, false],
  [11, false],
  [13, false],
  [17, false],
  [29, false],
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

type Kind = "sh" | "split" | "fn" | "glob";

interface RuleDef {
  name: string;
  kind: Kind;
  /** What it reads: paths, or for a glob rule nothing (it reads the matching sources). */
  deps: string[];
  filter: string;
  salt: number;
}

const GLOB = "src/*.txt";

function targetsOf(rule: RuleDef): string[] {
  return rule.kind === "split"
    ? [`out/${rule.name}.count.txt`, `out/${rule.name}.text.txt`]
    : [`out/${rule.name}.txt`];
}

function idOf(rule: RuleDef): string {
  return targetsOf(rule)[0];
}

function ruleSource(rule: RuleDef): string {
  const targets = targetsOf(rule);
  const salt = rule.salt === 0 ? "" : `: salt ${rule.salt}; `;
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
  }
}

function buildTsOf(rules: RuleDef[]): string {
  return IMPORT + rules.map((r) => ruleSource(r) + "\n").join("");
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
  reads: Map<string, string | undefined>;
  wrote: Map<string, string | undefined>;
}

class Model {
  rnd: Random;
  rules: RuleDef[] = [];
  sources: string[] = [];
  seen = new Map<string, Seen>();
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
      this.functions ? ["sh", "sh", "split", "split", "fn", "glob"] : ["sh", "sh", "split", "glob"],
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
    };
    this.rules.push(rule);
    return rule;
  }

  /** The files a rule reads when the project's files are `files`. */
  readsOf(rule: RuleDef, files: Files): string[] {
    if (rule.kind !== "glob") return rule.deps;
    return Object.keys(files).filter((p) => /^src\/[^/]*\.txt$/.test(p)).sort();
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
    }
  }
  const buildTs = buildTsOf(model.rules);
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
  return seen === undefined || seen.source !== ruleSource(rule) ||
    targetsOf(rule).some((t) => before[t] !== seen.wrote.get(t)) ||
    reads.length !== seen.reads.size ||
    reads.some((d) => !seen.reads.has(d) || after[d] !== seen.reads.get(d));
}

/**
 * The ids of the rules whose action must start, from what they saw and the
 * files before and after. A function action executes again whenever
 * build.ts changes, and starts (is reported as run) only when a step
 * differs from its last run's: here, when what it writes differs, or its
 * target is not what it wrote.
 */
function mustRun(model: Model, before: Files, after: Files): string[] {
  const out: string[] = [];
  for (const rule of model.rules) {
    if (!mustExecute(model, rule, before, after)) continue;
    const seen = model.seen.get(rule.name);
    const runs = rule.kind !== "fn" || seen === undefined ||
      targetsOf(rule).some((t) => before[t] !== seen.wrote.get(t) || after[t] !== before[t]);
    if (runs) out.push(idOf(rule));
  }
  return out.sort();
}

/** Records what each rule that executed saw. */
function remember(model: Model, before: Files, after: Files): void {
  for (const rule of model.rules) {
    if (!mustExecute(model, rule, before, after)) continue;
    model.seen.set(rule.name, {
      source: ruleSource(rule),
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
    await buildOk(copy);
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
    await writeFiles(root, { ...files, "build.ts": buildTsOf(model.rules) });
    let history: string[] = ["initial build"];
    for (let round = 0; round <= ROUNDS; round++) {
      if (round > 0) history = await edit(model, root);
      const where = `seed ${seed}, round ${round} after ${history.join("; ")}`;
      const before = await snapshot(root);
      const upToDate = recordSaysUpToDate(root);
      const result = await buildIn(root);
      assert.ok(result.ok, `${result.failed.map((f) => f.message).join("\n")} (${where})`);
      const after = await snapshot(root);

      const started = result.started.map((e) => e.rule).sort();
      assert.deepEqual(started, [...new Set(started)], `an action ran twice (${where})`);
      assert.deepEqual(result.ranIds, started, `ran and started differ (${where})`);
      assert.deepEqual(started, mustRun(model, before, after), `wrong actions ran (${where})`);
      if (upToDate) assert.deepEqual(started, [], `the checkpoint was wrong (${where})`);
      // The build left a checkpoint that holds right away.
      assert.ok(
        recordSaysUpToDate(root),
        `the checkpoint does not hold after the build (${where})`,
      );
      assert.deepEqual(after, await cleanBuild(root), `not what a clean build gives (${where})`);
      remember(model, before, after);
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
