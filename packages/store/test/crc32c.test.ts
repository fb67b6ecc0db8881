import { utf8Encode } from "@qos/types";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { crc32c } from "../src/crc32c.ts";

// Bit-at-a-time CRC-32C straight from the definition, as an independent oracle.
function crc32cBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe("crc32c", () => {
  test("check value of the Castagnoli CRC: crc32c('123456789') = 0xE3069283", () => {
    expect(crc32c(utf8Encode("123456789"))).toBe(0xe3069283);
  });

  test("RFC 3720 (iSCSI) appendix B.4 vectors", () => {
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    const descending = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(ascending)).toBe(0x46dd794e);
    expect(crc32c(descending)).toBe(0x113fdb5c);
  });

  test("empty input", () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  test("matches the bitwise definition on any input, and chunks chain", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, cut) => {
        const whole = crc32c(bytes);
        expect(whole).toBe(crc32cBitwise(bytes));
        const at = bytes.length === 0 ? 0 : cut % (bytes.length + 1);
        expect(crc32c(bytes.subarray(at), crc32c(bytes.subarray(0, at)))).toBe(whole);
      }),
    );
  });

  test("works on views with an offset into a larger buffer", () => {
    const big = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff);
    const view = big.subarray(5, 50);
    expect(crc32c(view)).toBe(crc32cBitwise(view.slice()));
  });
});
