import assert from "node:assert/strict";
import { Engine, memo } from "../../memo/mod.ts";

const depthStep = memo(
  "depthStep",
  async (n: number): Promise<number> => n === 0 ? 0 : 1 + await depthStep(n - 1),
);

Deno.test("a chain of 20,000 memo calls, each needing the next, evaluates without overflowing", async () => {
  const engine = new Engine();
  assert.equal(await engine.run(() => depthStep(20_000)), 20_000);
  assert.equal(engine.stats().get("depthStep")?.executed, 20_001);
  // Re-checking the whole chain after a change nothing reads.
  engine.invalidateAll();
  assert.equal(await engine.run(() => depthStep(20_000)), 20_000);
  assert.equal(engine.stats().get("depthStep")?.executed, 20_001);
});
