// Commit verification (types/validation.go semantics) on commits signed by our own ed25519 and
// secp256k1 keys: property tests over random sets, plus every rejection reason.

import { clone, create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { BlockIDFlag, CommitSchema, CommitSigSchema, SignedMsgType, zeroGoTime } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  commitToVote,
  createValidatorSet,
  DEFAULT_TRUST_LEVEL,
  trustLevelError,
  type ValidatorSet,
  validateCommit,
  validateCommitSig,
  verifyCommit,
  verifyCommitLight,
  verifyCommitLightAllSignatures,
  verifyCommitLightTrusting,
  verifyCommitLightTrustingAllSignatures,
} from "../src/index.ts";
import {
  ed25519Signer,
  type SigKind,
  secp256k1Signer,
  signCommit,
  type TestSigner,
  testBlockId,
} from "./testKeys.ts";

const CHAIN = "qos-test-1";

function setOf(signers: readonly TestSigner[]): ValidatorSet {
  const s = createValidatorSet(
    signers.map((x) => ({ pubKey: x.pubKey, votingPower: x.validator.votingPower })),
  );
  if (!s.ok) throw s.error;
  return s.value;
}

/** 1..8 signers with powers 1..100, some secp256k1. */
const arbSigners = fc
  .array(
    fc.record({
      power: fc.bigInt({ min: 1n, max: 100n }),
      secp: fc.boolean(),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((specs) =>
    specs.map((s, i) => (s.secp ? secp256k1Signer(i, s.power) : ed25519Signer(i, s.power))),
  );

describe("commit verification properties", () => {
  it("a fully signed commit verifies with every method", () => {
    fc.assert(
      fc.property(arbSigners, fc.integer({ min: 1, max: 1000 }), fc.nat(3), (signers, h, round) => {
        const vs = setOf(signers);
        const bid = testBlockId(h & 0xff);
        const c = signCommit(CHAIN, vs, signers, BigInt(h), round, bid);
        expect(validateCommit(c).ok).toBe(true);
        const full = verifyCommit(CHAIN, vs, bid, BigInt(h), c);
        expect(full).toEqual({
          ok: true,
          value: {
            talliedPower: vs.totalVotingPower,
            votingPowerNeeded: (vs.totalVotingPower * 2n) / 3n,
          },
        });
        expect(verifyCommitLight(CHAIN, vs, bid, BigInt(h), c).ok).toBe(true);
        expect(verifyCommitLightAllSignatures(CHAIN, vs, bid, BigInt(h), c).ok).toBe(true);
        expect(verifyCommitLightTrusting(CHAIN, vs, c, DEFAULT_TRUST_LEVEL).ok).toBe(true);
        expect(
          verifyCommitLightTrustingAllSignatures(CHAIN, vs, c, { numerator: 1n, denominator: 1n })
            .ok,
        ).toBe(false); // needs > total, impossible
      }),
      { numRuns: 40 },
    );
  });

  it("passes exactly when the Commit votes exceed 2/3 of the power (absent and nil do not count)", () => {
    fc.assert(
      fc.property(
        arbSigners,
        fc.array(fc.constantFrom<SigKind>("commit", "nil", "absent"), {
          minLength: 8,
          maxLength: 8,
        }),
        (signers, kindsAll) => {
          const vs = setOf(signers);
          const bid = testBlockId(9);
          const kinds = kindsAll.slice(0, vs.size);
          const c = signCommit(CHAIN, vs, signers, 5n, 0, bid, kinds);
          let forBlock = 0n;
          vs.validators.forEach((v, i) => {
            if ((kinds[i] ?? "commit") === "commit") forBlock += v.votingPower;
          });
          const enough = forBlock * 3n > vs.totalVotingPower * 2n;
          const full = verifyCommit(CHAIN, vs, bid, 5n, c);
          expect(full.ok).toBe(enough);
          if (!full.ok) {
            expect(full.error.code).toBe("insufficient_voting_power");
            expect(full.error.message).toBe(
              `insufficient voting power: got ${forBlock}, needed more than ${(vs.totalVotingPower * 2n) / 3n}`,
            );
          }
          expect(verifyCommitLight(CHAIN, vs, bid, 5n, c).ok).toBe(enough);
          const trustEnough = forBlock * 3n > vs.totalVotingPower;
          expect(verifyCommitLightTrusting(CHAIN, vs, c, DEFAULT_TRUST_LEVEL).ok).toBe(trustEnough);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a signature by a key outside the set fails verifyCommit", () => {
    fc.assert(
      fc.property(arbSigners, fc.nat(7), (signers, pick) => {
        const vs = setOf(signers);
        const bid = testBlockId(3);
        const idx = pick % vs.size;
        const outsider = ed25519Signer(idx, 1n, 99);
        const target = vs.validators[idx];
        const forged = signers.map((s) =>
          s.validator.address.join() === target?.address.join() ? { ...s, sign: outsider.sign } : s,
        );
        const c = signCommit(CHAIN, vs, forged, 7n, 0, bid);
        const r = verifyCommit(CHAIN, vs, bid, 7n, c);
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.error.code).toBe("invalid_signature");
          expect(r.error.message).toContain(`invalid signature from validator ${idx}`);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("a tampered block id, height, round or chain id fails", () => {
    fc.assert(
      fc.property(arbSigners, fc.nat(31), (signers, byte) => {
        const vs = setOf(signers);
        const bid = testBlockId(4);
        const c = signCommit(CHAIN, vs, signers, 8n, 1, bid);
        const other = testBlockId(4);
        other.hash[byte] = (other.hash[byte] as number) ^ 0x10;
        const r1 = verifyCommit(CHAIN, vs, other, 8n, c);
        expect(!r1.ok && r1.error.code).toBe("wrong_block_id");
        const t = clone(CommitSchema, c);
        t.blockId = other;
        expect(verifyCommit(CHAIN, vs, other, 8n, t).ok).toBe(false);
        expect(verifyCommitLightTrusting(CHAIN, vs, t, DEFAULT_TRUST_LEVEL).ok).toBe(false);
        const r2 = clone(CommitSchema, c);
        r2.round = 2;
        expect(verifyCommit(CHAIN, vs, bid, 8n, r2).ok).toBe(false);
        const h = clone(CommitSchema, c);
        h.height = 9n;
        expect(verifyCommit(CHAIN, vs, bid, 9n, h).ok).toBe(false);
        expect(verifyCommit(`${CHAIN}x`, vs, bid, 8n, c).ok).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
});

describe("commit verification reasons", () => {
  const signers = [
    ed25519Signer(1, 10n),
    ed25519Signer(2, 20n),
    ed25519Signer(3, 30n),
    ed25519Signer(4, 40n),
  ];
  const vs = setOf(signers);
  const bid = testBlockId(1);
  const commit = signCommit(CHAIN, vs, signers, 10n, 0, bid);

  it("needs one signature slot per validator", () => {
    const short = clone(CommitSchema, commit);
    short.signatures.pop();
    const r = verifyCommit(CHAIN, vs, bid, 10n, short);
    expect(!r.ok && r.error.code).toBe("wrong_signature_count");
  });

  it("reports the wrong height", () => {
    const r = verifyCommit(CHAIN, vs, bid, 11n, commit);
    expect(!r.ok && r.error.message).toBe("wrong height: expected 11, got 10");
  });

  it("matches signatures to validators by index: a swapped order is an address mismatch", () => {
    const swapped = clone(CommitSchema, commit);
    swapped.signatures.reverse();
    const r = verifyCommit(CHAIN, vs, bid, 10n, swapped);
    expect(!r.ok && r.error.code).toBe("address_mismatch");
    // The trusting check looks up by address, so the order does not matter there.
    expect(verifyCommitLightTrusting(CHAIN, vs, swapped, DEFAULT_TRUST_LEVEL).ok).toBe(true);
  });

  it("verifies nil votes too in verifyCommit, but skips them in Light", () => {
    const c = signCommit(CHAIN, vs, signers, 10n, 0, bid, ["commit", "commit", "commit", "nil"]);
    // Power order is 40, 30, 20, 10: the nil vote is the 10-power validator; 90 > 66.
    expect(verifyCommit(CHAIN, vs, bid, 10n, c)).toEqual({
      ok: true,
      value: { talliedPower: 90n, votingPowerNeeded: 66n },
    });
    const bad = clone(CommitSchema, c);
    const nilSig = bad.signatures[3];
    if (nilSig === undefined) throw new Error("four signatures");
    nilSig.signature = nilSig.signature.slice();
    nilSig.signature[0] = (nilSig.signature[0] as number) ^ 1;
    expect(verifyCommit(CHAIN, vs, bid, 10n, bad).ok).toBe(false);
    expect(verifyCommitLightAllSignatures(CHAIN, vs, bid, 10n, bad).ok).toBe(true);
  });

  it("Light stops early; AllSignatures reads every signature", () => {
    const bad = clone(CommitSchema, commit);
    const last = bad.signatures[3];
    if (last === undefined) throw new Error("four signatures");
    last.signature = new Uint8Array(64);
    // 40 + 30 = 70 > 66 after two signatures: the bad fourth one is never read.
    expect(verifyCommitLight(CHAIN, vs, bid, 10n, bad)).toEqual({
      ok: true,
      value: { talliedPower: 70n, votingPowerNeeded: 66n },
    });
    const all = verifyCommitLightAllSignatures(CHAIN, vs, bid, 10n, bad);
    expect(!all.ok && all.error.code).toBe("invalid_signature");
  });

  it("LightTrusting skips unknown signers and rejects double votes", () => {
    const other = [ed25519Signer(50, 10n), ...signers.slice(0, 2)];
    const otherSet = setOf(other);
    const c = signCommit(CHAIN, otherSet, other, 10n, 0, bid);
    // Trusted set vs: only validators 1 and 2 (power 30 of 100) signed: > 100/3 fails, > 100/4 passes.
    const r = verifyCommitLightTrusting(CHAIN, vs, c, DEFAULT_TRUST_LEVEL);
    expect(!r.ok && r.error.message).toBe("insufficient voting power: got 30, needed more than 33");
    expect(verifyCommitLightTrusting(CHAIN, vs, c, { numerator: 1n, denominator: 4n }).ok).toBe(
      true,
    );

    const dbl = clone(CommitSchema, commit);
    const first = dbl.signatures[0];
    if (first === undefined) throw new Error("four signatures");
    dbl.signatures[1] = clone(CommitSigSchema, first);
    const d = verifyCommitLightTrustingAllSignatures(CHAIN, vs, dbl, DEFAULT_TRUST_LEVEL);
    expect(!d.ok && d.error.code).toBe("double_vote");
  });

  it("refuses a zero denominator and an overflowing numerator", () => {
    const r1 = verifyCommitLightTrusting(CHAIN, vs, commit, { numerator: 1n, denominator: 0n });
    expect(!r1.ok && r1.error.code).toBe("invalid_trust_level");
    const r2 = verifyCommitLightTrusting(CHAIN, vs, commit, {
      numerator: 1n << 62n,
      denominator: 1n << 62n,
    });
    expect(!r2.ok && r2.error.code).toBe("invalid_trust_level");
    expect(trustLevelError(DEFAULT_TRUST_LEVEL)).toBeNull();
    expect(trustLevelError({ numerator: 1n, denominator: 1n })).toBeNull();
    expect(trustLevelError({ numerator: 1n, denominator: 4n })).not.toBeNull();
    expect(trustLevelError({ numerator: 2n, denominator: 1n })).not.toBeNull();
  });

  it("validateCommitSig / validateCommit follow CommitSig/Commit.ValidateBasic", () => {
    const ok = (x: { ok: boolean }) => x.ok;
    const absent = create(CommitSigSchema, {
      blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_ABSENT,
      timestamp: zeroGoTime(),
    });
    expect(ok(validateCommitSig(absent))).toBe(true);
    expect(
      ok(
        validateCommitSig(
          create(CommitSigSchema, { blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_ABSENT }),
        ),
      ),
    ).toBe(true);
    expect(ok(validateCommitSig({ ...absent, signature: new Uint8Array(64) }))).toBe(false);
    expect(ok(validateCommitSig({ ...absent, validatorAddress: new Uint8Array(20) }))).toBe(false);
    expect(ok(validateCommitSig({ ...absent, timestamp: create(TimestampSchema, {}) }))).toBe(
      false,
    );
    expect(ok(validateCommitSig(create(CommitSigSchema, { blockIdFlag: 0 })))).toBe(false);
    const good = commit.signatures[0];
    if (good === undefined) throw new Error("four signatures");
    expect(ok(validateCommitSig(good))).toBe(true);
    expect(ok(validateCommitSig({ ...good, validatorAddress: new Uint8Array(19) }))).toBe(false);
    expect(ok(validateCommitSig({ ...good, signature: new Uint8Array() }))).toBe(false);
    expect(ok(validateCommitSig({ ...good, signature: new Uint8Array(65) }))).toBe(false);

    expect(ok(validateCommit(commit))).toBe(true);
    expect(ok(validateCommit({ ...commit, height: -1n }))).toBe(false);
    expect(ok(validateCommit({ ...commit, round: -1 }))).toBe(false);
    expect(ok(validateCommit({ ...commit, signatures: [] }))).toBe(false);
    expect(ok(validateCommit({ ...commit, blockId: undefined }))).toBe(false);
    expect(ok(validateCommit(create(CommitSchema, {})))).toBe(true); // height 0: nothing to check
  });

  it("commitToVote rebuilds the precommit (Commit.GetVote)", () => {
    const c = signCommit(CHAIN, vs, signers, 10n, 2, bid, ["commit", "nil", "commit", "absent"]);
    const v0 = commitToVote(c, 0);
    expect(v0.type).toBe(SignedMsgType.PRECOMMIT);
    expect(v0.height).toBe(10n);
    expect(v0.round).toBe(2);
    expect(v0.blockId?.hash).toEqual(bid.hash);
    expect(v0.validatorIndex).toBe(0);
    expect(v0.signature).toEqual(c.signatures[0]?.signature);
    const v1 = commitToVote(c, 1);
    expect(v1.blockId?.hash.length).toBe(0);
    expect(v1.blockId?.partSetHeader?.total ?? 0).toBe(0);
    expect(() => commitToVote(c, 4)).toThrow(RangeError);
  });
});
