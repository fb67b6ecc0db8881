// Commit checks of CometBFT v0.38 (types/block.go CommitSig/Commit.ValidateBasic, GetVote;
// types/validation.go VerifyCommit, VerifyCommitLight*, VerifyCommitLightTrusting*).
// Every outcome is a Result with a reason a person can act on; nothing throws on bad input.

import { create } from "@bufbuild/protobuf";
import {
  BlockIDFlag,
  BlockIDSchema,
  type Commit,
  type CommitSig,
  equalBytes,
  err,
  isZeroGoTime,
  ok,
  QosError,
  type Result,
  SignedMsgType,
  toHex,
  type Vote,
  VoteSchema,
} from "@qos/types";
import {
  ADDRESS_SIZE,
  blockIdBasicError,
  blockIdEquals,
  blockIdKey,
  isBlockIdZero,
} from "./blockHashing.ts";
import { MAX_INT64 } from "./proposerPriority.ts";
import { voteSignBytes } from "./signBytes.ts";
import type { Validator, ValidatorSet } from "./validatorSet.ts";
import { MAX_SIGNATURE_SIZE, verifySignature } from "./voteValidation.ts";

export type CommitErrorCode =
  | "invalid_commit"
  | "wrong_signature_count"
  | "wrong_height"
  | "wrong_block_id"
  | "address_mismatch"
  | "invalid_signature"
  | "double_vote"
  | "insufficient_voting_power"
  | "invalid_trust_level";

export type CommitVerificationError = QosError<CommitErrorCode>;

/** What a successful verification counted. */
export interface CommitTally {
  /** Voting power of the signatures that counted (all of them, or up to the early stop). */
  readonly talliedPower: bigint;
  /** The tally had to be strictly greater than this. */
  readonly votingPowerNeeded: bigint;
}

export type CommitVerdict = Result<CommitTally, CommitVerificationError>;

/** cmtmath.Fraction: the share of the trusted set that must have signed. */
export interface TrustLevel {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** light/verifier.go DefaultTrustLevel = 1/3. */
export const DEFAULT_TRUST_LEVEL: TrustLevel = Object.freeze({ numerator: 1n, denominator: 3n });

function fail(
  code: CommitErrorCode,
  message: string,
): { ok: false; error: CommitVerificationError } {
  return err(new QosError(code, message));
}

/** CommitSig.ValidateBasic (types/block.go). */
export function validateCommitSig(sig: CommitSig): Result<void, CommitVerificationError> {
  switch (sig.blockIdFlag) {
    case BlockIDFlag.BLOCK_ID_FLAG_ABSENT:
      if (sig.validatorAddress.length !== 0)
        return fail("invalid_commit", "validator address is present");
      if (sig.timestamp !== undefined && !isZeroGoTime(sig.timestamp))
        return fail("invalid_commit", "time is present");
      if (sig.signature.length !== 0) return fail("invalid_commit", "signature is present");
      return ok(undefined);
    case BlockIDFlag.BLOCK_ID_FLAG_COMMIT:
    case BlockIDFlag.BLOCK_ID_FLAG_NIL:
      if (sig.validatorAddress.length !== ADDRESS_SIZE) {
        return fail(
          "invalid_commit",
          `expected ValidatorAddress size to be ${ADDRESS_SIZE} bytes, got ${sig.validatorAddress.length} bytes`,
        );
      }
      if (sig.signature.length === 0) return fail("invalid_commit", "signature is missing");
      if (sig.signature.length > MAX_SIGNATURE_SIZE) {
        return fail("invalid_commit", `signature is too big (max: ${MAX_SIGNATURE_SIZE})`);
      }
      return ok(undefined);
    default:
      return fail("invalid_commit", `unknown BlockIDFlag: ${sig.blockIdFlag}`);
  }
}

/**
 * Commit.ValidateBasic: non-negative height and round; from height 1 on, a non-nil BlockID, at
 * least one signature and every CommitSig well-formed. Also BlockID.ValidateBasic, which Go runs
 * when the commit is decoded (CommitFromProto).
 */
export function validateCommit(commit: Commit): Result<void, CommitVerificationError> {
  if (commit.height < 0n) return fail("invalid_commit", "negative Height");
  if (commit.round < 0) return fail("invalid_commit", "negative Round");
  const bidErr = blockIdBasicError(commit.blockId);
  if (bidErr !== null) return fail("invalid_commit", `wrong BlockID: ${bidErr}`);
  if (commit.height >= 1n) {
    if (isBlockIdZero(commit.blockId))
      return fail("invalid_commit", "commit cannot be for nil block");
    if (commit.signatures.length === 0) return fail("invalid_commit", "no signatures in commit");
    for (const [i, sig] of commit.signatures.entries()) {
      const r = validateCommitSig(sig);
      if (!r.ok) return fail("invalid_commit", `wrong CommitSig #${i}: ${r.error.message}`);
    }
  }
  return ok(undefined);
}

/**
 * Commit.GetVote(idx): the precommit a CommitSig stands for. The BlockID is the commit's for a
 * Commit flag and empty otherwise. Throws RangeError if idx is out of range (a caller bug).
 */
export function commitToVote(commit: Commit, idx: number): Vote {
  const sig = commit.signatures[idx];
  if (sig === undefined) throw new RangeError(`no signature at index ${idx}`);
  const vote = create(VoteSchema, {
    type: SignedMsgType.PRECOMMIT,
    height: commit.height,
    round: commit.round,
    blockId:
      sig.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_COMMIT && commit.blockId !== undefined
        ? commit.blockId
        : create(BlockIDSchema),
    validatorAddress: sig.validatorAddress,
    validatorIndex: idx,
    signature: sig.signature,
  });
  if (sig.timestamp !== undefined) vote.timestamp = sig.timestamp;
  return vote;
}

/** Commit.VoteSignBytes(chainID, idx). */
export function commitVoteSignBytes(chainId: string, commit: Commit, idx: number): Uint8Array {
  return voteSignBytes(chainId, commitToVote(commit, idx));
}

function blockIdText(commit: Commit): string {
  return blockIdKey(commit.blockId) || "<nil>";
}

/** verifyBasicValsAndCommit: one signature slot per validator, the expected height and BlockID. */
function checkBasics(
  valSet: ValidatorSet,
  blockId: Commit["blockId"],
  height: bigint,
  commit: Commit,
): Result<void, CommitVerificationError> {
  if (valSet.size !== commit.signatures.length) {
    return fail(
      "wrong_signature_count",
      `invalid commit -- wrong set size: ${valSet.size} validators vs ${commit.signatures.length} signatures`,
    );
  }
  if (height !== commit.height) {
    return fail("wrong_height", `wrong height: expected ${height}, got ${commit.height}`);
  }
  if (!blockIdEquals(blockId, commit.blockId)) {
    return fail(
      "wrong_block_id",
      `wrong block id: want ${blockIdKey(blockId) || "<nil>"}, got ${blockIdText(commit)}`,
    );
  }
  return ok(undefined);
}

interface TallyRules {
  readonly ignore: (sig: CommitSig) => boolean;
  readonly count: (sig: CommitSig) => boolean;
  readonly countAllSignatures: boolean;
  readonly lookUpByIndex: boolean;
}

/** verifyCommitSingle (types/validation.go). */
function tally(
  chainId: string,
  valSet: ValidatorSet,
  commit: Commit,
  votingPowerNeeded: bigint,
  rules: TallyRules,
): CommitVerdict {
  const seen = new Map<number, number>();
  let talliedPower = 0n;
  for (const [idx, sig] of commit.signatures.entries()) {
    if (rules.ignore(sig)) continue;
    const basic = validateCommitSig(sig);
    if (!basic.ok) {
      return fail("invalid_commit", `invalid signature at index ${idx}: ${basic.error.message}`);
    }
    let val: Validator;
    let valIdx: number;
    if (rules.lookUpByIndex) {
      val = valSet.getByIndex(idx) as Validator;
      valIdx = idx;
      // The spec (§1.6) requires the sig's address to be the validator's at that index.
      if (!equalBytes(val.address, sig.validatorAddress)) {
        return fail(
          "address_mismatch",
          `signature #${idx} is from ${toHex(sig.validatorAddress)}, but validator #${idx} is ${toHex(val.address)}`,
        );
      }
    } else {
      const found = valSet.getByAddress(sig.validatorAddress);
      if (found === undefined) continue;
      val = found.validator;
      valIdx = found.index;
      const first = seen.get(valIdx);
      if (first !== undefined) {
        return fail(
          "double_vote",
          `double vote from validator ${valIdx} (address ${toHex(val.address)}) at signatures ${first} and ${idx}`,
        );
      }
      seen.set(valIdx, idx);
    }
    const signBytes = commitVoteSignBytes(chainId, commit, idx);
    if (!verifySignature(val.pubKey, signBytes, sig.signature)) {
      return fail(
        "invalid_signature",
        `invalid signature from validator ${valIdx} (address ${toHex(val.address)}) at signature #${idx}`,
      );
    }
    if (rules.count(sig)) talliedPower += val.votingPower;
    if (!rules.countAllSignatures && talliedPower > votingPowerNeeded) {
      return ok({ talliedPower, votingPowerNeeded });
    }
  }
  if (talliedPower <= votingPowerNeeded) {
    return fail(
      "insufficient_voting_power",
      `insufficient voting power: got ${talliedPower}, needed more than ${votingPowerNeeded}`,
    );
  }
  return ok({ talliedPower, votingPowerNeeded });
}

const isAbsent = (s: CommitSig): boolean => s.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_ABSENT;
const isForBlock = (s: CommitSig): boolean => s.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_COMMIT;
const notForBlock = (s: CommitSig): boolean => !isForBlock(s);
const always = (): boolean => true;

/**
 * VerifyCommit (full nodes, blocksync): signatures match validators by index, every non-absent
 * signature (nil votes included) must verify, only Commit votes count, and they must exceed
 * total*2/3 (integer division, strict).
 */
export function verifyCommit(
  chainId: string,
  valSet: ValidatorSet,
  blockId: Commit["blockId"],
  height: bigint,
  commit: Commit,
): CommitVerdict {
  const basics = checkBasics(valSet, blockId, height, commit);
  if (!basics.ok) return basics;
  return tally(chainId, valSet, commit, (valSet.totalVotingPower * 2n) / 3n, {
    ignore: isAbsent,
    count: isForBlock,
    countAllSignatures: true,
    lookUpByIndex: true,
  });
}

function verifyLight(
  chainId: string,
  valSet: ValidatorSet,
  blockId: Commit["blockId"],
  height: bigint,
  commit: Commit,
  countAllSignatures: boolean,
): CommitVerdict {
  const basics = checkBasics(valSet, blockId, height, commit);
  if (!basics.ok) return basics;
  return tally(chainId, valSet, commit, (valSet.totalVotingPower * 2n) / 3n, {
    ignore: notForBlock,
    count: always,
    countAllSignatures,
    lookUpByIndex: true,
  });
}

/** VerifyCommitLight: like verifyCommit, but only Commit votes are checked, stopping at > 2/3. */
export function verifyCommitLight(
  chainId: string,
  valSet: ValidatorSet,
  blockId: Commit["blockId"],
  height: bigint,
  commit: Commit,
): CommitVerdict {
  return verifyLight(chainId, valSet, blockId, height, commit, false);
}

/** VerifyCommitLightAllSignatures: verifyCommitLight without the early stop. */
export function verifyCommitLightAllSignatures(
  chainId: string,
  valSet: ValidatorSet,
  blockId: Commit["blockId"],
  height: bigint,
  commit: Commit,
): CommitVerdict {
  return verifyLight(chainId, valSet, blockId, height, commit, true);
}

function verifyTrusting(
  chainId: string,
  valSet: ValidatorSet,
  commit: Commit,
  trustLevel: TrustLevel,
  countAllSignatures: boolean,
): CommitVerdict {
  if (trustLevel.denominator <= 0n || trustLevel.numerator < 0n) {
    return fail("invalid_trust_level", "trustLevel must have a positive denominator");
  }
  // safeMul(total, numerator): refuse what would overflow int64 in Go.
  const product = valSet.totalVotingPower * trustLevel.numerator;
  if (product > MAX_INT64) {
    return fail(
      "invalid_trust_level",
      "int64 overflow while calculating voting power needed. please provide smaller trustLevel numerator",
    );
  }
  return tally(chainId, valSet, commit, product / trustLevel.denominator, {
    ignore: notForBlock,
    count: always,
    countAllSignatures,
    lookUpByIndex: false,
  });
}

/**
 * VerifyCommitLightTrusting: `valSet` is a trusted set that need not be the commit's. Signatures
 * are matched by address, unknown signers are skipped, a validator signing twice is an error, and
 * the Commit votes of known validators must exceed total*numerator/denominator.
 * Contract (as in Go): run validateCommit first.
 */
export function verifyCommitLightTrusting(
  chainId: string,
  valSet: ValidatorSet,
  commit: Commit,
  trustLevel: TrustLevel,
): CommitVerdict {
  return verifyTrusting(chainId, valSet, commit, trustLevel, false);
}

/** VerifyCommitLightTrustingAllSignatures: without the early stop (evidence verification). */
export function verifyCommitLightTrustingAllSignatures(
  chainId: string,
  valSet: ValidatorSet,
  commit: Commit,
  trustLevel: TrustLevel,
): CommitVerdict {
  return verifyTrusting(chainId, valSet, commit, trustLevel, true);
}

/**
 * light/verifier.go ValidateTrustLevel: the level must lie in [1/3, 1] with a non-zero
 * denominator. Returns a reason, or null when valid.
 */
export function trustLevelError(trustLevel: TrustLevel): string | null {
  const { numerator: n, denominator: d } = trustLevel;
  if (d === 0n || n * 3n < d || n > d) {
    return `trustLevel must be within [1/3, 1], given ${n}/${d}`;
  }
  return null;
}
