// ValidatorSet: construction rules, order, lookups, hashes (incl. the ProposerPriorityHash quirk),
// proto round trip, and the genesis / per-height / per-round rules.

import { sha256 } from "@qos/crypto";
import { toHex } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createValidator,
  createValidatorSet,
  genesisValidatorSets,
  MAX_TOTAL_VOTING_POWER,
  nextValidatorSet,
  pubKeyAddress,
  type Validator,
  ValidatorSet,
  validatorSetForRound,
  validatorSetFromProto,
  validatorSetFromValidators,
} from "../src/index.ts";
import { ed25519Signer, secp256k1Signer } from "./testKeys.ts";

const upd = (seed: number, power: bigint) => ({
  pubKey: ed25519Signer(seed).pubKey,
  votingPower: power,
});

function must<T>(r: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!r.ok) throw r.error;
  return r.value;
}

describe("createValidatorSet (NewValidatorSet)", () => {
  it("sorts by power desc then address asc and increments once", () => {
    const vs = must(createValidatorSet([upd(1, 5n), upd(2, 10n), upd(3, 5n), upd(4, 1n)]));
    const powers = vs.validators.map((v) => v.votingPower);
    expect(powers).toEqual([10n, 5n, 5n, 1n]);
    const fives = vs.validators.slice(1, 3).map((v) => toHex(v.address));
    expect([...fives].sort()).toEqual(fives);
    expect(vs.totalVotingPower).toBe(21n);
    // After one increment the proposer is the heaviest validator and priorities sum to ~0.
    expect(vs.getProposer().votingPower).toBe(10n);
    const sum = vs.validators.reduce((s, v) => s + v.proposerPriority, 0n);
    expect(sum > -4n && sum < 4n).toBe(true);
  });

  it("rejects empty sets, power 0, duplicates, bad keys and too much power", () => {
    const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? "ok" : r.error?.code);
    expect(code(createValidatorSet([]))).toBe("empty_set");
    expect(code(createValidatorSet([upd(1, 0n)]))).toBe("zero_power");
    expect(code(createValidatorSet([upd(1, 1n), upd(1, 2n)]))).toBe("duplicate_validator");
    expect(code(createValidatorSet([upd(1, -1n)]))).toBe("negative_power");
    expect(code(createValidatorSet([upd(1, MAX_TOTAL_VOTING_POWER), upd(2, 1n)]))).toBe(
      "total_power_overflow",
    );
    expect(
      code(
        createValidatorSet([
          { pubKey: { type: "ed25519", key: new Uint8Array(31) }, votingPower: 1n },
        ]),
      ),
    ).toBe("invalid_pub_key");
    expect(
      code(
        createValidatorSet([
          { pubKey: { type: "secp256k1", key: new Uint8Array(33) }, votingPower: 1n },
        ]),
      ),
    ).toBe("invalid_pub_key");
  });

  it("derives ed25519 and secp256k1 addresses", () => {
    const e = ed25519Signer(1);
    expect(toHex(pubKeyAddress(e.pubKey))).toBe(toHex(sha256(e.pubKey.key).slice(0, 20)));
    const s = secp256k1Signer(1);
    expect(pubKeyAddress(s.pubKey)).toHaveLength(20);
    const mixed = must(
      createValidatorSet([
        { pubKey: e.pubKey, votingPower: 1n },
        { pubKey: s.pubKey, votingPower: 2n },
      ]),
    );
    expect(mixed.getByIndex(0)?.pubKey.type).toBe("secp256k1");
  });
});

describe("lookups and hashes", () => {
  const vs = must(createValidatorSet([upd(1, 3n), upd(2, 2n), upd(3, 1n)]));

  it("finds validators by address and index", () => {
    for (const [i, v] of vs.validators.entries()) {
      expect(vs.getByAddress(v.address)?.index).toBe(i);
      expect(vs.getByIndex(i)).toBe(v);
      expect(vs.hasAddress(v.address)).toBe(true);
    }
    expect(vs.getByAddress(new Uint8Array(20))).toBeUndefined();
    expect(vs.getByIndex(3)).toBeUndefined();
    expect(vs.getByIndex(-1)).toBeUndefined();
  });

  it("hash() ignores priorities; proposerPriorityHash() does not", () => {
    const next = vs.incrementProposerPriority(1);
    expect(toHex(next.hash())).toBe(toHex(vs.hash()));
    expect(toHex(next.proposerPriorityHash())).not.toBe(toHex(vs.proposerPriorityHash()));
  });

  it("proposerPriorityHash reproduces Go's binary.PutVarint(buf, …) overwrite", () => {
    const vals = vs.validators.map((v, i) => ({
      ...v,
      proposerPriority: [300n, 1n, -2n][i] as bigint,
    }));
    const set = new ValidatorSet(vals, vs.totalVotingPower);
    // zigzag: 300 → D8 04, 1 → 02, -2 → 03; each written at offset 0 of a zeroed 30-byte buffer,
    // hashed over the sum of their lengths (4): 03 04 00 00.
    expect(toHex(set.proposerPriorityHash())).toBe(
      toHex(sha256(new Uint8Array([0x03, 0x04, 0x00, 0x00]))),
    );
  });

  it("round-trips through the proto ValidatorSet", () => {
    const moved = vs.incrementProposerPriority(4);
    const back = must(validatorSetFromProto(moved.toProto()));
    expect(back.validators).toEqual(moved.validators);
    expect(back.getProposer().address).toEqual(moved.getProposer().address);
    expect(toHex(back.proposerPriorityHash())).toBe(toHex(moved.proposerPriorityHash()));
    expect(toHex(back.incrementProposerPriority(3).proposerPriorityHash())).toBe(
      toHex(moved.incrementProposerPriority(3).proposerPriorityHash()),
    );
  });

  it("validatorSetFromValidators keeps priorities, re-sorts and checks every validator", () => {
    const moved = vs.incrementProposerPriority(2);
    const shuffled = [...moved.validators].reverse();
    const again = must(validatorSetFromValidators(shuffled));
    expect(again.validators).toEqual(moved.validators);
    const badAddr: Validator = { ...(shuffled[0] as Validator), address: new Uint8Array(20) };
    const r = validatorSetFromValidators([badAddr, ...shuffled.slice(1)]);
    expect(!r.ok && r.error.code).toBe("invalid_address");
    const dup = validatorSetFromValidators([shuffled[0] as Validator, shuffled[0] as Validator]);
    expect(!dup.ok && dup.error.code).toBe("duplicate_validator");
    expect(validatorSetFromValidators([]).ok).toBe(false);
  });
});

describe("genesis, per-height and per-round rules", () => {
  it("genesis: NextValidators is Validators incremented once more", () => {
    const g = must(genesisValidatorSets([upd(1, 3n), upd(2, 2n), upd(3, 1n)]));
    expect(g.nextValidators.validators).toEqual(
      g.validators.incrementProposerPriority(1).validators,
    );
  });

  it("per height: update then Increment(1); no updates is just Increment(1)", () => {
    const g = must(genesisValidatorSets([upd(1, 3n), upd(2, 2n), upd(3, 1n)]));
    const same = must(nextValidatorSet(g.nextValidators, []));
    expect(same.validators).toEqual(g.nextValidators.incrementProposerPriority(1).validators);
    const changed = must(nextValidatorSet(g.nextValidators, [upd(4, 5n), upd(3, 0n)]));
    const manual = must(
      g.nextValidators.updateWithChangeSet([upd(4, 5n), upd(3, 0n)]),
    ).incrementProposerPriority(1);
    expect(changed.validators).toEqual(manual.validators);
    expect(changed.validators.map((v) => v.votingPower)).toEqual([5n, 3n, 2n]);
    const bad = nextValidatorSet(g.nextValidators, [upd(9, 0n)]);
    expect(!bad.ok && bad.error.code).toBe("unknown_validator");
  });

  it("per round: the proposer of round r is the set incremented r times", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), (a, b) => {
        const vs = must(createValidatorSet([upd(1, 7n), upd(2, 3n), upd(3, 2n)]));
        const [from, to] = a <= b ? [a, b] : [b, a];
        const atFrom = validatorSetForRound(vs, 0, from);
        const atTo = validatorSetForRound(atFrom, from, to);
        expect(validatorSetForRound(atTo, to, to)).toBe(atTo);
        if (to > 0) {
          expect(atTo.getProposer().address).toEqual(
            vs.incrementProposerPriority(to).getProposer().address,
          );
        }
      }),
      { numRuns: 50 },
    );
  });

  it("a set is immutable: incrementing returns a new set and leaves the old one", () => {
    const vs = must(createValidatorSet([upd(1, 2n), upd(2, 1n)]));
    const before = vs.validators.map((v) => v.proposerPriority);
    const after = vs.incrementProposerPriority(5);
    expect(vs.validators.map((v) => v.proposerPriority)).toEqual(before);
    expect(after).not.toBe(vs);
    expect(Object.isFrozen(vs.validators)).toBe(true);
  });

  it("createValidator derives the address", () => {
    const s = ed25519Signer(5);
    expect(createValidator(s.pubKey, 3n).address).toEqual(pubKeyAddress(s.pubKey));
    expect(() => createValidator({ type: "ed25519", key: new Uint8Array(3) }, 1n)).toThrow();
  });
});
