// Vote keeper: thresholds by power (CometBFT integer division), equivocation evidence,
// duplicates and votes from outside the set.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyVote,
  createVoteKeeper,
  exceedsOneThird,
  exceedsTwoThirds,
  hasOneThirdInRound,
  hasQuorumAny,
  quorumValue,
  type VoteKeeper,
  votePowerFor,
  votesFor,
  votesOf,
  voteTally,
} from "../../src/index.ts";
import { H, type Sig, vote } from "./fixtures.ts";

function keeperOf(powers: bigint[]): VoteKeeper<Sig> {
  return createVoteKeeper<Sig>(H, { powers, total: powers.reduce((a, b) => a + b, 0n) });
}

function add(keeper: VoteKeeper<Sig>, ...votes: ReturnType<typeof vote>[]): VoteKeeper<Sig> {
  let k = keeper;
  for (const v of votes) {
    const r = applyVote(k, v);
    if (r.kind === "added" || r.kind === "equivocation") k = r.keeper;
  }
  return k;
}

describe("thresholds", () => {
  it("2/3 is strict and uses total*2/3 with integer division", () => {
    expect(exceedsTwoThirds(2n, 3n)).toBe(false);
    expect(exceedsTwoThirds(3n, 3n)).toBe(true);
    expect(exceedsTwoThirds(6n, 9n)).toBe(false);
    expect(exceedsTwoThirds(7n, 9n)).toBe(true);
    expect(exceedsTwoThirds(66n, 100n)).toBe(false);
    expect(exceedsTwoThirds(67n, 100n)).toBe(true);
    expect(exceedsOneThird(1n, 3n)).toBe(false);
    expect(exceedsOneThird(2n, 3n)).toBe(true);
    expect(exceedsOneThird(33n, 100n)).toBe(false);
    expect(exceedsOneThird(34n, 100n)).toBe(true);
  });

  it("agrees with exact rational comparison (3p > 2t, 3p > t)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 1n << 60n }),
        fc.bigInt({ min: 0n, max: 1n << 60n }),
        (t, p) => {
          expect(exceedsTwoThirds(p, t)).toBe(3n * p > 2n * t);
          expect(exceedsOneThird(p, t)).toBe(3n * p > t);
        },
      ),
    );
  });

  it("tallies by power with unequal powers", () => {
    // total 10: a quorum needs power 7, f+1 needs power 4.
    let k = keeperOf([5n, 3n, 1n, 1n]);
    k = add(k, vote("prevote", 0, 0, "A"), vote("prevote", 0, 2, "A"));
    expect(votePowerFor(k, 0, "prevote", "A")).toBe(6n);
    expect(quorumValue(k, 0, "prevote")).toBeUndefined();
    expect(hasQuorumAny(k, 0, "prevote")).toBe(false);
    k = add(k, vote("prevote", 0, 3, null));
    expect(hasQuorumAny(k, 0, "prevote")).toBe(true); // 7 of any kind
    expect(quorumValue(k, 0, "prevote")).toBeUndefined();
    k = add(k, vote("prevote", 0, 1, "A"));
    expect(quorumValue(k, 0, "prevote")).toBe("A"); // 9 for A
    expect(votePowerFor(k, 0, "prevote", null)).toBe(1n);
  });

  it("a quorum for nil is reported as null", () => {
    const k = add(keeperOf([1n, 1n, 1n]), ...[0, 1, 2].map((i) => vote("precommit", 4, i, null)));
    expect(quorumValue(k, 4, "precommit")).toBeNull();
    expect(quorumValue(k, 4, "prevote")).toBeUndefined();
  });

  it("f+1 for round skip counts each validator once per round, by power", () => {
    let k = keeperOf([1n, 1n, 1n, 3n]); // total 6: needs > 2
    k = add(k, vote("prevote", 2, 0, null), vote("precommit", 2, 0, null));
    expect(hasOneThirdInRound(k, 2)).toBe(false);
    k = add(k, vote("precommit", 2, 1, "B"));
    expect(hasOneThirdInRound(k, 2)).toBe(false); // power 2
    k = add(k, vote("prevote", 2, 2, "B"));
    expect(hasOneThirdInRound(k, 2)).toBe(true); // power 3
    expect(
      hasOneThirdInRound(add(keeperOf([1n, 1n, 1n, 3n]), vote("prevote", 9, 3, null)), 9),
    ).toBe(true);
  });
});

describe("applyVote", () => {
  it("treats the same vote twice as a duplicate", () => {
    const k = add(keeperOf([1n, 1n, 1n, 1n]), vote("prevote", 0, 1, "A"));
    expect(applyVote(k, vote("prevote", 0, 1, "A")).kind).toBe("duplicate");
    expect(votePowerFor(k, 0, "prevote", "A")).toBe(1n);
  });

  it("reports an equivocation once, with (first, second), and counts each vote for its own value only", () => {
    const k0 = add(keeperOf([1n, 1n, 1n, 1n]), vote("precommit", 1, 2, "A"));
    const r1 = applyVote(k0, vote("precommit", 1, 2, null));
    expect(r1.kind).toBe("equivocation");
    if (r1.kind !== "equivocation") return;
    expect(r1.evidence).toEqual([vote("precommit", 1, 2, "A"), vote("precommit", 1, 2, null)]);
    const r2 = applyVote(r1.keeper, vote("precommit", 1, 2, "B"));
    expect(r2.kind === "equivocation" && r2.evidence).toBe(null);
    expect(applyVote(r1.keeper, vote("precommit", 1, 2, null)).kind).toBe("duplicate");
    expect(applyVote(r1.keeper, vote("precommit", 1, 2, "A")).kind).toBe("duplicate");
    // Once per value, never twice toward "any" or toward one value.
    expect(votePowerFor(r1.keeper, 1, "precommit", "A")).toBe(1n);
    expect(votePowerFor(r1.keeper, 1, "precommit", null)).toBe(1n);
    expect(voteTally(r1.keeper, 1, "precommit").power).toBe(1n);
    expect(hasOneThirdInRound(r1.keeper, 1)).toBe(false);
    expect(votesOf(r1.keeper, 1, "precommit")).toEqual([vote("precommit", 1, 2, "A")]);
    expect(votesFor(r1.keeper, 1, "precommit", null)).toEqual([vote("precommit", 1, 2, null)]);
    // A prevote and a precommit by the same validator in one round are not an equivocation,
    // nor are votes of one validator in two rounds.
    expect(applyVote(r1.keeper, vote("prevote", 1, 2, "C")).kind).toBe("added");
    expect(applyVote(r1.keeper, vote("precommit", 2, 2, "C")).kind).toBe("added");
  });

  it("an equivocator's vote for a value completes a real +2/3 for it", () => {
    // Validator 3 told us nil first, then A: A still reaches 3 of 4.
    const k = add(
      keeperOf([1n, 1n, 1n, 1n]),
      vote("precommit", 0, 3, null),
      vote("precommit", 0, 0, "A"),
      vote("precommit", 0, 1, "A"),
    );
    expect(quorumValue(k, 0, "precommit")).toBeUndefined();
    expect(hasQuorumAny(k, 0, "precommit")).toBe(true);
    const k2 = add(k, vote("precommit", 0, 3, "A"));
    expect(quorumValue(k2, 0, "precommit")).toBe("A");
    expect(voteTally(k2, 0, "precommit").power).toBe(3n);
  });

  it("ignores votes from outside the set and malformed ones", () => {
    const k = keeperOf([1n, 0n, 1n]);
    expect(applyVote(k, vote("prevote", 0, 3, "A")).kind).toBe("unknownValidator");
    expect(applyVote(k, vote("prevote", 0, -1, "A")).kind).toBe("unknownValidator");
    expect(applyVote(k, vote("prevote", 0, 0.5, "A")).kind).toBe("unknownValidator");
    expect(applyVote(k, vote("prevote", 0, 1, "A")).kind).toBe("unknownValidator"); // power 0
    expect(applyVote(k, vote("prevote", 0, 0, "A", H + 1n)).kind).toBe("invalid");
    expect(applyVote(k, vote("prevote", -1, 0, "A")).kind).toBe("invalid");
    expect(applyVote(k, vote("prevote", 2 ** 31, 0, "A")).kind).toBe("invalid");
  });

  it("never mutates the keeper it is given", () => {
    const k0 = keeperOf([1n, 1n, 1n, 1n]);
    const k1 = add(k0, vote("prevote", 0, 0, "A"));
    add(k1, vote("prevote", 0, 1, "A"), vote("prevote", 0, 0, "B"));
    expect(k0.rounds.size).toBe(0);
    expect(votePowerFor(k1, 0, "prevote", "A")).toBe(1n);
    expect(k1.equivocations.size).toBe(0);
  });

  it("counts each validator once toward any value it voted for and once toward any (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 1000n }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(fc.nat(12), fc.constantFrom("A", "B", null)), { maxLength: 40 }),
        (powers, votes) => {
          let k = keeperOf(powers);
          const voted = new Map<number, Set<string | null>>();
          for (const [index, value] of votes) {
            k = add(k, vote("prevote", 0, index, value));
            if (index < powers.length) voted.set(index, (voted.get(index) ?? new Set()).add(value));
          }
          for (const value of ["A", "B", null]) {
            let expected = 0n;
            for (const [i, values] of voted) if (values.has(value)) expected += powers[i] ?? 0n;
            expect(votePowerFor(k, 0, "prevote", value)).toBe(expected);
          }
          let any = 0n;
          for (const i of voted.keys()) any += powers[i] ?? 0n;
          expect(voteTally(k, 0, "prevote").power).toBe(any);
        },
      ),
    );
  });
});
