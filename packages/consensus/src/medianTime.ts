// Block time from the last commit (state/state.go MedianTime, types/time/time.go WeightedMedian):
// the voting-power-weighted median of the precommit timestamps, plus Timestamp <-> nanoseconds.

import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { BlockIDFlag, type Commit, GO_ZERO_TIME_SECONDS, zeroGoTime } from "@qos/types";
import type { ValidatorSet } from "./validatorSet.ts";

const NANOS_PER_SECOND = 1_000_000_000n;

/** A Timestamp as nanoseconds since the Unix epoch; a missing one is Go's zero time. */
export function timestampToNanos(ts: Timestamp | undefined): bigint {
  if (ts === undefined) return GO_ZERO_TIME_SECONDS * NANOS_PER_SECOND;
  return ts.seconds * NANOS_PER_SECOND + BigInt(ts.nanos);
}

/** Nanoseconds since the Unix epoch as a normalised Timestamp (0 <= nanos < 1e9). */
export function nanosToTimestamp(nanos: bigint): Timestamp {
  let seconds = nanos / NANOS_PER_SECOND;
  let rest = nanos % NANOS_PER_SECOND;
  if (rest < 0n) {
    rest += NANOS_PER_SECOND;
    seconds -= 1n;
  }
  return create(TimestampSchema, { seconds, nanos: Number(rest) });
}

export interface WeightedTime {
  readonly time: Timestamp;
  readonly weight: bigint;
}

/**
 * WeightedMedian: sort by time, then walk with `median = totalVotingPower / 2` (integer), taking
 * the first time whose weight reaches what is left. Go's zero time when nothing qualifies.
 */
export function weightedMedianTime(
  weightedTimes: readonly WeightedTime[],
  totalVotingPower: bigint,
): Timestamp {
  let median = totalVotingPower / 2n;
  const sorted = weightedTimes
    .map((w) => ({ nanos: timestampToNanos(w.time), weight: w.weight }))
    .sort((a, b) => (a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0));
  for (const w of sorted) {
    if (median <= w.weight) return nanosToTimestamp(w.nanos);
    median -= w.weight;
  }
  return zeroGoTime();
}

/**
 * MedianTime(commit, validators): every non-absent CommitSig (Commit and Nil votes) whose address
 * is in `valSet` contributes its timestamp, weighted by that validator's power.
 */
export function commitMedianTime(commit: Commit, valSet: ValidatorSet): Timestamp {
  const weighted: WeightedTime[] = [];
  let total = 0n;
  for (const sig of commit.signatures) {
    if (sig.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_ABSENT) continue;
    const found = valSet.getByAddress(sig.validatorAddress);
    if (found === undefined) continue;
    total += found.validator.votingPower;
    weighted.push({
      time: sig.timestamp ?? zeroGoTime(),
      weight: found.validator.votingPower,
    });
  }
  return weightedMedianTime(weighted, total);
}
