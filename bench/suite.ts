// The whole benchmark suite in one command: barchan, ninja and make on the
// synthetic graph (cold, no-op, one edit, touch; bench/peers.ts), then
// barchan's watch mode on the same edits (bench/watch_latency.ts), with one
// summary table of ratios to ninja and the full reports below it. Written to
// bench/results/DATE-suite.md. Not run by CI.
//
//   deno run -A bench/suite.ts [--n 1000,10000] [--runs 5] [--watch-runs 15]

import { parseArgs } from "node:util";
import { CASES, formatMs, median, runPeers, writeReport } from "./peers.ts";
import { runWatchLatency, type WatchLatencyResult } from "./watch_latency.ts";

/** One line of the summary: barchan's median against ninja's for one case. */
interface SummaryRow {
  n: number;
  label: string;
  barchanMs: number;
  ninjaMs: number;
}

function summary(rows: readonly SummaryRow[]): string {
  const lines = [
    "| sources | case | barchan (median) | ninja (median) | barchan / ninja |",
    "| ---: | --- | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.n.toLocaleString("en-US")} | ${r.label} | ${formatMs(r.barchanMs)} | ` +
        `${formatMs(r.ninjaMs)} | ${(r.barchanMs / r.ninjaMs).toFixed(2)}× |`,
    );
  }
  return lines.join("\n");
}

function watchRow(w: WatchLatencyResult): SummaryRow {
  return {
    n: w.n,
    label: "one edit, barchan in watch mode (ninja started afresh)",
    barchanMs: median(w.barchan.map((r) => r.totalMs)),
    ninjaMs: median(w.ninja.map((r) => r.totalMs)),
  };
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: "string", default: "1000,10000" },
      runs: { type: "string", default: "5" },
      "watch-runs": { type: "string", default: "15" },
      barchan: { type: "string", default: "HEAD" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno run -A bench/suite.ts [--n 1000,10000] [--runs 5] [--watch-runs 15]\n" +
        "         [--barchan REVISION|worktree] [--out FILE]",
    );
    return 0;
  }
  const sizes = values.n.split(",").map((s) => Number(s.trim()));
  const peers = await runPeers({ sizes, runs: Number(values.runs), barchan: values.barchan });
  const rows: SummaryRow[] = [];
  for (const graph of peers.results) {
    for (const c of CASES) {
      const barchan = graph.cases[c]?.barchan;
      const ninja = graph.cases[c]?.ninja;
      if (barchan === undefined || ninja === undefined) continue;
      if (barchan.times.length === 0 || ninja.times.length === 0) continue;
      rows.push({
        n: graph.n,
        label: c,
        barchanMs: median(barchan.times),
        ninjaMs: median(ninja.times),
      });
    }
  }
  const watchReports: string[] = [];
  for (const n of sizes) {
    const watch = await runWatchLatency({
      n,
      runs: Number(values["watch-runs"]),
      barchan: values.barchan,
    });
    rows.push(watchRow(watch.result));
    watchReports.push(watch.report);
  }
  const report = [
    `# The benchmark suite (${new Date().toISOString().slice(0, 10)})`,
    "",
    summary(rows),
    "",
    peers.report,
    ...watchReports,
  ].join("\n");
  writeReport(report, "suite", values.out);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
