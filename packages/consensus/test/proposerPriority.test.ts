// Proposer-priority arithmetic against facts from CometBFT's types/validator_set_test.go and
// hand-worked examples, plus property tests (determinism, centring, fairness).

import { utf8Encode } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyChangeSet,
  averagePriority,
  floorDiv,
  incrementPriorities,
  MAX_INT64,
  MAX_TOTAL_VOTING_POWER,
  MIN_INT64,
  type PrioritizedValidator,
  safeAddClip,
  safeSubClip,
  totalVotingPowerOf,
} from "../src/proposerPriority.ts";

type V = PrioritizedValidator;
const name = (v: V): string => new TextDecoder().decode(v.address);
const val = (addr: string | Uint8Array, power: bigint, priority = 0n): V => ({
  address: typeof addr === "string" ? utf8Encode(addr) : addr,
  votingPower: power,
  proposerPriority: priority,
});

function total(vals: readonly V[]): bigint {
  const t = totalVotingPowerOf(vals);
  if (!t.ok) throw t.error;
  return t.value;
}

/** NewValidatorSet: change set onto an empty set, then Increment(1). */
function newSet(vals: readonly V[]): { vals: V[]; proposer: V } {
  const merged = applyChangeSet([], vals, false);
  if (!merged.ok) throw merged.error;
  return step(merged.value, 1);
}

function step(vals: readonly V[], times: number): { vals: V[]; proposer: V } {
  const r = incrementPriorities(vals, total(vals), times);
  return { vals: r.validators, proposer: r.validators[r.proposerIndex] as V };
}

/** The proposers of `rounds` consecutive Increment(1) calls, starting with NewValidatorSet's. */
function proposerSequence(vals: readonly V[], rounds: number): V[] {
  let s = newSet(vals);
  const out = [s.proposer];
  for (let i = 1; i < rounds; i++) {
    s = step(s.vals, 1);
    out.push(s.proposer);
  }
  return out;
}

const addr = (last: number): Uint8Array => {
  const a = new Uint8Array(20);
  a[19] = last;
  return a;
};

describe("int64 helpers", () => {
  it("clip at the int64 bounds (TestSafeAddClip / TestSafeSubClip)", () => {
    expect(safeAddClip(MAX_INT64, 10n)).toBe(MAX_INT64);
    expect(safeAddClip(MAX_INT64, MAX_INT64)).toBe(MAX_INT64);
    expect(safeAddClip(MIN_INT64, -10n)).toBe(MIN_INT64);
    expect(safeSubClip(MIN_INT64, 10n)).toBe(MIN_INT64);
    expect(safeSubClip(MIN_INT64, MIN_INT64)).toBe(0n);
    expect(safeSubClip(MIN_INT64, MAX_INT64)).toBe(MIN_INT64);
    expect(safeSubClip(MAX_INT64, -10n)).toBe(MAX_INT64);
  });

  it("floorDiv rounds toward negative infinity, unlike bigint /", () => {
    expect(floorDiv(-7n, 3n)).toBe(-3n);
    expect(-7n / 3n).toBe(-2n);
    expect(floorDiv(7n, 3n)).toBe(2n);
    expect(floorDiv(-6n, 3n)).toBe(-2n);
    fc.assert(
      fc.property(fc.bigInt(), fc.bigInt({ min: 1n, max: 1n << 70n }), (a, b) => {
        const q = floorDiv(a, b);
        return q * b <= a && a < (q + 1n) * b;
      }),
    );
  });

  it("averages like big.Int.Div (TestAvgProposerPriority)", () => {
    const avg = (...p: bigint[]) => averagePriority(p.map((x, i) => val(`v${i}`, 0n, x)));
    expect(avg(0n, 0n, 0n)).toBe(0n);
    expect(avg(MAX_INT64, 0n, 0n)).toBe(MAX_INT64 / 3n);
    expect(avg(MAX_INT64, 0n)).toBe(MAX_INT64 / 2n);
    expect(avg(MAX_INT64, MAX_INT64)).toBe(MAX_INT64);
    expect(avg(MIN_INT64, MIN_INT64)).toBe(MIN_INT64);
    // The floor matters for negative sums: -1/3 is -1 in Go's big.Int, not 0.
    expect(avg(-1n, 0n, 0n)).toBe(-1n);
  });
});

describe("proposer selection (CometBFT test facts)", () => {
  it("TestProposerSelection1: foo 1000, bar 300, baz 330 over 99 rounds", () => {
    const expected =
      "foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar" +
      " foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar" +
      " foo baz foo foo bar foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz" +
      " foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo" +
      " foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo";
    const seq = proposerSequence([val("foo", 1000n), val("bar", 300n), val("baz", 330n)], 99);
    expect(seq.map(name).join(" ")).toBe(expected);
  });

  it("TestProposerSelection2: equal powers go in address order", () => {
    const seq = proposerSequence([val(addr(0), 100n), val(addr(1), 100n), val(addr(2), 100n)], 15);
    expect(seq.map((v) => v.address[19])).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
  });

  it("TestProposerSelection2: 400 proposes once then yields; 401 proposes twice in a row", () => {
    const s400 = proposerSequence([val(addr(0), 100n), val(addr(1), 100n), val(addr(2), 400n)], 2);
    expect(s400.map((v) => v.address[19])).toEqual([2, 0]);
    const s401 = proposerSequence([val(addr(0), 100n), val(addr(1), 100n), val(addr(2), 401n)], 3);
    expect(s401.map((v) => v.address[19])).toEqual([2, 2, 0]);
  });

  it("TestProposerSelection2: powers 4, 5, 3 propose 40, 50, 30 times in 120 rounds", () => {
    const seq = proposerSequence([val(addr(0), 4n), val(addr(1), 5n), val(addr(2), 3n)], 120);
    const counts = [0, 1, 2].map((i) => seq.filter((v) => v.address[19] === i).length);
    expect(counts).toEqual([40, 50, 30]);
  });

  it("powers 1, 2, 3 (hand-worked): c b a c b c, repeating, priorities back to 0 after 6", () => {
    const vals = [val("a", 1n), val("b", 2n), val("c", 3n)];
    const seq = proposerSequence(vals, 12);
    expect(seq.map(name).join("")).toBe("cbacbccbacbc");
    let s = newSet(vals);
    const prios: string[] = [];
    for (let i = 0; i < 6; i++) {
      const byName = new Map(s.vals.map((v) => [name(v), v.proposerPriority]));
      prios.push(["a", "b", "c"].map((n) => byName.get(n)).join(","));
      s = step(s.vals, 1);
    }
    expect(prios).toEqual(["1,2,-3", "2,-2,0", "-3,0,3", "-2,2,0", "-1,-2,3", "0,0,0"]);
  });

  it("TestAveragingInIncrementProposerPriority: zero-power sets are only re-centred", () => {
    const cases: Array<[bigint[], number, bigint]> = [
      [[1n, 2n, 3n], 1, 2n],
      [[10n, -10n, 1n], 11, 0n],
      [[100n, -10n, 1n], 1, 91n / 3n],
    ];
    for (const [prios, times, avg] of cases) {
      const vals = prios.map((p, i) => val(["a", "b", "c"][i] as string, 0n, p));
      const r = incrementPriorities(vals, 0n, times);
      expect(r.validators.map((v) => v.proposerPriority)).toEqual(prios.map((p) => p - avg));
    }
  });

  it("TestAveragingInIncrementProposerPriorityWithVotingPower: powers 10, 1, 1 from zero", () => {
    const [vp0, vp1, vp2] = [10n, 1n, 1n];
    const t = vp0 + vp1 + vp2;
    const vals = [val(addr(0), vp0), val(addr(1), vp1), val(addr(2), vp2)];
    const cases: Array<[number, bigint[], number]> = [
      [1, [vp0 - t, vp1, vp2], 0],
      [2, [vp0 - t + vp0 - t, 2n * vp1, 2n * vp2], 0],
      [3, [3n * (vp0 - t), 3n * vp1, 3n * vp2], 0],
      [4, [4n * (vp0 - t), 4n * vp1, 4n * vp2], 0],
      [5, [4n * (vp0 - t) + vp0, 5n * vp1 - t, 5n * vp2], 1],
      [6, [6n * vp0 - 5n * t, 6n * vp1 - t, 6n * vp2], 0],
      [7, [7n * vp0 - 6n * t, 7n * vp1 - t, 7n * vp2], 0],
      [8, [8n * vp0 - 7n * t, 8n * vp1 - t, 8n * vp2], 0],
      [9, [9n * vp0 - 7n * t, 9n * vp1 - t, 9n * vp2 - t], 2],
      [10, [10n * vp0 - 8n * t, 10n * vp1 - t, 10n * vp2 - t], 0],
      [11, [11n * vp0 - 9n * t, 11n * vp1 - t, 11n * vp2 - t], 0],
    ];
    for (const [times, want, proposer] of cases) {
      const r = incrementPriorities(vals, t, times);
      expect(r.validators.map((v) => v.proposerPriority)).toEqual(want);
      expect(r.proposerIndex).toBe(proposer);
    }
  });

  it("refuses non-positive times and empty sets (bugs, thrown)", () => {
    const vals = [val("foo", 1000n), val("bar", 300n)];
    expect(() => incrementPriorities(vals, 1300n, 0)).toThrow();
    expect(() => incrementPriorities(vals, 1300n, -1)).toThrow();
    expect(() => incrementPriorities([], 0n, 1)).toThrow();
  });

  it("rescales when the spread exceeds 2 * total (truncating division by ceil(diff/diffMax))", () => {
    // diff = 1000 - (-1000) = 2000, diffMax = 2*10 = 20, ratio = 100.
    const r = incrementPriorities(
      [val("a", 5n, 1000n), val("b", 5n, -1000n), val("c", 0n, -7n)],
      10n,
      1,
    );
    // After rescale: 10, -10, 0 (−7/100 truncates to 0); avg 0; then +power and a−total.
    expect(r.validators.map((v) => v.proposerPriority)).toEqual([5n, -5n, 0n]);
    expect(r.proposerIndex).toBe(0);
  });
});

describe("change sets (UpdateWithChangeSet facts)", () => {
  const named = (vals: readonly V[]) => vals.map((v) => `${name(v)}:${v.votingPower}`);
  const testSet = (n: number, power: bigint) =>
    Array.from({ length: n }, (_, i) => val(`v${i + 1}`, power));

  function start(vals: readonly V[]): V[] {
    return newSet(vals).vals;
  }

  function update(vals: readonly V[], changes: readonly V[]): V[] {
    const r = applyChangeSet(vals, changes, true);
    if (!r.ok) throw r.error;
    return r.value;
  }

  it("applies changes, additions and removals (TestValSetUpdatesBasicTestsExecute)", () => {
    expect(named(update(start(testSet(2, 10n)), []))).toEqual(["v1:10", "v2:10"]);
    expect(named(update(start(testSet(2, 10n)), [val("v2", 22n), val("v1", 11n)]))).toEqual([
      "v2:22",
      "v1:11",
    ]);
    expect(
      named(update(start([val("v2", 20n), val("v1", 10n)]), [val("v4", 40n), val("v3", 30n)])),
    ).toEqual(["v4:40", "v3:30", "v2:20", "v1:10"]);
    expect(named(update(start([val("v3", 20n), val("v1", 10n)]), [val("v2", 30n)]))).toEqual([
      "v2:30",
      "v3:20",
      "v1:10",
    ]);
    expect(
      named(update(start([val("v3", 30n), val("v2", 20n), val("v1", 10n)]), [val("v2", 0n)])),
    ).toEqual(["v3:30", "v1:10"]);
  });

  it("rejects duplicates, bad powers, unknown removals and empty results", () => {
    const cases: Array<[V[], V[], string]> = [
      [testSet(2, 10n), [val("v1", 11n), val("v1", 22n)], "duplicate_validator"],
      [testSet(2, 10n), [val("v1", 11n), val("v2", 22n), val("v1", 12n)], "duplicate_validator"],
      [testSet(2, 10n), [val("v1", 0n), val("v1", 0n)], "duplicate_validator"],
      [testSet(2, 10n), [val("v1", 0n), val("v2", 20n), val("v1", 30n)], "duplicate_validator"],
      [testSet(2, 10n), [val("v1", MAX_INT64)], "power_too_high"],
      [testSet(1, MAX_TOTAL_VOTING_POWER), [val("v2", MAX_INT64)], "power_too_high"],
      [testSet(1, MAX_TOTAL_VOTING_POWER - 1n), [val("v2", 5n)], "total_power_overflow"],
      [
        testSet(2, MAX_TOTAL_VOTING_POWER / 3n),
        [val("v3", MAX_TOTAL_VOTING_POWER / 2n)],
        "total_power_overflow",
      ],
      [
        testSet(1, MAX_TOTAL_VOTING_POWER),
        [val("v2", MAX_TOTAL_VOTING_POWER)],
        "total_power_overflow",
      ],
      [testSet(2, 10n), [val("v1", -123n)], "negative_power"],
      [testSet(2, 10n), [val("v3", 0n)], "unknown_validator"],
      [
        [val("v1", 10n), val("v2", 20n), val("v3", 30n)],
        [val("v1", 0n), val("v2", 0n), val("v3", 0n)],
        "empty_set",
      ],
    ];
    for (const [startVals, changes, code] of cases) {
      const r = applyChangeSet(start(startVals), changes, true);
      expect(r.ok ? "ok" : r.error.code).toBe(code);
    }
  });

  it("rejects power 0 at genesis and a duplicate key (TestUpdatesForNewValidatorSet)", () => {
    const r1 = applyChangeSet([], [val("v1", 0n), val("v2", 22n)], false);
    expect(!r1.ok && r1.error.code).toBe("zero_power");
    const r2 = applyChangeSet([], [val("v1", 100n), val("v1", 123n)], false);
    expect(!r2.ok && r2.error.code).toBe("duplicate_validator");
  });

  it("no false overflow when power moves between validators (TestValSetUpdateOverflowRelated)", () => {
    const M = MAX_TOTAL_VOTING_POWER;
    const a = update(start([val("v2", M - 1n), val("v1", 1n)]), [val("v1", M - 1n), val("v2", 1n)]);
    expect(named(a)).toEqual([`v1:${M - 1n}`, "v2:1"]);
    const b = update(start([val("v2", M - 1n), val("v1", 1n)]), [
      val("v1", M / 2n - 1n),
      val("v2", M / 2n),
    ]);
    expect(named(b)).toEqual([`v2:${M / 2n}`, `v1:${M / 2n - 1n}`]);
    const c = update(start([val("v1", M - 2n), val("v2", 1n), val("v3", 1n)]), [
      val("v1", 0n),
      val("v4", M - 2n),
    ]);
    expect(named(c)).toEqual([`v4:${M - 2n}`, "v2:1", "v3:1"]);
    const nine = Array.from({ length: 9 }, (_, i) => val(`v${i + 1}`, 1n));
    const up = [...Array.from({ length: 8 }, (_, i) => val(`v${i + 1}`, M)), val("v9", 8n)];
    const d = applyChangeSet(start(nine), up, true);
    expect(!d.ok && d.error.code).toBe("total_power_overflow");
  });

  it("new validators start at -(T + T>>3), T = total after updates before removals", () => {
    // Start: v1 10, v2 20 (total 30). Add v3 40 and remove v1: T = 30 + 40 = 70 → -(70 + 8) = -78,
    // then the set is re-centred on its average.
    const s = start([val("v1", 10n), val("v2", 20n)]);
    const v2Before = (s.find((v) => name(v) === "v2") as V).proposerPriority;
    const after = update(s, [val("v3", 40n), val("v1", 0n)]);
    const p = new Map(after.map((v) => [name(v), v.proposerPriority]));
    const avg = floorDiv(v2Before + -78n, 2n);
    expect(p.get("v3")).toBe(-78n - avg);
    expect(p.get("v2")).toBe(v2Before - avg);
  });

  it("added validators have the lowest and equal priorities (TestValSetUpdatePriorityOrderTests)", () => {
    let s = start([val("v3", 1000n), val("v2", 2n), val("v1", 1n)]);
    s = step(s, 37).vals;
    const after = update(s, [val("v5", 50n), val("v4", 40n), val("v2", 1n), val("v3", 0n)]);
    expect(named(after)).toEqual(["v5:50", "v4:40", "v1:1", "v2:1"]);
    const byPrio = [...after].sort((a, b) => (a.proposerPriority < b.proposerPriority ? -1 : 1));
    expect(byPrio.slice(0, 2).map(name).sort()).toEqual(["v4", "v5"]);
    expect(byPrio[0]?.proposerPriority).toBe(byPrio[1]?.proposerPriority);
  });

  it("the result does not depend on the order of the changes (property)", () => {
    const startVals = [val("v4", 40n), val("v3", 30n), val("v2", 20n), val("v1", 10n)];
    const changes = [val("v1", 0n), val("v3", 0n), val("v2", 22n), val("v5", 50n), val("v4", 44n)];
    const expected = update(start(startVals), changes);
    fc.assert(
      fc.property(fc.shuffledSubarray(changes, { minLength: 5, maxLength: 5 }), (perm) => {
        expect(update(start(startVals), perm)).toEqual(expected);
      }),
    );
  });
});

/** Random sets of 1..12 validators with distinct addresses and powers 1..1000. */
const arbSet = fc
  .uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(fc.bigInt({ min: 1n, max: 1000n }), {
        minLength: ids.length,
        maxLength: ids.length,
      }),
    ),
  )
  .map(([ids, powers]) => ids.map((id, i) => val(addr(id), powers[i] as bigint)));

describe("proposer priority properties", () => {
  it("is deterministic and independent of the input order", () => {
    fc.assert(
      fc.property(arbSet, fc.integer({ min: 1, max: 50 }), (vals, rounds) => {
        const a = proposerSequence(vals, rounds).map((v) => v.address[19]);
        const b = proposerSequence([...vals].reverse(), rounds).map((v) => v.address[19]);
        expect(b).toEqual(a);
      }),
    );
  });

  it("keeps priorities centred (|sum| < n) and their spread within 2*total plus one round", () => {
    fc.assert(
      fc.property(arbSet, fc.integer({ min: 1, max: 200 }), (vals, rounds) => {
        let s = newSet(vals);
        const t = total(vals);
        const n = BigInt(vals.length);
        for (let i = 0; i < rounds; i++) {
          s = step(s.vals, 1);
          // Increment re-centres before the round's update; the round itself adds Σpower - total = 0.
          const sum = s.vals.reduce((acc, v) => acc + v.proposerPriority, 0n);
          expect(sum > -n && sum < n).toBe(true);
          const ps = s.vals.map((v) => v.proposerPriority).sort((a, b) => (a < b ? -1 : 1));
          const spread = (ps[ps.length - 1] as bigint) - (ps[0] as bigint);
          expect(spread <= 2n * t + t).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("is fair: over k*total rounds each validator proposes power*k times (±n)", () => {
    fc.assert(
      fc.property(arbSet, (vals) => {
        const t = total(vals);
        if (t > 3000n) return;
        const rounds = Number(t) * 2;
        const seq = proposerSequence(vals, rounds);
        const counts = new Map<number, number>();
        for (const v of seq)
          counts.set(v.address[19] as number, (counts.get(v.address[19] as number) ?? 0) + 1);
        for (const v of vals) {
          const want = Number(v.votingPower) * 2;
          const got = counts.get(v.address[19] as number) ?? 0;
          expect(Math.abs(got - want)).toBeLessThanOrEqual(vals.length);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("Increment(times) equals times × Increment(1) when no rescale is needed", () => {
    fc.assert(
      fc.property(arbSet, fc.integer({ min: 1, max: 30 }), (vals, times) => {
        const s = newSet(vals);
        const once = step(s.vals, times);
        let many = s;
        for (let i = 0; i < times; i++) many = step(many.vals, 1);
        expect(many.proposer.address).toEqual(once.proposer.address);
      }),
      { numRuns: 60 },
    );
  });
});
