// One of two processes storing the same actions into one local action cache
// at once, then restoring them: every hit must restore exactly the bytes
// stored, and nothing may be torn. Usage: deno run -A _store_worker.ts
// CACHE_DIR WORK_DIR ROUNDS; exits 1 with a message on the first wrong read.

import { openActionCache } from "../../../rules/cache/action_cache.ts";
import { makeAction } from "./_action.ts";

const [cacheDir, workDir, rounds] = Deno.args;
const warnings: string[] = [];
const cache = (await openActionCache({ cacheDir, warn: (m) => warnings.push(m) }))!;

function fail(message: string): never {
  console.error(`${workDir}: ${message}`);
  Deno.exit(1);
}

for (let i = 0; i < Number(rounds); i++) {
  // Both processes store the same actions with the same outputs.
  const files = {
    [`out/${i}.txt`]: `output ${i} `.repeat(1 + (i * 997) % 5000),
    "out/run.sh": `#!/bin/sh\necho ${i}\n`,
  };
  const made = await makeAction(`${workDir}/build`, `shared ${i}`, files, `stdout of ${i}\n`);
  await cache.store(made.action, made.result, made.outputs, made.blobs);
  const found = await cache.lookup(made.action);
  if ("miss" in found) fail(`action ${i} missed right after it was stored: ${found.miss}`);
  for (const file of found.result.outputFiles) {
    const to = `${workDir}/restored/${file.path}`;
    if (!await cache.restoreFile(file.digest, to, { executable: file.isExecutable })) {
      fail(`output ${file.path} of action ${i} was not restored`);
    }
    const got = await Deno.readFile(to);
    const want = made.contents.get(file.path)!;
    if (got.length !== want.length || !got.every((b, j) => b === want[j])) {
      fail(`output ${file.path} of action ${i} restored with other bytes`);
    }
  }
  const stdout = await cache.getBlob(found.result.stdoutDigest!);
  if (new TextDecoder().decode(stdout) !== `stdout of ${i}\n`) fail(`wrong stdout for ${i}`);
}
await cache.flush();
cache.close();
if (warnings.length > 0) fail(`warnings: ${warnings.join("; ")}`);
console.log(JSON.stringify(cache.stats()));
