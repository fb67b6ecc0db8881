import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { concatBytes, fromBase64, fromHex, toHex, utf8Encode } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MerkleProof } from "../src/merkle.ts";
import { ENTRIES } from "./entries.ts";

// An independent reference written straight from crypto/merkle/tree.go: recursive, with
// concatenation and @noble's sha256, no scratch buffers, no bottom-up shortcut.
const leaf = (item: Uint8Array) => nobleSha256(concatBytes(Uint8Array.of(0), item));
const inner = (l: Uint8Array, r: Uint8Array) => nobleSha256(concatBytes(Uint8Array.of(1), l, r));
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function refRoot(items: readonly Uint8Array[]): Uint8Array {
  if (items.length === 0) return nobleSha256(new Uint8Array(0));
  if (items.length === 1) return leaf(items[0] as Uint8Array);
  const k = split(items.length);
  return inner(refRoot(items.slice(0, k)), refRoot(items.slice(k)));
}
/** Directions from the root down to leaf `index` ("L"/"R"), the shape a proof encodes. */
function pathShape(index: bigint, total: bigint): string | null {
  if (total <= 0n || index < 0n || index >= total) return null;
  let out = "";
  let i = index;
  let t = total;
  while (t > 1n) {
    let k = 1n;
    while (k * 2n < t) k *= 2n;
    if (i < k) {
      out += "L";
      t = k;
    } else {
      out += "R";
      i -= k;
      t -= k;
    }
  }
  return out;
}

const bytes = (text: string) => utf8Encode(text);
/** Distinct items (each carries its index), so no two subtrees hash alike. */
const distinctItems = fc
  .array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 40 })
  .map((xs) => xs.map((x, i) => concatBytes(Uint8Array.of(i >> 8, i & 255), x)));

describe.each(ENTRIES)("merkle (%s entry)", (_name, c) => {
  it("empty tree is sha256 of nothing", () => {
    expect(toHex(c.merkleRoot([]))).toBe(
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    );
    const { root, proofs } = c.merkleProofs([]);
    expect(toHex(root)).toBe("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
    expect(proofs).toEqual([]);
  });

  it("small trees match hand-built ones", () => {
    const [a, b, cc, d, e] = ["a", "b", "c", "d", "e"].map(bytes) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    expect(c.merkleRoot([a])).toEqual(leaf(a));
    expect(c.merkleRoot([a, b])).toEqual(inner(leaf(a), leaf(b)));
    expect(c.merkleRoot([a, b, cc])).toEqual(inner(inner(leaf(a), leaf(b)), leaf(cc)));
    expect(c.merkleRoot([a, b, cc, d])).toEqual(
      inner(inner(leaf(a), leaf(b)), inner(leaf(cc), leaf(d))),
    );
    // n=5 splits 4|1: the fifth leaf joins at the top, not next to the fourth.
    expect(c.merkleRoot([a, b, cc, d, e])).toEqual(
      inner(inner(inner(leaf(a), leaf(b)), inner(leaf(cc), leaf(d))), leaf(e)),
    );
    // An empty item is still a leaf: sha256(0x00).
    expect(toHex(c.merkleRoot([new Uint8Array(0)]))).toBe(
      "6E340B9CFFB37A989CA544E6BB780A2C78901D3FB33738768511A30617AFA01D",
    );
    expect(c.merkleLeafHash(a)).toEqual(leaf(a));
    expect(c.merkleInnerHash(leaf(a), leaf(b))).toEqual(inner(leaf(a), leaf(b)));
  });

  it("reproduces CometBFT's validators_hash of the height-12 fixture", () => {
    // SimpleValidator{pub_key: PublicKey{ed25519}, voting_power: 1}, in set order (all power 1, by
    // address); expected hash from fixtures/cometbft/commit-12.json.
    const pubkeys = [
      "BBqAcUZ6IPWzOZyUOHVK95ihP7s0McuRaYjbn6CqWfk=",
      "/nX4LxZwh87dNEYD9t2cw8+HHwbwuBmq34Q7z7tvqEc=",
      "w3pPpAwVxmK0oTHeAmQFk8JviQAJUn7CGo7vAHtMqfg=",
      "DZY3DLVKC8ZML3I/kuqMUaoXyAj+UGXskuWlDMAcnC0=",
    ].map((b64) => fromBase64(b64) as Uint8Array);
    const leaves = pubkeys.map((pk) =>
      concatBytes(fromHex("0a220a20") as Uint8Array, pk, fromHex("1001") as Uint8Array),
    );
    expect(toHex(c.merkleRoot(leaves))).toBe(
      "3340D40CE35BC4A025795BBE753A1A1E0026D0904326DD20438ED0BE7A73EE94",
    );
  });

  it("merkleRoot equals the recursive reference for random item lists", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 70 }), (items) => {
        expect(c.merkleRoot(items)).toEqual(refRoot(items));
        expect(c.merkleProofs(items).root).toEqual(refRoot(items));
      }),
      { numRuns: 200 },
    );
  });

  it("every proof of every tree with 1..100 items verifies", () => {
    for (let n = 1; n <= 100; n++) {
      const items = Array.from({ length: n }, (_, i) => bytes(`item-${n}-${i}`));
      const { root, proofs } = c.merkleProofs(items);
      expect(root).toEqual(c.merkleRoot(items));
      expect(proofs).toHaveLength(n);
      proofs.forEach((proof, i) => {
        expect(proof.total).toBe(BigInt(n));
        expect(proof.index).toBe(BigInt(i));
        expect(proof.aunts).toHaveLength((pathShape(BigInt(i), BigInt(n)) as string).length);
        expect(c.verifyMerkleProof(proof, root, items[i] as Uint8Array)).toBe(true);
        expect(c.merkleProofRoot(proof)).toEqual(root);
      });
    }
  });

  it("a single item's proof has no aunts and its root is the leaf hash", () => {
    const { root, proofs } = c.merkleProofs([bytes("x")]);
    expect(proofs[0]?.aunts).toEqual([]);
    expect(root).toEqual(leaf(bytes("x")));
  });

  it("rejects a flipped byte anywhere: leaf, leaf hash, aunt or root", () => {
    fc.assert(
      fc.property(
        distinctItems,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (items, pick, at, mask) => {
          const { root, proofs } = c.merkleProofs(items);
          const i = pick % items.length;
          const proof = proofs[i] as MerkleProof;
          const item = items[i] as Uint8Array;
          const flip = (x: Uint8Array) => {
            const y = x.slice();
            if (y.length === 0) return Uint8Array.of(1);
            const k = at % y.length;
            y[k] = (y[k] as number) ^ mask;
            return y;
          };
          expect(c.verifyMerkleProof(proof, flip(root), item)).toBe(false);
          expect(c.verifyMerkleProof(proof, root, flip(item))).toBe(false);
          expect(
            c.verifyMerkleProof({ ...proof, leafHash: flip(proof.leafHash) }, root, item),
          ).toBe(false);
          if (proof.aunts.length > 0) {
            const j = at % proof.aunts.length;
            const aunts = proof.aunts.map((a, k) => (k === j ? flip(a) : a));
            expect(c.verifyMerkleProof({ ...proof, aunts }, root, item)).toBe(false);
          }
          expect(c.verifyMerkleProof(proof, root, item)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects a wrong index; a wrong total passes only where CometBFT's would (same path)", () => {
    fc.assert(
      fc.property(distinctItems, fc.nat(), fc.bigInt({ min: -3n, max: 200n }), (items, pick, t) => {
        const { root, proofs } = c.merkleProofs(items);
        const i = pick % items.length;
        const proof = proofs[i] as MerkleProof;
        const item = items[i] as Uint8Array;
        for (let j = -1; j <= items.length + 1; j++) {
          if (j === i) continue;
          expect(c.verifyMerkleProof({ ...proof, index: BigInt(j) }, root, item)).toBe(false);
        }
        // Proof.Verify does not bind `total` on its own: a left-edge leaf of a 3-item tree proves
        // the same root under total 4. Only a different path (or a malformed total) must fail.
        const samePath =
          pathShape(proof.index, t) !== null &&
          pathShape(proof.index, t) === pathShape(proof.index, proof.total);
        expect(c.verifyMerkleProof({ ...proof, total: t }, root, item)).toBe(samePath);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects wrong aunt counts, bad shapes and nonsense without throwing", () => {
    const items = Array.from({ length: 7 }, (_, i) => bytes(`i${i}`));
    const { root, proofs } = c.merkleProofs(items);
    const p = proofs[3] as MerkleProof;
    const item = items[3] as Uint8Array;
    const extra = new Uint8Array(32);
    expect(c.verifyMerkleProof({ ...p, aunts: [...p.aunts, extra] }, root, item)).toBe(false);
    expect(c.verifyMerkleProof({ ...p, aunts: [extra, ...p.aunts] }, root, item)).toBe(false);
    expect(c.verifyMerkleProof({ ...p, aunts: p.aunts.slice(1) }, root, item)).toBe(false);
    expect(c.verifyMerkleProof({ ...p, aunts: p.aunts.slice(0, -1) }, root, item)).toBe(false);
    expect(c.verifyMerkleProof({ ...p, total: 0n }, root, item)).toBe(false);
    expect(c.verifyMerkleProof({ ...p, total: 1n << 63n }, root, item)).toBe(false);
    expect(c.verifyMerkleProof({ ...p, index: -1n }, root, item)).toBe(false);
    expect(c.verifyMerkleProof({ ...p, leafHash: p.leafHash.slice(0, 31) }, root, item)).toBe(
      false,
    );
    const shortAunt = p.aunts.map((a, k) => (k === 0 ? a.slice(0, 31) : a));
    expect(c.verifyMerkleProof({ ...p, aunts: shortAunt }, root, item)).toBe(false);
    const tooMany = Array.from({ length: 101 }, () => extra);
    expect(c.verifyMerkleProof({ ...p, aunts: tooMany }, root, item)).toBe(false);
    const junk = { total: 7, index: 3, leafHash: "x", aunts: null } as unknown as MerkleProof;
    expect(c.verifyMerkleProof(junk, root, item)).toBe(false);
    expect(c.verifyMerkleProof(p, undefined as unknown as Uint8Array, item)).toBe(false);
    expect(c.merkleProofRoot({ ...p, index: 7n })).toBeNull();
  });
});
