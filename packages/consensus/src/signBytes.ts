// Sign bytes of votes, proposals and vote extensions (types/vote.go, types/proposal.go,
// types/canonical.go): a uvarint length prefix, then the proto Canonical* message.

import { create } from "@bufbuild/protobuf";
import {
  type BlockID,
  type CanonicalBlockID,
  CanonicalBlockIDSchema,
  CanonicalPartSetHeaderSchema,
  CanonicalProposalSchema,
  CanonicalVoteExtensionSchema,
  CanonicalVoteSchema,
  concatBytes,
  encodeWireMessage,
  type Proposal,
  SignedMsgType,
  type Vote,
} from "@qos/types";
import { isBlockIdZero } from "./blockHashing.ts";

/** protoio.MarshalDelimited's prefix: the message length as an unsigned varint. */
export function encodeUvarint(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return new Uint8Array(out);
}

function delimited(bytes: Uint8Array): Uint8Array {
  return concatBytes(encodeUvarint(bytes.length), bytes);
}

/** CanonicalizeBlockID: undefined (field omitted) for a zero BlockID, i.e. a nil vote. */
export function canonicalizeBlockId(blockId: BlockID | undefined): CanonicalBlockID | undefined {
  if (blockId === undefined || isBlockIdZero(blockId)) return undefined;
  return create(CanonicalBlockIDSchema, {
    hash: blockId.hash,
    partSetHeader: create(CanonicalPartSetHeaderSchema, {
      total: blockId.partSetHeader?.total ?? 0,
      hash: blockId.partSetHeader?.hash ?? new Uint8Array(),
    }),
  });
}

/**
 * VoteSignBytes: delimited CanonicalVote{type, sfixed64 height, sfixed64 round, block_id (absent
 * for nil votes), timestamp (always), chain_id}. Address, index and extensions are not signed.
 */
export function voteSignBytes(chainId: string, vote: Vote): Uint8Array {
  const cv = create(CanonicalVoteSchema, {
    type: vote.type,
    height: vote.height,
    round: BigInt(vote.round),
    chainId,
  });
  const blockId = canonicalizeBlockId(vote.blockId);
  if (blockId !== undefined) cv.blockId = blockId;
  if (vote.timestamp !== undefined) cv.timestamp = vote.timestamp;
  return delimited(encodeWireMessage(CanonicalVoteSchema, cv));
}

/**
 * ProposalSignBytes: delimited CanonicalProposal{type=32, sfixed64 height, sfixed64 round,
 * pol_round int64, block_id, timestamp, chain_id}.
 */
export function proposalSignBytes(chainId: string, proposal: Proposal): Uint8Array {
  const cp = create(CanonicalProposalSchema, {
    type: SignedMsgType.PROPOSAL,
    height: proposal.height,
    round: BigInt(proposal.round),
    polRound: BigInt(proposal.polRound),
    chainId,
  });
  const blockId = canonicalizeBlockId(proposal.blockId);
  if (blockId !== undefined) cp.blockId = blockId;
  if (proposal.timestamp !== undefined) cp.timestamp = proposal.timestamp;
  return delimited(encodeWireMessage(CanonicalProposalSchema, cp));
}

/** VoteExtensionSignBytes: delimited CanonicalVoteExtension{extension, height, round, chain_id}. */
export function voteExtensionSignBytes(chainId: string, vote: Vote): Uint8Array {
  const ce = create(CanonicalVoteExtensionSchema, {
    extension: vote.extension,
    height: vote.height,
    round: BigInt(vote.round),
    chainId,
  });
  return delimited(encodeWireMessage(CanonicalVoteExtensionSchema, ce));
}
