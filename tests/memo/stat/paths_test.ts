// The path operations of memo/stat/paths.ts give node:path's results.

import assert from "node:assert/strict";
import * as path from "node:path";
import { dirnamePath, joinPath, relativePath, resolvePath } from "../../../memo/stat/paths.ts";
import { prng } from "../../_prng.ts";

const SEGMENTS = ["a", "b", "c.d", "..", ".", "", "e f", "...", "a"];

function randomPath(next: () => number, absolute: boolean): string {
  const count = Math.floor(next() * 5);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(SEGMENTS[Math.floor(next() * SEGMENTS.length)]);
  const text = parts.join("/") + (next() < 0.2 ? "/" : "");
  return absolute ? "/" + text : text;
}

Deno.test("resolvePath, joinPath, dirnamePath and relativePath agree with node:path", () => {
  const next = prng(42);
  for (let i = 0; i < 5000; i++) {
    const a = randomPath(next, true);
    const b = randomPath(next, next() < 0.5);
    const c = randomPath(next, false);
    assert.equal(resolvePath(a, b, c), path.resolve(a, b, c), `resolve(${a}, ${b}, ${c})`);
    assert.equal(resolvePath(c), path.resolve(c), `resolve(${c})`);
    assert.equal(joinPath(a, c, b), path.join(a, c, b), `join(${a}, ${c}, ${b})`);
    assert.equal(dirnamePath(path.normalize(a)), path.dirname(path.normalize(a)), `dirname(${a})`);
    assert.equal(relativePath(a, b), path.relative(a, b), `relative(${a}, ${b})`);
  }
});
