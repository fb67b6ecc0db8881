import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFrameDecoder, encodeFrame, frameSize } from "../../src/p2p/frame.ts";

/** Cuts `bytes` at the given points (sorted, deduplicated) into chunks. */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const ps = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...ps, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

describe("frames", () => {
  it("prefixes a uvarint length", () => {
    expect([...encodeFrame(new Uint8Array(3))]).toEqual([3, 0, 0, 0]);
    expect([...encodeFrame(new Uint8Array(300)).subarray(0, 2)]).toEqual([0xac, 0x02]);
    expect(frameSize(300)).toBe(302);
    expect(frameSize(0)).toBe(1);
  });

  it("decodes any sequence of frames however the stream is cut", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (payloads, points) => {
          const wire = concat(payloads.map(encodeFrame));
          const decoder = createFrameDecoder(400);
          const got: Uint8Array[] = [];
          for (const chunk of cut(wire, points)) {
            expect(decoder.push(chunk, (f) => got.push(f))).toBeNull();
          }
          expect(got.map((g) => [...g])).toEqual(payloads.map((p) => [...p]));
          expect(decoder.pending()).toBe(0);
        },
      ),
    );
  });

  it("refuses a frame above the limit from its prefix, before its payload arrives", () => {
    const decoder = createFrameDecoder(100);
    const got: Uint8Array[] = [];
    const ok = encodeFrame(new Uint8Array(100));
    const big = encodeFrame(new Uint8Array(101));
    expect(decoder.push(ok, (f) => got.push(f))).toBeNull();
    // Only the prefix of the big frame: the decoder already knows.
    expect(decoder.push(big.subarray(0, 1), (f) => got.push(f))).toEqual({
      kind: "oversized",
      length: 101,
    });
    expect(decoder.pending()).toBe(0);
    expect(got.length).toBe(1);
    // A failed decoder stays failed.
    expect(decoder.push(ok, (f) => got.push(f))?.kind).toBe("oversized");
  });

  it("refuses a frame announcing gigabytes without allocating it", () => {
    const decoder = createFrameDecoder(1 << 20);
    expect(decoder.push(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]), () => {})).toEqual({
      kind: "oversized",
      length: 2 ** 32 - 1,
    });
  });

  it("calls a prefix of five continuation bytes malformed", () => {
    const decoder = createFrameDecoder(1 << 20);
    expect(decoder.push(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80]), () => {})).toEqual({
      kind: "malformed",
    });
  });

  it("survives arbitrary garbage without throwing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (junk) => {
        const decoder = createFrameDecoder(256);
        let total = 0;
        const err = decoder.push(junk, (f) => {
          total += f.length;
          expect(f.length).toBeLessThanOrEqual(256);
        });
        expect(total).toBeLessThanOrEqual(junk.length);
        expect(err === null || err.kind === "oversized" || err.kind === "malformed").toBe(true);
      }),
    );
  });
});
