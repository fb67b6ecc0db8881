import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { fromHex, toHexLower, utf8Encode } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENTRIES, nodeEntry } from "./entries.ts";

describe.each(ENTRIES)("hashes (%s entry)", (_name, c) => {
  it("sha256 matches FIPS 180-2 vectors", () => {
    expect(toHexLower(c.sha256(new Uint8Array(0)))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(toHexLower(c.sha256(utf8Encode("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(
      toHexLower(c.sha256(utf8Encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    ).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  it("ripemd160 matches the reference vectors", () => {
    expect(toHexLower(c.ripemd160(new Uint8Array(0)))).toBe(
      "9c1185a5c5e9fc54612808977ee8f548b2258d31",
    );
    expect(toHexLower(c.ripemd160(utf8Encode("abc")))).toBe(
      "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc",
    );
    expect(toHexLower(c.ripemd160(utf8Encode("message digest")))).toBe(
      "5d0689ef49d2fae572b881b123a85ffa21595f36",
    );
  });

  it("sha256 agrees with @noble/hashes at every length around the backend switch", () => {
    // Covers both Node code paths (libsodium up to 119 bytes, OpenSSL above) and subarray inputs.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(8), (data, skip) => {
        const view = data.subarray(Math.min(skip, data.length));
        const out = c.sha256(view);
        expect(out.constructor).toBe(Uint8Array);
        expect(out).toEqual(nobleSha256(view));
      }),
      { numRuns: 300 },
    );
    for (const n of [55, 56, 119, 120, 255, 256, 65536]) {
      const data = new Uint8Array(n).map((_, i) => i * 7);
      expect(c.sha256(data)).toEqual(nobleSha256(data));
    }
  });

  it("sha256Into writes the same digest into a reused buffer or a view of a larger one", () => {
    const out = new Uint8Array(32);
    const slab = new Uint8Array(96);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(2), (data, slot) => {
        c.sha256Into(out, data);
        expect(out).toEqual(nobleSha256(data));
        const view = slab.subarray(slot * 32, slot * 32 + 32);
        c.sha256Into(view, data);
        expect(view).toEqual(nobleSha256(data));
      }),
      { numRuns: 300 },
    );
    for (const n of [0, 119, 120, 4096]) {
      const data = new Uint8Array(n).map((_, i) => i * 3);
      c.sha256Into(out, data);
      expect(out).toEqual(nobleSha256(data));
    }
  });

  it("returns fresh arrays", () => {
    const a = c.sha256(fromHex("00") as Uint8Array);
    const b = c.sha256(fromHex("00") as Uint8Array);
    a[0] = (a[0] as number) ^ 1;
    expect(a).not.toEqual(b);
  });
});

describe("node entry", () => {
  it("resolved to the native backends", () => {
    expect(nodeEntry.cryptoBackendInfo.secp256k1).toBe("libsecp256k1");
    expect(nodeEntry.cryptoBackendInfo.ed25519).toMatch(/^sodium-native/);
  });
});
