// ICS-23 proof structures (cosmos.ics23.v1) as plain data and their protobuf encoding, written
// against the proofs.proto field numbers; the IAVL and simple-merkle proofs are built from these.

import { varintSize } from "@qos/types";
import { putUvarint } from "./treeNode.ts";

/** proofs.proto HashOp / LengthOp values used here. */
export const ICS23_HASH_OP = { noHash: 0, sha256: 1 } as const;
export const ICS23_LENGTH_OP = { noPrefix: 0, varProto: 1 } as const;

export interface Ics23LeafOp {
  readonly hash: number;
  readonly prehashKey: number;
  readonly prehashValue: number;
  readonly length: number;
  readonly prefix: Uint8Array;
}

export interface Ics23InnerOp {
  readonly hash: number;
  readonly prefix: Uint8Array;
  readonly suffix: Uint8Array;
}

export interface Ics23ExistenceProof {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly leaf: Ics23LeafOp;
  /** path[0] is the step nearest the leaf. */
  readonly path: readonly Ics23InnerOp[];
}

export interface Ics23NonExistenceProof {
  readonly key: Uint8Array;
  readonly left: Ics23ExistenceProof | undefined;
  readonly right: Ics23ExistenceProof | undefined;
}

export type Ics23CommitmentProof =
  | { readonly exist: Ics23ExistenceProof }
  | { readonly nonexist: Ics23NonExistenceProof };

// The encoder sizes every message first, then writes the proof into one buffer: no part lists,
// no per-field allocations (proof generation is dominated by encoding otherwise).

/** Bytes of a length-delimited field with a one-byte tag (field numbers < 16). */
function delimitedSize(len: number): number {
  return 1 + varintSize(len) + len;
}

/** proto3: empty bytes are the default and are not written. */
function bytesFieldSize(len: number): number {
  return len === 0 ? 0 : delimitedSize(len);
}

/** proto3: a zero enum is the default and is not written. */
function enumFieldSize(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

function leafOpSize(op: Ics23LeafOp): number {
  return (
    enumFieldSize(op.hash) +
    enumFieldSize(op.prehashKey) +
    enumFieldSize(op.prehashValue) +
    enumFieldSize(op.length) +
    bytesFieldSize(op.prefix.length)
  );
}

function innerOpSize(op: Ics23InnerOp): number {
  return (
    enumFieldSize(op.hash) + bytesFieldSize(op.prefix.length) + bytesFieldSize(op.suffix.length)
  );
}

function existenceSize(p: Ics23ExistenceProof): number {
  let size =
    bytesFieldSize(p.key.length) +
    bytesFieldSize(p.value.length) +
    delimitedSize(leafOpSize(p.leaf));
  for (const step of p.path) size += delimitedSize(innerOpSize(step));
  return size;
}

function nonExistenceSize(p: Ics23NonExistenceProof): number {
  return (
    bytesFieldSize(p.key.length) +
    (p.left ? delimitedSize(existenceSize(p.left)) : 0) +
    (p.right ? delimitedSize(existenceSize(p.right)) : 0)
  );
}

// Proof bytes are carved out of shared 64 KiB pools, as Node does for small Buffers: a fresh
// ArrayBuffer per proof (about 1 KiB at a million keys) cost more than writing the proof.
const POOL_BYTES = 64 * 1024;
let pool = new ArrayBuffer(POOL_BYTES);
let poolOff = 0;

/** A zeroed view of `size` bytes that no other caller gets (its `.buffer` may hold other proofs). */
function allocProof(size: number): Uint8Array {
  if (size > POOL_BYTES / 8) return new Uint8Array(size);
  if (poolOff + size > POOL_BYTES) {
    pool = new ArrayBuffer(POOL_BYTES);
    poolOff = 0;
  }
  const out = new Uint8Array(pool, poolOff, size);
  poolOff += (size + 7) & ~7;
  return out;
}

/** Writes fields into a buffer sized by the functions above. */
class ProtoWriter {
  readonly buf: Uint8Array;
  off = 0;

  constructor(size: number) {
    this.buf = allocProof(size);
  }

  head(field: number, wireType: number, len: number): void {
    this.buf[this.off++] = field * 8 + wireType;
    this.off = putUvarint(this.buf, this.off, len);
  }

  enumField(field: number, value: number): void {
    if (value === 0) return;
    this.buf[this.off++] = field * 8;
    this.off = putUvarint(this.buf, this.off, value);
  }

  bytesField(field: number, value: Uint8Array): void {
    if (value.length === 0) return;
    this.head(field, 2, value.length);
    this.buf.set(value, this.off);
    this.off += value.length;
  }

  leafOp(field: number, op: Ics23LeafOp): void {
    this.head(field, 2, leafOpSize(op));
    this.enumField(1, op.hash);
    this.enumField(2, op.prehashKey);
    this.enumField(3, op.prehashValue);
    this.enumField(4, op.length);
    this.bytesField(5, op.prefix);
  }

  innerOp(field: number, op: Ics23InnerOp): void {
    this.head(field, 2, innerOpSize(op));
    this.enumField(1, op.hash);
    this.bytesField(2, op.prefix);
    this.bytesField(3, op.suffix);
  }

  existence(field: number, p: Ics23ExistenceProof): void {
    this.head(field, 2, existenceSize(p));
    this.bytesField(1, p.key);
    this.bytesField(2, p.value);
    this.leafOp(3, p.leaf);
    for (const step of p.path) this.innerOp(4, step);
  }
}

/** `cosmos.ics23.v1.CommitmentProof` bytes: oneof { exist = 1, nonexist = 2 }. */
export function encodeCommitmentProof(proof: Ics23CommitmentProof): Uint8Array {
  if ("exist" in proof) {
    const w = new ProtoWriter(delimitedSize(existenceSize(proof.exist)));
    w.existence(1, proof.exist);
    return w.buf;
  }
  const n = proof.nonexist;
  const w = new ProtoWriter(delimitedSize(nonExistenceSize(n)));
  w.head(2, 2, nonExistenceSize(n));
  w.bytesField(1, n.key);
  if (n.left) w.existence(2, n.left);
  if (n.right) w.existence(3, n.right);
  return w.buf;
}

/**
 * `cosmos.ics23.v1.CommitmentProof` bytes with `batch` (field 3) holding `entries`, each the
 * bytes of a CommitmentProof with `exist` or `nonexist`: a BatchEntry has the same two fields
 * under the same numbers, so those bytes are the entry's encoding as they are.
 */
export function encodeBatchProof(entries: readonly Uint8Array[]): Uint8Array {
  let batchSize = 0;
  for (const e of entries) batchSize += delimitedSize(e.length);
  const w = new ProtoWriter(delimitedSize(batchSize));
  w.head(3, 2, batchSize);
  for (const e of entries) {
    w.head(1, 2, e.length);
    w.buf.set(e, w.off);
    w.off += e.length;
  }
  return w.buf;
}

/**
 * The IAVL path of one leaf as the tree walks it (root first), in reusable arrays: per inner
 * node its height, size and version, whether the path continues into its left child, and the
 * hash of the other child. Written straight to proof bytes by `encodeIavlProof`, no op objects.
 */
export class IavlPath {
  length = 0;
  readonly heights: number[] = [];
  readonly sizes: number[] = [];
  readonly versions: number[] = [];
  readonly childLeft: boolean[] = [];
  readonly siblings: Uint8Array[] = [];
  key: Uint8Array = EMPTY;
  value: Uint8Array = EMPTY;
  leafVersion = 0;

  push(height: number, size: number, version: number, childLeft: boolean, sibling: Uint8Array) {
    const i = this.length++;
    this.heights[i] = height;
    this.sizes[i] = size;
    this.versions[i] = version;
    this.childLeft[i] = childLeft;
    this.siblings[i] = sibling;
  }
}

const EMPTY = new Uint8Array(0);
/** iavl inner/leaf ops: uvarint(32) before each 32-byte hash. */
const HASH_LEN = 32;

function zigzagLength(n: number): number {
  return varintSize(n * 2);
}

/** Inner op prefix: zz(height) ‖ zz(size) ‖ zz(version) ‖ 0x20 [‖ left hash ‖ 0x20 when the path goes right]. */
function iavlInnerPrefixLength(p: IavlPath, i: number): number {
  const head =
    zigzagLength(p.heights[i] as number) +
    zigzagLength(p.sizes[i] as number) +
    zigzagLength(p.versions[i] as number) +
    1;
  return p.childLeft[i] ? head : head + HASH_LEN + 1;
}

function iavlInnerOpSize(p: IavlPath, i: number): number {
  // hash = SHA256 (2 bytes), prefix, suffix 0x20 ‖ right hash when the path goes left
  return (
    2 +
    delimitedSize(iavlInnerPrefixLength(p, i)) +
    (p.childLeft[i] ? delimitedSize(HASH_LEN + 1) : 0)
  );
}

/** Leaf op: hash SHA256, prehash_key NO_HASH, prehash_value SHA256, length VAR_PROTO, prefix 00 02 zz(version). */
function iavlLeafOpSize(p: IavlPath): number {
  return 6 + delimitedSize(2 + zigzagLength(p.leafVersion));
}

function iavlExistenceSize(p: IavlPath): number {
  let size =
    bytesFieldSize(p.key.length) +
    bytesFieldSize(p.value.length) +
    delimitedSize(iavlLeafOpSize(p));
  for (let i = 0; i < p.length; i++) size += delimitedSize(iavlInnerOpSize(p, i));
  return size;
}

function writeIavlExistence(w: ProtoWriter, field: number, p: IavlPath): void {
  w.head(field, 2, iavlExistenceSize(p));
  w.bytesField(1, p.key);
  w.bytesField(2, p.value);
  w.head(3, 2, iavlLeafOpSize(p));
  const b = w.buf;
  b[w.off++] = 0x08; // hash
  b[w.off++] = ICS23_HASH_OP.sha256;
  b[w.off++] = 0x18; // prehash_value
  b[w.off++] = ICS23_HASH_OP.sha256;
  b[w.off++] = 0x20; // length
  b[w.off++] = ICS23_LENGTH_OP.varProto;
  w.head(5, 2, 2 + zigzagLength(p.leafVersion));
  b[w.off++] = 0x00;
  b[w.off++] = 0x02;
  w.off = putUvarint(b, w.off, p.leafVersion * 2);
  // ICS-23 path order: the step nearest the leaf first
  for (let i = p.length - 1; i >= 0; i--) {
    w.head(4, 2, iavlInnerOpSize(p, i));
    b[w.off++] = 0x08;
    b[w.off++] = ICS23_HASH_OP.sha256;
    const left = p.childLeft[i] as boolean;
    w.head(2, 2, iavlInnerPrefixLength(p, i));
    w.off = putUvarint(b, w.off, (p.heights[i] as number) * 2);
    w.off = putUvarint(b, w.off, (p.sizes[i] as number) * 2);
    w.off = putUvarint(b, w.off, (p.versions[i] as number) * 2);
    b[w.off++] = HASH_LEN;
    if (left) {
      w.head(3, 2, HASH_LEN + 1);
      b[w.off++] = HASH_LEN;
    }
    b.set(p.siblings[i] as Uint8Array, w.off);
    w.off += HASH_LEN;
    if (!left) b[w.off++] = HASH_LEN;
  }
}

/**
 * `CommitmentProof` bytes for IAVL paths: `exist` when only `exist` is given, else
 * `nonexist { key, left, right }`. Same bytes as `encodeCommitmentProof` of the ops the path gives.
 */
export function encodeIavlProof(
  exist: IavlPath | null,
  nonexistKey: Uint8Array,
  left: IavlPath | null,
  right: IavlPath | null,
): Uint8Array {
  if (exist !== null) {
    const w = new ProtoWriter(delimitedSize(iavlExistenceSize(exist)));
    writeIavlExistence(w, 1, exist);
    return w.buf;
  }
  const inner =
    bytesFieldSize(nonexistKey.length) +
    (left !== null ? delimitedSize(iavlExistenceSize(left)) : 0) +
    (right !== null ? delimitedSize(iavlExistenceSize(right)) : 0);
  const w = new ProtoWriter(delimitedSize(inner));
  w.head(2, 2, inner);
  w.bytesField(1, nonexistKey);
  if (left !== null) writeIavlExistence(w, 2, left);
  if (right !== null) writeIavlExistence(w, 3, right);
  return w.buf;
}
