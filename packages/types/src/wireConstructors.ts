// createX constructors for the CometBFT wire types: each sets the fields Go never leaves
// empty (non-nullable messages, Go's zero time), so encoding matches CometBFT byte for byte.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { type ValidatorUpdate, ValidatorUpdateSchema } from "./gen/tendermint/abci/types_pb.ts";
import { type Block, BlockSchema } from "./gen/tendermint/types/block_pb.ts";
import {
  type CanonicalProposal,
  CanonicalProposalSchema,
  type CanonicalVote,
  CanonicalVoteSchema,
} from "./gen/tendermint/types/canonical_pb.ts";
import {
  type DuplicateVoteEvidence,
  DuplicateVoteEvidenceSchema,
  type LightClientAttackEvidence,
  LightClientAttackEvidenceSchema,
} from "./gen/tendermint/types/evidence_pb.ts";
import {
  ABCIParamsSchema,
  BlockParamsSchema,
  type ConsensusParams,
  ConsensusParamsSchema,
  EvidenceParamsSchema,
  ValidatorParamsSchema,
  VersionParamsSchema,
} from "./gen/tendermint/types/params_pb.ts";
import {
  type BlockID,
  BlockIDSchema,
  type BlockMeta,
  BlockMetaSchema,
  type Commit,
  CommitSchema,
  type CommitSig,
  CommitSigSchema,
  type ExtendedCommit,
  ExtendedCommitSchema,
  type ExtendedCommitSig,
  ExtendedCommitSigSchema,
  type Header,
  HeaderSchema,
  type Part,
  PartSchema,
  type Proposal,
  ProposalSchema,
  type SignedHeader,
  SignedHeaderSchema,
  type Vote,
  VoteSchema,
} from "./gen/tendermint/types/types_pb.ts";
import { type Validator, ValidatorSchema } from "./gen/tendermint/types/validator_pb.ts";
import { createWireMessage } from "./wireMessage.ts";

/** `BlockProtocol` of CometBFT v0.38 (`version/version.go`): Header.version.block. */
export const BLOCK_PROTOCOL = 11n;

/** An empty BlockID still carries its PartSetHeader: encodes as `12 00`. */
export function createBlockID(init?: MessageInitShape<typeof BlockIDSchema>): BlockID {
  return createWireMessage(BlockIDSchema, init);
}

/** Version, time (Go zero time if unset) and last_block_id are always present. */
export function createHeader(init?: MessageInitShape<typeof HeaderSchema>): Header {
  return createWireMessage(HeaderSchema, init);
}

/** The timestamp is always present; an absent sig carries Go's zero time. */
export function createCommitSig(init?: MessageInitShape<typeof CommitSigSchema>): CommitSig {
  return createWireMessage(CommitSigSchema, init);
}

export function createCommit(init?: MessageInitShape<typeof CommitSchema>): Commit {
  return createWireMessage(CommitSchema, init);
}

export function createExtendedCommitSig(
  init?: MessageInitShape<typeof ExtendedCommitSigSchema>,
): ExtendedCommitSig {
  return createWireMessage(ExtendedCommitSigSchema, init);
}

export function createExtendedCommit(
  init?: MessageInitShape<typeof ExtendedCommitSchema>,
): ExtendedCommit {
  return createWireMessage(ExtendedCommitSchema, init);
}

export function createSignedHeader(
  init?: MessageInitShape<typeof SignedHeaderSchema>,
): SignedHeader {
  return createWireMessage(SignedHeaderSchema, init);
}

/** block_id (empty for a nil vote) and timestamp are always present. */
export function createVote(init?: MessageInitShape<typeof VoteSchema>): Vote {
  return createWireMessage(VoteSchema, init);
}

export function createProposal(init?: MessageInitShape<typeof ProposalSchema>): Proposal {
  return createWireMessage(ProposalSchema, init);
}

/** block_id stays unset for a nil vote (CanonicalizeBlockID returns nil); timestamp is always set. */
export function createCanonicalVote(
  init?: MessageInitShape<typeof CanonicalVoteSchema>,
): CanonicalVote {
  return createWireMessage(CanonicalVoteSchema, init);
}

export function createCanonicalProposal(
  init?: MessageInitShape<typeof CanonicalProposalSchema>,
): CanonicalProposal {
  return createWireMessage(CanonicalProposalSchema, init);
}

export function createPart(init?: MessageInitShape<typeof PartSchema>): Part {
  return createWireMessage(PartSchema, init);
}

/** header, data and evidence are always present; last_commit only when given. */
export function createBlock(init?: MessageInitShape<typeof BlockSchema>): Block {
  return createWireMessage(BlockSchema, init);
}

export function createBlockMeta(init?: MessageInitShape<typeof BlockMetaSchema>): BlockMeta {
  return createWireMessage(BlockMetaSchema, init);
}

/** pub_key is always present (an unset key encodes as `12 00`). */
export function createValidator(init?: MessageInitShape<typeof ValidatorSchema>): Validator {
  return createWireMessage(ValidatorSchema, init);
}

export function createValidatorUpdate(
  init?: MessageInitShape<typeof ValidatorUpdateSchema>,
): ValidatorUpdate {
  return createWireMessage(ValidatorUpdateSchema, init);
}

export function createDuplicateVoteEvidence(
  init?: MessageInitShape<typeof DuplicateVoteEvidenceSchema>,
): DuplicateVoteEvidence {
  return createWireMessage(DuplicateVoteEvidenceSchema, init);
}

export function createLightClientAttackEvidence(
  init?: MessageInitShape<typeof LightClientAttackEvidenceSchema>,
): LightClientAttackEvidence {
  return createWireMessage(LightClientAttackEvidenceSchema, init);
}

/**
 * All five sections present, as Go's `types.ConsensusParams.ToProto()` produces (the proto
 * fields are nullable in v0.38 only so that ABCI updates can leave a section unchanged).
 */
export function createConsensusParams(
  init?: MessageInitShape<typeof ConsensusParamsSchema>,
): ConsensusParams {
  const p = createWireMessage(ConsensusParamsSchema, init);
  p.block ??= create(BlockParamsSchema);
  p.evidence ??= createWireMessage(EvidenceParamsSchema);
  p.validator ??= create(ValidatorParamsSchema);
  p.version ??= create(VersionParamsSchema);
  p.abci ??= create(ABCIParamsSchema);
  return p;
}

/** CometBFT v0.38 `DefaultConsensusParams()` (`types/params.go`). */
export function defaultConsensusParams(): ConsensusParams {
  return createConsensusParams({
    block: { maxBytes: 22_020_096n, maxGas: -1n },
    evidence: {
      maxAgeNumBlocks: 100_000n,
      maxAgeDuration: create(DurationSchema, { seconds: 48n * 3600n, nanos: 0 }),
      maxBytes: 1_048_576n,
    },
    validator: { pubKeyTypes: ["ed25519"] },
    version: { app: 0n },
    abci: { voteExtensionsEnableHeight: 0n },
  });
}
