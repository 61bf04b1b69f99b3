import assert from "node:assert/strict";
import { CancelledError, Ivar, parallelMap } from "../../fiber/mod.ts";

Deno.test("Ivar.read() waits for fill() and every reader gets the value", async () => {
  const ivar = new Ivar<string>();
  const reads = parallelMap([1, 2, 3], () => ivar.read());
  assert.equal(ivar.isFilled, false);
  assert.equal(ivar.peek(), undefined);
  ivar.fill("done");
  assert.deepEqual(await reads, ["done", "done", "done"]);
  assert.equal(await ivar.read(), "done");
  assert.equal(ivar.peek(), "done");
  assert.equal(ivar.isFilled, true);
});

Deno.test("Ivar.fill() a second time throws and keeps the first value", async () => {
  const ivar = new Ivar<number>();
  ivar.fill(1);
  assert.throws(() => ivar.fill(2), {
    name: "Error",
    message: "Cannot fill ivar: it was already filled",
  });
  assert.equal(await ivar.read(), 1);
});

Deno.test("Ivar can hold undefined, which counts as filled", async () => {
  const ivar = new Ivar<undefined>();
  ivar.fill(undefined);
  assert.equal(ivar.isFilled, true);
  assert.equal(await ivar.read(), undefined);
  assert.throws(() => ivar.fill(undefined), /already filled/);
});

Deno.test("cancelling a waiting Ivar.read() rejects it with CancelledError and spares the others", async () => {
  const ivar = new Ivar<number>();
  const controller = new AbortController();
  const cancelled = ivar.read({ signal: controller.signal });
  const other = ivar.read();
  controller.abort("no longer needed");
  const error = await cancelled.catch((e) => e);
  assert.ok(error instanceof CancelledError);
  assert.equal(error.reason, "no longer needed");
  ivar.fill(7);
  assert.equal(await other, 7);
});

Deno.test("Ivar.read() with an already aborted signal rejects even when filled", async () => {
  const ivar = new Ivar<number>();
  ivar.fill(1);
  await assert.rejects(ivar.read({ signal: AbortSignal.abort() }), CancelledError);
});
