/**
 * A header edit on a C project, against make, in one interleaved run: each
 * object compiled with `gcc -MD` and its headers taken from the depfile
 * (barchan's `depfile()`, make's `-include` of the `.d` files), a link. The
 * edited header is included by one object in eight, through a second
 * header, so the dirty objects are spread over the project and are checked
 * together, not one after another. The edit adds a macro no object uses:
 * make links again, barchan finds the objects unchanged and does not.
 *
 * ```sh
 * deno run -A bench/header_edit.ts [--objects 40] [--runs 7] [-j 2]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { timed } from "./_timed.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** Headers objects include, each through a header of its own. */
const HEADERS = 8;

/** Writes the sources and headers into `tree`. */
async function sources(tree: string, objects: number): Promise<string[]> {
  await Deno.mkdir(join(tree, "src", "inc"), { recursive: true });
  for (let h = 0; h < HEADERS; h++) {
    await Deno.writeTextFile(join(tree, "src", "inc", `base${h}.h`), `#define BASE${h} ${h}\n`);
    await Deno.writeTextFile(
      join(tree, "src", "inc", `api${h}.h`),
      `#include "base${h}.h"\nint api${h}(int x);\n`,
    );
  }
  const names = Array.from({ length: objects }, (_, i) => `m${i}`);
  for (const [i, name] of names.entries()) {
    const h = i % HEADERS;
    const body = Array.from(
      { length: 30 },
      (_, k) => `int ${name}_f${k}(int x) { return x * ${i + k} + BASE${h}; }`,
    ).join("\n");
    await Deno.writeTextFile(
      join(tree, "src", `${name}.c`),
      `#include <stdio.h>\n#include "inc/api${h}.h"\n${body}\n`,
    );
  }
  await Deno.writeTextFile(
    join(tree, "src", "main.c"),
    `int m0_f0(int);\nint main(void) { return m0_f0(0); }\n`,
  );
  return ["main", ...names];
}

async function project(dir: string, objects: number, mod: string) {
  const barchan = join(dir, "barchan");
  const session = join(dir, "session");
  const make = join(dir, "make");
  const all = await sources(barchan, objects);
  await sources(session, objects);
  await sources(make, objects);
  const buildTs = `import { depfile, rule, run } from "${mod}";
const objects = ${JSON.stringify(all)}.map((name) => {
  const object = "_build/" + name + ".o";
  rule({
    targets: object,
    deps: ["src/" + name + ".c"],
    action: depfile(object + ".d", run("gcc", "-O2", "-MD", "-MF", object + ".d", "-c", "src/" + name + ".c", "-o", object)),
  });
  return object;
});
rule({ targets: "_build/app", deps: objects, action: run("gcc", "-o", "_build/app", ...objects) });
`;
  await Deno.writeTextFile(join(barchan, "build.ts"), buildTs);
  await Deno.writeTextFile(join(session, "build.ts"), buildTs);
  const objectsOf = all.map((n) => `_build/${n}.o`).join(" ");
  await Deno.writeTextFile(
    join(make, "Makefile"),
    `MAKEFLAGS += -rR\nOBJECTS := ${objectsOf}\n` +
      `_build/app: $(OBJECTS)\n\tgcc -o $@ $^\n` +
      `_build/%.o: src/%.c | _build\n\tgcc -O2 -MD -MF $@.d -c $< -o $@\n` +
      `_build:\n\tmkdir -p $@\n-include $(OBJECTS:=.d)\n`,
  );
  return { barchan, session, make };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      objects: { type: "string", default: "40" },
      runs: { type: "string", default: "7" },
      jobs: { type: "string", short: "j", default: "2" },
      work: { type: "string", default: new URL("_work/header_edit", import.meta.url).pathname },
    },
  });
  const objects = Number(values.objects);
  const runs = Number(values.runs);
  const jobs = values.jobs!;
  const work = values.work!;
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await Deno.mkdir(work, { recursive: true });
  const mod = new URL("../mod.ts", import.meta.url).href;
  const trees = await project(work, objects, mod);
  // barchan in its own process (as in CI), and through its build server (the default).
  const build = (tree: string, server: "on" | "off") =>
    timed(Deno.execPath(), ["run", "-A", CLI, "build", "--no-check", "-j", jobs], tree, {
      BARCHAN_CACHE_DIR: join(work, `cache-${server}`),
      BARCHAN_SERVER: server,
      NO_COLOR: "1",
    });
  const barchan = () => build(trees.barchan, "off");
  const session = () => build(trees.session, "on");
  const make = () => timed("make", ["-j", jobs], trees.make);
  await barchan();
  await session();
  await make();
  const edited = Math.floor(HEADERS / 2);
  const times = { barchan: [] as number[], session: [] as number[], make: [] as number[] };
  const dirty = Math.ceil((objects - edited) / HEADERS);
  for (let run = 0; run < runs; run++) {
    for (const tree of [trees.barchan, trees.session, trees.make]) {
      await Deno.writeTextFile(
        join(tree, "src", "inc", `base${edited}.h`),
        `#define BASE${edited} ${edited}\n#define EDIT${run} ${run}\n`,
      );
    }
    const b = await barchan();
    const ran = /Done: (\d+) actions? ran/.exec(b.stdout + b.stderr)?.[1];
    // The objects come out the same (the edit adds an unused macro): no link.
    if (ran !== String(dirty)) throw new Error(`barchan ran ${ran} actions, not ${dirty}`);
    times.barchan.push(b.ms);
    times.session.push((await session()).ms);
    times.make.push((await make()).ms);
  }
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  const lines = [
    `C project: ${objects + 1} objects, a header included (through another) by ${dirty} of them ` +
    `edited; -j ${jobs}, ${runs} interleaved runs; load average ${load}`,
    "",
    "| tool | median | min | median / make |",
    "| --- | ---: | ---: | ---: |",
    `| barchan | ${median(times.barchan).toFixed(0)} ms | ${
      Math.min(...times.barchan).toFixed(0)
    } ms | ${(median(times.barchan) / median(times.make)).toFixed(2)}× |`,
    `| barchan, build server | ${median(times.session).toFixed(0)} ms | ${
      Math.min(...times.session).toFixed(0)
    } ms | ${(median(times.session) / median(times.make)).toFixed(2)}× |`,
    `| make | ${median(times.make).toFixed(0)} ms | ${
      Math.min(...times.make).toFixed(0)
    } ms | 1.00× |`,
  ];
  console.log(lines.join("\n"));
  await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "server", "stop", "-C", trees.session],
  }).output();
}

if (import.meta.main) await main();
