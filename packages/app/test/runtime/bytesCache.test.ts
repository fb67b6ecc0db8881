// The bytes cache finds exactly the keys it holds (by their bytes, not the array), and keeps to
// its bound by dropping the older generation.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createBytesCache } from "../../src/runtime/bytesCache.ts";

describe("bytesCache", () => {
  it("agrees with a string-keyed map on random keys, within its bound", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 6, max: 3 }), fc.nat()), { maxLength: 80 }),
        (ops) => {
          const c = createBytesCache<number>(1000);
          const model = new Map<string, number>();
          for (const [k, v] of ops) {
            const s = Array.from(k).join(",");
            expect(c.get(k)).toBe(model.get(s));
            c.set(k.slice(), v);
            if (!model.has(s)) model.set(s, v);
            // Another array with the same bytes finds it.
            expect(c.get(Uint8Array.from(k))).toBe(model.get(s));
          }
          expect(c.size).toBe(model.size);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("tells apart long keys that share the ends it files them by", () => {
    const c = createBytesCache<number>(100);
    const key = (i: number) => {
      const k = new Uint8Array(300).fill(9); // the same first 16 and last 48 bytes
      k[150] = i;
      return k;
    };
    for (let i = 0; i < 3; i++) c.set(key(i), i);
    for (let i = 0; i < 6; i++) expect(c.get(key(i))).toBe(i < 3 ? i : undefined);
    // Past the bucket's bound a key is not cached, and the others stay.
    for (let i = 3; i < 10; i++) c.set(key(i), i);
    expect(c.get(key(9))).toBeUndefined();
    expect(c.get(key(0))).toBe(0);
    expect(c.size).toBe(4);
  });

  it("drops the older generation past its capacity", () => {
    const c = createBytesCache<number>(10); // generations of 5
    const key = (i: number) => Uint8Array.of(i, i >> 8);
    for (let i = 0; i < 23; i++) {
      c.set(key(i), i);
      expect(c.size).toBeLessThanOrEqual(10);
    }
    expect(c.get(key(22))).toBe(22);
    expect(c.get(key(0))).toBeUndefined();
  });
});
