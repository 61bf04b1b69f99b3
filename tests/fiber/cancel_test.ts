import assert from "node:assert/strict";
import {
  abortable,
  CancelledError,
  CancelScope,
  errorsOf,
  isCancellation,
  Ivar,
  Mvar,
  parallelIter,
  Throttle,
} from "../../fiber/mod.ts";

Deno.test("CancelledError carries its reason and names it in the message", () => {
  const plain = new CancelledError();
  assert.equal(plain.name, "CancelledError");
  assert.equal(plain.message, "Operation cancelled");
  assert.equal(plain.reason, undefined);
  assert.ok(plain instanceof Error);

  const cause = new Error("src/a.c changed");
  const error = new CancelledError(cause);
  assert.equal(error.reason, cause);
  assert.equal(error.cause, cause);
  assert.equal(error.message, "Operation cancelled: src/a.c changed");
  assert.equal(new CancelledError(AbortSignal.abort().reason).message, "Operation cancelled");
});

Deno.test("isCancellation() accepts CancelledError and AbortError only", () => {
  assert.ok(isCancellation(new CancelledError("x")));
  assert.ok(isCancellation(new DOMException("aborted", "AbortError")));
  assert.ok(!isCancellation(new DOMException("timed out", "TimeoutError")));
  assert.ok(!isCancellation(new Error("AbortError")));
  assert.ok(!isCancellation("cancelled"));
  assert.ok(!isCancellation(undefined));
});

Deno.test("CancelScope.cancel() aborts its signal with the reason, once", () => {
  const scope = new CancelScope();
  assert.equal(scope.cancelled, false);
  scope.throwIfCancelled();
  scope.cancel("first");
  scope.cancel("second");
  assert.ok(scope.cancelled);
  assert.equal(scope.signal.reason, "first");
  assert.throws(() => scope.throwIfCancelled(), (error) => {
    assert.ok(error instanceof CancelledError);
    assert.equal(error.reason, "first");
    return true;
  });
});

Deno.test("a child CancelScope is cancelled with its parent, not the other way round", () => {
  const parent = new CancelScope();
  const child = new CancelScope(parent.signal);
  const grandchild = new CancelScope(child.signal);
  const sibling = new CancelScope(parent.signal);
  sibling.cancel();
  assert.ok(sibling.cancelled);
  assert.equal(parent.cancelled, false);
  assert.equal(child.cancelled, false);
  parent.cancel("rebuild");
  assert.ok(child.cancelled);
  assert.ok(grandchild.cancelled);
  assert.equal(grandchild.signal.reason, "rebuild");
});

Deno.test("a CancelScope under an aborted signal starts out cancelled", () => {
  const scope = new CancelScope(AbortSignal.abort("gone"));
  assert.ok(scope.cancelled);
  assert.equal(scope.signal.reason, "gone");
});

Deno.test("abortable() rejects with CancelledError as soon as the signal aborts", async () => {
  const controller = new AbortController();
  const never = new Promise<never>(() => {});
  const waiting = abortable(never, controller.signal);
  controller.abort("stop");
  const error = await waiting.catch((e) => e);
  assert.ok(error instanceof CancelledError);
  assert.equal(error.reason, "stop");
  await assert.rejects(abortable(Promise.resolve(1), AbortSignal.abort()), CancelledError);
});

Deno.test("abortable() settles like the promise when the signal does not abort", async () => {
  const controller = new AbortController();
  assert.equal(await abortable(Promise.resolve(5), controller.signal), 5);
  await assert.rejects(abortable(Promise.reject(new Error("failed")), controller.signal), {
    message: "failed",
  });
  assert.equal(await abortable(Promise.resolve("no signal")), "no signal");
  controller.abort();
});

Deno.test("abortable() ignores a rejection that arrives after cancellation", async () => {
  const controller = new AbortController();
  const late = Promise.withResolvers<number>();
  const waiting = abortable(late.promise, controller.signal);
  controller.abort();
  await assert.rejects(waiting, CancelledError);
  late.reject(new Error("too late"));
  await new Promise((resolve) => setTimeout(resolve, 0));
});

Deno.test("cancelling a scope rejects every branch waiting on a throttle, ivar or mvar", async () => {
  const scope = new CancelScope();
  const throttle = new Throttle(1);
  const gate = Promise.withResolvers<void>();
  const holder = throttle.run(() => gate.promise);
  const ivar = new Ivar<number>();
  const mvar = new Mvar<number>();
  const { signal } = scope;
  const branches = parallelIter([
    () => throttle.run(() => "never", { signal }),
    () => ivar.read({ signal }),
    () => mvar.take({ signal }),
  ], (branch) => branch());
  scope.cancel("build cancelled");
  const errors = errorsOf(await branches.catch((e) => e));
  assert.equal(errors.length, 3);
  for (const error of errors) {
    assert.ok(error instanceof CancelledError);
    assert.equal(error.reason, "build cancelled");
  }
  gate.resolve();
  await holder;
  assert.equal(throttle.waiting, 0);
});
