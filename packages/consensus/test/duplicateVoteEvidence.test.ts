// Duplicate-vote evidence (§3) signed by our own keys, every rejection reason, and the expiry rule.

import { create } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { DuplicateVoteEvidenceSchema, SignedMsgType, type Vote, VoteSchema } from "@qos/types";
import { describe, expect, it } from "vitest";
import {
  blockIdKey,
  createValidatorSet,
  isEvidenceExpired,
  validateDuplicateVoteEvidence,
  verifyDuplicateVoteEvidence,
  voteSignBytes,
} from "../src/index.ts";
import { ed25519Signer, type TestSigner, testBlockId } from "./testKeys.ts";

const CHAIN = "qos-ev";
const signers = [ed25519Signer(1, 10n), ed25519Signer(2, 20n), ed25519Signer(3, 30n)];
const setR = createValidatorSet(
  signers.map((s) => ({ pubKey: s.pubKey, votingPower: s.validator.votingPower })),
);
if (!setR.ok) throw setR.error;
const valSet = setR.value;
const byzantine = signers[1] as TestSigner;
const byzIndex = valSet.getByAddress(byzantine.validator.address)?.index ?? -1;

function signedVote(signer: TestSigner, tag: number, over: Partial<Vote> = {}): Vote {
  const v = create(VoteSchema, {
    type: SignedMsgType.PREVOTE,
    height: 20n,
    round: 1,
    blockId: testBlockId(tag),
    timestamp: create(TimestampSchema, { seconds: 1_700_000_100n }),
    validatorAddress: signer.validator.address,
    validatorIndex: byzIndex,
  });
  Object.assign(v, over);
  v.signature = signer.sign(voteSignBytes(CHAIN, v));
  return v;
}

function evidence(a: Vote, b: Vote, over: { total?: bigint; power?: bigint } = {}) {
  const [first, second] = blockIdKey(a.blockId) < blockIdKey(b.blockId) ? [a, b] : [b, a];
  return create(DuplicateVoteEvidenceSchema, {
    voteA: first,
    voteB: second,
    totalVotingPower: over.total ?? valSet.totalVotingPower,
    validatorPower: over.power ?? byzantine.validator.votingPower,
    timestamp: create(TimestampSchema, { seconds: 1_700_000_000n }),
  });
}

describe("verifyDuplicateVoteEvidence", () => {
  it("accepts two signed votes for different blocks at the same H/R/type", () => {
    const ev = evidence(signedVote(byzantine, 1), signedVote(byzantine, 2));
    expect(verifyDuplicateVoteEvidence(ev, CHAIN, valSet)).toEqual({ ok: true, value: undefined });
  });

  it("accepts a block vote against a nil vote", () => {
    const ev = evidence(signedVote(byzantine, 1), signedVote(byzantine, 0, { blockId: undefined }));
    expect(verifyDuplicateVoteEvidence(ev, CHAIN, valSet).ok).toBe(true);
  });

  it("requires VoteA.BlockID.Key() < VoteB.BlockID.Key()", () => {
    const good = evidence(signedVote(byzantine, 1), signedVote(byzantine, 2));
    const swapped = { ...good, voteA: good.voteB, voteB: good.voteA };
    const r = validateDuplicateVoteEvidence(swapped);
    expect(!r.ok && r.error.message).toBe("duplicate votes in invalid order");
  });

  it("rejects each broken rule with its reason", () => {
    const reason = (ev: ReturnType<typeof evidence>) => {
      const r = verifyDuplicateVoteEvidence(ev, CHAIN, valSet);
      return r.ok ? "ok" : r.error.code;
    };
    const a = signedVote(byzantine, 1);
    expect(reason(evidence(a, signedVote(byzantine, 2, { height: 21n })))).toBe("invalid_evidence");
    expect(reason(evidence(a, signedVote(byzantine, 2, { round: 2 })))).toBe("invalid_evidence");
    expect(reason(evidence(a, signedVote(byzantine, 2, { type: SignedMsgType.PRECOMMIT })))).toBe(
      "invalid_evidence",
    );
    const other = signers[0] as TestSigner;
    expect(reason(evidence(a, signedVote(other, 2)))).toBe("invalid_evidence");
    expect(reason(evidence(a, signedVote(byzantine, 1)))).toBe("invalid_evidence"); // same block
    expect(reason(evidence(a, signedVote(byzantine, 2), { power: 21n }))).toBe("power_mismatch");
    expect(reason(evidence(a, signedVote(byzantine, 2), { total: 61n }))).toBe("power_mismatch");
    const outsider = ed25519Signer(9, 20n);
    expect(reason(evidence(signedVote(outsider, 1), signedVote(outsider, 2)))).toBe(
      "not_a_validator",
    );
    const forged = signedVote(byzantine, 2);
    forged.signature = (signers[2] as TestSigner).sign(voteSignBytes(CHAIN, forged));
    expect(reason(evidence(a, forged))).toBe("invalid_signature");
    const otherChain = signedVote(byzantine, 2);
    expect(verifyDuplicateVoteEvidence(evidence(a, otherChain), "other-chain", valSet).ok).toBe(
      false,
    );
    const missing = create(DuplicateVoteEvidenceSchema, { voteA: a });
    expect(reason(missing)).toBe("invalid_evidence");
  });
});

describe("isEvidenceExpired", () => {
  const params = {
    maxAgeNumBlocks: 100000n,
    maxAgeDuration: create(DurationSchema, { seconds: 172800n }),
  };
  const t = (s: bigint) => create(TimestampSchema, { seconds: s });
  const at = (blocks: bigint, seconds: bigint) =>
    isEvidenceExpired({
      evidenceHeight: 10n,
      evidenceTime: t(1_000_000n),
      lastBlockHeight: 10n + blocks,
      lastBlockTime: t(1_000_000n + seconds),
      params,
    });

  it("expires only when older than BOTH the block and the time limit (strictly)", () => {
    expect(at(100001n, 172801n)).toBe(true);
    expect(at(100000n, 172801n)).toBe(false);
    expect(at(100001n, 172800n)).toBe(false);
    expect(at(5n, 10_000_000n)).toBe(false);
    expect(at(10_000_000n, 5n)).toBe(false);
  });
});
