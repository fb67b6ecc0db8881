// Duplicate-vote evidence (types/evidence.go DuplicateVoteEvidence.ValidateBasic,
// evidence/verify.go VerifyDuplicateVote) and the evidence expiry rule (evidence/pool.go isExpired).

import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import {
  type DuplicateVoteEvidence,
  equalBytes,
  err,
  ok,
  QosError,
  type Result,
  toHex,
} from "@qos/types";
import { blockIdEquals, blockIdKey } from "./blockHashing.ts";
import { timestampToNanos } from "./medianTime.ts";
import { voteSignBytes } from "./signBytes.ts";
import type { ValidatorSet } from "./validatorSet.ts";
import { validateVote, verifySignature } from "./voteValidation.ts";

export type EvidenceErrorCode =
  | "invalid_evidence"
  | "not_a_validator"
  | "power_mismatch"
  | "invalid_signature";

export type EvidenceError = QosError<EvidenceErrorCode>;

function fail(code: EvidenceErrorCode, message: string): { ok: false; error: EvidenceError } {
  return err(new QosError(code, message));
}

/**
 * DuplicateVoteEvidence.ValidateBasic: both votes present and well-formed, and ordered with
 * VoteA.BlockID.Key() < VoteB.BlockID.Key().
 */
export function validateDuplicateVoteEvidence(
  ev: DuplicateVoteEvidence,
): Result<void, EvidenceError> {
  const { voteA, voteB } = ev;
  if (voteA === undefined || voteB === undefined) {
    return fail("invalid_evidence", "one or both of the votes are empty");
  }
  const a = validateVote(voteA);
  if (!a.ok) return fail("invalid_evidence", `invalid VoteA: ${a.error.message}`);
  const b = validateVote(voteB);
  if (!b.ok) return fail("invalid_evidence", `invalid VoteB: ${b.error.message}`);
  if (!(blockIdKey(voteA.blockId) < blockIdKey(voteB.blockId))) {
    return fail("invalid_evidence", "duplicate votes in invalid order");
  }
  return ok(undefined);
}

/**
 * ValidateBasic plus VerifyDuplicateVote against the validator set at the evidence height: same
 * height/round/type and validator, different BlockIDs, the validator is in `valSet` with the power
 * the evidence claims, the set's total power matches, and both signatures verify.
 */
export function verifyDuplicateVoteEvidence(
  ev: DuplicateVoteEvidence,
  chainId: string,
  valSet: ValidatorSet,
): Result<void, EvidenceError> {
  const basic = validateDuplicateVoteEvidence(ev);
  if (!basic.ok) return basic;
  const voteA = ev.voteA as NonNullable<DuplicateVoteEvidence["voteA"]>;
  const voteB = ev.voteB as NonNullable<DuplicateVoteEvidence["voteB"]>;

  const found = valSet.getByAddress(voteA.validatorAddress);
  if (found === undefined) {
    return fail(
      "not_a_validator",
      `address ${toHex(voteA.validatorAddress)} was not a validator at height ${voteA.height}`,
    );
  }
  const val = found.validator;
  if (voteA.height !== voteB.height || voteA.round !== voteB.round || voteA.type !== voteB.type) {
    return fail(
      "invalid_evidence",
      `h/r/s does not match: ${voteA.height}/${voteA.round}/${voteA.type} vs ${voteB.height}/${voteB.round}/${voteB.type}`,
    );
  }
  if (!equalBytes(voteA.validatorAddress, voteB.validatorAddress)) {
    return fail(
      "invalid_evidence",
      `validator addresses do not match: ${toHex(voteA.validatorAddress)} vs ${toHex(voteB.validatorAddress)}`,
    );
  }
  if (blockIdEquals(voteA.blockId, voteB.blockId)) {
    return fail("invalid_evidence", "block IDs are the same - not a real duplicate vote");
  }
  if (val.votingPower !== ev.validatorPower) {
    return fail(
      "power_mismatch",
      `validator power from evidence and our validator set does not match (${ev.validatorPower} != ${val.votingPower})`,
    );
  }
  if (valSet.totalVotingPower !== ev.totalVotingPower) {
    return fail(
      "power_mismatch",
      `total voting power from the evidence and our validator set does not match (${ev.totalVotingPower} != ${valSet.totalVotingPower})`,
    );
  }
  if (!verifySignature(val.pubKey, voteSignBytes(chainId, voteA), voteA.signature)) {
    return fail("invalid_signature", "verifying VoteA: invalid signature");
  }
  if (!verifySignature(val.pubKey, voteSignBytes(chainId, voteB), voteB.signature)) {
    return fail("invalid_signature", "verifying VoteB: invalid signature");
  }
  return ok(undefined);
}

export interface EvidenceAge {
  /** Height and time of the evidence (for duplicate votes: the votes' height, the block time there). */
  readonly evidenceHeight: bigint;
  readonly evidenceTime: Timestamp | undefined;
  /** The node's last committed block. */
  readonly lastBlockHeight: bigint;
  readonly lastBlockTime: Timestamp | undefined;
  /** ConsensusParams.Evidence. */
  readonly params: {
    readonly maxAgeNumBlocks: bigint;
    readonly maxAgeDuration?: Duration | undefined;
  };
}

function durationToNanos(d: Duration | undefined): bigint {
  return d === undefined ? 0n : d.seconds * 1_000_000_000n + BigInt(d.nanos);
}

/**
 * Pool.isExpired: evidence expires only when it is BOTH more than MaxAgeNumBlocks blocks AND
 * more than MaxAgeDuration older than the last block (strict comparisons).
 */
export function isEvidenceExpired(age: EvidenceAge): boolean {
  const ageBlocks = age.lastBlockHeight - age.evidenceHeight;
  const ageNanos = timestampToNanos(age.lastBlockTime) - timestampToNanos(age.evidenceTime);
  return (
    ageBlocks > age.params.maxAgeNumBlocks && ageNanos > durationToNanos(age.params.maxAgeDuration)
  );
}
