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
