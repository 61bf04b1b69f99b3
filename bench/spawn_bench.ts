// Process spawn throughput: Scheduler.spawn against a bare Deno.Command loop
// at the same concurrency. Each case runs 200 `true` processes, 2 at a time,
// so the difference is the scheduler's per-job cost: the cached program
// lookup, the throttle, slot bookkeeping and events (and, outside Linux,
// starting the child in its own session through the `setsid` utility; see
// fiber/_child_process.ts).
//
// The last case shows why `detached: true` is only a fallback: it forks the
// whole parent instead of using posix_spawn.
//
// Run: deno bench -A bench/spawn_bench.ts

import { Scheduler } from "../fiber/mod.ts";

const COUNT = 200;
const JOBS = 2;
const RUNS = { n: 10, warmup: 2 };

/** Runs `job` COUNT times with at most JOBS running at once. */
async function pool(job: () => Promise<unknown>): Promise<void> {
  let next = 0;
  async function worker(): Promise<void> {
    while (next++ < COUNT) await job();
  }
  await Promise.all(Array.from({ length: JOBS }, worker));
}

Deno.bench({
  group: "spawn",
  name: `Deno.Command.output() x${COUNT}, ${JOBS} at a time`,
  baseline: true,
  ...RUNS,
  async fn() {
    await pool(() => new Deno.Command("true").output());
  },
});

const scheduler = new Scheduler({ jobs: JOBS });
Deno.bench({
  group: "spawn",
  name: `Scheduler.spawn() x${COUNT}, jobs = ${JOBS}`,
  ...RUNS,
  async fn() {
    await Promise.all(Array.from({ length: COUNT }, () => scheduler.spawn("true", [])));
  },
});

let events = 0;
const observed = new Scheduler({ jobs: JOBS, onEvent: () => events++ });
Deno.bench({
  group: "spawn",
  name: `Scheduler.spawn() x${COUNT}, jobs = ${JOBS}, with an event listener`,
  ...RUNS,
  async fn() {
    await Promise.all(Array.from({ length: COUNT }, () => observed.spawn("true", [])));
  },
});

Deno.bench({
  group: "spawn",
  name: `Deno.Command({ detached: true }).spawn() x${COUNT}, ${JOBS} at a time`,
  // Slow: a few runs show the gap.
  n: 3,
  warmup: 1,
  async fn() {
    await pool(() => new Deno.Command("true", { detached: true, stdout: "null" }).spawn().status);
  },
});
