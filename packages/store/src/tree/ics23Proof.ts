// ICS-23 proof structures (cosmos.ics23.v1) as plain data and their protobuf encoding, written
// against the proofs.proto field numbers; the IAVL and simple-merkle proofs are built from these.

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

/** Minimal protobuf writer: fields are appended to a list of parts and joined once. */
class ProtoParts {
  readonly parts: Uint8Array[] = [];
  length = 0;

  private raw(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private tagAndLen(field: number, wireType: number, len: number | null): void {
    const head = new Uint8Array(20);
    let off = putUvarint(head, 0, field * 8 + wireType);
    if (len !== null) off = putUvarint(head, off, len);
    this.raw(head.subarray(0, off));
  }

  /** proto3: a zero enum is the default and is not written. */
  enumField(field: number, value: number): void {
    if (value === 0) return;
    const head = new Uint8Array(20);
    let off = putUvarint(head, 0, field * 8);
    off = putUvarint(head, off, value);
    this.raw(head.subarray(0, off));
  }

  /** proto3: empty bytes are the default and are not written. */
  bytesField(field: number, value: Uint8Array): void {
    if (value.length === 0) return;
    this.tagAndLen(field, 2, value.length);
    this.raw(value);
  }

  messageField(field: number, message: ProtoParts): void {
    this.tagAndLen(field, 2, message.length);
    for (const p of message.parts) this.raw(p);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

function leafOpParts(op: Ics23LeafOp): ProtoParts {
  const m = new ProtoParts();
  m.enumField(1, op.hash);
  m.enumField(2, op.prehashKey);
  m.enumField(3, op.prehashValue);
  m.enumField(4, op.length);
  m.bytesField(5, op.prefix);
  return m;
}

function innerOpParts(op: Ics23InnerOp): ProtoParts {
  const m = new ProtoParts();
  m.enumField(1, op.hash);
  m.bytesField(2, op.prefix);
  m.bytesField(3, op.suffix);
  return m;
}

function existenceParts(p: Ics23ExistenceProof): ProtoParts {
  const m = new ProtoParts();
  m.bytesField(1, p.key);
  m.bytesField(2, p.value);
  m.messageField(3, leafOpParts(p.leaf));
  for (const step of p.path) m.messageField(4, innerOpParts(step));
  return m;
}

/** `cosmos.ics23.v1.CommitmentProof` bytes: oneof { exist = 1, nonexist = 2 }. */
export function encodeCommitmentProof(proof: Ics23CommitmentProof): Uint8Array {
  const m = new ProtoParts();
  if ("exist" in proof) {
    m.messageField(1, existenceParts(proof.exist));
  } else {
    const n = new ProtoParts();
    n.bytesField(1, proof.nonexist.key);
    if (proof.nonexist.left) n.messageField(2, existenceParts(proof.nonexist.left));
    if (proof.nonexist.right) n.messageField(3, existenceParts(proof.nonexist.right));
    m.messageField(2, n);
  }
  return m.finish();
}
