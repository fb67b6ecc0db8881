import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareBytes, copyBytes, fromBase64, fromHex, toBase64, toHex } from "../src/bytes.ts";

describe("bytes", () => {
  it("copyBytes copies, a Node Buffer too (whose own slice() is a view)", () => {
    const buf = globalThis.Buffer.from([1, 2, 3, 4]);
    const view = buf.subarray(1, 3);
    const copy = copyBytes(view);
    buf[1] = 9;
    expect(copy).toEqual(Uint8Array.of(2, 3));
    expect(Object.getPrototypeOf(copy)).toBe(Uint8Array.prototype);
    const u8 = Uint8Array.of(5, 6);
    const c2 = copyBytes(u8);
    u8[0] = 0;
    expect(c2).toEqual(Uint8Array.of(5, 6));
  });
  it("hex round-trips and is upper-case", () => {
    expect(toHex(new Uint8Array([0, 0xab, 0xff]))).toBe("00ABFF");
    expect(fromHex("00abFF")).toEqual(new Uint8Array([0, 0xab, 0xff]));
    expect(fromHex("0g")).toBeNull();
    expect(fromHex("abc")).toBeNull();
  });
  it("base64 matches Node's encoder on random input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const s = toBase64(b);
        expect(s).toBe(globalThis.Buffer.from(b).toString("base64"));
        expect(fromBase64(s)).toEqual(b);
      }),
    );
    expect(fromBase64("a*==")).toBeNull();
  });
  it("compares like Go's bytes.Compare", () => {
    expect(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0]))).toBeLessThan(0);
    expect(compareBytes(new Uint8Array([2]), new Uint8Array([1, 9]))).toBeGreaterThan(0);
    expect(compareBytes(new Uint8Array([]), new Uint8Array([]))).toBe(0);
  });
});
