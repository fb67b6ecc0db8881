// Proposer-priority arithmetic of CometBFT v0.38 (types/validator_set.go): int64 clipping,
// rescale + re-centre, weighted round-robin increments, and the change-set merge rules.
// Works on plain arrays of prioritized validators; ValidatorSet wraps it with keys and hashing.

import { compareBytes, equalBytes, err, ok, QosError, type Result, toHex } from "@qos/types";

export const MAX_INT64 = 0x7fff_ffff_ffff_ffffn;
export const MIN_INT64 = -0x8000_0000_0000_0000n;
/** types/validator_set.go MaxTotalVotingPower = MaxInt64 / 8. */
export const MAX_TOTAL_VOTING_POWER = MAX_INT64 / 8n;
/** types/validator_set.go PriorityWindowSizeFactor. */
export const PRIORITY_WINDOW_SIZE_FACTOR = 2n;

/** The fields the priority algorithm reads; richer validator records pass through unchanged. */
export interface PrioritizedValidator {
  readonly address: Uint8Array;
  readonly votingPower: bigint;
  readonly proposerPriority: bigint;
}

export type ValidatorSetErrorCode =
  | "duplicate_validator"
  | "negative_power"
  | "power_too_high"
  | "total_power_overflow"
  | "unknown_validator"
  | "empty_set"
  | "zero_power"
  | "invalid_address"
  | "invalid_pub_key";

export type ValidatorSetError = QosError<ValidatorSetErrorCode>;

/** Go's int64 wrap-around, for the few places where CometBFT relies on plain int64 arithmetic. */
function wrap64(x: bigint): bigint {
  return BigInt.asIntN(64, x);
}

/** safeAddClip: a + b clipped to [MinInt64, MaxInt64]. */
export function safeAddClip(a: bigint, b: bigint): bigint {
  const c = a + b;
  if (c > MAX_INT64) return MAX_INT64;
  if (c < MIN_INT64) return MIN_INT64;
  return c;
}

/** safeSubClip: a - b clipped to [MinInt64, MaxInt64]. */
export function safeSubClip(a: bigint, b: bigint): bigint {
  const c = a - b;
  if (c > MAX_INT64) return MAX_INT64;
  if (c < MIN_INT64) return MIN_INT64;
  return c;
}

/**
 * Floor division (rounds toward negative infinity). Go's big.Int.Div is Euclidean, which equals
 * floor for a positive divisor; JS bigint `/` truncates toward zero, which differs for negatives.
 */
export function floorDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError("floorDiv by zero");
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Validator.CompareProposerPriority: higher priority wins, ties go to the smaller address. */
function morePriority<V extends PrioritizedValidator>(a: V, b: V): V {
  if (a.proposerPriority > b.proposerPriority) return a;
  if (a.proposerPriority < b.proposerPriority) return b;
  const c = compareBytes(a.address, b.address);
  if (c < 0) return a;
  if (c > 0) return b;
  throw new Error(`cannot compare identical validators ${toHex(a.address)}`);
}

/** Index of the validator with the highest priority (getValWithMostPriority / findProposer). */
export function indexOfMostPriority(vals: readonly PrioritizedValidator[]): number {
  let best = -1;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i] as PrioritizedValidator;
    if (best < 0 || morePriority(vals[best] as PrioritizedValidator, v) === v) best = i;
  }
  return best;
}

/** ValidatorSet.findPreviousProposer: the lowest-priority validator (ties: larger address). */
export function indexOfLeastPriority(vals: readonly PrioritizedValidator[]): number {
  let prev = -1;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i] as PrioritizedValidator;
    if (prev < 0) {
      prev = i;
      continue;
    }
    const p = vals[prev] as PrioritizedValidator;
    if (morePriority(p, v) === p) prev = i;
  }
  return prev;
}

/**
 * Sum of voting powers with updateTotalVotingPower's rule: an error once the running sum
 * exceeds MaxTotalVotingPower.
 */
export function totalVotingPowerOf(
  vals: readonly PrioritizedValidator[],
): Result<bigint, ValidatorSetError> {
  let sum = 0n;
  for (const v of vals) {
    sum = safeAddClip(sum, v.votingPower);
    if (sum > MAX_TOTAL_VOTING_POWER) {
      return err(
        new QosError(
          "total_power_overflow",
          `total voting power ${sum} exceeds maximum ${MAX_TOTAL_VOTING_POWER}`,
        ),
      );
    }
  }
  return ok(sum);
}

/** ValidatorsByVotingPower: voting power descending, then address ascending. */
export function compareByVotingPower(a: PrioritizedValidator, b: PrioritizedValidator): number {
  if (a.votingPower !== b.votingPower) return a.votingPower > b.votingPower ? -1 : 1;
  return compareBytes(a.address, b.address);
}

function withPriority<V extends PrioritizedValidator>(v: V, p: bigint): V {
  return p === v.proposerPriority ? v : { ...v, proposerPriority: p };
}

/** computeMaxMinPriorityDiff, including Go's int64 wrap of max - min. */
function maxMinPriorityDiff(vals: readonly PrioritizedValidator[]): bigint {
  let max = MIN_INT64;
  let min = MAX_INT64;
  for (const v of vals) {
    if (v.proposerPriority < min) min = v.proposerPriority;
    if (v.proposerPriority > max) max = v.proposerPriority;
  }
  const diff = wrap64(max - min);
  return diff < 0n ? wrap64(-diff) : diff;
}

/**
 * RescalePriorities: if max - min > diffMax, divide every priority by ceil(diff / diffMax)
 * with Go's truncating division.
 */
export function rescalePriorities<V extends PrioritizedValidator>(
  vals: readonly V[],
  diffMax: bigint,
): V[] {
  if (vals.length === 0) throw new Error("empty validator set");
  if (diffMax <= 0n) return [...vals];
  const diff = maxMinPriorityDiff(vals);
  const ratio = wrap64(diff + diffMax - 1n) / diffMax;
  if (diff <= diffMax) return [...vals];
  return vals.map((v) => withPriority(v, v.proposerPriority / ratio));
}

/** computeAvgProposerPriority: floor(sum / n) over the exact sum (big.Int.Div). */
export function averagePriority(vals: readonly PrioritizedValidator[]): bigint {
  if (vals.length === 0) throw new Error("empty validator set");
  let sum = 0n;
  for (const v of vals) sum += v.proposerPriority;
  return floorDiv(sum, BigInt(vals.length));
}

/** shiftByAvgProposerPriority: subtract the average from every priority (clipped). */
export function shiftByAveragePriority<V extends PrioritizedValidator>(vals: readonly V[]): V[] {
  const avg = averagePriority(vals);
  return vals.map((v) => withPriority(v, safeSubClip(v.proposerPriority, avg)));
}

export interface IncrementResult<V> {
  readonly validators: V[];
  /** Index (into `validators`, whose order is the input order) of the last proposer chosen. */
  readonly proposerIndex: number;
}

/**
 * IncrementProposerPriority(times): rescale to 2*total, re-centre on the average, then `times`
 * rounds of "everyone += power, the max-priority validator -= total". The order of the input is
 * kept. `total` is the set's total voting power.
 */
export function incrementPriorities<V extends PrioritizedValidator>(
  vals: readonly V[],
  total: bigint,
  times: number,
): IncrementResult<V> {
  if (vals.length === 0) throw new Error("empty validator set");
  if (!Number.isInteger(times) || times <= 0) {
    throw new Error("cannot call incrementPriorities with non-positive times");
  }
  const centred = shiftByAveragePriority(
    rescalePriorities(vals, PRIORITY_WINDOW_SIZE_FACTOR * total),
  );
  const prios = centred.map((v) => v.proposerPriority);
  let proposerIndex = -1;
  for (let t = 0; t < times; t++) {
    let best = -1;
    for (let i = 0; i < prios.length; i++) {
      const p = safeAddClip(prios[i] as bigint, (centred[i] as V).votingPower);
      prios[i] = p;
      if (best < 0) {
        best = i;
        continue;
      }
      const bp = prios[best] as bigint;
      if (p > bp) best = i;
      else if (p === bp) {
        const c = compareBytes((centred[i] as V).address, (centred[best] as V).address);
        if (c === 0) throw new Error("cannot compare identical validators");
        if (c < 0) best = i;
      }
    }
    prios[best] = safeSubClip(prios[best] as bigint, total);
    proposerIndex = best;
  }
  return {
    validators: centred.map((v, i) => withPriority(v, prios[i] as bigint)),
    proposerIndex,
  };
}

/**
 * UpdateWithChangeSet's merge (types/validator_set.go updateWithChangeSet): power 0 removes,
 * otherwise add or update; new validators start at -(T + T>>3) where T is the total power after
 * the updates and before the removals; an updated validator keeps its priority but takes the
 * change's other fields (its key). Then rescale, re-centre and sort by power desc / address asc.
 * `allowDeletes` is false for NewValidatorSet (genesis), where power 0 is an error.
 */
export function applyChangeSet<V extends PrioritizedValidator>(
  vals: readonly V[],
  changes: readonly V[],
  allowDeletes: boolean,
): Result<V[], ValidatorSetError> {
  if (changes.length === 0) return ok([...vals]);

  // processChanges: sort by address, reject duplicates, negative and too-high powers.
  const sorted = [...changes].sort((a, b) => compareBytes(a.address, b.address));
  const updates: V[] = [];
  const deletes: V[] = [];
  let prev: Uint8Array | undefined;
  for (const c of sorted) {
    if (prev !== undefined && equalBytes(prev, c.address)) {
      return err(
        new QosError("duplicate_validator", `duplicate entry ${toHex(c.address)} in changes`),
      );
    }
    if (c.votingPower < 0n) {
      return err(
        new QosError("negative_power", `voting power can't be negative: ${c.votingPower}`),
      );
    }
    if (c.votingPower > MAX_TOTAL_VOTING_POWER) {
      return err(
        new QosError(
          "power_too_high",
          `to prevent clipping/overflow, voting power can't be higher than ${MAX_TOTAL_VOTING_POWER}, got ${c.votingPower}`,
        ),
      );
    }
    if (c.votingPower === 0n) deletes.push(c);
    else updates.push(c);
    prev = c.address;
  }

  if (!allowDeletes && deletes.length > 0) {
    return err(
      new QosError(
        "zero_power",
        `cannot process validators with voting power 0: ${deletes.map((d) => toHex(d.address)).join(",")}`,
      ),
    );
  }

  const byAddress = new Map<string, V>();
  for (const v of vals) byAddress.set(toHex(v.address), v);
  const find = (a: Uint8Array): V | undefined => byAddress.get(toHex(a));

  const numNew = updates.filter((u) => find(u.address) === undefined).length;
  if (numNew === 0 && vals.length === deletes.length) {
    return err(
      new QosError("empty_set", "applying the validator changes would result in empty set"),
    );
  }

  // verifyRemovals
  let removedPower = 0n;
  for (const d of deletes) {
    const v = find(d.address);
    if (v === undefined) {
      return err(
        new QosError("unknown_validator", `failed to find validator ${toHex(d.address)} to remove`),
      );
    }
    removedPower += v.votingPower;
  }

  // verifyUpdates: apply power deltas in ascending order, the running total may never exceed max.
  const currentTotal = totalVotingPowerOf(vals);
  if (!currentTotal.ok) return currentTotal;
  const delta = (u: V): bigint => u.votingPower - (find(u.address)?.votingPower ?? 0n);
  const deltas = updates.map(delta).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let tvp = currentTotal.value - removedPower;
  for (const d of deltas) {
    tvp += d;
    if (tvp > MAX_TOTAL_VOTING_POWER) {
      return err(
        new QosError(
          "total_power_overflow",
          `total voting power of resulting valset exceeds max ${MAX_TOTAL_VOTING_POWER}`,
        ),
      );
    }
  }
  const tvpAfterUpdatesBeforeRemovals = tvp + removedPower;

  // computeNewPriorities + applyUpdates + applyRemovals
  const newPriority = -(tvpAfterUpdatesBeforeRemovals + (tvpAfterUpdatesBeforeRemovals >> 3n));
  const merged = new Map<string, V>(byAddress);
  for (const u of updates) {
    const old = find(u.address);
    merged.set(toHex(u.address), withPriority(u, old ? old.proposerPriority : newPriority));
  }
  for (const d of deletes) merged.delete(toHex(d.address));
  const next = [...merged.values()];

  const total = totalVotingPowerOf(next);
  if (!total.ok) return total;
  const scaled = shiftByAveragePriority(
    rescalePriorities(next, PRIORITY_WINDOW_SIZE_FACTOR * total.value),
  );
  return ok(scaled.sort(compareByVotingPower));
}
