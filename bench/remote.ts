/**
 * Remote execution, end to end: the synthetic graph of `bench/synthetic.ts`
 * (N = 1,000 by default, 1,011 rules) with a 50 ms `sleep` in every command,
 * built by the CLI
 *
 * 1. locally at `-j 2`;
 * 2. on the test executor (tests/_servers/test_executor.py, 32 workers) at
 *    `--remote-jobs 32` (and `-j 2`), from an empty local cache: outputs
 *    checked byte for byte against the local build's;
 * 3. again in a fresh checkout with an empty local cache: every action must
 *    be restored from the executor's action cache, none run;
 * 4. in a fresh checkout on a new executor that is stopped once a tenth of
 *    the outputs are back: the build must succeed, the rest run here, with
 *    one warning, the outputs again byte for byte the local ones;
 * 5. in a fresh checkout on a new executor with `--remote-download minimal`:
 *    only the file the default alias names (`out/all`) may be downloaded,
 *    byte for byte the local one; then once more, which must run nothing.
 *
 * Each build gets a cache directory of its own. The times, the ratio of the
 * local build's to the remote one's, and the checks are printed as markdown
 * and written to `bench/results/<date>-remote-<N>-<commit>.md`.
 *
 * ```sh
 * deno run -A bench/remote.ts [--n 1000] [--sleep-ms 50] [--workers 32] [-j 2]
 * ```
 *
 * Not run by CI: it takes a minute, and needs python3-grpcio and buildstream
 * for the test executor.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { generate } from "./synthetic.ts";
import { startTestExecutor, type TestExecutor } from "../tests/_servers/test_executor.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** One build: its time, exit code, and the summary line it printed. */
interface Built {
  seconds: number;
  code: number;
  summary: string;
  warnings: string[];
}

async function buildTree(
  root: string,
  cacheDir: string,
  args: string[],
): Promise<Built> {
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, "build", ...args],
    cwd: root,
    // In its own process: a build server would outlive the trees, which each run makes anew.
    env: { BARCHAN_CACHE_DIR: cacheDir, NO_COLOR: "1", BARCHAN_SERVER: "off" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  const text = new TextDecoder().decode(out.stderr);
  const lines = text.trim().split("\n");
  const summary = lines.findLast((l) => /^(Done|Failed):/.test(l)) ?? lines.at(-1) ?? "";
  const warnings = lines.filter((l) => /remote executor|Remote execution|Remote cache/.test(l));
  if (out.code !== 0) console.error(text);
  return { seconds, code: out.code, summary, warnings };
}

/** Every file under `dir/out`, path to bytes. */
async function outputs(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(join(dir, at))) {
      const path = `${at}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else files.set(path, await Deno.readFile(join(dir, path)));
    }
  };
  await walk("out");
  return files;
}

/** Whether two trees' outputs are the same files with the same bytes. */
function sameOutputs(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, bytes] of a) {
    const other = b.get(path);
    if (other === undefined || other.length !== bytes.length) return false;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== other[i]) return false;
  }
  return true;
}

/** Counts in a summary line: `Done: 1011 actions ran (1011 remotely), 0 restored ...`. */
function counts(summary: string): { ran: number; remote: number; restored: number } {
  const number = (pattern: RegExp) => Number(pattern.exec(summary)?.[1] ?? 0);
  return {
    ran: number(/(\d+) actions? ran/),
    remote: number(/\((\d+) remotely\)/),
    restored: number(/(\d+) restored/),
  };
}

async function commit(): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["rev-parse", "--short", "HEAD"],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim() || "unknown";
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: "string", default: "1000" },
      "sleep-ms": { type: "string", default: "50" },
      workers: { type: "string", default: "32" },
      jobs: { type: "string", short: "j", default: "2" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.error(
      "Usage: deno run -A bench/remote.ts [--n 1000] [--sleep-ms 50] [--workers 32] [-j 2]",
    );
    return 0;
  }
  const n = Number(values.n);
  const sleepMs = Number(values["sleep-ms"]);
  const workers = Number(values.workers);
  const jobs = values.jobs;
  const work = new URL(`./_work/remote-${n}/`, import.meta.url).pathname;
  await Deno.remove(work, { recursive: true }).catch(() => {});
  const trees: Record<string, string> = {};
  let rules = 0;
  for (const name of ["local", "remote", "again", "stopped", "minimal"]) {
    const generated = await generate(join(work, name), { n, sleepMs });
    trees[name] = generated.trees.barchan;
    rules = generated.rules;
  }
  const cache = (name: string) => join(work, `cache-${name}`);

  console.error(`local build, -j ${jobs}...`);
  const local = await buildTree(trees.local, cache("local"), ["-j", jobs]);
  const expected = await outputs(trees.local);

  let executor: TestExecutor | undefined = await startTestExecutor({ workers });
  if (executor === undefined) return 1;
  const remoteArgs = () => [
    "-j",
    jobs,
    "--remote-executor",
    executor!.url,
    "--remote-jobs",
    String(workers),
  ];
  let remote: Built, again: Built;
  try {
    console.error(`remote build, --remote-jobs ${workers} on ${workers} workers...`);
    remote = await buildTree(trees.remote, cache("remote"), remoteArgs());
    console.error("a fresh checkout, empty local cache...");
    again = await buildTree(trees.again, cache("again"), remoteArgs());
  } finally {
    await executor.stop();
  }

  executor = (await startTestExecutor({ workers }))!;
  let stopped: Built;
  try {
    console.error("a fresh checkout, the executor stopped mid-build...");
    const building = buildTree(trees.stopped, cache("stopped"), remoteArgs());
    const tenth = Math.ceil(n / 10);
    for (;;) {
      const done = await Array.fromAsync(Deno.readDir(join(trees.stopped, "out/d0")))
        .then((entries) => entries.length, () => 0);
      if (done >= Math.min(tenth, 100)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await executor.stop();
    stopped = await building;
  } finally {
    await executor.stop();
  }

  executor = (await startTestExecutor({ workers }))!;
  let minimal: Built, minimalAgain: Built;
  try {
    console.error("a fresh checkout, --remote-download minimal, twice...");
    const args = [...remoteArgs(), "--remote-download", "minimal"];
    minimal = await buildTree(trees.minimal, cache("minimal"), args);
    minimalAgain = await buildTree(trees.minimal, cache("minimal"), args);
  } finally {
    await executor.stop();
  }
  const downloaded = await outputs(trees.minimal);

  const checks = {
    localOk: local.code === 0 && counts(local.summary).ran === rules,
    remoteOk: remote.code === 0 && counts(remote.summary).remote === rules,
    remoteIdentical: sameOutputs(expected, await outputs(trees.remote)),
    againAllHits: again.code === 0 && counts(again.summary).ran === 0 &&
      counts(again.summary).restored === rules,
    againIdentical: sameOutputs(expected, await outputs(trees.again)),
    stoppedOk: stopped.code === 0 && stopped.warnings.length === 1,
    stoppedIdentical: sameOutputs(expected, await outputs(trees.stopped)),
    minimalOk: minimal.code === 0 && counts(minimal.summary).remote === rules,
    minimalOnlyRequested: downloaded.size === 1 &&
      sameOutputs(new Map([["out/all", expected.get("out/all")!]]), downloaded),
    minimalAgainNothing: minimalAgain.code === 0 && counts(minimalAgain.summary).ran === 0,
  };
  const ratio = local.seconds / remote.seconds;
  const row = (name: string, built: Built) =>
    `| ${name} | ${built.seconds.toFixed(2)} | ${built.summary.replace(/\|/g, "/")} |`;
  const report = [
    `# Remote execution: synthetic graph, N = ${n} (${rules} rules), ${sleepMs} ms sleep per command`,
    "",
    `barchan ${await commit()}, ${
      new Date().toISOString()
    }, ${navigator.hardwareConcurrency} CPUs; ` +
    `the test executor (tests/_servers/test_executor.py) with ${workers} workers on this machine.`,
    "",
    "| build | seconds | summary |",
    "| --- | ---: | --- |",
    row(`local, -j ${jobs}`, local),
    row(`remote, --remote-jobs ${workers}, -j ${jobs}`, remote),
    row("fresh checkout, empty local cache, executor", again),
    row("fresh checkout, executor stopped mid-build", stopped),
    row("fresh checkout, --remote-download minimal", minimal),
    row("the same, again", minimalAgain),
    "",
    `Local / remote: ${ratio.toFixed(1)}×.`,
    "",
    "Checks: " + Object.entries(checks).map(([k, v]) => `${k} ${v ? "yes" : "NO"}`).join(", ") +
    ".",
    "",
    `Warnings of the stopped build: ${stopped.warnings.join(" / ") || "none"}`,
    "",
    `Files under out/ after the minimal build: ${downloaded.size} (the local build wrote ${expected.size}).`,
    "",
  ].join("\n");
  console.log(report);
  const date = new Date().toISOString().slice(0, 10);
  const file = new URL(`./results/${date}-remote-${n}-${await commit()}.md`, import.meta.url);
  await Deno.writeTextFile(file, report);
  console.error(`written to ${file.pathname}`);
  return Object.values(checks).every(Boolean) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
