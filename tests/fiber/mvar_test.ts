import assert from "node:assert/strict";
import { CancelledError, Mvar, parallelIter, parallelMap } from "../../fiber/mod.ts";

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("Mvar with several producers and consumers delivers each value exactly once", async () => {
  const mailbox = new Mvar<number>();
  const producers = 4;
  const perProducer = 50;
  const consumers = 5;
  const total = producers * perProducer;
  const received: number[][] = [];
  await parallelIter([
    ...Array.from({ length: producers }, (_, p) => async () => {
      for (let i = 0; i < perProducer; i++) {
        await mailbox.put(p * perProducer + i);
        if (i % 7 === 0) await tick();
      }
    }),
    ...Array.from({ length: consumers }, (_, c) => async () => {
      const mine: number[] = [];
      received[c] = mine;
      for (let i = 0; i < total / consumers; i++) {
        mine.push(await mailbox.take());
        if (i % 5 === 0) await tick();
      }
    }),
  ], (run) => run());
  const all = received.flat().sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: total }, (_, i) => i));
});

Deno.test("Mvar preserves each producer's order", async () => {
  const mailbox = new Mvar<string>();
  const [, taken] = await parallelMap([
    async () => {
      for (const v of ["a1", "a2", "a3"]) await mailbox.put(v);
      return [];
    },
    async () => {
      const out: string[] = [];
      for (let i = 0; i < 3; i++) out.push(await mailbox.take());
      return out;
    },
  ], (run) => run());
  assert.deepEqual(taken, ["a1", "a2", "a3"]);
});

Deno.test("Mvar serves waiting takers first come, first served", async () => {
  const mailbox = new Mvar<number>();
  const order: string[] = [];
  const takers = ["first", "second", "third"].map((name) =>
    mailbox.take().then((value) => order.push(`${name}:${value}`))
  );
  for (const n of [1, 2, 3]) await mailbox.put(n);
  await Promise.all(takers);
  assert.deepEqual(order, ["first:1", "second:2", "third:3"]);
});

Deno.test("Mvar serves waiting putters first come, first served", async () => {
  const mailbox = new Mvar<number>();
  await mailbox.put(0);
  const puts = [1, 2, 3].map((n) => mailbox.put(n));
  const taken: number[] = [];
  for (let i = 0; i < 4; i++) taken.push(await mailbox.take());
  await Promise.all(puts);
  assert.deepEqual(taken, [0, 1, 2, 3]);
});

Deno.test("a cancelled Mvar.take() rejects with CancelledError and consumes nothing", async () => {
  const mailbox = new Mvar<string>();
  const controller = new AbortController();
  const cancelled = mailbox.take({ signal: controller.signal });
  const next = mailbox.take();
  controller.abort();
  await assert.rejects(cancelled, CancelledError);
  await mailbox.put("only");
  assert.equal(await next, "only");
  await assert.rejects(mailbox.take({ signal: AbortSignal.abort() }), CancelledError);
});

Deno.test("a cancelled Mvar.put() rejects with CancelledError and delivers nothing", async () => {
  const mailbox = new Mvar<string>();
  await mailbox.put("kept");
  const controller = new AbortController();
  const cancelled = mailbox.put("dropped", { signal: controller.signal });
  const later = mailbox.put("later");
  controller.abort();
  await assert.rejects(cancelled, CancelledError);
  assert.equal(await mailbox.take(), "kept");
  await later;
  assert.equal(await mailbox.take(), "later");
  await assert.rejects(mailbox.put("x", { signal: AbortSignal.abort() }), CancelledError);
  const pending = mailbox.take();
  await mailbox.put("after");
  assert.equal(await pending, "after");
});

Deno.test("an abort after a taker was served does not lose its value", async () => {
  const mailbox = new Mvar<number>();
  const controller = new AbortController();
  const take = mailbox.take({ signal: controller.signal });
  await mailbox.put(42);
  controller.abort();
  assert.equal(await take, 42);
});
