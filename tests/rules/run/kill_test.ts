// A build killed with SIGKILL at a random moment leaves nothing that the
// next build trusts wrongly: the next build produces what a clean build
// produces, and the one after it runs nothing. Actions write their target in
// two steps, so a kill can leave half-written outputs behind.
//
// BARCHAN_SEED=n runs with another seed, to reproduce a failure.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  buildIn,
  buildOk,
  CLI,
  type Files,
  IMPORT,
  NO_SERVER,
  snapshot,
  withOwnCache,
  writeFiles,
} from "../_util.ts";
import { prng } from "../../_prng.ts";

const RULES = 40;
const SOURCES = 8;
const ROUNDS = 8;

const FILTERS = ["cat", "tr a-z A-Z", "sort -r", "wc -l"];

/** A build.ts of RULES rules over SOURCES sources; `variant` changes some commands. */
function project(random: () => number, variant: number): string {
  const pick = (n: number) => Math.floor(random() * n);
  const lines: string[] = [];
  for (let i = 0; i < RULES; i++) {
    const deps = new Set<string>();
    deps.add(
      i > 3 && random() < 0.7
        ? `out/r${i - 1 - pick(Math.min(i, 6))}.txt`
        : `src/s${pick(SOURCES)}.txt`,
    );
    deps.add(`src/s${pick(SOURCES)}.txt`);
    const [first, ...rest] = [...deps];
    const filter = FILTERS[(pick(FILTERS.length) + (i % 5 === 0 ? variant : 0)) % FILTERS.length];
    const target = `out/r${i}.txt`;
    const script = `${filter} < ${first} > ${target}; sleep 0.0${1 + pick(8)}; ` +
      `cat ${rest.join(" ")} >> ${target}`;
    lines.push(
      `rule({ targets: "${target}", deps: ${JSON.stringify([...deps])}, action: sh(${
        JSON.stringify(script)
      }) });`,
    );
  }
  return IMPORT + lines.join("\n") + "\n";
}

function sources(random: () => number): Files {
  const files: Files = {};
  for (let i = 0; i < SOURCES; i++) {
    const words = Array.from(
      { length: 2 + Math.floor(random() * 3) },
      () => ["ripple", "Slip", "crest", "Horn", "grain"][Math.floor(random() * 5)],
    );
    files[`src/s${i}.txt`] = words.join("\n") + "\n";
  }
  return files;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The killed build's children are not killed with it (SIGKILL) and outlive
 * it for their short sleep: wait until no process works in `root` (read
 * from /proc; elsewhere, wait 300 ms).
 */
async function orphansGone(root: string): Promise<void> {
  await delay(50);
  for (let i = 0; i < 250; i++) {
    let busy = false;
    try {
      for (const entry of Deno.readDirSync("/proc")) {
        if (!/^\d+$/.test(entry.name)) continue;
        try {
          if (Deno.readLinkSync(`/proc/${entry.name}/cwd`) === root) busy = true;
        } catch {
          // gone, or not ours to look at
        }
      }
    } catch {
      return await delay(300);
    }
    if (!busy) return;
    await delay(20);
  }
}

async function cleanBuild(root: string): Promise<Files> {
  const copy = await Deno.makeTempDir({ prefix: "barchan_kill_clean_" });
  try {
    await writeFiles(copy, await snapshot(root, ["_build", "out"]));
    await withOwnCache(() => buildOk(copy, [], 4));
    return await snapshot(copy);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
}

const seed = Number(Deno.env.get("BARCHAN_SEED") ?? 7);

Deno.test(`a build killed at a random moment is repaired by the next build (seed ${seed})`, async () => {
  const random = prng(seed);
  const root = await Deno.makeTempDir({ prefix: "barchan_kill_" });
  try {
    const shape = random() * 1e9;
    let variant = 0;
    await writeFiles(root, { "build.ts": project(prng(shape), variant), ...sources(random) });
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        // Change some sources, and sometimes some commands, before the next kill.
        const changed = sources(random);
        const keep = Object.keys(changed).filter(() => random() < 0.4);
        for (const path of keep) delete changed[path];
        if (random() < 0.3) changed["build.ts"] = project(prng(shape), ++variant);
        await writeFiles(root, changed);
      }
      const killAfter = 30 + Math.floor(random() * 800);
      const where = `seed ${seed}, round ${round}, killed after ${killAfter} ms`;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", CLI, "build", "-j", "4"],
        cwd: root,
        stdout: "null",
        stderr: "null",
        env: NO_SERVER,
      }).spawn();
      await delay(killAfter);
      try {
        child.kill("SIGKILL");
      } catch {
        // it had finished already
      }
      await child.status;
      await orphansGone(root);

      const recovery = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", CLI, "build", "-j", "4"],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
        env: NO_SERVER,
      }).output();
      assert.equal(
        recovery.code,
        0,
        `recovery build failed (${where}):\n${new TextDecoder().decode(recovery.stderr)}`,
      );
      assert.deepEqual(await snapshot(root), await cleanBuild(root), `wrong outputs (${where})`);
      const again = await buildIn(root, [], 4);
      assert.ok(again.ok, where);
      assert.deepEqual(again.ran, [], `a build after recovery ran actions (${where})`);
      assert.deepEqual(again.notes, [], where);
    }
    await Deno.stat(join(root, "_build/.barchan"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
