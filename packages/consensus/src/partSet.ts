// Block part sets (types/part_set.go): the proto-encoded block cut into 64 KiB parts, each with a
// Merkle proof against PartSetHeader.hash; plus the checks a receiver runs on every part.

import { create } from "@bufbuild/protobuf";
import { merkleProofs, verifyMerkleProof } from "@qos/crypto";
import {
  concatBytes,
  err,
  ok,
  type Part,
  PartSchema,
  type PartSetHeader,
  PartSetHeaderSchema,
  ProofSchema,
  QosError,
  type Result,
} from "@qos/types";

/** types/params.go BlockPartSizeBytes. */
export const BLOCK_PART_SIZE_BYTES = 65536;

export interface PartSet {
  readonly header: PartSetHeader;
  readonly parts: readonly Part[];
}

export type PartErrorCode = "invalid_part";
export type PartError = QosError<PartErrorCode>;

/**
 * NewPartSetFromData: ceil(len/partSize) parts (none for empty data), hash = Merkle root over the
 * raw part bytes, each part carrying its proof.
 */
export function createPartSet(data: Uint8Array, partSize: number = BLOCK_PART_SIZE_BYTES): PartSet {
  if (!Number.isInteger(partSize) || partSize <= 0) {
    throw new RangeError(`part size must be a positive integer, got ${partSize}`);
  }
  const total = Math.ceil(data.length / partSize);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < total; i++) {
    chunks.push(data.slice(i * partSize, Math.min(data.length, (i + 1) * partSize)));
  }
  const { root, proofs } = merkleProofs(chunks);
  const parts = chunks.map((bytes, index) => {
    const p = proofs[index] as (typeof proofs)[number];
    return create(PartSchema, {
      index,
      bytes,
      proof: create(ProofSchema, {
        total: p.total,
        index: p.index,
        leafHash: p.leafHash,
        aunts: p.aunts,
      }),
    });
  });
  return { header: create(PartSetHeaderSchema, { total, hash: root }), parts };
}

function invalid(message: string): { ok: false; error: PartError } {
  return err(new QosError("invalid_part", message));
}

/**
 * The checks of Part.ValidateBasic and PartSet.AddPart: size limit, every part but the last is
 * full-size, index < total, proof index/total agree with the part and the header, and the Merkle
 * proof leads from the part's bytes to header.hash.
 */
export function verifyPart(
  part: Part,
  header: PartSetHeader,
  partSize: number = BLOCK_PART_SIZE_BYTES,
): Result<void, PartError> {
  const proof = part.proof;
  if (proof === undefined) return invalid("part has no proof");
  if (part.bytes.length > partSize) {
    return invalid(`too big: ${part.bytes.length} bytes, max: ${partSize}`);
  }
  if (BigInt(part.index) < proof.total - 1n && part.bytes.length !== partSize) {
    return invalid("part is not the last one but has a short size");
  }
  if (BigInt(part.index) !== proof.index) {
    return invalid(`part index ${part.index} != proof index ${proof.index}`);
  }
  if (part.index >= header.total) {
    return invalid(`unexpected part index ${part.index} (total ${header.total})`);
  }
  if (proof.total !== BigInt(header.total)) {
    return invalid(`proof total ${proof.total} != part set total ${header.total}`);
  }
  const ok_ = verifyMerkleProof(
    { total: proof.total, index: proof.index, leafHash: proof.leafHash, aunts: proof.aunts },
    header.hash,
    part.bytes,
  );
  if (!ok_) return invalid(`invalid merkle proof for part ${part.index}`);
  return ok(undefined);
}

/** Reassembles the block bytes from a complete, index-ordered list of parts. */
export function joinParts(parts: readonly Part[]): Uint8Array {
  return concatBytes(...parts.map((p) => p.bytes));
}
