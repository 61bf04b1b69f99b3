/**
 * The protocol buffers wire format, written and read by hand for the Remote
 * Execution API messages.
 *
 * {@linkcode ProtoWriter} writes the canonical encoding when its callers write
 * fields in field-number order: each scalar writer leaves out its field when it
 * holds the default (0, "", false, empty bytes), repeated numbers are packed,
 * and a message-typed field is written whenever it is present, even empty.
 * That is what protobuf's own deterministic serialisation produces, so a server
 * that decodes and re-encodes a message gets the same bytes and the same
 * digest.
 *
 * {@linkcode ProtoReader} walks the fields of a message one at a time; fields
 * the caller does not know are skipped with {@linkcode ProtoReader.skip}.
 *
 * Integers are JavaScript numbers: int64 and uint64 values must lie within
 * ±(2^53 - 1) (sizes and counts do), and reading a larger one throws.
 *
 * @module
 */

/**
 * The wire types of protocol buffers, the low three bits of a field's tag.
 *
 * @example The wire type of a field just reached
 * ```ts
 * import { ProtoReader, WireType } from "./proto.ts";
 * import assert from "node:assert/strict";
 *
 * const r = new ProtoReader(new Uint8Array([0x0a, 0]));
 * r.next();
 * assert.equal(r.wireType, WireType.LEN);
 * ```
 */
export const WireType = {
  /** int32, int64, uint64, bool, enum. */
  VARINT: 0,
  /** fixed64, sfixed64, double. */
  I64: 1,
  /** string, bytes, embedded messages, packed repeated numbers. */
  LEN: 2,
  /** Start of a group (proto2, deprecated); only skipped here. */
  SGROUP: 3,
  /** End of a group. */
  EGROUP: 4,
  /** fixed32, sfixed32, float. */
  I32: 5,
} as const;

/**
 * One of the values of {@linkcode WireType}.
 *
 * @example Naming a wire type
 * ```ts
 * import { WireType } from "./proto.ts";
 * import assert from "node:assert/strict";
 *
 * const varint: WireType = WireType.VARINT;
 * assert.equal(varint, 0);
 * ```
 */
export type WireType = typeof WireType[keyof typeof WireType];

/**
 * Thrown when bytes are not a well-formed protobuf message of the expected
 * type: truncated, a varint too long, a wire type other than the field's, a
 * number too large for a JavaScript number, a string that is not UTF-8.
 *
 * Callers that decode bytes from a cache or a server catch it and treat the
 * entry as missing.
 *
 * @example Catching a truncated message
 * ```ts
 * import { ProtoDecodeError, ProtoReader } from "./proto.ts";
 * import assert from "node:assert/strict";
 *
 * const reader = new ProtoReader(new Uint8Array([0x0a, 0x05, 0x61]));
 * assert.equal(reader.next(), true);
 * assert.throws(() => reader.string(), ProtoDecodeError);
 * ```
 */
export class ProtoDecodeError extends Error {
  /** The byte offset, in the bytes given to the reader, where decoding failed. */
  readonly offset: number;

  /**
   * Makes the error; the offset is appended to the message.
   *
   * @param message What was wrong, sentence case.
   * @param offset The byte offset where it was found.
   */
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = "ProtoDecodeError";
    this.offset = offset;
  }
}

const TWO_32 = 0x1_0000_0000;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;

const _utf8Encoder = new TextEncoder();
const _utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Writes one protobuf message. Call the field writers in field-number order
 * for the canonical encoding, then {@linkcode ProtoWriter.finish}.
 *
 * Scalar writers leave the field out when it holds the default value or is
 * `undefined`; {@linkcode ProtoWriter.message} writes any value that is not
 * `undefined`, even one that encodes to no bytes.
 *
 * @example Encoding a Digest { hash = 1; size_bytes = 2 }
 * ```ts
 * import { ProtoWriter } from "./proto.ts";
 * import assert from "node:assert/strict";
 *
 * const w = new ProtoWriter();
 * w.string(1, "ab");
 * w.int64(2, 300);
 * w.bool(3, false); // the default: not written
 * assert.deepEqual(w.finish(), new Uint8Array([0x0a, 2, 0x61, 0x62, 0x10, 0xac, 0x02]));
 * ```
 */
export class ProtoWriter {
  #buf: Uint8Array<ArrayBuffer>;
  #pos = 0;

  /**
   * Starts an empty message.
   *
   * @param initialSize Bytes to allocate first; the buffer doubles as needed.
   */
  constructor(initialSize = 256) {
    this.#buf = new Uint8Array(Math.max(16, initialSize));
  }

  /**
   * Writes an int32 or enum field as a varint (negative values take ten bytes,
   * as protobuf sign-extends them to 64 bits).
   */
  int32(field: number, value: number | undefined): void {
    if (!value) return;
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw new RangeError(`Cannot encode field ${field}: ${value} is not an int32`);
    }
    this.#tag(field, WireType.VARINT);
    this.#varint(value);
  }

  /** Writes an int64 field as a varint; the value must be a safe integer. */
  int64(field: number, value: number | undefined): void {
    if (!value) return;
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(
        `Cannot encode field ${field}: ${value} is not an integer within ±(2^53 - 1)`,
      );
    }
    this.#tag(field, WireType.VARINT);
    this.#varint(value);
  }

  /** Writes a uint32 or uint64 field as a varint; the value must be a safe integer ≥ 0. */
  uint64(field: number, value: number | undefined): void {
    if (!value) return;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot encode field ${field}: ${value} is not an integer in [0, 2^53 - 1]`,
      );
    }
    this.#tag(field, WireType.VARINT);
    this.#varint(value);
  }

  /** Writes a bool field; `false` is the default and is not written. */
  bool(field: number, value: boolean | undefined): void {
    if (!value) return;
    this.#tag(field, WireType.VARINT);
    this.#byte(1);
  }

  /** Writes a fixed32 field (four bytes, little-endian). */
  fixed32(field: number, value: number | undefined): void {
    if (!value) return;
    if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
      throw new RangeError(`Cannot encode field ${field}: ${value} is not a uint32`);
    }
    this.#tag(field, WireType.I32);
    this.#fixed32(value);
  }

  /** Writes a fixed64 field (eight bytes, little-endian); the value is a uint64. */
  fixed64(field: number, value: bigint | undefined): void {
    if (!value) return;
    if (value < 0n || value >= 1n << 64n) {
      throw new RangeError(`Cannot encode field ${field}: ${value} is not a uint64`);
    }
    this.#tag(field, WireType.I64);
    this.#fixed32(Number(value & 0xffff_ffffn));
    this.#fixed32(Number(value >> 32n));
  }

  /** Writes a string field as UTF-8; `""` is the default and is not written. */
  string(field: number, value: string | undefined): void {
    if (!value) return;
    this.#tag(field, WireType.LEN);
    this.#lengthDelimited(_utf8Encoder.encode(value));
  }

  /** Writes a bytes field; empty bytes are the default and are not written. */
  bytes(field: number, value: Uint8Array | undefined): void {
    if (value === undefined || value.length === 0) return;
    this.#tag(field, WireType.LEN);
    this.#lengthDelimited(value);
  }

  /**
   * Writes a message-typed field whose body `write` produces. Nothing is
   * written for `undefined`; any other value is written, even if its body is
   * empty, since a present message differs from an absent one.
   */
  message<T>(field: number, value: T | undefined, write: (w: ProtoWriter, value: T) => void): void {
    if (value === undefined) return;
    this.#tag(field, WireType.LEN);
    // Reserve one byte for the length, then make room if the body needs more.
    const lengthAt = this.#pos;
    this.#byte(0);
    write(this, value);
    const length = this.#pos - lengthAt - 1;
    const size = _varintSize(length);
    if (size > 1) {
      this.#reserve(size - 1);
      this.#buf.copyWithin(lengthAt + size, lengthAt + 1, this.#pos);
      this.#pos += size - 1;
    }
    const end = this.#pos;
    this.#pos = lengthAt;
    this.#varint(length);
    this.#pos = end;
  }

  /**
   * Writes a message-typed field from its encoded body (written even when
   * empty); nothing for `undefined`.
   */
  encodedMessage(field: number, encoded: Uint8Array | undefined): void {
    if (encoded === undefined) return;
    this.#tag(field, WireType.LEN);
    this.#lengthDelimited(encoded);
  }

  /** Writes a repeated string field: every element, empty strings included. */
  repeatedString(field: number, values: readonly string[] | undefined): void {
    if (values === undefined) return;
    for (const value of values) {
      this.#tag(field, WireType.LEN);
      this.#lengthDelimited(_utf8Encoder.encode(value));
    }
  }

  /** Writes a repeated message field: every element, empty messages included. */
  repeatedMessage<T>(
    field: number,
    values: readonly T[] | undefined,
    write: (w: ProtoWriter, value: T) => void,
  ): void {
    if (values === undefined) return;
    for (const value of values) this.message(field, value, write);
  }

  /**
   * Writes a repeated int32 or enum field packed, as proto3 does by default:
   * one length-delimited field holding the varints; nothing when empty.
   */
  packedInt32(field: number, values: readonly number[] | undefined): void {
    if (values === undefined || values.length === 0) return;
    for (const value of values) {
      if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
        throw new RangeError(`Cannot encode field ${field}: ${value} is not an int32`);
      }
    }
    this.message(field, values, (w, all) => {
      for (const value of all) w.#varint(value);
    });
  }

  /** Returns the bytes written so far (a view; the writer is done). */
  finish(): Uint8Array<ArrayBuffer> {
    return this.#buf.subarray(0, this.#pos);
  }

  #tag(field: number, wireType: WireType): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fff_ffff) {
      throw new RangeError(`Cannot encode field number ${field}: not in [1, 2^29 - 1]`);
    }
    this.#varint(field * 8 + wireType);
  }

  #lengthDelimited(bytes: Uint8Array): void {
    this.#varint(bytes.length);
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  #byte(value: number): void {
    this.#reserve(1);
    this.#buf[this.#pos++] = value;
  }

  #fixed32(value: number): void {
    this.#reserve(4);
    const buf = this.#buf;
    buf[this.#pos++] = value & 0xff;
    buf[this.#pos++] = (value >>> 8) & 0xff;
    buf[this.#pos++] = (value >>> 16) & 0xff;
    buf[this.#pos++] = (value >>> 24) & 0xff;
  }

  /** A varint of a safe integer; negative values as 64-bit two's complement. */
  #varint(value: number): void {
    this.#reserve(10);
    const buf = this.#buf;
    if (value >= 0 && value < 0x80) {
      buf[this.#pos++] = value;
      return;
    }
    let lo: number;
    let hi: number;
    if (value >= 0) {
      lo = value % TWO_32;
      hi = Math.floor(value / TWO_32);
    } else {
      const magnitude = -value;
      lo = (~(magnitude % TWO_32) + 1) >>> 0;
      hi = (~Math.floor(magnitude / TWO_32) + (lo === 0 ? 1 : 0)) >>> 0;
    }
    while (hi > 0 || lo > 0x7f) {
      buf[this.#pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[this.#pos++] = lo;
  }

  #reserve(extra: number): void {
    const needed = this.#pos + extra;
    if (needed <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }
}

function _varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/**
 * Reads the fields of one protobuf message in order. Call
 * {@linkcode ProtoReader.next} until it returns `false`, look at
 * {@linkcode ProtoReader.field}, and read the value with the method of the
 * field's type, or {@linkcode ProtoReader.skip} it.
 *
 * Bytes and embedded messages are returned as views into the input, not
 * copies.
 *
 * @example Decoding a Digest, skipping a field it does not know
 * ```ts
 * import { ProtoReader } from "./proto.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x0a, 2, 0x61, 0x62, 0x18, 7, 0x10, 0xac, 0x02]);
 * const r = new ProtoReader(bytes);
 * let hash = "";
 * let sizeBytes = 0;
 * while (r.next()) {
 *   if (r.field === 1) hash = r.string();
 *   else if (r.field === 2) sizeBytes = r.int64();
 *   else r.skip();
 * }
 * assert.deepEqual({ hash, sizeBytes }, { hash: "ab", sizeBytes: 300 });
 * ```
 */
export class ProtoReader {
  #buf: Uint8Array;
  #pos = 0;
  #end: number;
  #field = 0;
  #wireType = 0;

  /**
   * Starts reading a message, before its first field.
   *
   * @param bytes One encoded message.
   */
  constructor(bytes: Uint8Array) {
    this.#buf = bytes;
    this.#end = bytes.length;
  }

  /** The number of the field {@linkcode ProtoReader.next} reached. */
  get field(): number {
    return this.#field;
  }

  /** The wire type of the field {@linkcode ProtoReader.next} reached. */
  get wireType(): number {
    return this.#wireType;
  }

  /**
   * Moves to the next field of the current message.
   *
   * @returns `false` at the end of the message.
   */
  next(): boolean {
    if (this.#pos >= this.#end) return false;
    const at = this.#pos;
    const [lo, hi] = this.#varint64();
    if (hi !== 0 || lo > UINT32_MAX) throw new ProtoDecodeError("Field tag is too large", at);
    const field = lo >>> 3;
    const wireType = lo & 7;
    if (field === 0) throw new ProtoDecodeError("Field number 0 is not valid", at);
    if (wireType > 5) throw new ProtoDecodeError(`Wire type ${wireType} is not valid`, at);
    this.#field = field;
    this.#wireType = wireType;
    return true;
  }

  /** Reads an int32 or enum field (the low 32 bits of the varint, signed). */
  int32(): number {
    this.#expect(WireType.VARINT);
    return this.#varint64()[0] | 0;
  }

  /** Reads an int64 field; values outside ±(2^53 - 1) throw. */
  int64(): number {
    this.#expect(WireType.VARINT);
    const at = this.#pos;
    const [lo, hi] = this.#varint64();
    let value: number;
    if (hi & 0x8000_0000) {
      // Negative: the magnitude is the two's complement of (hi, lo).
      const mlo = (~lo + 1) >>> 0;
      const mhi = (~hi + (mlo === 0 ? 1 : 0)) >>> 0;
      value = -(mhi * TWO_32 + mlo);
    } else {
      value = hi * TWO_32 + lo;
    }
    if (!Number.isSafeInteger(value)) {
      throw new ProtoDecodeError(
        `Field ${this.#field} holds an int64 beyond ±(2^53 - 1), which a number cannot hold`,
        at,
      );
    }
    return value;
  }

  /** Reads a uint32 or uint64 field; values above 2^53 - 1 throw. */
  uint64(): number {
    this.#expect(WireType.VARINT);
    const at = this.#pos;
    const [lo, hi] = this.#varint64();
    const value = hi * TWO_32 + lo;
    if (!Number.isSafeInteger(value)) {
      throw new ProtoDecodeError(
        `Field ${this.#field} holds a uint64 above 2^53 - 1, which a number cannot hold`,
        at,
      );
    }
    return value;
  }

  /** Reads a bool field (any non-zero varint is `true`). */
  bool(): boolean {
    this.#expect(WireType.VARINT);
    const [lo, hi] = this.#varint64();
    return lo !== 0 || hi !== 0;
  }

  /** Reads a fixed32 field. */
  fixed32(): number {
    this.#expect(WireType.I32);
    return this.#fixed32();
  }

  /** Reads a fixed64 field as a bigint. */
  fixed64(): bigint {
    this.#expect(WireType.I64);
    const lo = this.#fixed32();
    const hi = this.#fixed32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Reads a string field; bytes that are not UTF-8 throw. */
  string(): string {
    const at = this.#pos;
    const bytes = this.bytes();
    try {
      return _utf8Decoder.decode(bytes);
    } catch {
      throw new ProtoDecodeError(`Field ${this.#field} is a string but not valid UTF-8`, at);
    }
  }

  /** Reads a bytes field, as a view into the input. */
  bytes(): Uint8Array {
    this.#expect(WireType.LEN);
    const at = this.#pos;
    const length = this.#length();
    const start = this.#pos;
    if (length > this.#end - start) {
      throw new ProtoDecodeError(
        `Field ${this.#field} is ${length} bytes long but the message ends ${
          this.#end - start
        } bytes later`,
        at,
      );
    }
    this.#pos = start + length;
    return this.#buf.subarray(start, start + length);
  }

  /**
   * Reads an embedded message field with `read`, which gets this reader
   * limited to the message's bytes and reads until `next()` returns `false`.
   */
  message<T>(read: (r: ProtoReader) => T): T {
    this.#expect(WireType.LEN);
    const at = this.#pos;
    const length = this.#length();
    const end = this.#pos + length;
    if (end > this.#end) {
      throw new ProtoDecodeError(
        `Field ${this.#field} is ${length} bytes long but the message ends ${
          this.#end - this.#pos
        } bytes later`,
        at,
      );
    }
    const outerEnd = this.#end;
    const outerField = this.#field;
    const outerWireType = this.#wireType;
    this.#end = end;
    const value = read(this);
    if (this.#pos !== end) {
      throw new ProtoDecodeError(`Field ${outerField} was not read to its end`, this.#pos);
    }
    this.#end = outerEnd;
    this.#field = outerField;
    this.#wireType = outerWireType;
    return value;
  }

  /**
   * Reads a repeated int32 or enum field, packed or not (parsers must accept
   * both), appending its values to `into`.
   */
  repeatedInt32(into: number[]): void {
    if (this.#wireType !== WireType.LEN) {
      into.push(this.int32());
      return;
    }
    const at = this.#pos;
    const length = this.#length();
    const end = this.#pos + length;
    if (end > this.#end) {
      throw new ProtoDecodeError(`Packed field ${this.#field} runs past the message's end`, at);
    }
    while (this.#pos < end) into.push(this.#varint64()[0] | 0);
    if (this.#pos !== end) {
      throw new ProtoDecodeError(`Packed field ${this.#field} ends inside a varint`, this.#pos);
    }
  }

  /** Skips the value of the current field, whatever its wire type. */
  skip(): void {
    switch (this.#wireType) {
      case WireType.VARINT:
        this.#varint64();
        return;
      case WireType.I64:
        this.#advance(8);
        return;
      case WireType.LEN:
        this.#advance(this.#length());
        return;
      case WireType.I32:
        this.#advance(4);
        return;
      case WireType.SGROUP:
        this.#skipGroup();
        return;
      default:
        throw new ProtoDecodeError(
          `End of group ${this.#field} without its start`,
          this.#pos,
        );
    }
  }

  #skipGroup(): void {
    const group = this.#field;
    const at = this.#pos;
    while (this.next()) {
      if (this.#wireType !== WireType.EGROUP) {
        this.skip();
      } else if (this.#field === group) {
        return;
      } else {
        throw new ProtoDecodeError(
          `Group ${group} is closed by the end of group ${this.#field}`,
          this.#pos,
        );
      }
    }
    throw new ProtoDecodeError(`Group ${group} is not closed`, at);
  }

  #expect(wireType: WireType): void {
    if (this.#wireType !== wireType) {
      throw new ProtoDecodeError(
        `Field ${this.#field} has wire type ${this.#wireType} where ${wireType} was expected`,
        this.#pos,
      );
    }
  }

  #advance(count: number): void {
    if (count > this.#end - this.#pos) {
      throw new ProtoDecodeError(`Field ${this.#field} runs past the message's end`, this.#pos);
    }
    this.#pos += count;
  }

  #length(): number {
    const at = this.#pos;
    const [lo, hi] = this.#varint64();
    if (hi !== 0 || lo > INT32_MAX) {
      throw new ProtoDecodeError(`Field ${this.#field} has a length above 2^31 - 1`, at);
    }
    return lo;
  }

  #fixed32(): number {
    this.#advance(4);
    const buf = this.#buf;
    const p = this.#pos - 4;
    return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
  }

  /** A varint of up to ten bytes, as its low and high 32 bits (unsigned). */
  #varint64(): [number, number] {
    const buf = this.#buf;
    const at = this.#pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) {
        throw new ProtoDecodeError("The message ends inside a varint", at);
      }
      const b = buf[this.#pos++];
      if (i < 4) {
        lo |= (b & 0x7f) << (7 * i);
      } else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else {
        hi |= (b & 0x7f) << (7 * i - 32);
      }
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new ProtoDecodeError("A varint is longer than ten bytes", at);
  }
}
