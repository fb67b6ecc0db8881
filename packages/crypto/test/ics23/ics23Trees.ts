// Tiny reference builders for the tests: sorted key/value sets hashed in the tendermint (RFC-6962)
// and IAVL byte formats, with ICS-23 existence and non-existence proofs. Independent of the code
// under test: node:crypto sha256, plain recursion, written from the byte recipes.
import { createHash } from "node:crypto";
import { compareBytes, concatBytes, createWireMessage, encodeWireMessage, ics23 } from "@qos/types";

export const { HashOp, LengthOp } = ics23;

export function sha(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(
    createHash("sha256")
      .update(concatBytes(...parts))
      .digest(),
  );
}

export function uvarint(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Go binary.PutVarint: zig-zag, then uvarint. */
export function zz(n: number): Uint8Array {
  return uvarint(n >= 0 ? 2 * n : -2 * n - 1);
}

export interface Kv {
  key: Uint8Array;
  value: Uint8Array;
}

export type Op = { prefix: Uint8Array; suffix: Uint8Array };

export interface Tree {
  root: Uint8Array;
  kvs: Kv[];
  leafPrefix(i: number): Uint8Array;
  /** Inner ops from leaf i up to the root (path[0] nearest the leaf). */
  path(i: number): Op[];
}

export function sortKvs(kvs: readonly Kv[]): Kv[] {
  const sorted = [...kvs].sort((a, b) => compareBytes(a.key, b.key));
  return sorted.filter((kv, i) => i === 0 || compareBytes((sorted[i - 1] as Kv).key, kv.key) !== 0);
}

/** VAR_PROTO key and sha256(value), as both formats hash a leaf after its prefix. */
function leafBody(kv: Kv): Uint8Array {
  return concatBytes(uvarint(kv.key.length), kv.key, uvarint(32), sha(kv.value));
}

/** CometBFT crypto/merkle shape: split at the largest power of two below n. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Tendermint format: leaf sha256(00 ‖ body), inner sha256(01 ‖ L ‖ R). */
export function tendermintTree(input: readonly Kv[]): Tree {
  const kvs = sortKvs(input);
  const paths: Op[][] = kvs.map(() => []);
  const build = (lo: number, hi: number): Uint8Array => {
    if (hi - lo === 1) return sha(Uint8Array.of(0), leafBody(kvs[lo] as Kv));
    const mid = lo + splitPoint(hi - lo);
    const l = build(lo, mid);
    const r = build(mid, hi);
    for (let i = lo; i < mid; i++) paths[i]?.push({ prefix: Uint8Array.of(1), suffix: r });
    for (let i = mid; i < hi; i++) {
      paths[i]?.push({ prefix: concatBytes(Uint8Array.of(1), l), suffix: new Uint8Array(0) });
    }
    return sha(Uint8Array.of(1), l, r);
  };
  const root = build(0, kvs.length);
  return { root, kvs, leafPrefix: () => Uint8Array.of(0), path: (i) => paths[i] as Op[] };
}

/** Per-node IAVL fields a test may tamper with (default: honest). */
export interface IavlTweaks {
  innerPrefix?(height: number, size: number, version: number): Uint8Array;
}

/**
 * IAVL format (cosmos/iavl node.go, proof_ics23.go), a balanced tree with every key at a leaf:
 * leaf sha256(zz(0) zz(1) zz(ver) ‖ body), inner sha256(zz(h) zz(size) zz(ver) 20 L 20 R).
 */
export function iavlTree(input: readonly Kv[], tweaks: IavlTweaks = {}): Tree {
  const kvs = sortKvs(input);
  const paths: Op[][] = kvs.map(() => []);
  const versionOf = (i: number) => 1 + ((i * 37) % 300);
  const leafPrefix = (i: number) => concatBytes(zz(0), zz(1), zz(versionOf(i)));
  const innerPrefix = tweaks.innerPrefix ?? ((h, s, v) => concatBytes(zz(h), zz(s), zz(v)));
  const build = (lo: number, hi: number): { hash: Uint8Array; height: number } => {
    if (hi - lo === 1) return { hash: sha(leafPrefix(lo), leafBody(kvs[lo] as Kv)), height: 0 };
    const mid = lo + Math.ceil((hi - lo) / 2);
    const l = build(lo, mid);
    const r = build(mid, hi);
    const height = Math.max(l.height, r.height) + 1;
    const head = innerPrefix(height, hi - lo, 1000 + lo);
    const len = uvarint(32);
    for (let i = lo; i < mid; i++) {
      paths[i]?.push({ prefix: concatBytes(head, len), suffix: concatBytes(len, r.hash) });
    }
    for (let i = mid; i < hi; i++) {
      paths[i]?.push({ prefix: concatBytes(head, len, l.hash, len), suffix: new Uint8Array(0) });
    }
    return { hash: sha(head, len, l.hash, len, r.hash), height };
  };
  const root = build(0, kvs.length).hash;
  return { root, kvs, leafPrefix, path: (i) => paths[i] as Op[] };
}

export function leafOpMessage(prefix: Uint8Array): ics23.LeafOp {
  return createWireMessage(ics23.LeafOpSchema, {
    hash: HashOp.SHA256,
    prehashKey: HashOp.NO_HASH,
    prehashValue: HashOp.SHA256,
    length: LengthOp.VAR_PROTO,
    prefix,
  });
}

export function existenceProof(tree: Tree, i: number): ics23.ExistenceProof {
  const kv = tree.kvs[i] as Kv;
  return createWireMessage(ics23.ExistenceProofSchema, {
    key: kv.key,
    value: kv.value,
    leaf: leafOpMessage(tree.leafPrefix(i)),
    path: tree.path(i).map((op) => ({ hash: HashOp.SHA256, prefix: op.prefix, suffix: op.suffix })),
  });
}

export function existCommitment(tree: Tree, i: number): ics23.CommitmentProof {
  return createWireMessage(ics23.CommitmentProofSchema, {
    proof: { case: "exist", value: existenceProof(tree, i) },
  });
}

/** Non-existence of `key` (which must be absent): its neighbours' existence proofs. */
export function nonExistCommitment(tree: Tree, key: Uint8Array): ics23.CommitmentProof {
  let idx = 0;
  while (idx < tree.kvs.length && compareBytes((tree.kvs[idx] as Kv).key, key) < 0) idx++;
  if (idx < tree.kvs.length && compareBytes((tree.kvs[idx] as Kv).key, key) === 0) {
    throw new Error("nonExistCommitment: key is present");
  }
  return createWireMessage(ics23.CommitmentProofSchema, {
    proof: {
      case: "nonexist",
      value: {
        key,
        ...(idx > 0 ? { left: existenceProof(tree, idx - 1) } : {}),
        ...(idx < tree.kvs.length ? { right: existenceProof(tree, idx) } : {}),
      },
    },
  });
}

export function encodeCommitment(p: ics23.CommitmentProof): Uint8Array {
  return encodeWireMessage(ics23.CommitmentProofSchema, p);
}

/** Keys strictly between neighbours, before the first and after the last (absent by construction). */
export function absentKeys(tree: Tree): Uint8Array[] {
  const out: Uint8Array[] = [];
  const first = tree.kvs[0];
  if (first !== undefined && !(first.key.length === 1 && first.key[0] === 0))
    out.push(Uint8Array.of(0));
  for (const kv of tree.kvs) out.push(concatBytes(kv.key, Uint8Array.of(0)));
  return out.filter((k) => !tree.kvs.some((kv) => compareBytes(kv.key, k) === 0));
}

export const enc = (s: string) => new TextEncoder().encode(s);

export function kvsOf(n: number, seed = "k"): Kv[] {
  return Array.from({ length: n }, (_, i) => ({
    key: enc(`${seed}${String(i * 7).padStart(3, "0")}`),
    value: enc(`value-${i}`),
  }));
}
