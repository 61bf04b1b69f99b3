// One build per project at a time: two CLI processes started together on
// the same project both succeed, the actions run once in total, and the
// state they leave is intact.

import { ownCacheEnv } from "../../_own_cache.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildOk, CLI, IMPORT, NO_SERVER, readMaybe, snapshot, withProject } from "../_util.ts";

const RULES = 8;

const PROJECT = IMPORT + `
for (let i = 0; i < ${RULES}; i++) {
  rule({
    targets: "out/" + i + ".txt",
    deps: ["in.txt"],
    action: sh("sleep 0.1; echo " + i + " >> runs.log; sed s/-x/-" + i + "/ in.txt > out/" + i + ".txt"),
  });
}
const outs = Array.from({ length: ${RULES} }, (_, i) => "out/" + i + ".txt");
rule({ targets: "all.txt", deps: outs, action: sh("sleep 0.1; cat " + outs.join(" ") + " > all.txt") });
`;

function startBuild(root: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, "build", "-j", "2"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { ...NO_SERVER, ...ownCacheEnv() },
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  const out = await child.output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

function actionsRan(stderr: string): number {
  const m = stderr.match(/(\d+) actions ran/);
  assert.ok(m !== null, stderr);
  return Number(m[1]);
}

Deno.test("two builds of one project at the same time both succeed and run each action once", async () => {
  await withProject({ "build.ts": PROJECT, "in.txt": "x-x\n" }, async (root) => {
    for (const round of [1, 2]) {
      if (round === 2) await Deno.writeTextFile(join(root, "in.txt"), "y-x\n");
      await Deno.remove(join(root, "runs.log")).catch(() => {});
      const first = startBuild(root);
      const second = startBuild(root);
      const [a, b] = await Promise.all([finish(first), finish(second)]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(actionsRan(a.stderr) + actionsRan(b.stderr), RULES + 1, a.stderr + b.stderr);
      const runs = (await readMaybe(root, "runs.log"))!.trim().split("\n");
      assert.equal(runs.length, RULES, `each action once: ${runs}`);

      const letter = round === 1 ? "x" : "y";
      for (let i = 0; i < RULES; i++) {
        assert.equal(await readMaybe(root, `out/${i}.txt`), `${letter}-${i}\n`);
      }
      assert.equal(
        await readMaybe(root, "all.txt"),
        Array.from({ length: RULES }, (_, i) => `${letter}-${i}\n`).join(""),
      );
      const after = await buildOk(root);
      assert.deepEqual(after.ran, [], "the state both left says everything is up to date");
      assert.deepEqual(after.notes, [], "and nothing in it was damaged");
    }
  });
});

Deno.test("barchan clean during a build waits for it, then removes everything it built", async () => {
  await withProject({ "build.ts": PROJECT, "in.txt": "x-x\n" }, async (root) => {
    const building = startBuild(root);
    // Clean once the build is under way: its first output exists.
    for (let i = 0; i < 500 && (await readMaybe(root, "out/0.txt")) === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const cleaning = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", CLI, "clean"],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
      env: NO_SERVER,
    }).output();
    const [built, cleaned] = await Promise.all([finish(building), cleaning]);
    assert.equal(built.code, 0, built.stderr);
    assert.equal(cleaned.code, 0, new TextDecoder().decode(cleaned.stderr));
    assert.deepEqual(Object.keys(await snapshot(root, [])).sort(), [
      "build.ts",
      "in.txt",
      "runs.log",
    ]);
    const again = await buildOk(root);
    assert.equal(again.ran.length, RULES + 1, "everything is built again");
  });
});
