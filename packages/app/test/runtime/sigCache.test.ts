// The verified-signature cache hits only on the exact (sign bytes, key, signature) it holds,
// whatever the signatures share in the bytes it files them by, and stays within its bound.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSigCache } from "../../src/runtime/sigCache.ts";

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const triple = fc.record({
  signBytes: bytes(0, 80),
  pubKey: bytes(33, 33),
  signature: bytes(64, 64),
});

/** The same triple with one byte of one part changed. */
function mutated(
  t: { signBytes: Uint8Array; pubKey: Uint8Array; signature: Uint8Array },
  part: 0 | 1 | 2,
  at: number,
): { signBytes: Uint8Array; pubKey: Uint8Array; signature: Uint8Array } {
  const parts = [t.signBytes.slice(), t.pubKey.slice(), t.signature.slice()] as const;
  const p = parts[part];
  if (p.length === 0)
    return { signBytes: new Uint8Array([0]), pubKey: parts[1], signature: parts[2] };
  const i = at % p.length;
  p[i] = ((p[i] as number) + 1) & 0xff;
  return { signBytes: parts[0], pubKey: parts[1], signature: parts[2] };
}

describe("sigCache", () => {
  it("hits on an added triple and on nothing that differs in one byte of any part", () => {
    fc.assert(
      fc.property(triple, fc.constantFrom(0, 1, 2), fc.nat(), (t, part, at) => {
        const c = createSigCache(100);
        expect(c.has(t.signBytes, t.pubKey, t.signature)).toBe(false);
        c.add(t.signBytes, t.pubKey, t.signature);
        expect(c.has(t.signBytes, t.pubKey, t.signature)).toBe(true);
        const m = mutated(t, part as 0 | 1 | 2, at);
        expect(c.has(m.signBytes, m.pubKey, m.signature)).toBe(false);
        expect(c.hits).toBe(1);
      }),
      { numRuns: 500 },
    );
  });

  it("tells apart signatures that share the bytes it files them by", () => {
    const c = createSigCache(1000);
    const key = new Uint8Array(33).fill(2);
    const msg = new Uint8Array([1, 2, 3]);
    const sigs = Array.from({ length: 20 }, (_, i) => {
      const s = new Uint8Array(64).fill(7); // same first 6 bytes for all
      s[63] = i;
      return s;
    });
    for (const s of sigs.slice(0, 10)) c.add(msg, key, s);
    for (const [i, s] of sigs.entries()) expect(c.has(msg, key, s)).toBe(i < 10);
    expect(c.size).toBe(10);
    c.add(msg, key, sigs[3] as Uint8Array); // already there: not twice
    expect(c.size).toBe(10);
  });

  it("keeps a signature with the key and message it was added with", () => {
    const c = createSigCache(10);
    const key = new Uint8Array(33).fill(3);
    const sig = new Uint8Array(64).fill(4);
    c.add(Uint8Array.of(1), key, sig);
    c.add(Uint8Array.of(2), key, sig); // the same signature bytes over another message
    expect(c.has(Uint8Array.of(1), key, sig)).toBe(true);
    expect(c.has(Uint8Array.of(2), key, sig)).toBe(false);
    expect(c.size).toBe(1);
  });

  it("keeps its own copies: changing the caller's arrays after add changes nothing", () => {
    const c = createSigCache(10);
    const msg = new Uint8Array([9, 9]);
    const key = new Uint8Array(33).fill(3);
    const sig = new Uint8Array(64).fill(4);
    c.add(msg, key, sig);
    const original = { msg: msg.slice(), key: key.slice(), sig: sig.slice() };
    msg[0] = 0;
    key[0] = 0;
    sig[10] = 0;
    expect(c.has(original.msg, original.key, original.sig)).toBe(true);
    expect(c.has(msg, key, sig)).toBe(false);
  });

  it("stays within its bound, dropping the older generation", () => {
    const c = createSigCache(10); // generations of 5
    const key = new Uint8Array(33).fill(5);
    const sig = (i: number) => {
      const s = new Uint8Array(64);
      s[0] = i;
      return s;
    };
    for (let i = 0; i < 25; i++) {
      c.add(new Uint8Array([i]), key, sig(i));
      expect(c.size).toBeLessThanOrEqual(10);
    }
    expect(c.has(new Uint8Array([24]), key, sig(24))).toBe(true);
    expect(c.has(new Uint8Array([0]), key, sig(0))).toBe(false);
  });
});
