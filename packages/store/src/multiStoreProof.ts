// The multi-store app hash (Cosmos CommitInfo.Hash: store/internal/maps HashFromMap over
// (store name, store root)) and the ICS-23 `ics23:simple` existence proof of one store's root.

import { merkleInnerHash, merkleLeafHash, merkleRoot, sha256 } from "@qos/crypto";
import { compareBytes, utf8Encode } from "@qos/types";
import {
  ICS23_HASH_OP,
  ICS23_LENGTH_OP,
  type Ics23ExistenceProof,
  type Ics23InnerOp,
} from "./tree/ics23Proof.ts";
import { putUvarint } from "./tree/treeNode.ts";

interface NamedRoot {
  readonly name: Uint8Array;
  readonly root: Uint8Array;
}

function sortedRoots(roots: ReadonlyMap<string, Uint8Array>): NamedRoot[] {
  return Array.from(roots, ([name, root]) => ({ name: utf8Encode(name), root })).sort((a, b) =>
    compareBytes(a.name, b.name),
  );
}

/** maps.go KVPair.Bytes with the value pre-hashed: uvarint(len name) ‖ name ‖ uvarint(32) ‖ sha256(root). */
function pairBytes(p: NamedRoot): Uint8Array {
  const valueHash = sha256(p.root);
  const out = new Uint8Array(10 + p.name.length + 1 + valueHash.length);
  let off = putUvarint(out, 0, p.name.length);
  out.set(p.name, off);
  off += p.name.length;
  off = putUvarint(out, off, valueHash.length);
  out.set(valueHash, off);
  return out.slice(0, off + valueHash.length);
}

/** The app hash: RFC-6962 root over the stores sorted by name (bytewise). */
export function multiStoreAppHash(roots: ReadonlyMap<string, Uint8Array>): Uint8Array {
  return merkleRoot(sortedRoots(roots).map(pairBytes));
}

/** Largest power of two strictly below n (n >= 2), CometBFT tree.go getSplitPoint. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const INNER_PREFIX = Uint8Array.of(0x01);
const EMPTY = new Uint8Array(0);

/**
 * The existence proof of (name → root) under ICS-23 `tendermintSpec` (leaf prefix 00, NO_HASH
 * key, SHA256 value, VAR_PROTO; inner prefix 01): its root is the app hash. Undefined when the
 * name is not among the roots.
 */
export function storeRootProof(
  roots: ReadonlyMap<string, Uint8Array>,
  name: string,
): Ics23ExistenceProof | undefined {
  const sorted = sortedRoots(roots);
  const target = utf8Encode(name);
  const index = sorted.findIndex((p) => compareBytes(p.name, target) === 0);
  if (index < 0) return undefined;
  const leaves = sorted.map((p) => merkleLeafHash(pairBytes(p)));
  const path: Ics23InnerOp[] = [];
  const build = (lo: number, hi: number): Uint8Array => {
    if (hi - lo === 1) return leaves[lo] as Uint8Array;
    const mid = lo + splitPoint(hi - lo);
    const left = build(lo, mid);
    const right = build(mid, hi);
    if (index >= lo && index < mid) {
      path.push({ hash: ICS23_HASH_OP.sha256, prefix: INNER_PREFIX, suffix: right });
    } else if (index >= mid && index < hi) {
      const prefix = new Uint8Array(1 + left.length);
      prefix[0] = 0x01;
      prefix.set(left, 1);
      path.push({ hash: ICS23_HASH_OP.sha256, prefix, suffix: EMPTY });
    }
    return merkleInnerHash(left, right);
  };
  build(0, sorted.length);
  const entry = sorted[index] as NamedRoot;
  return {
    key: entry.name,
    value: entry.root,
    leaf: {
      hash: ICS23_HASH_OP.sha256,
      prehashKey: ICS23_HASH_OP.noHash,
      prehashValue: ICS23_HASH_OP.sha256,
      length: ICS23_LENGTH_OP.varProto,
      prefix: LEAF_PREFIX,
    },
    path,
  };
}
