// CometBFT's RFC-6962 merkle tree (crypto/merkle/tree.go, hash.go, proof.go): root, proofs and
// proof verification, over whichever sha256 the environment supplies.
import { equalBytes } from "@qos/types";

/** A proof of one item's inclusion, shaped like CometBFT's merkle.Proof (`aunts[0]` is nearest the leaf). */
export interface MerkleProof {
  total: bigint;
  index: bigint;
  leafHash: Uint8Array;
  aunts: Uint8Array[];
}

export interface Merkle {
  merkleLeafHash(item: Uint8Array): Uint8Array;
  merkleInnerHash(left: Uint8Array, right: Uint8Array): Uint8Array;
  merkleRoot(items: readonly Uint8Array[]): Uint8Array;
  merkleProofs(items: readonly Uint8Array[]): { root: Uint8Array; proofs: MerkleProof[] };
  merkleProofRoot(proof: MerkleProof): Uint8Array | null;
  verifyMerkleProof(proof: MerkleProof, root: Uint8Array, leaf: Uint8Array): boolean;
}

/** proof.go MaxAunts: a proof with more aunts is rejected before any hashing. */
export const MERKLE_MAX_AUNTS = 100;
const HASH_LENGTH = 32;
const INT64_MAX = (1n << 63n) - 1n;

/** Largest power of two strictly less than n, for n >= 2 (tree.go getSplitPoint). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function splitPointBig(n: bigint): bigint {
  let k = 1n;
  while (k * 2n < n) k *= 2n;
  return k;
}

export function createMerkle(sha256: (data: Uint8Array) => Uint8Array): Merkle {
  // Scratch buffers: everything here is synchronous, so one buffer per tree instance is safe and
  // saves an allocation per hash on the hot path (block data hashes, part sets, validator sets).
  let leafScratch = new Uint8Array(128);
  const innerScratch = new Uint8Array(1 + 2 * HASH_LENGTH);
  innerScratch[0] = 0x01;
  const emptyRoot = sha256(new Uint8Array(0));

  /** hash.go leafHash: sha256(0x00 || item). */
  function merkleLeafHash(item: Uint8Array): Uint8Array {
    const n = item.length + 1;
    if (n > leafScratch.length) leafScratch = new Uint8Array(Math.max(n, leafScratch.length * 2));
    leafScratch[0] = 0x00;
    leafScratch.set(item, 1);
    return sha256(leafScratch.subarray(0, n));
  }

  /** hash.go innerHash: sha256(0x01 || left || right). */
  function merkleInnerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
    if (left.length === HASH_LENGTH && right.length === HASH_LENGTH) {
      innerScratch.set(left, 1);
      innerScratch.set(right, 1 + HASH_LENGTH);
      return sha256(innerScratch);
    }
    const buf = new Uint8Array(1 + left.length + right.length);
    buf[0] = 0x01;
    buf.set(left, 1);
    buf.set(right, 1 + left.length);
    return sha256(buf);
  }

  /**
   * tree.go HashFromByteSlices. Computed bottom-up: pairing neighbours level by level and carrying
   * an odd last node upwards builds exactly the tree that splits at the largest power of two < n.
   */
  function merkleRoot(items: readonly Uint8Array[]): Uint8Array {
    const n = items.length;
    if (n === 0) return emptyRoot.slice();
    const level: Uint8Array[] = new Array(n);
    for (let i = 0; i < n; i++) level[i] = merkleLeafHash(items[i] as Uint8Array);
    let len = n;
    while (len > 1) {
      const half = len >> 1;
      for (let i = 0; i < half; i++) {
        level[i] = merkleInnerHash(level[2 * i] as Uint8Array, level[2 * i + 1] as Uint8Array);
      }
      if (len & 1) level[half] = level[len - 1] as Uint8Array;
      len = half + (len & 1);
    }
    return level[0] as Uint8Array;
  }

  /** tree.go / proof.go ProofsFromByteSlices: the root and one proof per item. */
  function merkleProofs(items: readonly Uint8Array[]): { root: Uint8Array; proofs: MerkleProof[] } {
    const n = items.length;
    const total = BigInt(n);
    const leaves = items.map(merkleLeafHash);
    const aunts: Uint8Array[][] = leaves.map(() => []);
    // Recursion depth is log2(n); aunts are pushed deepest first, as CometBFT orders them.
    const build = (lo: number, hi: number): Uint8Array => {
      if (hi - lo === 1) return leaves[lo] as Uint8Array;
      const mid = lo + splitPoint(hi - lo);
      const left = build(lo, mid);
      const right = build(mid, hi);
      for (let i = lo; i < mid; i++) (aunts[i] as Uint8Array[]).push(right);
      for (let i = mid; i < hi; i++) (aunts[i] as Uint8Array[]).push(left);
      return merkleInnerHash(left, right);
    };
    const root = n === 0 ? emptyRoot.slice() : build(0, n);
    const proofs = leaves.map(
      (leafHash, i): MerkleProof => ({
        total,
        index: BigInt(i),
        leafHash,
        aunts: aunts[i] as Uint8Array[],
      }),
    );
    return { root, proofs };
  }

  /** proof.go computeHashFromAunts; `end` is how many aunts (from the front) are still unused. */
  function rootFromAunts(
    index: bigint,
    total: bigint,
    leafHash: Uint8Array,
    aunts: readonly Uint8Array[],
    end: number,
  ): Uint8Array | null {
    if (index >= total || index < 0n || total <= 0n) return null;
    if (total === 1n) return end === 0 ? leafHash : null;
    if (end === 0) return null;
    const aunt = aunts[end - 1] as Uint8Array;
    const numLeft = splitPointBig(total);
    if (index < numLeft) {
      const left = rootFromAunts(index, numLeft, leafHash, aunts, end - 1);
      return left === null ? null : merkleInnerHash(left, aunt);
    }
    const right = rootFromAunts(index - numLeft, total - numLeft, leafHash, aunts, end - 1);
    return right === null ? null : merkleInnerHash(aunt, right);
  }

  /**
   * The root a proof commits to, or null if the proof is malformed (proof.go ValidateBasic and
   * computeHashFromAunts: 0 <= index < total, 32-byte hashes, at most MaxAunts aunts, and exactly
   * as many aunts as the leaf's depth). Does not look at the leaf itself.
   */
  function merkleProofRoot(proof: MerkleProof): Uint8Array | null {
    const { total, index, leafHash, aunts } = proof;
    if (typeof total !== "bigint" || typeof index !== "bigint") return null;
    if (total <= 0n || total > INT64_MAX || index < 0n || index >= total) return null;
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_LENGTH) return null;
    if (!Array.isArray(aunts) || aunts.length > MERKLE_MAX_AUNTS) return null;
    for (const aunt of aunts) {
      if (!(aunt instanceof Uint8Array) || aunt.length !== HASH_LENGTH) return null;
    }
    return rootFromAunts(index, total, leafHash, aunts, aunts.length);
  }

  /** proof.go Proof.Verify: the leaf hashes to proof.leafHash and the aunts lead to `root`. Never throws. */
  function verifyMerkleProof(proof: MerkleProof, root: Uint8Array, leaf: Uint8Array): boolean {
    try {
      if (!(root instanceof Uint8Array) || !(leaf instanceof Uint8Array)) return false;
      const computed = merkleProofRoot(proof);
      if (computed === null) return false;
      if (!equalBytes(proof.leafHash, merkleLeafHash(leaf))) return false;
      return equalBytes(computed, root);
    } catch {
      return false;
    }
  }

  return {
    merkleLeafHash,
    merkleInnerHash,
    merkleRoot,
    merkleProofs,
    merkleProofRoot,
    verifyMerkleProof,
  };
}
