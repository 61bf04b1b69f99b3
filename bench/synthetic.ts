/**
 * Generates a synthetic build graph three times over: as a barchan
 * `build.ts`, a `build.ninja` and a `Makefile`, each in its own copy of the
 * source tree (`barchan/`, `ninja/`, `make/` under the output directory), so
 * that the three tools never share outputs.
 *
 * Shapes:
 * - `graph`: N sources `src/dK/fI.c` (100 per directory), one `cp` rule per
 *   source to `out/dK/fI.o`, one `cat` rule per directory to `out/dK/lib.a`,
 *   and `out/all` concatenating every `lib.a`.
 * - `chain`: one source copied N times in a row (`out/chain/s0` ...), the
 *   last copy being `out/all`: N + 1 rules, each depending on the previous.
 * - `fanin`: N sources concatenated by one rule into `out/all`; the command
 *   reads the file list from `src/all.list` with `xargs`, so its command line
 *   stays short whatever N is.
 *
 * In every shape `out/all` is the concatenation of {@linkcode Synthetic.sources}
 * in order, which is how a benchmark checks a build. With `sleepMs`, every
 * command first sleeps that long (`sleep 0.05 && cp ...`), standing for work
 * that takes time, as compiles do (bench/remote.ts).
 *
 * ```sh
 * deno run -A bench/synthetic.ts --n 1000 --out bench/_work/graph-1000 [--shape graph|chain|fanin] [--sleep-ms 50]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";

/**
 * The build tools a synthetic tree is generated for. `session` is barchan
 * again, its builds sent to a watch session (`barchan build -w`) running in
 * its own tree.
 */
export const TOOLS = ["barchan", "session", "ninja", "make"] as const;

/** One of {@linkcode TOOLS}. */
export type Tool = typeof TOOLS[number];

/** The shapes of graph {@linkcode generate} knows. */
export const SHAPES = ["graph", "chain", "fanin"] as const;

/** One of {@linkcode SHAPES}. */
export type Shape = typeof SHAPES[number];

/** Sources per directory in the `graph` and `fanin` shapes. */
export const PER_DIR = 100;

/** Options of {@linkcode generate}. */
export interface SyntheticOptions {
  /**
   * The shape of the graph.
   * @default "graph"
   */
  shape?: Shape;
  /**
   * Sources (`graph`, `fanin`) or chain length (`chain`).
   * @default 1000 for graph, 5000 for chain, 10000 for fanin
   */
  n?: number;
  /**
   * The URL the generated build.ts imports barchan from.
   * @default this repository's mod.ts
   */
  mod?: string;
  /**
   * How long every command sleeps before its work, in milliseconds.
   * @default 0
   */
  sleepMs?: number;
}

/** A generated set of trees. */
export interface Synthetic {
  /** The shape generated. */
  shape: Shape;
  /** Its size parameter. */
  n: number;
  /** The directory holding the three trees. */
  dir: string;
  /** The tree of each tool (absolute paths). */
  trees: Record<Tool, string>;
  /** Sources whose concatenation, in this order, is `out/all`. */
  sources: string[];
  /** Initial content of every source. */
  contents: Map<string, string>;
  /** How many rules the graph has (ninja's and barchan's count). */
  rules: number;
  /** A source in the middle of the graph, for edit and touch measurements. */
  probe: string;
  /** How many rules an edit of {@linkcode probe} reruns. */
  probeRules: number;
}

/** The file every shape builds last. */
export const FINAL = "out/all";

interface Graph {
  sources: string[];
  /** Rules in dependency order: the last one writes {@linkcode FINAL}. */
  rules: GraphRule[];
  probe: string;
  probeRules: number;
  /** Extra source files (not part of the concatenation). */
  extra: Map<string, string>;
}

interface GraphRule {
  kind: "cp" | "cat" | "xcat";
  target: string;
  inputs: string[];
  /** For `xcat`: the file listing the inputs. */
  list?: string;
}

function sourceContent(path: string): string {
  const name = path.replace(/^src\//, "").replace(/\.c$/, "").replace(/\//g, "_");
  return `/* ${path} */\nint ${name}(void) { return ${name.length}; }\n`;
}

function sourceGrid(n: number): { dirs: string[][]; sources: string[] } {
  const dirs: string[][] = [];
  const sources: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = Math.floor(i / PER_DIR);
    const path = `src/d${d}/f${i % PER_DIR}.c`;
    (dirs[d] ??= []).push(path);
    sources.push(path);
  }
  return { dirs, sources };
}

function graphShape(n: number): Graph {
  const { dirs, sources } = sourceGrid(n);
  const rules: GraphRule[] = [];
  const libs: string[] = [];
  dirs.forEach((files, d) => {
    const objects = files.map((f) => f.replace(/^src\//, "out/").replace(/\.c$/, ".o"));
    files.forEach((f, i) => rules.push({ kind: "cp", target: objects[i], inputs: [f] }));
    const lib = `out/d${d}/lib.a`;
    rules.push({ kind: "cat", target: lib, inputs: objects });
    libs.push(lib);
  });
  rules.push({ kind: "cat", target: FINAL, inputs: libs });
  return { sources, rules, probe: sources[Math.floor(n / 2)], probeRules: 3, extra: new Map() };
}

function chainShape(n: number): Graph {
  const source = "src/chain.c";
  const rules: GraphRule[] = [];
  let previous = source;
  for (let i = 0; i < n; i++) {
    const target = `out/chain/s${i}`;
    rules.push({ kind: "cp", target, inputs: [previous] });
    previous = target;
  }
  rules.push({ kind: "cp", target: FINAL, inputs: [previous] });
  return {
    sources: [source],
    rules,
    probe: source,
    probeRules: n + 1,
    extra: new Map(),
  };
}

function faninShape(n: number): Graph {
  const { sources } = sourceGrid(n);
  const list = "src/all.list";
  return {
    sources,
    rules: [{ kind: "xcat", target: FINAL, inputs: sources, list }],
    probe: sources[Math.floor(n / 2)],
    probeRules: 1,
    extra: new Map([[list, sources.join("\n") + "\n"]]),
  };
}

/** `sleep S && ` for a sleep of `ms`, or nothing. */
function sleepPrefix(ms: number): string {
  return ms > 0 ? `sleep ${ms / 1000} && ` : "";
}

function shellCommand(rule: GraphRule): string {
  switch (rule.kind) {
    case "cp":
      return `cp ${rule.inputs[0]} ${rule.target}`;
    case "cat":
      return `cat ${rule.inputs.join(" ")} > ${rule.target}`;
    case "xcat":
      return `xargs cat < ${rule.list} > ${rule.target}`;
  }
}

function barchanFile(graph: Graph, header: string, mod: string, sleepMs: number): string {
  const lines = [
    `// ${header}`,
    `import { alias, rule, run, sh } from ${JSON.stringify(mod)};`,
    "",
  ];
  const q = (s: string) => JSON.stringify(s);
  for (const r of graph.rules) {
    const deps = r.list === undefined ? r.inputs : [...r.inputs, r.list];
    const action = r.kind === "cp" && sleepMs === 0
      ? `run("cp", ${q(r.inputs[0])}, ${q(r.target)})`
      : `sh(${q(sleepPrefix(sleepMs) + shellCommand(r))})`;
    lines.push(
      `rule({ targets: ${q(r.target)}, deps: [${deps.map(q).join(", ")}], action: ${action} });`,
    );
  }
  lines.push(`alias("default", [${q(FINAL)}]);`, "");
  return lines.join("\n");
}

function ninjaFile(graph: Graph, header: string, sleepMs: number): string {
  const sleep = sleepPrefix(sleepMs);
  const lines = [
    `# ${header}`,
    "ninja_required_version = 1.3",
    "",
    "rule cp",
    `  command = ${sleep}cp $in $out`,
    "rule cat",
    `  command = ${sleep}cat $in > $out`,
    "rule xcat",
    `  command = ${sleep}xargs cat < $list > $out`,
    "",
  ];
  for (const r of graph.rules) {
    if (r.kind === "xcat") {
      lines.push(`build ${r.target}: xcat ${r.inputs.join(" ")} | ${r.list}`, `  list = ${r.list}`);
    } else {
      lines.push(`build ${r.target}: ${r.kind} ${r.inputs.join(" ")}`);
    }
  }
  lines.push("", `default ${FINAL}`, "");
  return lines.join("\n");
}

function makeFile(graph: Graph, header: string, sleepMs: number): string {
  const sleep = sleepPrefix(sleepMs);
  // Output directories are order-only prerequisites, the usual make idiom;
  // ninja and barchan create them themselves.
  const lines = [
    `# ${header}`,
    "MAKEFLAGS += --no-builtin-rules",
    ".SUFFIXES:",
    `.DEFAULT_GOAL := ${FINAL}`,
    "",
  ];
  const dirs = new Set<string>();
  for (const r of graph.rules) {
    const dir = dirname(r.target);
    dirs.add(dir);
    const extra = r.list === undefined ? "" : ` ${r.list}`;
    lines.push(`${r.target}: ${r.inputs.join(" ")}${extra} | ${dir}`);
    switch (r.kind) {
      case "cp":
        lines.push(`\t${sleep}cp $< $@`);
        break;
      case "cat":
        lines.push(`\t${sleep}cat $^ > $@`);
        break;
      case "xcat":
        lines.push(`\t${sleep}xargs cat < ${r.list} > $@`);
    }
  }
  lines.push("");
  for (const dir of dirs) lines.push(`${dir}:`, "\tmkdir -p $@");
  lines.push("");
  return lines.join("\n");
}

function shapeOf(shape: Shape, n: number): Graph {
  switch (shape) {
    case "graph":
      return graphShape(n);
    case "chain":
      return chainShape(n);
    case "fanin":
      return faninShape(n);
  }
}

/**
 * The default size of a shape.
 * @param shape The shape.
 * @returns N for that shape.
 */
export function defaultSize(shape: Shape): number {
  return shape === "graph" ? 1000 : shape === "chain" ? 5000 : 10000;
}

/**
 * Generates the three trees of a synthetic graph under `dir`, replacing
 * whatever was there.
 *
 * @param dir Where to write `barchan/`, `ninja/` and `make/`.
 * @param options The shape and size.
 * @returns What was generated.
 *
 * @example A small graph
 * ```ts
 * import { generate } from "./synthetic.ts";
 * import assert from "node:assert/strict";
 *
 * const g = await generate(await Deno.makeTempDir(), { n: 150 });
 * assert.equal(g.sources.length, 150);
 * assert.equal(g.rules, 150 + 2 + 1);
 * ```
 */
export async function generate(dir: string, options: SyntheticOptions = {}): Promise<Synthetic> {
  const shape = options.shape ?? "graph";
  const n = options.n ?? defaultSize(shape);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Cannot generate ${n} sources`);
  const mod = options.mod ?? new URL("../mod.ts", import.meta.url).href;
  const sleepMs = options.sleepMs ?? 0;
  if (!Number.isInteger(sleepMs) || sleepMs < 0) {
    throw new RangeError(`Cannot sleep ${sleepMs} ms in each command: give whole milliseconds`);
  }
  const graph = shapeOf(shape, n);
  const header =
    `Generated by bench/synthetic.ts: shape ${shape}, n ${n}, ${graph.rules.length} rules` +
    (sleepMs > 0 ? `, each command sleeping ${sleepMs} ms first.` : ".");
  const root = resolve(dir);
  const contents = new Map(graph.sources.map((s) => [s, sourceContent(s)]));
  const files = new Map([...contents, ...graph.extra]);
  const buildFiles: Record<Tool, [string, string]> = {
    barchan: ["build.ts", barchanFile(graph, header, mod, sleepMs)],
    session: ["build.ts", barchanFile(graph, header, mod, sleepMs)],
    ninja: ["build.ninja", ninjaFile(graph, header, sleepMs)],
    make: ["Makefile", makeFile(graph, header, sleepMs)],
  };
  const trees = {} as Record<Tool, string>;
  for (const tool of TOOLS) {
    const tree = join(root, tool);
    trees[tool] = tree;
    await Deno.remove(tree, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    const made = new Set<string>();
    for (const [path, text] of files) {
      const parent = dirname(join(tree, path));
      if (!made.has(parent)) {
        Deno.mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      Deno.writeTextFileSync(join(tree, path), text);
    }
    const [name, text] = buildFiles[tool];
    await Deno.writeTextFile(join(tree, name), text);
  }
  return {
    shape,
    n,
    dir: root,
    trees,
    sources: graph.sources,
    contents,
    rules: graph.rules.length,
    probe: graph.probe,
    probeRules: graph.probeRules,
  };
}

/**
 * Parses a shape name.
 * @param text The name.
 * @returns The shape.
 */
export function parseShape(text: string): Shape {
  if ((SHAPES as readonly string[]).includes(text)) return text as Shape;
  throw new RangeError(`Unknown shape "${text}": use one of ${SHAPES.join(", ")}`);
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: "string" },
      out: { type: "string" },
      shape: { type: "string", default: "graph" },
      "sleep-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || values.out === undefined) {
    console.error(
      "Usage: deno run -A bench/synthetic.ts --out DIR [--n N] [--shape graph|chain|fanin] " +
        "[--sleep-ms MS]",
    );
    return values.help ? 0 : 2;
  }
  const shape = parseShape(values.shape);
  const n = values.n === undefined ? undefined : Number(values.n);
  const sleepMs = values["sleep-ms"] === undefined ? undefined : Number(values["sleep-ms"]);
  const g = await generate(values.out, { shape, n, sleepMs });
  console.log(
    `${g.shape} n=${g.n}: ${g.rules} rules, ${g.sources.length} sources, in ${
      Object.values(g.trees).join(", ")
    }`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
