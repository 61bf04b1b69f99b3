import assert from "node:assert/strict";
import { ProtoDecodeError, ProtoReader, ProtoWriter } from "../../../rules/reapi/proto.ts";

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

/** Reads a message of one field with `read`, checking the field number. */
function readOnly<T>(encoded: Uint8Array, field: number, read: (r: ProtoReader) => T): T {
  const r = new ProtoReader(encoded);
  assert.equal(r.next(), true);
  assert.equal(r.field, field);
  const value = read(r);
  assert.equal(r.next(), false);
  return value;
}

Deno.test("ProtoWriter writes int64 varints at every length boundary", () => {
  const cases: [number, number[]][] = [
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [16_383, [0xff, 0x7f]],
    [16_384, [0x80, 0x80, 0x01]],
    [2 ** 31 - 1, [0xff, 0xff, 0xff, 0xff, 0x07]],
    [2 ** 32, [0x80, 0x80, 0x80, 0x80, 0x10]],
    [2.5 * 2 ** 30, [0x80, 0x80, 0x80, 0x80, 0x0a]],
    [2 ** 53 - 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
    [-1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    [-(2 ** 32), [0x80, 0x80, 0x80, 0x80, 0xf0, 0xff, 0xff, 0xff, 0xff, 0x01]],
    [-(2 ** 53 - 1), [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0xf0, 0xff, 0x01]],
  ];
  for (const [value, varint] of cases) {
    const w = new ProtoWriter();
    w.int64(2, value);
    const encoded = w.finish();
    assert.deepEqual(encoded, bytes(0x10, ...varint), `int64 ${value}`);
    assert.equal(readOnly(encoded, 2, (r) => r.int64()), value, `int64 ${value} read back`);
  }
});

Deno.test("ProtoWriter leaves out every default and writes present empty messages", () => {
  const w = new ProtoWriter();
  w.int32(1, 0);
  w.int64(2, 0);
  w.uint64(3, undefined);
  w.bool(4, false);
  w.string(5, "");
  w.bytes(6, new Uint8Array());
  w.fixed32(7, 0);
  w.fixed64(8, 0n);
  w.packedInt32(9, []);
  w.repeatedString(10, []);
  w.message(11, undefined, () => assert.fail("not called for undefined"));
  assert.equal(w.finish().length, 0);

  const present = new ProtoWriter();
  present.message(11, {}, () => {});
  present.encodedMessage(12, new Uint8Array());
  present.repeatedString(13, ["", "a"]);
  present.repeatedMessage(14, [{}, {}], () => {});
  assert.deepEqual(
    present.finish(),
    bytes(0x5a, 0, 0x62, 0, 0x6a, 0, 0x6a, 1, 0x61, 0x72, 0, 0x72, 0),
  );
});

Deno.test("ProtoWriter sign-extends negative int32 to ten bytes, as protobuf does", () => {
  const w = new ProtoWriter();
  w.int32(4, -2);
  const encoded = w.finish();
  assert.deepEqual(
    encoded,
    bytes(0x20, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
  );
  assert.equal(readOnly(encoded, 4, (r) => r.int32()), -2);
  assert.equal(readOnly(encoded, 4, (r) => r.int64()), -2);
});

Deno.test("ProtoReader.int32() keeps the low 32 bits of a wider varint", () => {
  // 2^32 + 5 as a varint: an int32 field reads it as 5, like protobuf's parsers.
  const encoded = bytes(0x08, 0x85, 0x80, 0x80, 0x80, 0x10);
  assert.equal(readOnly(encoded, 1, (r) => r.int32()), 5);
  assert.equal(readOnly(encoded, 1, (r) => r.int64()), 2 ** 32 + 5);
});

Deno.test("ProtoReader refuses int64 and uint64 values a number cannot hold exactly", () => {
  const twoTo53 = bytes(0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10);
  assert.throws(() => readOnly(twoTo53, 1, (r) => r.int64()), ProtoDecodeError);
  assert.throws(() => readOnly(twoTo53, 1, (r) => r.uint64()), ProtoDecodeError);
  const maxUint64 = bytes(0x08, ...new Array(9).fill(0xff), 0x01);
  assert.equal(readOnly(maxUint64, 1, (r) => r.int64()), -1);
  assert.throws(() => readOnly(maxUint64, 1, (r) => r.uint64()), /uint64 above 2\^53 - 1/);
});

Deno.test("ProtoWriter refuses values its field type cannot hold", () => {
  const w = new ProtoWriter();
  assert.throws(() => w.int64(1, 2 ** 53), RangeError);
  assert.throws(() => w.int64(1, 1.5), RangeError);
  assert.throws(() => w.int32(1, 2 ** 31), RangeError);
  assert.throws(() => w.uint64(1, -1), RangeError);
  assert.throws(() => w.fixed32(1, 2 ** 32), RangeError);
  assert.throws(() => w.fixed64(1, 1n << 64n), RangeError);
  assert.throws(() => w.packedInt32(1, [1, 2 ** 31]), RangeError);
  assert.throws(() => w.string(0, "a"), /field number 0/);
  assert.throws(() => w.string(2 ** 29, "a"), RangeError);
});

Deno.test("ProtoWriter and ProtoReader round-trip fixed-width and large field numbers", () => {
  const w = new ProtoWriter();
  w.fixed32(1, 0xdead_beef);
  w.fixed64(2, 0xffff_ffff_ffff_fffen);
  w.uint64(3, 2 ** 53 - 1);
  w.bool(2 ** 29 - 1, true);
  const r = new ProtoReader(w.finish());
  assert.ok(r.next());
  assert.equal(r.fixed32(), 0xdead_beef);
  assert.ok(r.next());
  assert.equal(r.fixed64(), 0xffff_ffff_ffff_fffen);
  assert.ok(r.next());
  assert.equal(r.uint64(), 2 ** 53 - 1);
  assert.ok(r.next());
  assert.equal(r.field, 2 ** 29 - 1);
  assert.equal(r.bool(), true);
  assert.equal(r.next(), false);
});

Deno.test("ProtoWriter.message() moves bodies whose length needs more than one byte", () => {
  // Nested three deep, with bodies of 200 and 20,000 bytes.
  const long = "x".repeat(20_000);
  const w = new ProtoWriter(16);
  w.string(1, "head");
  w.message(2, long, (inner, text) => {
    inner.message(1, text.slice(0, 200), (innermost, t) => innermost.string(1, t));
    inner.string(2, text);
  });
  w.string(3, "tail");
  const r = new ProtoReader(w.finish());
  assert.ok(r.next());
  assert.equal(r.string(), "head");
  assert.ok(r.next());
  const [short, whole] = r.message((inner) => {
    let a = "";
    let b = "";
    while (inner.next()) {
      if (inner.field === 1) {
        a = inner.message((m) => {
          let t = "";
          while (m.next()) t = m.string();
          return t;
        });
      } else {
        b = inner.string();
      }
    }
    return [a, b];
  });
  assert.equal(short, "x".repeat(200));
  assert.equal(whole, long);
  assert.ok(r.next());
  assert.equal(r.string(), "tail");
  assert.equal(r.next(), false);
});

Deno.test("ProtoReader skips unknown fields of every wire type, groups included", () => {
  const encoded = bytes(
    ...[
      [0x08, 0x96, 0x01], // 1: varint 150
      [0x11, 1, 2, 3, 4, 5, 6, 7, 8], // 2: fixed64
      [0x1a, 3, 0x61, 0x62, 0x63], // 3: "abc"
      [0x25, 1, 2, 3, 4], // 4: fixed32
      [0x2b], // 5: start of group
      [0x08, 0x01], // in it, 1: varint
      [0x33, 0x0a, 0, 0x34], // in it, group 6 holding an empty string
      [0x2c], // 5: end of group
      [0x3a, 1, 0x7a], // 7: "z", the field the caller knows
    ].flat(),
  );
  const r = new ProtoReader(encoded);
  const seen: number[] = [];
  let known = "";
  while (r.next()) {
    seen.push(r.field);
    if (r.field === 7) known = r.string();
    else r.skip();
  }
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 7]);
  assert.equal(known, "z");
});

Deno.test("ProtoReader reports malformed input with ProtoDecodeError", () => {
  const cases: [string, Uint8Array, (r: ProtoReader) => unknown][] = [
    ["a truncated varint", bytes(0x08, 0x80), (r) => r.int64()],
    ["an eleven-byte varint", bytes(0x08, ...new Array(10).fill(0x80), 0x01), (r) => r.int64()],
    ["a length past the end", bytes(0x0a, 5, 0x61), (r) => r.bytes()],
    ["a message past the end", bytes(0x0a, 5, 0x61), (r) => r.message(() => 0)],
    ["a fixed64 past the end", bytes(0x09, 1, 2, 3), (r) => r.skip()],
    ["a wire type other than the field's", bytes(0x08, 1), (r) => r.string()],
    ["a string that is not UTF-8", bytes(0x0a, 2, 0xc3, 0x28), (r) => r.string()],
    ["an unclosed group", bytes(0x0b, 0x08, 1), (r) => r.skip()],
    ["a group closed by another", bytes(0x0b, 0x14), (r) => r.skip()],
    ["an end of group alone", bytes(0x0c), (r) => r.skip()],
  ];
  for (const [what, encoded, read] of cases) {
    const r = new ProtoReader(encoded);
    assert.throws(
      () => {
        r.next();
        read(r);
      },
      ProtoDecodeError,
      what,
    );
  }
  assert.throws(() => new ProtoReader(bytes(0x00)).next(), /Field number 0/);
  assert.throws(() => new ProtoReader(bytes(0x0e)).next(), /Wire type 6/);
});

Deno.test("ProtoReader reads packed and unpacked repeated int32 alike", () => {
  const w = new ProtoWriter();
  w.packedInt32(1, [1, 300, -1]);
  const packed = w.finish();
  assert.deepEqual(
    packed,
    bytes(0x0a, 13, 0x01, 0xac, 0x02, ...new Array(9).fill(0xff), 0x01),
  );
  const values: number[] = [];
  const r = new ProtoReader(new Uint8Array([...packed, 0x08, 0x07]));
  while (r.next()) r.repeatedInt32(values);
  assert.deepEqual(values, [1, 300, -1, 7]);
  const truncated = new ProtoReader(bytes(0x0a, 1, 0x80));
  truncated.next();
  assert.throws(() => truncated.repeatedInt32([]), ProtoDecodeError);
});

Deno.test("ProtoReader returns bytes as views and strings decoded from UTF-8", () => {
  const w = new ProtoWriter();
  w.string(1, "héllo, 世界 😀");
  w.bytes(2, bytes(0, 255));
  const encoded = w.finish();
  const r = new ProtoReader(encoded);
  r.next();
  assert.equal(r.string(), "héllo, 世界 😀");
  r.next();
  const view = r.bytes();
  assert.deepEqual(view, bytes(0, 255));
  assert.equal(view.buffer, encoded.buffer);
});
