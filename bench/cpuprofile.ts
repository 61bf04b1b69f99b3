/**
 * Sums the self time of a V8 `.cpuprofile` (as written by
 * `deno run --cpu-prof`) per function and prints the top ones.
 *
 * ```sh
 * deno run --cpu-prof --cpu-prof-dir=/tmp/prof -A cli.ts build --no-server -C DIR
 * deno run -A bench/cpuprofile.ts /tmp/prof/*.cpuprofile [--top 25] [--by function|file]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

/** The parts of a `.cpuprofile` this script reads. */
export interface CpuProfile {
  /** Call tree nodes. */
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  /** Start and end, in microseconds. */
  startTime: number;
  endTime: number;
  /** The node sampled, one per sample. */
  samples: number[];
  /** Microseconds since the previous sample, one per sample. */
  timeDeltas: number[];
}

/** Self time of one function (or file). */
export interface SelfTime {
  /** `name (file:line)`, or the file. */
  name: string;
  /** Milliseconds. */
  ms: number;
}

const REPO = new URL("..", import.meta.url).href;

/** A script's URL relative to this repository, or its file name when outside it. */
function shortUrl(url: string): string {
  // bench/peers.ts measures an exported copy of the repository under bench/_work/peers.
  if (url.startsWith(REPO)) {
    return url.slice(REPO.length).replace(/^bench\/_work\/peers\/barchan-\w+\//, "");
  }
  return url.replace(/^.*\//, "");
}

/**
 * Sums sample time per function or per file.
 * @param profile The profile.
 * @param by What to group by.
 * @returns Groups, largest first, and the profile's total in milliseconds.
 */
export function selfTimes(
  profile: CpuProfile,
  by: "function" | "file" = "function",
): { total: number; rows: SelfTime[] } {
  const names = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = shortUrl(url);
    const name = by === "file"
      ? file || `(${functionName || "native"})`
      : `${functionName || "(anonymous)"}${file === "" ? "" : ` ${file}:${lineNumber + 1}`}`;
    names.set(node.id, name);
  }
  const sums = new Map<string, number>();
  // A sample's time is the delta to the next sample, as Chrome's devtools count it.
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const name = names.get(profile.samples[i]) ?? "?";
    sums.set(name, (sums.get(name) ?? 0) + us);
  }
  const rows = [...sums].map(([name, us]) => ({ name, ms: us / 1000 }))
    .sort((a, b) => b.ms - a.ms);
  return { total: (profile.endTime - profile.startTime) / 1000, rows };
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      top: { type: "string", default: "25" },
      by: { type: "string", default: "function" },
    },
  });
  if (positionals.length === 0 || (values.by !== "function" && values.by !== "file")) {
    console.error(
      "Usage: deno run -A bench/cpuprofile.ts FILE.cpuprofile [--top N] [--by function|file]",
    );
    return 2;
  }
  for (const file of positionals) {
    const profile = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
    const { total, rows } = selfTimes(profile, values.by);
    console.log(`${file}: ${total.toFixed(0)} ms profiled`);
    console.log("| self ms | % | " + values.by + " |\n| ---: | ---: | --- |");
    for (const row of rows.slice(0, Number(values.top))) {
      const pct = (100 * row.ms / total).toFixed(1);
      console.log(`| ${row.ms.toFixed(0)} | ${pct} | ${row.name.replaceAll("|", "\\|")} |`);
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
