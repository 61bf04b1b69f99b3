// The action cache's cost per action, local tier only: a lookup that misses
// (the cost every action that runs pays first), a lookup that hits, a hit
// with its output restored, and storing a result. 200 actions, each with one
// 4 KiB output and a stdout blob; the baseline is the miss.
//
// Goal: a miss costs well under the spawn of the process it precedes (about
// 1 ms here, see spawn_bench.ts); a hit with its output restored costs less
// than running the action would.

import { openActionCache } from "../rules/cache/action_cache.ts";
import type { ActionResult } from "../rules/reapi/action_result.ts";
import { type Digest, sha256Digest } from "../rules/reapi/digest.ts";

const N = 200;
const encoder = new TextEncoder();
const dir = await Deno.makeTempDir({ prefix: "barchan_cache_bench_" });
const cache = (await openActionCache({ cacheDir: `${dir}/cache`, warn: () => {} }))!;

interface Made {
  action: Digest;
  result: ActionResult;
  output: { path: string; digest: Digest };
  stdout: { digest: Digest; bytes: Uint8Array };
}

async function make(i: number, prefix: string): Promise<Made> {
  const bytes = encoder.encode(`${prefix} ${i} `.repeat(400).slice(0, 4096));
  const path = `${dir}/build/${prefix}-${i}.o`;
  await Deno.mkdir(`${dir}/build`, { recursive: true });
  await Deno.writeFile(path, bytes);
  const digest = await sha256Digest(bytes);
  const out = encoder.encode(`compiled ${i}\n`);
  const stdout = { digest: await sha256Digest(out), bytes: out };
  return {
    action: await sha256Digest(encoder.encode(`${prefix} action ${i}`)),
    result: {
      outputFiles: [{ path: `${prefix}-${i}.o`, digest, isExecutable: false }],
      outputDirectories: [],
      exitCode: 0,
      stdoutDigest: stdout.digest,
    },
    output: { path, digest },
    stdout,
  };
}

const stored = await Promise.all(Array.from({ length: N }, (_, i) => make(i, "stored")));
for (const made of stored) {
  await cache.store(made.action, made.result, [made.output], [made.stdout]);
}
const missing = await Promise.all(Array.from({ length: N }, (_, i) => make(i, "missing")));
let round = 0;

Deno.bench({
  group: "lookup",
  name: `miss, ${N} actions`,
  baseline: true,
  async fn() {
    for (const made of missing) await cache.lookup(made.action);
  },
});

Deno.bench({
  group: "lookup",
  name: `local hit, ${N} actions`,
  async fn() {
    for (const made of stored) await cache.lookup(made.action);
  },
});

Deno.bench({
  group: "lookup",
  name: `local hit and restore (4 KiB output, stdout), ${N} actions`,
  async fn() {
    for (const made of stored) {
      await cache.lookup(made.action);
      const file = made.result.outputFiles[0];
      await cache.restoreFile(file.digest, `${dir}/restored/${file.path}`, { executable: false });
      await cache.getBlob(made.stdout.digest);
    }
  },
});

Deno.bench({
  group: "store",
  name: `store (4 KiB output, stdout), ${N} actions`,
  async fn() {
    round++;
    for (const made of stored) {
      // Another key each round, with the same blobs: what a rebuild with a changed flag stores.
      const action = await sha256Digest(encoder.encode(`round ${round} ${made.action.hash}`));
      await cache.store(action, made.result, [made.output], [made.stdout]);
    }
  },
});

globalThis.addEventListener("unload", () => {
  cache.close();
  Deno.removeSync(dir, { recursive: true });
});
