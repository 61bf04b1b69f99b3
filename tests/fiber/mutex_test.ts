import assert from "node:assert/strict";
import { CancelledError, Mutex, parallelIter } from "../../fiber/mod.ts";

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("Mutex.withLock() runs one section at a time in request order", async () => {
  const mutex = new Mutex();
  let inside = 0;
  const order: number[] = [];
  await parallelIter([0, 1, 2, 3, 4], (n) =>
    mutex.withLock(async () => {
      inside++;
      assert.equal(inside, 1);
      assert.ok(mutex.locked);
      await tick();
      order.push(n);
      inside--;
    }));
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(mutex.locked, false);
});

Deno.test("Mutex.withLock() releases the lock when the section fails", async () => {
  const mutex = new Mutex();
  await assert.rejects(mutex.withLock(() => Promise.reject(new Error("section failed"))), {
    message: "section failed",
  });
  await assert.rejects(
    mutex.withLock(() => {
      throw new Error("sync failure");
    }),
    { message: "sync failure" },
  );
  assert.equal(mutex.locked, false);
  assert.equal(await mutex.withLock(() => "free again"), "free again");
});

Deno.test("cancelling a wait for the Mutex rejects with CancelledError without running", async () => {
  const mutex = new Mutex();
  const gate = Promise.withResolvers<void>();
  const holder = mutex.withLock(() => gate.promise);
  const controller = new AbortController();
  let ran = false;
  const waiter = mutex.withLock(() => {
    ran = true;
  }, { signal: controller.signal });
  controller.abort();
  await assert.rejects(waiter, CancelledError);
  gate.resolve();
  await holder;
  assert.equal(ran, false);
  assert.equal(mutex.locked, false);
});
