import assert from "node:assert/strict";
import {
  forkAndJoin,
  ParallelError,
  parallelIter,
  parallelMap,
  Throttle,
  withErrorHandler,
} from "../../fiber/mod.ts";

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function messages(errors: unknown[]): string[] {
  return errors.map((error) => (error as Error).message);
}

Deno.test("three failing branches reach the handler before the combinator settles", async () => {
  const reported: unknown[] = [];
  const gate = Promise.withResolvers<void>();
  let settled = false;
  const build = withErrorHandler(
    () =>
      parallelIter([0, 1, 2, 3], async (n) => {
        if (n === 3) return gate.promise;
        await tick();
        throw new Error(`target ${n} failed`);
      }),
    (error) => reported.push(error),
  ).finally(() => settled = true);
  while (reported.length < 3) await tick();
  assert.equal(settled, false);
  assert.deepEqual(messages(reported).sort(), [
    "target 0 failed",
    "target 1 failed",
    "target 2 failed",
  ]);
  gate.resolve();
  const error = await build.catch((e) => e);
  assert.ok(error instanceof ParallelError);
  assert.deepEqual(new Set(error.errors), new Set(reported));
  assert.equal(reported.length, 3);
});

Deno.test("errors of nested combinators are reported once each", async () => {
  const reported: unknown[] = [];
  await assert.rejects(withErrorHandler(
    () =>
      parallelMap(
        [0, 1],
        (outer) => parallelMap([0, 1], (inner) => Promise.reject(new Error(`${outer}.${inner}`))),
      ),
    (error) => reported.push(error),
  ));
  assert.deepEqual(messages(reported).sort(), ["0.0", "0.1", "1.0", "1.1"]);
});

Deno.test("the same error object reached through two paths is reported once", async () => {
  const shared = new Error("shared dependency failed");
  const reported: unknown[] = [];
  const error = await withErrorHandler(
    () =>
      forkAndJoin(
        () => parallelIter([1, 2], () => Promise.reject(shared)),
        () => Promise.reject(shared),
      ),
    (e) => reported.push(e),
  ).catch((e) => e);
  assert.equal(error, shared);
  assert.deepEqual(reported, [shared]);
});

Deno.test("an error escaping without a combinator is reported when the function rejects", async () => {
  const reported: unknown[] = [];
  const boom = new Error("boom");
  await assert.rejects(
    withErrorHandler(async () => {
      await tick();
      throw boom;
    }, (e) => reported.push(e)),
    (e) => e === boom,
  );
  assert.deepEqual(reported, [boom]);
});

Deno.test("withErrorHandler() resolves with the result and reports nothing on success", async () => {
  const reported: unknown[] = [];
  const value = await withErrorHandler(
    () => parallelMap([1, 2], (n) => Promise.resolve(n)),
    (e) => {
      reported.push(e);
    },
  );
  assert.deepEqual(value, [1, 2]);
  assert.deepEqual(reported, []);
});

Deno.test("an error caught inside the function was still reported", async () => {
  const reported: unknown[] = [];
  const value = await withErrorHandler(async () => {
    try {
      await forkAndJoin(() => Promise.reject(new Error("recovered")), () => 1);
    } catch {
      return "fallback";
    }
    return "unreachable";
  }, (e) => reported.push(e));
  assert.equal(value, "fallback");
  assert.deepEqual(messages(reported), ["recovered"]);
});

Deno.test("only the innermost handler hears about an error", async () => {
  const outer: unknown[] = [];
  const inner: unknown[] = [];
  const error = await withErrorHandler(
    () =>
      parallelIter(
        [0, 1],
        (n) =>
          n === 0
            ? withErrorHandler(() => Promise.reject(new Error("inner")), (e) => inner.push(e))
            : Promise.reject(new Error("outer")),
      ),
    (e) => outer.push(e),
  ).catch((e) => e);
  assert.deepEqual(messages(inner), ["inner"]);
  assert.deepEqual(messages(outer), ["outer"]);
  assert.deepEqual(messages(errorsOfParallel(error)), ["inner", "outer"]);
});

function errorsOfParallel(error: unknown): unknown[] {
  assert.ok(error instanceof ParallelError);
  return error.errors;
}

Deno.test("what an inner handler throws goes to the enclosing handler", async () => {
  const outer: unknown[] = [];
  const original = new Error("compile failed");
  const forwarded = new Error("forwarded");
  await assert.rejects(withErrorHandler(
    () =>
      withErrorHandler(() => parallelIter([original], (e) => Promise.reject(e)), () => {
        throw forwarded;
      }),
    (e) => outer.push(e),
  ));
  assert.deepEqual(outer, [forwarded]);
});

Deno.test("what the outermost handler throws rejects withErrorHandler()", async () => {
  const broken = new Error("handler bug");
  await assert.rejects(
    withErrorHandler(async () => {
      await forkAndJoin(() => Promise.reject(new Error("x")), () => 1).catch(() => {});
      return "done";
    }, () => {
      throw broken;
    }),
    (e) => e === broken,
  );
});

Deno.test("sibling handlers running at the same time each hear only their own errors", async () => {
  const a: unknown[] = [];
  const b: unknown[] = [];
  function failingBuild(name: string): Promise<void> {
    return parallelIter([1, 2], async (n) => {
      await tick();
      throw new Error(`${name}${n}`);
    });
  }
  await Promise.allSettled([
    withErrorHandler(() => failingBuild("a"), (e) => a.push(e)),
    withErrorHandler(() => failingBuild("b"), (e) => b.push(e)),
  ]);
  assert.deepEqual(messages(a).sort(), ["a1", "a2"]);
  assert.deepEqual(messages(b).sort(), ["b1", "b2"]);
});

Deno.test("the handler follows work through awaits and throttled jobs", async () => {
  const reported: unknown[] = [];
  const throttle = new Throttle(1);
  await assert.rejects(withErrorHandler(async () => {
    await tick();
    await parallelIter([1, 2, 3], (n) =>
      throttle.run(async () => {
        await tick();
        return forkAndJoin(() => Promise.reject(new Error(`job ${n}`)), tick);
      }));
  }, (e) => reported.push(e)));
  assert.deepEqual(messages(reported), ["job 1", "job 2", "job 3"]);
});

Deno.test("thrown strings are reported and compared by value", async () => {
  const reported: unknown[] = [];
  await assert.rejects(withErrorHandler(
    () => parallelIter(["x", "x", "y"], (s) => Promise.reject(s)),
    (e) => reported.push(e),
  ));
  assert.deepEqual(reported, ["x", "y"]);
});
