// Weighted median block time (types/time/time.go WeightedMedian, state/state.go MedianTime).

import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { GO_ZERO_TIME_SECONDS } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  commitMedianTime,
  createValidatorSet,
  nanosToTimestamp,
  timestampToNanos,
  weightedMedianTime,
} from "../src/index.ts";
import { ed25519Signer, signCommit, testBlockId } from "./testKeys.ts";

const ts = (s: number) => create(TimestampSchema, { seconds: BigInt(s) });
const sec = (t: { seconds: bigint }) => Number(t.seconds);

describe("weightedMedianTime", () => {
  it("walks the sorted times with median = total / 2 (hand-worked cases)", () => {
    const w = (s: number, weight: bigint) => ({ time: ts(s), weight });
    expect(sec(weightedMedianTime([w(10, 33n), w(20, 34n), w(30, 33n)], 100n))).toBe(20);
    expect(sec(weightedMedianTime([w(30, 10n), w(10, 40n), w(20, 10n), w(40, 40n)], 100n))).toBe(
      20,
    );
    expect(sec(weightedMedianTime([w(10, 20n), w(20, 10n), w(30, 40n), w(40, 30n)], 100n))).toBe(
      30,
    );
    expect(sec(weightedMedianTime([w(5, 1n)], 1n))).toBe(5);
    expect(weightedMedianTime([], 0n).seconds).toBe(GO_ZERO_TIME_SECONDS);
  });

  it("returns one of the inputs, unchanged by order (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ s: fc.integer({ min: 0, max: 1e9 }), w: fc.bigInt({ min: 1n, max: 100n }) }),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        (items) => {
          const wt = items.map((i) => ({ time: ts(i.s), weight: i.w }));
          const total = items.reduce((t, i) => t + i.w, 0n);
          const m = sec(weightedMedianTime(wt, total));
          expect(items.map((i) => i.s)).toContain(m);
          expect(sec(weightedMedianTime([...wt].reverse(), total))).toBe(m);
        },
      ),
    );
  });

  it("converts Timestamps to and from nanoseconds, including negative times", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (n) => {
        const t = nanosToTimestamp(n);
        expect(t.nanos >= 0 && t.nanos < 1e9).toBe(true);
        expect(timestampToNanos(t)).toBe(n);
      }),
    );
  });
});

describe("commitMedianTime", () => {
  it("weights commit and nil votes by power and skips absent ones", () => {
    const signers = [ed25519Signer(1, 50n), ed25519Signer(2, 30n), ed25519Signer(3, 20n)];
    const set = createValidatorSet(
      signers.map((s) => ({ pubKey: s.pubKey, votingPower: s.validator.votingPower })),
    );
    if (!set.ok) throw set.error;
    // signCommit gives validator i (set order: 50, 30, 20) the time 1_700_000_000 + i.
    const all = signCommit("c", set.value, signers, 2n, 0, testBlockId(1));
    expect(sec(commitMedianTime(all, set.value))).toBe(1_700_000_000); // 50 >= 100/2
    const nilFirstAbsent = signCommit("c", set.value, signers, 2n, 0, testBlockId(1), [
      "absent",
      "nil",
      "commit",
    ]);
    // total 50: median 25; sorted (30 @ +1, 20 @ +2): 25 <= 30 → +1.
    expect(sec(commitMedianTime(nilFirstAbsent, set.value))).toBe(1_700_000_001);
  });
});
