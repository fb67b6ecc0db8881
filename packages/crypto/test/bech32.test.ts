import { fromHex, toHexLower } from "@qos/types";
import { bech32 } from "@scure/base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENTRIES } from "./entries.ts";

// BIP-173 "Test vectors": valid bech32 strings (all happen to carry whole bytes).
const VALID = [
  "A12UEL5L",
  "a12uel5l",
  "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
  "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
  "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
  "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
  "?1ezyfcl",
];

// BIP-173 invalid strings with the reason given there, plus two BIP-350 (bech32m) strings, which a
// bech32 decoder must refuse.
const INVALID: ReadonlyArray<readonly [string, string]> = [
  ["\x201nwldj5", "HRP character out of range"],
  ["\x7f1axkwrx", "HRP character out of range"],
  ["\x801eym55h", "HRP character out of range"],
  [
    "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
    "overall max length exceeded",
  ],
  ["pzry9x0s0muk", "No separator character"],
  ["1pzry9x0s0muk", "Empty HRP"],
  ["x1b4n0q5v", "Invalid data character"],
  ["li1dgmt3", "Too short checksum"],
  ["de1lg7wt\xff", "Invalid character in checksum"],
  ["A1G7SGD8", "checksum calculated with uppercase form of HRP"],
  ["10a06t8", "empty HRP"],
  ["1qzzfhee", "empty HRP"],
  ["a1lqfn3a", "bech32m, not bech32"],
  ["abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", "bech32m, not bech32"],
  ["a12uEL5L", "mixed case"],
  ["a12uel5m", "wrong checksum"],
];

describe.each(ENTRIES)("bech32 (%s entry)", (_name, c) => {
  it.each(VALID)("decodes and re-encodes the valid vector %s", (text) => {
    const decoded = c.bech32Decode(text);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value.prefix).toBe(text.slice(0, text.lastIndexOf("1")).toLowerCase());
    expect(c.bech32Encode(decoded.value.prefix, decoded.value.data)).toBe(text.toLowerCase());
  });

  it("decodes the BIP-173 payload bytes", () => {
    const d = c.bech32Decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
    expect(d.ok && toHexLower(d.value.data)).toBe("00443214c74254b635cf84653a56d7c675be77df");
    const zeros = c.bech32Decode(VALID[4] as string);
    expect(zeros.ok && zeros.value.data).toEqual(new Uint8Array(51));
  });

  it.each(INVALID)("refuses %j (%s) with a QosError result", (text) => {
    const decoded = c.bech32Decode(text);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.code).toBe(c.CRYPTO_ERROR.invalidBech32);
  });

  it("refuses data whose 5-bit groups do not pack into bytes", () => {
    // Valid bech32 strings: one word (5 bits, too much padding) and two words with non-zero padding.
    const oneWord = bech32.encode("a", [0]);
    const dirtyPadding = bech32.encode("a", [0, 1]);
    expect(bech32.decode(oneWord).words).toEqual([0]);
    expect(c.bech32Decode(oneWord).ok).toBe(false);
    expect(c.bech32Decode(dirtyPadding).ok).toBe(false);
    expect(c.bech32Decode(bech32.encode("a", [0, 0])).ok).toBe(true);
  });

  it("round-trips random prefixes and payloads", () => {
    const prefix = fc.stringMatching(/^[a-z0-9!-/:-@[-`{-~]{1,20}$/);
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 40 }), (p, data) => {
        const text = c.bech32Encode(p, data);
        expect(text.length).toBeLessThanOrEqual(90);
        const back = c.bech32Decode(text);
        expect(back.ok && back.value).toEqual({ prefix: p, data });
        expect(c.bech32Decode(text.toUpperCase()).ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("limits length to 90 unless told otherwise (Cosmos allows 1023)", () => {
    const data = fromHex("00".repeat(64)) as Uint8Array;
    expect(() => c.bech32Encode("qosacc", data)).toThrow(/exceeds limit/);
    const long = c.bech32Encode("qosacc", data, 1023);
    expect(c.bech32Decode(long).ok).toBe(false);
    const back = c.bech32Decode(long, 1023);
    expect(back.ok && back.value.data).toEqual(data);
  });

  it("throws on an empty prefix (a caller bug)", () => {
    expect(() => c.bech32Encode("", new Uint8Array(1))).toThrow();
  });
});
