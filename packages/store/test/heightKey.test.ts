import { compareBytes } from "@qos/types";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeHeightKey, encodeHeightKey, encodePartKey, MAX_HEIGHT } from "../src/heightKey.ts";

const height = fc.bigInt({ min: 0n, max: MAX_HEIGHT });

describe("height keys", () => {
  test("byte order is numeric order, over the whole int64 range", () => {
    fc.assert(
      fc.property(height, height, (a, b) => {
        const byBytes = Math.sign(compareBytes(encodeHeightKey(a), encodeHeightKey(b)));
        const byValue = a < b ? -1 : a > b ? 1 : 0;
        expect(byBytes).toBe(byValue);
      }),
    );
  });

  test("round trip, including heights beyond 2^32", () => {
    for (const h of [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, MAX_HEIGHT]) {
      expect(decodeHeightKey(encodeHeightKey(h))).toBe(h);
    }
    fc.assert(fc.property(height, (h) => decodeHeightKey(encodeHeightKey(h)) === h));
  });

  test("part keys sort by height, then index", () => {
    fc.assert(
      fc.property(
        height,
        fc.nat({ max: 0xffffffff }),
        height,
        fc.nat({ max: 0xffffffff }),
        (h1, i1, h2, i2) => {
          const byBytes = Math.sign(compareBytes(encodePartKey(h1, i1), encodePartKey(h2, i2)));
          const byValue = h1 !== h2 ? (h1 < h2 ? -1 : 1) : Math.sign(i1 - i2);
          expect(byBytes).toBe(byValue);
        },
      ),
    );
  });

  test("negative, too large and non-bigint heights are refused", () => {
    expect(() => encodeHeightKey(-1n)).toThrow(
      expect.objectContaining({ code: "store_invalid_argument" }),
    );
    expect(() => encodeHeightKey(MAX_HEIGHT + 1n)).toThrow(
      expect.objectContaining({ code: "store_invalid_argument" }),
    );
    expect(() => encodeHeightKey(5 as unknown as bigint)).toThrow(
      expect.objectContaining({ code: "store_invalid_argument" }),
    );
    expect(() => encodePartKey(1n, -1)).toThrow(
      expect.objectContaining({ code: "store_invalid_argument" }),
    );
  });
});
