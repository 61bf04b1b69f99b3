// The memo engine on a 100k-node DAG, against plain async functions doing the
// same sums. The DAG has 100 layers of 1000 nodes; a node of layer k > 0 sums
// two or three neighbouring nodes of layer k - 1, and a node of layer 0 reads
// its own var. One root reads the top layer.
//
// Goals: first evaluation within 2 µs per node of the plain functions;
// revalidating 100k unchanged nodes under 100 ms; a one-leaf change costing
// the revalidation plus the affected nodes only; opening the store of 100k
// nodes and evaluating unchanged under 150 ms.
//
// Also the "context" group: what entering an AsyncLocalStorage context and
// awaiting inside it costs over a plain async call, since every memo
// execution does it.

import { AsyncLocalStorage } from "node:async_hooks";
import { Engine, memo, Var } from "../memo/mod.ts";

const WIDTH = 1000;
const LAYERS = 100;
const NODES = WIDTH * LAYERS;
const MOD = 1_000_003;

/** The nodes a node sums: neighbours in the layer below. */
const kids: number[][] = [];
for (let id = 0; id < NODES; id++) {
  const layer = Math.floor(id / WIDTH);
  const i = id % WIDTH;
  if (layer === 0) kids.push([]);
  else {
    const below = (layer - 1) * WIDTH;
    const row = [below + i, below + (i + 1) % WIDTH];
    if (i % 2 === 0) row.push(below + (i + 2) % WIDTH);
    kids.push(row);
  }
}
const top = kids.slice(NODES - WIDTH).map((_, j) => NODES - WIDTH + j);

const leaves = Array.from({ length: WIDTH }, (_, i) => new Var(`benchLeaf${i}`, i));
const unread = new Var("benchUnread", 0);

const node = memo("benchNode", async (id: number): Promise<number> => {
  const row = kids[id];
  if (row.length === 0) return leaves[id].get() % MOD;
  let sum = 0;
  for (const k of row) sum += await node(k);
  return sum % MOD;
});

const root = memo("benchRoot", async (_: null): Promise<number> => {
  let sum = 0;
  for (const id of top) sum += await node(id);
  return sum % MOD;
});

// ---- the baseline: the same sums with plain async functions ----

async function plainNode(id: number, done: (number | undefined)[]): Promise<number> {
  const known = done[id];
  if (known !== undefined) return known;
  const row = kids[id];
  let sum = 0;
  if (row.length === 0) sum = leaves[id].get();
  else for (const k of row) sum += await plainNode(k, done);
  return done[id] = sum % MOD;
}

async function plainRoot(): Promise<number> {
  const done: (number | undefined)[] = new Array(NODES);
  let sum = 0;
  for (const id of top) sum += await plainNode(id, done);
  return sum % MOD;
}

function evaluate(engine: Engine): Promise<number> {
  return engine.run(() => root(null));
}

function check(a: number, b: number): void {
  if (a !== b) throw new Error(`memo and plain evaluation differ: ${a} and ${b}`);
}

// ---- first evaluation ----

Deno.bench({
  group: "first evaluation, 100k nodes",
  name: "plain async functions",
  baseline: true,
  n: 20,
  async fn() {
    await plainRoot();
  },
});

Deno.bench({
  group: "first evaluation, 100k nodes",
  name: "memo, new engine",
  n: 20,
  async fn() {
    await evaluate(new Engine());
  },
});

// ---- revalidation with nothing changed ----

let warm: Engine | undefined;
async function warmEngine(): Promise<Engine> {
  if (warm === undefined) {
    warm = new Engine();
    check(await evaluate(warm), await plainRoot());
  }
  return warm;
}

Deno.bench({
  group: "revalidation, nothing changed",
  name: "plain async functions (full evaluation)",
  baseline: true,
  n: 20,
  async fn() {
    await plainRoot();
  },
});

Deno.bench({
  group: "revalidation, nothing changed",
  name: "memo, invalidateAll() then evaluate",
  n: 20,
  async fn(b) {
    const engine = await warmEngine();
    b.start();
    engine.invalidateAll();
    await evaluate(engine);
    b.end();
  },
});

Deno.bench({
  group: "revalidation, nothing changed",
  name: "memo, set a var nothing reads then evaluate",
  n: 20,
  async fn(b) {
    const engine = await warmEngine();
    b.start();
    unread.set(unread.get() + 1);
    await evaluate(engine);
    b.end();
  },
});

// ---- one leaf changed ----

let leafEngine: Engine | undefined;
async function leafChangedEngine(): Promise<Engine> {
  if (leafEngine === undefined) {
    leafEngine = new Engine();
    await evaluate(leafEngine);
  }
  return leafEngine;
}

/** Bodies executed for the last change, to report how many nodes it affected. */
const affected = new Map<string, number>();

function executedIn(engine: Engine): number {
  return [...engine.stats().values()].reduce((n, s) => n + s.executed, 0);
}

Deno.bench({
  group: "one leaf changed",
  name: "plain async functions (full evaluation)",
  baseline: true,
  n: 20,
  async fn() {
    await plainRoot();
  },
});

Deno.bench({
  group: "one leaf changed",
  name: "memo, leaf 500 changed (its cone of ~10k nodes re-executes)",
  n: 20,
  async fn(b) {
    const engine = await leafChangedEngine();
    const before = executedIn(engine);
    b.start();
    leaves[500].set(leaves[500].get() + 1);
    await evaluate(engine);
    b.end();
    affected.set("cone", executedIn(engine) - before);
  },
});

Deno.bench({
  group: "one leaf changed",
  name: "memo, leaf 501 changed, cut off at once (1 node re-executes)",
  n: 20,
  async fn(b) {
    const engine = await leafChangedEngine();
    const before = executedIn(engine);
    b.start();
    leaves[501].set(leaves[501].get() + MOD); // same value modulo MOD
    await evaluate(engine);
    b.end();
    affected.set("cutoff", executedIn(engine) - before);
  },
});

// ---- loading the store in a new engine ----

let storeDir: string | undefined;
async function savedStore(): Promise<string> {
  if (storeDir === undefined) {
    storeDir = await Deno.makeTempDir({ prefix: "barchan_memo_bench_" });
    const engine = new Engine({ dir: storeDir });
    await evaluate(engine);
    engine.close();
    globalThis.addEventListener("unload", () => Deno.removeSync(storeDir!, { recursive: true }));
  }
  return storeDir;
}

Deno.bench({
  group: "load the store, nothing changed",
  name: "plain async functions (full evaluation)",
  baseline: true,
  n: 20,
  async fn() {
    await plainRoot();
  },
});

Deno.bench({
  group: "load the store, nothing changed",
  name: "memo, new Engine({ dir }), evaluate, close",
  n: 20,
  async fn(b) {
    const dir = await savedStore();
    b.start();
    const engine = new Engine({ dir });
    await evaluate(engine);
    engine.close();
    b.end();
    if (executedIn(engine) !== 0) throw new Error("a body executed after loading the store");
  },
});

// ---- the context every execution enters ----

const CALLS = 1000;
const storage = new AsyncLocalStorage<{ depth: number }>();
const context = { depth: 1 };

async function work(n: number): Promise<number> {
  await null;
  return n + 1;
}

function inContext(n: number): Promise<number> {
  return storage.run(context, work, n);
}

Deno.bench({
  group: "context, 1000 calls",
  name: "plain async call + await",
  baseline: true,
  async fn() {
    let sum = 0;
    for (let i = 0; i < CALLS; i++) sum += await work(i);
    if (sum === 0) throw new Error("unreachable");
  },
});

Deno.bench({
  group: "context, 1000 calls",
  name: "AsyncLocalStorage run() + await",
  async fn() {
    let sum = 0;
    for (let i = 0; i < CALLS; i++) sum += await inContext(i);
    if (sum === 0) throw new Error("unreachable");
  },
});

Deno.bench({
  group: "context, 1000 calls",
  name: "AsyncLocalStorage getStore()",
  fn() {
    let depth = 0;
    storage.run(context, () => {
      for (let i = 0; i < CALLS; i++) depth += storage.getStore()!.depth;
    });
    if (depth !== CALLS) throw new Error("unreachable");
  },
});

globalThis.addEventListener("unload", () => {
  if (affected.size > 0) {
    console.log(
      `nodes: ${NODES + 1}; bodies executed per change: leaf 500 ${affected.get("cone")}, ` +
        `leaf 501 (cut off) ${affected.get("cutoff")}`,
    );
  }
});
