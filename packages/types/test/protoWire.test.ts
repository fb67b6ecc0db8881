// The wire helpers behind the hand-written encoders: UTF-8 lengths and writes as TextEncoder
// makes them (lone surrogates included), varint sizes, and exact-size writing.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  closeLengthPrefix,
  createWireWriter,
  putUtf8Field,
  putVarint,
  putVarint64,
  utf8Bytes,
  utf8FieldBound,
  utf8Length,
  varint64Size,
  varintSize,
} from "../src/protoWire.ts";

/** The protobuf varint of `n`, 7 bits a byte, least significant first. */
function varintOf(n: bigint): number[] {
  const out: number[] = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return out;
}

/** Any UTF-16 string, lone surrogates included. */
const utf16 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
  .map((units) => String.fromCharCode(...units));
const anyString = fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), utf16);

describe("protoWire", () => {
  it("utf8Bytes is TextEncoder's UTF-8", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(utf8Bytes(s)).toEqual(new TextEncoder().encode(s));
      }),
    );
  });

  it("utf8Length is the length of TextEncoder's UTF-8", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
      }),
      { numRuns: 1000 },
    );
    expect(utf8Length("")).toBe(0);
    expect(utf8Length("a\u00e9\u20ac\u{1f600}")).toBe(1 + 2 + 3 + 4);
    expect(utf8Length("\ud800")).toBe(3);
    expect(utf8Length("\udc00\ud800")).toBe(6);
  });

  it("putUtf8Field writes the tag, the varint length and TextEncoder's UTF-8", () => {
    const long = fc.string({ minLength: 120, maxLength: 400 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 15 }), fc.oneof(anyString, long), (field, s) => {
        const utf8 = new TextEncoder().encode(s);
        const buf = new Uint8Array(3 + utf8FieldBound(s)).fill(0xee);
        const end = putUtf8Field(buf, 2, field, s);
        const want = [(field << 3) | 2, ...varintOf(BigInt(utf8.length)), ...utf8];
        expect(end).toBe(2 + want.length);
        expect([...buf.subarray(2, end)]).toEqual(want);
        expect(end).toBeLessThanOrEqual(2 + utf8FieldBound(s));
      }),
      { numRuns: 500 },
    );
  });

  it("putVarint and putVarint64 write the varint and return its end", () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.maxSafeNat()), (n) => {
        const buf = new Uint8Array(12);
        const end = putVarint(buf, 1, n);
        expect([...buf.subarray(1, end)]).toEqual(varintOf(BigInt(n)));
        expect(end - 1).toBe(varintSize(n));
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n) => {
        const buf = new Uint8Array(12);
        const end = putVarint64(buf, 1, n);
        expect([...buf.subarray(1, end)]).toEqual(varintOf(n));
        expect(end - 1).toBe(varint64Size(n));
      }),
    );
  });

  it("closeLengthPrefix writes the body's length, moving the body to fit it", () => {
    for (const reserved of [1, 2]) {
      for (const len of [0, 1, 127, 128, 300, 16383, 16384, 20000]) {
        const body = Uint8Array.from({ length: len }, (_, i) => i % 251);
        const buf = new Uint8Array(3 + 5 + len + 3);
        buf[2] = 0x3a;
        buf.set(body, 3 + reserved);
        const end = closeLengthPrefix(buf, 3, reserved, 3 + reserved + len);
        expect([...buf.subarray(3, end - len)]).toEqual(varintOf(BigInt(len)));
        expect(buf.subarray(end - len, end)).toEqual(body);
        expect(buf[2]).toBe(0x3a);
      }
    }
  });

  it("varint64Size counts 7 bits a byte", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n) => {
        expect(varint64Size(n)).toBe(n === 0n ? 1 : Math.ceil(n.toString(2).length / 7));
      }),
    );
  });

  it("finish refuses a buffer not filled exactly", () => {
    const w = createWireWriter(2);
    w.varint(1);
    expect(() => w.finish()).toThrow(/wrote 1 bytes into 2/);
  });
});
