/**
 * A cold build (no outputs, no state) with the action cache warm, against a
 * cold build with it empty and ninja's cold build, in one interleaved run:
 * on the synthetic graph of `bench/synthetic.ts` and on a C project (one
 * `gcc -c` per source, a link). The remote case restores from a real nginx
 * (Bazel's HTTP cache protocol) into an empty local cache.
 *
 * ```sh
 * deno run -A bench/cache_cold.ts [--n 10000] [--objects 60] [--runs 3] [-j 2]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { timed } from "./_timed.ts";
import { FINAL, generate } from "./synthetic.ts";
import { NGINX, startNginx } from "../tests/_servers/nginx.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

interface Case {
  name: string;
  /** Runs one cold build; returns its milliseconds. */
  run(): Promise<number>;
}

/** Removes what a build left in a tree: its outputs and its state. */
async function clean(tree: string, outputs: string[]): Promise<void> {
  for (const path of outputs) {
    await Deno.remove(join(tree, path), { recursive: true }).catch(() => {});
  }
}

/** A C project: `objects` sources of a few functions each, compiled and linked. */
async function cProject(
  dir: string,
  objects: number,
  mod: string,
): Promise<{ barchan: string; ninja: string }> {
  const names = Array.from({ length: objects }, (_, i) => `m${i}`);
  for (const tool of ["barchan", "ninja"]) {
    await Deno.mkdir(join(dir, tool, "src"), { recursive: true });
    for (const [i, name] of names.entries()) {
      const body = Array.from(
        { length: 20 },
        (_, k) => `int ${name}_f${k}(int x) { return x * ${i + k} + ${k}; }`,
      )
        .join("\n");
      await Deno.writeTextFile(join(dir, tool, "src", `${name}.c`), body + "\n");
    }
    await Deno.writeTextFile(
      join(dir, tool, "src", "main.c"),
      `int m0_f0(int);\nint main(void) { return m0_f0(0); }\n`,
    );
  }
  const all = ["main", ...names];
  await Deno.writeTextFile(
    join(dir, "barchan", "build.ts"),
    `import { rule, run } from "${mod}";
const objects = ${JSON.stringify(all)}.map((name) => {
  const object = "_build/" + name + ".o";
  rule({ targets: object, deps: ["src/" + name + ".c"], action: run("gcc", "-O2", "-c", "src/" + name + ".c", "-o", object) });
  return object;
});
rule({ targets: "_build/app", deps: objects, action: run("gcc", "-o", "_build/app", ...objects) });
`,
  );
  await Deno.writeTextFile(
    join(dir, "ninja", "build.ninja"),
    `rule cc\n  command = gcc -O2 -c $in -o $out\nrule link\n  command = gcc -o $out $in\n` +
      all.map((n) => `build _build/${n}.o: cc src/${n}.c\n`).join("") +
      `build _build/app: link ${all.map((n) => `_build/${n}.o`).join(" ")}\n`,
  );
  return { barchan: join(dir, "barchan"), ninja: join(dir, "ninja") };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      n: { type: "string", default: "10000" },
      objects: { type: "string", default: "60" },
      runs: { type: "string", default: "3" },
      jobs: { type: "string", short: "j", default: "2" },
      work: { type: "string", default: new URL("_work/cache_cold", import.meta.url).pathname },
    },
  });
  const runs = Number(values.runs);
  const jobs = values.jobs!;
  const work = values.work!;
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await Deno.mkdir(work, { recursive: true });
  const mod = new URL("../mod.ts", import.meta.url).href;
  const nginx = NGINX === undefined ? undefined : await startNginx();
  try {
    const synthetic = await generate(join(work, "synthetic"), { n: Number(values.n), mod });
    const c = await cProject(join(work, "c"), Number(values.objects), mod);
    const projects = [
      {
        name: `synthetic N = ${Number(values.n).toLocaleString("en-US")}`,
        barchan: synthetic.trees.barchan,
        ninja: synthetic.trees.ninja,
        outputs: ["out", "_build"],
        ninjaOutputs: ["out", ".ninja_log", ".ninja_deps"],
      },
      {
        name: `C project, ${Number(values.objects) + 1} objects`,
        barchan: c.barchan,
        ninja: c.ninja,
        outputs: ["_build"],
        ninjaOutputs: ["_build", ".ninja_log", ".ninja_deps"],
      },
    ];
    const lines = [
      `-j ${jobs}, ${runs} interleaved runs, medians (ms)`,
      "",
      "| project | ninja cold | barchan cold, empty cache | barchan cold, warm local cache | barchan cold, warm nginx cache (empty local) | warm local / ninja | warm nginx / ninja |",
      "|---|---:|---:|---:|---:|---:|---:|",
    ];
    for (const project of projects) {
      const cache = (name: string) => join(work, `${project.barchan.replaceAll("/", "_")}-${name}`);
      const build = (env: Record<string, string>, extra: string[] = []) =>
        timed(
          Deno.execPath(),
          ["run", "-A", CLI, "build", "--no-check", "-j", jobs, "-q", ...extra],
          project.barchan,
          // A cold build as CI runs it: no build server.
          { ...env, BARCHAN_SERVER: "off" },
        ).then((t) => t.ms);
      // Warm the caches once: the local one, and nginx through an upload.
      await clean(project.barchan, project.outputs);
      await build({ BARCHAN_CACHE_DIR: cache("warm") });
      if (nginx !== undefined) {
        await clean(project.barchan, project.outputs);
        await build({ BARCHAN_CACHE_DIR: cache("upload") }, [
          "--remote-cache",
          nginx.url,
          "--remote-cache-upload",
        ]);
      }
      const cases: Case[] = [
        {
          name: "ninja",
          run: async () => {
            await clean(project.ninja, project.ninjaOutputs);
            return (await timed("ninja", ["-j", jobs], project.ninja)).ms;
          },
        },
        {
          name: "empty",
          run: async () => {
            await clean(project.barchan, project.outputs);
            await Deno.remove(cache("empty"), { recursive: true }).catch(() => {});
            return await build({ BARCHAN_CACHE_DIR: cache("empty") });
          },
        },
        {
          name: "local",
          run: async () => {
            await clean(project.barchan, project.outputs);
            return await build({ BARCHAN_CACHE_DIR: cache("warm") });
          },
        },
      ];
      if (nginx !== undefined) {
        cases.push({
          name: "nginx",
          run: async () => {
            await clean(project.barchan, project.outputs);
            await Deno.remove(cache("fresh"), { recursive: true }).catch(() => {});
            return await build({ BARCHAN_CACHE_DIR: cache("fresh") }, [
              "--remote-cache",
              nginx.url,
            ]);
          },
        });
      }
      const times = new Map<string, number[]>();
      for (let r = 0; r < runs; r++) {
        for (const kase of cases) {
          (times.get(kase.name) ?? times.set(kase.name, []).get(kase.name)!).push(await kase.run());
        }
      }
      const median = (name: string) => {
        const xs = [...(times.get(name) ?? [NaN])].sort((a, b) => a - b);
        return xs[xs.length >> 1];
      };
      const check = await Deno.readTextFile(
        join(project.barchan, project.name.startsWith("synthetic") ? FINAL : "_build/app"),
      );
      if (check.length === 0) throw new Error(`${project.name}: empty output`);
      lines.push(
        `| ${project.name} | ${median("ninja").toFixed(0)} | ${median("empty").toFixed(0)} | ${
          median("local").toFixed(0)
        } | ${nginx === undefined ? "n/a" : median("nginx").toFixed(0)} | ${
          (median("local") / median("ninja")).toFixed(2)
        } | ${nginx === undefined ? "n/a" : (median("nginx") / median("ninja")).toFixed(2)} |`,
      );
    }
    console.log(lines.join("\n"));
  } finally {
    await nginx?.stop();
  }
}

if (import.meta.main) await main();
