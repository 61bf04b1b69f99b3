/**
 * Compares two revisions of barchan (and ninja, for scale) on the synthetic
 * graph of `bench/synthetic.ts`: a no-op build, a touch of one source and an
 * edit of one source, the tools taking turns run by run so that the
 * machine's noise falls on all of them alike. Each revision is exported with
 * `git archive` and builds its own copy of the tree; every build is checked
 * (exit code 0, `out/all` right).
 *
 * ```sh
 * deno run -A bench/revisions.ts --before main --after HEAD [--n 10000] [--runs 15] [-j 2]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FINAL, generate, type Synthetic } from "./synthetic.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const CASES = ["no-op", "touch", "edit"] as const;

async function git(args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd: REPO, stdout: "piped" }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

/** Exports a revision into a directory of its own; returns the directory. */
async function exportRevision(rev: string, work: string): Promise<string> {
  const commit = await git(["rev-parse", "--short", `${rev}^{commit}`]);
  const dir = join(work, `barchan-${commit}`);
  await Deno.mkdir(dir, { recursive: true });
  const out = await new Deno.Command("sh", {
    args: ["-c", `git archive --format=tar "$1" | tar -x -C "$2"`, "sh", commit, dir],
    cwd: REPO,
  }).output();
  if (!out.success) throw new Error(`cannot export ${rev}`);
  return dir;
}

interface Tool {
  name: string;
  tree: string;
  command: [string, string[]];
  /** Added to the environment (each barchan gets an action cache of its own, empty at first). */
  env?: Record<string, string>;
}

async function run(tool: Tool): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(tool.command[0], {
    args: tool.command[1],
    cwd: tool.tree,
    // Each revision builds in its own process (older ones know no build server).
    env: { ...tool.env, BARCHAN_SERVER: "off" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - start;
  if (!out.success) {
    throw new Error(`${tool.name} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      before: { type: "string", default: "main" },
      after: { type: "string", default: "HEAD" },
      n: { type: "string", default: "10000" },
      runs: { type: "string", default: "15" },
      jobs: { type: "string", short: "j", default: "2" },
      work: { type: "string", default: join(REPO, "bench/_work/revisions") },
    },
  });
  const n = Number(values.n);
  const runs = Number(values.runs);
  const jobs = values.jobs!;
  await Deno.remove(values.work!, { recursive: true }).catch(() => {});
  const tools: Tool[] = [];
  const graphs = new Map<string, Synthetic>();
  for (const [label, rev] of [["before", values.before!], ["after", values.after!]]) {
    const dir = await exportRevision(rev, values.work!);
    const graph = await generate(join(values.work!, `graph-${label}`), {
      n,
      mod: new URL(`file://${dir}/mod.ts`).href,
    });
    graphs.set(label, graph);
    tools.push({
      name: `barchan ${label} (${rev})`,
      tree: graph.trees.barchan,
      command: [Deno.execPath(), ["run", "-A", join(dir, "cli.ts"), "build", "-j", jobs, "-q"]],
      env: { BARCHAN_CACHE_DIR: join(values.work!, `cache-${label}`) },
    });
  }
  const ninjaGraph = graphs.get("before")!;
  tools.push({ name: "ninja", tree: ninjaGraph.trees.ninja, command: ["ninja", ["-j", jobs]] });
  const probeOf = (tool: Tool) =>
    tool.name === "ninja"
      ? ninjaGraph
      : graphs.get(tool.name.includes("after") ? "after" : "before")!;
  console.error("cold builds...");
  const cold = new Map<string, number>();
  for (const tool of tools) cold.set(tool.name, await run(tool));
  // The first no-op after a cold build counts too: measured once, apart.
  const firstNoop = new Map<string, number>();
  for (const tool of tools) firstNoop.set(tool.name, await run(tool));
  const times = new Map<string, number[]>();
  for (let r = 0; r < runs; r++) {
    for (const kase of CASES) {
      for (const tool of tools) {
        const graph = probeOf(tool);
        const probe = join(tool.tree, graph.probe);
        if (kase === "touch") {
          const now = new Date();
          Deno.utimeSync(probe, now, now);
        } else if (kase === "edit") {
          Deno.writeTextFileSync(probe, `${graph.contents.get(graph.probe)}/* edit ${r} */\n`);
        }
        const ms = await run(tool);
        const key = `${kase}\u0000${tool.name}`;
        (times.get(key) ?? times.set(key, []).get(key)!).push(ms);
        if (kase === "edit") {
          const all = Deno.readTextFileSync(join(tool.tree, FINAL));
          if (!all.includes(`/* edit ${r} */`)) throw new Error(`${tool.name}: stale ${FINAL}`);
        }
      }
    }
  }
  const lines = [
    `N = ${n.toLocaleString("en-US")}, -j ${jobs}, ${runs} interleaved runs, medians (min)`,
    "",
    "| case | " + tools.map((t) => t.name).join(" | ") + " | after / before |",
    "|---|" + tools.map(() => "---:|").join("") + "---:|",
    `| cold (empty cache) | ${
      tools.map((t) => `${cold.get(t.name)!.toFixed(0)} ms`).join(" | ")
    } | ${(cold.get(tools[1].name)! / cold.get(tools[0].name)!).toFixed(2)} |`,
    `| first no-op | ${tools.map((t) => `${firstNoop.get(t.name)!.toFixed(0)} ms`).join(" | ")} | ${
      (firstNoop.get(tools[1].name)! / firstNoop.get(tools[0].name)!).toFixed(2)
    } |`,
  ];
  for (const kase of CASES) {
    const cells = tools.map((t) => {
      const ts = times.get(`${kase}\u0000${t.name}`)!;
      return `${median(ts).toFixed(0)} ms (${Math.min(...ts).toFixed(0)})`;
    });
    const ratio = median(times.get(`${kase}\u0000${tools[1].name}`)!) /
      median(times.get(`${kase}\u0000${tools[0].name}`)!);
    lines.push(`| ${kase} | ${cells.join(" | ")} | ${ratio.toFixed(2)} |`);
  }
  console.log(lines.join("\n"));
}

if (import.meta.main) await main();
