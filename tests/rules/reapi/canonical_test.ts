import assert from "node:assert/strict";
import { SAMPLES } from "./_samples.ts";
import { fromHex, python, pythonMissing, toHex } from "./_python.ts";

const ignore = pythonMissing !== undefined;

Deno.test({
  name: "every message encodes to the bytes Python's protobuf writes (deterministic)",
  ignore,
  async fn() {
    const expected = await python<Record<string, string>>("samples");
    assert.deepEqual(
      SAMPLES.map((s) => s.name).sort(),
      Object.keys(expected).sort(),
      "the samples of _samples.ts and _reapi_py.py differ",
    );
    for (const sample of SAMPLES) {
      assert.equal(toHex(sample.encode(sample.value)), expected[sample.name], sample.name);
    }
  },
});

Deno.test({
  name: "every message Python's protobuf encodes decodes to the same value",
  ignore,
  async fn() {
    const encoded = await python<Record<string, string>>("samples");
    for (const sample of SAMPLES) {
      assert.deepEqual(sample.decode(fromHex(encoded[sample.name])), sample.value, sample.name);
    }
  },
});

Deno.test({
  name:
    "Python's protobuf parses every encoded message with no unknown field, and re-encodes it unchanged",
  ignore,
  async fn() {
    const ours = Object.fromEntries(SAMPLES.map((s) => [s.name, toHex(s.encode(s.value))]));
    const reencoded = await python<Record<string, string>>("decode", ours);
    for (const sample of SAMPLES) {
      assert.equal(reencoded[sample.name], ours[sample.name], sample.name);
    }
  },
});
