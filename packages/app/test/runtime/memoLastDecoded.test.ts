import { describe, expect, it } from "vitest";
import { memoLastDecoded } from "../../src/runtime/memoLastDecoded.ts";

describe("memoLastDecoded", () => {
  it("reuses the answer for the very same array only", () => {
    let calls = 0;
    const decode = memoLastDecoded((b) => {
      calls++;
      return { first: b[0] };
    });
    const a = Uint8Array.of(1);
    const first = decode(a);
    expect(decode(a)).toBe(first);
    expect(calls).toBe(1);
    // Equal bytes in another array, then a changed one: decoded each time.
    expect(decode(Uint8Array.of(1))).toEqual({ first: 1 });
    expect(decode(Uint8Array.of(2))).toEqual({ first: 2 });
    expect(calls).toBe(3);
  });
});
