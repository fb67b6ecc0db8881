// Part sets (types/part_set.go): sizes, root over raw parts, proofs, and every receiver check.

import { clone } from "@bufbuild/protobuf";
import { merkleRoot } from "@qos/crypto";
import { equalBytes, PartSchema, toHex } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BLOCK_PART_SIZE_BYTES, createPartSet, joinParts, verifyPart } from "../src/index.ts";

describe("createPartSet", () => {
  it("cuts 64 KiB parts and hashes the raw parts", () => {
    const data = new Uint8Array(2 * BLOCK_PART_SIZE_BYTES + 5).map((_, i) => i & 0xff);
    const ps = createPartSet(data);
    expect(ps.header.total).toBe(3);
    expect(ps.parts.map((p) => p.bytes.length)).toEqual([65536, 65536, 5]);
    expect(toHex(ps.header.hash)).toBe(toHex(merkleRoot(ps.parts.map((p) => p.bytes))));
    expect(equalBytes(joinParts(ps.parts), data)).toBe(true);
    for (const p of ps.parts) expect(verifyPart(p, ps.header).ok).toBe(true);
  });

  it("has no parts for empty data and the empty root", () => {
    const ps = createPartSet(new Uint8Array());
    expect(ps.header.total).toBe(0);
    expect(ps.parts).toHaveLength(0);
    expect(toHex(ps.header.hash)).toBe(
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    );
  });

  it("every part verifies; any flipped byte, wrong index or foreign header does not", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        (data, size, pick) => {
          const ps = createPartSet(data, size);
          expect(ps.header.total).toBe(Math.ceil(data.length / size));
          for (const p of ps.parts) expect(verifyPart(p, ps.header, size).ok).toBe(true);
          const i = pick % ps.parts.length;
          const part = ps.parts[i];
          if (part === undefined) throw new Error("part exists");
          const flipped = clone(PartSchema, part);
          const b = pick % flipped.bytes.length;
          flipped.bytes[b] = (flipped.bytes[b] as number) ^ 1;
          expect(verifyPart(flipped, ps.header, size).ok).toBe(false);
          const moved = clone(PartSchema, part);
          moved.index = (i + 1) % Math.max(2, ps.parts.length);
          if (moved.index !== i) expect(verifyPart(moved, ps.header, size).ok).toBe(false);
          const other = createPartSet(new Uint8Array([...data, 0]), size);
          expect(verifyPart(part, other.header, size).ok).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("rejects oversize parts, short non-final parts and a missing proof", () => {
    const ps = createPartSet(new Uint8Array(10), 4);
    const first = ps.parts[0];
    if (first === undefined) throw new Error("part exists");
    const short = clone(PartSchema, first);
    short.bytes = short.bytes.slice(0, 3);
    expect(verifyPart(short, ps.header, 4).ok).toBe(false);
    expect(verifyPart(first, ps.header, 3).ok).toBe(false);
    const noProof = clone(PartSchema, first);
    noProof.proof = undefined;
    expect(verifyPart(noProof, ps.header, 4).ok).toBe(false);
    expect(() => createPartSet(new Uint8Array(1), 0)).toThrow(RangeError);
  });
});
