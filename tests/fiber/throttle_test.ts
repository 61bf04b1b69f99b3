import assert from "node:assert/strict";
import { CancelledError, parallelIter, Throttle } from "../../fiber/mod.ts";

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function sleepProcess(): Promise<void> {
  const { success } = await new Deno.Command("sleep", { args: ["0.05"] }).output();
  assert.ok(success);
}

Deno.test("Throttle never runs more than N of 200 queued jobs and starts them in FIFO order", async () => {
  const throttle = new Throttle(4);
  let active = 0;
  let peak = 0;
  const started: number[] = [];
  await parallelIter(Array.from({ length: 200 }, (_, i) => i), (i) =>
    throttle.run(async () => {
      started.push(i);
      active++;
      peak = Math.max(peak, active);
      assert.ok(throttle.running <= 4);
      if (i % 10 === 0) await sleepProcess();
      else await tick();
      active--;
    }));
  assert.equal(peak, 4);
  assert.deepEqual(started, Array.from({ length: 200 }, (_, i) => i));
  assert.equal(throttle.running, 0);
  assert.equal(throttle.waiting, 0);
});

Deno.test("Throttle.run() returns the job's result and releases the slot on failure", async () => {
  const throttle = new Throttle(1);
  assert.equal(await throttle.run(() => 1), 1);
  assert.equal(await throttle.run(() => Promise.resolve("async")), "async");
  await assert.rejects(throttle.run(() => Promise.reject(new Error("job failed"))), {
    message: "job failed",
  });
  await assert.rejects(
    throttle.run(() => {
      throw new Error("sync throw");
    }),
    { message: "sync throw" },
  );
  assert.equal(throttle.running, 0);
  assert.equal(await throttle.run(() => "still usable"), "still usable");
});

function gatedJobs(throttle: Throttle, count: number) {
  const gates = Array.from({ length: count }, () => Promise.withResolvers<void>());
  const started: number[] = [];
  const done = parallelIter(gates, (gate, i) =>
    throttle.run(async () => {
      started.push(i);
      await gate.promise;
    }));
  return { gates, started, done };
}

Deno.test("growing a Throttle starts waiting jobs at once", async () => {
  const throttle = new Throttle(2);
  const { gates, started, done } = gatedJobs(throttle, 6);
  await tick();
  assert.deepEqual(started, [0, 1]);
  assert.equal(throttle.waiting, 4);
  throttle.capacity = 4;
  assert.equal(throttle.capacity, 4);
  assert.equal(throttle.running, 4);
  assert.equal(throttle.waiting, 2);
  await tick();
  assert.deepEqual(started, [0, 1, 2, 3]);
  for (const gate of gates) gate.resolve();
  await done;
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
});

Deno.test("shrinking a Throttle lets running jobs finish and starts none until below N", async () => {
  const throttle = new Throttle(4);
  const { gates, started, done } = gatedJobs(throttle, 6);
  await tick();
  assert.deepEqual(started, [0, 1, 2, 3]);
  throttle.resize(2);
  assert.equal(throttle.running, 4);
  gates[0].resolve();
  await tick();
  assert.equal(throttle.running, 3);
  gates[1].resolve();
  await tick();
  assert.equal(throttle.running, 2);
  assert.deepEqual(started, [0, 1, 2, 3]);
  gates[2].resolve();
  await tick();
  assert.equal(throttle.running, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  for (const gate of gates) gate.resolve();
  await done;
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
});

Deno.test("a queued Throttle job whose signal aborts leaves the queue with CancelledError", async () => {
  const throttle = new Throttle(1);
  const gate = Promise.withResolvers<void>();
  const holder = throttle.run(() => gate.promise);
  const controller = new AbortController();
  const ran: string[] = [];
  const cancelled = throttle.run(() => ran.push("cancelled"), { signal: controller.signal });
  const kept = throttle.run(() => ran.push("kept"));
  assert.equal(throttle.waiting, 2);
  controller.abort("superseded");
  assert.equal(throttle.waiting, 1);
  const error = await cancelled.catch((e) => e);
  assert.ok(error instanceof CancelledError);
  assert.equal(error.reason, "superseded");
  gate.resolve();
  await Promise.all([holder, kept]);
  assert.deepEqual(ran, ["kept"]);
  assert.equal(throttle.running, 0);
});

Deno.test("Throttle.run() with an already aborted signal rejects without running", async () => {
  const throttle = new Throttle(2);
  let ran = false;
  await assert.rejects(
    throttle.run(() => ran = true, { signal: AbortSignal.abort() }),
    CancelledError,
  );
  assert.equal(ran, false);
  assert.equal(throttle.running, 0);
});

Deno.test("cancelling many queued Throttle jobs keeps the rest in order", async () => {
  const throttle = new Throttle(1);
  const gate = Promise.withResolvers<void>();
  const holder = throttle.run(() => gate.promise);
  const controllers = Array.from({ length: 3000 }, () => new AbortController());
  const order: number[] = [];
  const jobs = controllers.map((controller, i) =>
    throttle.run(() => order.push(i), { signal: controller.signal }).catch((e) => {
      assert.ok(e instanceof CancelledError);
    })
  );
  controllers.forEach((controller, i) => {
    if (i % 3 !== 0) controller.abort();
  });
  assert.equal(throttle.waiting, 1000);
  gate.resolve();
  await Promise.all([holder, ...jobs]);
  assert.deepEqual(order, Array.from({ length: 1000 }, (_, i) => i * 3));
});

Deno.test("Throttle rejects a capacity that is not an integer of at least 1", () => {
  for (const bad of [0, -1, 1.5, NaN]) {
    assert.throws(() => new Throttle(bad), {
      name: "RangeError",
      message:
        `Cannot set throttle capacity to ${bad}: it must be an integer of at least 1 or Infinity`,
    });
  }
  const throttle = new Throttle(3);
  assert.throws(() => throttle.capacity = 0, RangeError);
  assert.equal(throttle.capacity, 3);
  assert.equal(new Throttle(Infinity).capacity, Infinity);
});
