import assert from "node:assert/strict";
import {
  decodeActionResult,
  decodeCommand,
  decodeDigest,
  decodeDirectory,
  decodeOperation,
  encodeDigest,
  encodeOperation,
  ProtoDecodeError,
  ProtoWriter,
} from "../../../rules/reapi/mod.ts";
import { SAMPLES } from "./_samples.ts";

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Fields no REAPI message uses, one of each wire type, a group included. */
function unknownFields(): Uint8Array {
  const w = new ProtoWriter();
  w.int64(4000, 2 ** 40);
  w.fixed64(4001, 0xffff_ffff_ffff_ffffn);
  w.string(4002, "from a newer server");
  w.fixed32(4003, 7);
  w.message(4004, {}, (w) => w.int64(1, -1));
  w.int32(4005, -1);
  const group = new Uint8Array([0xab, 0xfa, 0x0f, 0x08, 0x01, 0xac, 0xfa, 0x0f]); // group 32677, holding 1: varint
  return concat(w.finish(), group);
}

Deno.test("every message decodes to what was encoded, and encodes again to the same bytes", () => {
  for (const sample of SAMPLES) {
    const encoded = sample.encode(sample.value);
    const decoded = sample.decode(encoded);
    assert.deepEqual(decoded, sample.value, sample.name);
    assert.deepEqual(sample.encode(decoded), encoded, sample.name);
  }
});

Deno.test("every message decodes past unknown fields before, between and after its own", () => {
  const unknown = unknownFields();
  for (const sample of SAMPLES) {
    const encoded = sample.encode(sample.value);
    const half = _fieldBoundary(encoded);
    const padded = concat(
      unknown,
      encoded.subarray(0, half),
      unknown,
      encoded.subarray(half),
      unknown,
    );
    assert.deepEqual(sample.decode(padded), sample.value, sample.name);
  }
});

Deno.test("every message decodes from empty bytes, and from a truncated encoding throws ProtoDecodeError", () => {
  for (const sample of SAMPLES) {
    sample.decode(new Uint8Array());
    const encoded = sample.encode(sample.value);
    if (encoded.length === 0) continue;
    assert.throws(
      () => sample.decode(encoded.subarray(0, encoded.length - 1)),
      ProtoDecodeError,
      sample.name,
    );
  }
});

Deno.test("decoders skip fields REAPI added that the model leaves out (node properties, output formats)", () => {
  const digest = { hash: "a".repeat(64), sizeBytes: 5 };
  const nodeProperties = (w: ProtoWriter) => {
    w.message(1, { name: "mtime", value: "1" }, (w, p) => {
      w.string(1, p.name);
      w.string(2, p.value);
    });
    w.message(3, 0o755, (w, mode) => w.uint64(1, mode));
  };

  const dir = new ProtoWriter();
  dir.message(1, digest, (w, d) => {
    w.string(1, "run.sh");
    w.encodedMessage(2, concat(encodeDigest(d), unknownFields()));
    w.bool(4, true);
    w.message(6, {}, nodeProperties);
  });
  dir.message(5, {}, nodeProperties);
  assert.deepEqual(decodeDirectory(dir.finish()), {
    files: [{ name: "run.sh", digest, isExecutable: true }],
    directories: [],
    symlinks: [],
  });

  const result = new ProtoWriter();
  result.message(2, digest, (w, d) => {
    w.string(1, "out");
    w.encodedMessage(2, encodeDigest(d));
    w.message(7, {}, nodeProperties);
  });
  result.int32(4, 3);
  assert.deepEqual(decodeActionResult(result.finish()), {
    outputFiles: [{ path: "out", digest, isExecutable: false }],
    outputDirectories: [],
    exitCode: 3,
  });

  const command = new ProtoWriter();
  command.repeatedString(1, ["true"]);
  command.repeatedString(8, ["mtime"]);
  command.int32(9, 2);
  assert.deepEqual(decodeCommand(command.finish()), {
    arguments: ["true"],
    environmentVariables: [],
    outputPaths: [],
    workingDirectory: "",
  });
});

Deno.test("decodeDigest() refuses a size beyond 2^53 - 1 and a hash that is not UTF-8", () => {
  const w = new ProtoWriter();
  w.string(1, "ab");
  const head = w.finish();
  const huge = new Uint8Array([0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  assert.throws(() => decodeDigest(concat(head, huge)), /int64 beyond/);
  assert.throws(() => decodeDigest(new Uint8Array([0x0a, 1, 0xff])), /not valid UTF-8/);
});

Deno.test("an Operation keeps the last of its error and response, as a oneof does", () => {
  const error = { code: 13, message: "internal" };
  const response = { typeUrl: "type.googleapis.com/x.Y", value: new Uint8Array([1]) };
  const withError = encodeOperation({ name: "op", done: true, error });
  const withResponse = encodeOperation({ name: "op", done: true, response });
  assert.deepEqual(decodeOperation(concat(withError, withResponse)), {
    name: "op",
    done: true,
    response,
  });
  assert.deepEqual(decodeOperation(concat(withResponse, withError)), {
    name: "op",
    done: true,
    error,
  });
  // Both given: the error is encoded, the response dropped.
  assert.deepEqual(
    encodeOperation({ name: "op", done: true, error, response }),
    withError,
  );
});

/** An offset between two top-level fields near the middle of a message. */
function _fieldBoundary(encoded: Uint8Array): number {
  const boundaries = [0];
  let at = 0;
  while (at < encoded.length) {
    const [tag, afterTag] = _varint(encoded, at);
    const wireType = tag & 7;
    if (wireType === 0) at = _varint(encoded, afterTag)[1];
    else if (wireType === 1) at = afterTag + 8;
    else if (wireType === 5) at = afterTag + 4;
    else {
      const [length, afterLength] = _varint(encoded, afterTag);
      at = afterLength + length;
    }
    boundaries.push(at);
  }
  return boundaries[Math.floor(boundaries.length / 2)];
}

function _varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  while (bytes[at] & 0x80) {
    value += (bytes[at++] & 0x7f) * scale;
    scale *= 128;
  }
  return [value + bytes[at] * scale, at + 1];
}
