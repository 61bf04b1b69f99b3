// Random DAGs of memo calls over vars and files, changed at random over many
// rounds. After every round the results must equal a from-scratch evaluation,
// and the bodies executed must be exactly the minimal set: the nodes one of
// whose dependencies (as recorded by the previous evaluation) changed value,
// where a node's value counts as changed only when its new value differs
// (early cutoff).

import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine, memo, readText, Var } from "../../memo/mod.ts";
import { withTempDir } from "./_util.ts";
import { prng } from "../_prng.ts";

const VARS = 5;
const FILES = 5;
const TRIALS = 8;
const ROUNDS = 25;
const SEED = 0x5eed;

/** Even-numbered vars ignore a set to an equal value; odd ones count every set. */
const vars = Array.from(
  { length: VARS },
  (_, i) => new Var<number>(`propVar${i}`, 0, i % 2 === 0 ? { cutoff: (a, b) => a === b } : {}),
);

/** What one node of the DAG reads, and how it combines it. */
interface NodeSpec {
  vars: number[];
  files: number[];
  /** Nodes with a higher id, read in order. */
  kids: number[];
  /** `seq`: each kid in turn; `par`: all at once; `cond`: kids[0], then kids[1] or kids[2]. */
  mode: "seq" | "par" | "cond";
  mod: number;
  salt: number;
}

/** The DAG of the current trial; the memo function reads its shape from here. */
let dag: NodeSpec[] = [];
/** Node ids whose body executed, in order. */
const executedLog: number[] = [];

const propNode = memo("propNode", async (id: number): Promise<number> => {
  executedLog.push(id);
  const spec = dag[id];
  let acc = spec.salt;
  for (const v of spec.vars) acc += vars[v].get() * (v + 1);
  for (const f of spec.files) acc += Number(await readText(`f${f}.txt`)) * (f + 2);
  if (spec.mode === "cond") {
    const first = await propNode(spec.kids[0]);
    acc += first + 2 * await propNode(first % 2 === 0 ? spec.kids[1] : spec.kids[2]);
  } else if (spec.mode === "par") {
    const values = await Promise.all(spec.kids.map((k) => propNode(k)));
    for (const [i, v] of values.entries()) acc += v * (i + 1);
  } else {
    for (const [i, k] of spec.kids.entries()) acc += (await propNode(k)) * (i + 1);
  }
  return acc % spec.mod;
});

// ---- the model: a plain evaluation that also lists what each node reads ----

interface Inputs {
  vars: number[];
  files: number[];
}

interface Evaluation {
  values: number[];
  /** Per node, what it read: `v3`, `f1`, `n7`. */
  deps: string[][];
}

function evaluate(shape: NodeSpec[], inputs: Inputs): Evaluation {
  const values: number[] = [];
  const deps: string[][] = [];
  const node = (id: number): number => {
    if (values[id] !== undefined) return values[id];
    const spec = shape[id];
    const read: string[] = [];
    const kid = (k: number) => {
      read.push(`n${k}`);
      return node(k);
    };
    let acc = spec.salt;
    for (const v of spec.vars) {
      read.push(`v${v}`);
      acc += inputs.vars[v] * (v + 1);
    }
    for (const f of spec.files) {
      read.push(`f${f}`);
      acc += inputs.files[f] * (f + 2);
    }
    if (spec.mode === "cond") {
      const first = kid(spec.kids[0]);
      acc += first + 2 * kid(first % 2 === 0 ? spec.kids[1] : spec.kids[2]);
    } else {
      for (const [i, k] of spec.kids.entries()) acc += kid(k) * (i + 1);
    }
    deps[id] = read;
    return values[id] = acc % spec.mod;
  };
  for (let id = 0; id < shape.length; id++) node(id);
  return { values, deps };
}

/** The nodes that must execute: those with a recorded dependency whose value changed. */
function minimalSet(before: Evaluation, after: Evaluation, changedLeaves: Set<string>): number[] {
  const changed = (dep: string) => {
    if (dep[0] !== "n") return changedLeaves.has(dep);
    const id = Number(dep.slice(1));
    return before.values[id] !== after.values[id];
  };
  const out: number[] = [];
  for (const [id, deps] of before.deps.entries()) if (deps.some(changed)) out.push(id);
  return out;
}

function randomDag(random: () => number): NodeSpec[] {
  const int = (n: number) => Math.floor(random() * n);
  const pickDistinct = (count: number, from: number, to: number) => {
    const set = new Set<number>();
    while (set.size < Math.min(count, to - from)) set.add(from + int(to - from));
    return [...set];
  };
  const size = 12 + int(29);
  const shape: NodeSpec[] = [];
  for (let id = 0; id < size; id++) {
    const available = size - id - 1;
    const kids = available === 0 || random() < 0.15 ? [] : pickDistinct(1 + int(3), id + 1, size);
    const leafy = kids.length === 0;
    const nVars = leafy ? int(3) : random() < 0.3 ? 1 : 0;
    const nFiles = leafy ? (nVars === 0 ? 1 + int(2) : int(2)) : random() < 0.2 ? 1 : 0;
    shape.push({
      vars: pickDistinct(nVars, 0, VARS),
      files: pickDistinct(nFiles, 0, FILES),
      kids,
      mode: kids.length === 3 && random() < 0.5 ? "cond" : random() < 0.5 ? "par" : "seq",
      mod: [2, 3, 5, 7, 1000][int(5)],
      salt: int(10),
    });
  }
  return shape;
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

Deno.test("random DAGs under random changes: results match a fresh evaluation and exactly the minimal bodies execute", async () => {
  let rounds = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const random = prng(SEED + trial);
    const int = (n: number) => Math.floor(random() * n);
    await withTempDir(async (root) => {
      const store = join(root, ".store");
      dag = randomDag(random);
      const inputs: Inputs = {
        vars: vars.map(() => int(4)),
        files: Array.from({ length: FILES }, () => int(4)),
      };
      for (const [i, v] of vars.entries()) v.set(inputs.vars[i]);
      for (const [f, n] of inputs.files.entries()) {
        await Deno.writeTextFile(join(root, `f${f}.txt`), String(n));
      }
      let engine = new Engine({ root, dir: store });
      let before: Evaluation | undefined;
      try {
        for (let round = 0; round < ROUNDS; round++, rounds++) {
          const where = `seed ${SEED + trial}, trial ${trial}, round ${round}`;
          const changedLeaves = new Set<string>();
          const previous: Inputs = { vars: [...inputs.vars], files: [...inputs.files] };
          const reopen = round > 0 && random() < 0.15;
          const written: string[] = [];
          for (const target of shuffled([...Array(VARS + FILES).keys()], random).slice(0, int(4))) {
            const value = int(4);
            if (target < VARS) {
              // Without a cutoff every set is a change, within one engine.
              const hasCutoff = target % 2 === 0;
              if (value !== inputs.vars[target] || (!hasCutoff && !reopen)) {
                changedLeaves.add(`v${target}`);
              }
              inputs.vars[target] = value;
              vars[target].set(value);
            } else {
              const f = target - VARS;
              if (value !== inputs.files[f]) changedLeaves.add(`f${f}`);
              inputs.files[f] = value;
              await Deno.writeTextFile(join(root, `f${f}.txt`), String(value));
              written.push(`f${f}.txt`);
            }
          }
          if (reopen) {
            // A new engine compares what it loads with the values now.
            for (const [i, v] of inputs.vars.entries()) {
              if (v === previous.vars[i]) changedLeaves.delete(`v${i}`);
            }
            engine.close();
            engine = new Engine({ root, dir: store });
          } else if (written.length > 0 || random() < 0.2) {
            if (random() < 0.5) engine.invalidatePaths(written, "written by the test");
            else engine.invalidateAll("test");
          }

          const after = evaluate(dag, inputs);
          const expected = before === undefined
            ? dag.map((_, id) => id)
            : minimalSet(before, after, changedLeaves);
          executedLog.length = 0;
          // All nodes are demanded, in a random order: all at once, one after
          // the other (so that checks meet nodes already recomputed in this
          // run), or in a few concurrent batches.
          const order = shuffled(dag.map((_, id) => id), random);
          const batch = [order.length, 1, 1 + int(6)][int(3)];
          const results = await engine.run(async () => {
            const out: number[] = [];
            for (let i = 0; i < order.length; i += batch) {
              out.push(...await Promise.all(order.slice(i, i + batch).map((id) => propNode(id))));
            }
            return out;
          });

          assert.deepEqual(
            results,
            order.map((id) => after.values[id]),
            `${where}: results differ from a fresh evaluation`,
          );
          assert.equal(
            new Set(executedLog).size,
            executedLog.length,
            `${where}: a body executed twice: ${executedLog}`,
          );
          assert.deepEqual(
            [...executedLog].sort((a, b) => a - b),
            expected,
            `${where}: executed bodies are not the minimal set ` +
              `(changed: ${[...changedLeaves]}${reopen ? ", after reopening the store" : ""})`,
          );
          before = after;
        }
      } finally {
        engine.close();
      }
    });
  }
  assert.equal(rounds, TRIALS * ROUNDS);
});
