// Vote keeper: the prevotes and precommits of one height, tallied by voting power per round.
// A validator counts once per (round, type) and once per value; equivocation is reported once.
import type { CoreVote, CoreVoteType, ValidatorPowers, ValueId } from "./types.ts";

/** Voting power strictly above 2/3 of the total, with CometBFT's integer division (`total*2/3`). */
export function exceedsTwoThirds(power: bigint, total: bigint): boolean {
  return power > (total * 2n) / 3n;
}

/** Voting power strictly above 1/3 of the total ("f+1" in the paper, L55). */
export function exceedsOneThird(power: bigint, total: bigint): boolean {
  return power > total / 3n;
}

export interface VoteTally<S = unknown> {
  /** The first vote of each validator, by validator index. */
  readonly votes: ReadonlyMap<number, CoreVote<S>>;
  /**
   * The votes for each value (the key `null` is nil), one per validator. An equivocating
   * validator appears under each value it signed, as CometBFT's VoteSet does once a peer
   * claims +2/3 for that block: safe while Byzantine power is below 1/3, and needed so that
   * a node that heard a Byzantine vote for nil first still sees a real +2/3 for a block.
   */
  readonly votesByValue: ReadonlyMap<ValueId | null, ReadonlyMap<number, CoreVote<S>>>;
  /** Power per value, from `votesByValue`. */
  readonly byValue: ReadonlyMap<ValueId | null, bigint>;
  /** Power of the distinct validators that voted ("2f+1 of any kind", L34/L47). */
  readonly power: bigint;
  /** The first value (or nil) to hold more than 2/3; only one can while Byzantine power < 1/3. */
  readonly quorum: { readonly value: ValueId | null } | null;
}

export interface RoundVotes<S = unknown> {
  readonly prevote: VoteTally<S>;
  readonly precommit: VoteTally<S>;
  /** Power of the distinct validators that sent any vote in this round (L55). */
  readonly senderPower: bigint;
}

export interface VoteKeeper<S = unknown> {
  readonly height: bigint;
  readonly powers: readonly bigint[];
  readonly total: bigint;
  readonly rounds: ReadonlyMap<number, RoundVotes<S>>;
  /** `round/type/index` of every equivocation already reported. */
  readonly equivocations: ReadonlySet<string>;
}

export type ApplyVoteResult<S = unknown> =
  | { readonly kind: "added"; readonly keeper: VoteKeeper<S> }
  /** A vote for a value this validator already voted for in this (round, type): nothing changes. */
  | { readonly kind: "duplicate" }
  /**
   * A different vote from a validator that already voted in this (round, type): counted for
   * its value only, never again toward "any" or the round's sender power.
   */
  | {
      readonly kind: "equivocation";
      readonly keeper: VoteKeeper<S>;
      /** The (first, new) pair, only the first time this validator equivocates here. */
      readonly evidence: readonly [CoreVote<S>, CoreVote<S>] | null;
    }
  /** Index outside the set, or a validator with no power: not counted. */
  | { readonly kind: "unknownValidator" }
  /** Another height, or a round that is not a non-negative int32. */
  | { readonly kind: "invalid" };

const EMPTY_TALLY: VoteTally<never> = {
  votes: new Map(),
  votesByValue: new Map(),
  byValue: new Map(),
  power: 0n,
  quorum: null,
};

const EMPTY_ROUND: RoundVotes<never> = {
  prevote: EMPTY_TALLY,
  precommit: EMPTY_TALLY,
  senderPower: 0n,
};

const MAX_ROUND = 2 ** 31 - 1;

export function createVoteKeeper<S = unknown>(
  height: bigint,
  validators: Pick<ValidatorPowers, "powers" | "total">,
): VoteKeeper<S> {
  return {
    height,
    powers: validators.powers,
    total: validators.total,
    rounds: new Map(),
    equivocations: new Set(),
  };
}

/** Adds one vote; returns a new keeper when something changed. */
export function applyVote<S>(keeper: VoteKeeper<S>, vote: CoreVote<S>): ApplyVoteResult<S> {
  if (
    vote.height !== keeper.height ||
    !Number.isInteger(vote.round) ||
    vote.round < 0 ||
    vote.round > MAX_ROUND
  ) {
    return { kind: "invalid" };
  }
  const power = Number.isInteger(vote.validatorIndex)
    ? keeper.powers[vote.validatorIndex]
    : undefined;
  if (power === undefined || power <= 0n) return { kind: "unknownValidator" };

  const roundVotes = keeper.rounds.get(vote.round) ?? EMPTY_ROUND;
  const tally: VoteTally<S> = roundVotes[vote.type];
  const voters = tally.votesByValue.get(vote.value);
  if (voters?.has(vote.validatorIndex) === true) return { kind: "duplicate" };

  const newVoters = new Map(voters);
  newVoters.set(vote.validatorIndex, vote);
  const votesByValue = new Map(tally.votesByValue);
  votesByValue.set(vote.value, newVoters);
  const byValue = new Map(tally.byValue);
  const valuePower = (byValue.get(vote.value) ?? 0n) + power;
  byValue.set(vote.value, valuePower);
  const quorum =
    tally.quorum ?? (exceedsTwoThirds(valuePower, keeper.total) ? { value: vote.value } : null);

  const first = tally.votes.get(vote.validatorIndex);
  let votes = tally.votes;
  let anyPower = tally.power;
  let senderPower = roundVotes.senderPower;
  let equivocations = keeper.equivocations;
  let evidence: readonly [CoreVote<S>, CoreVote<S>] | null = null;
  if (first === undefined) {
    const newVotes = new Map(tally.votes);
    newVotes.set(vote.validatorIndex, vote);
    votes = newVotes;
    anyPower += power;
    const other = vote.type === "prevote" ? roundVotes.precommit : roundVotes.prevote;
    if (!other.votes.has(vote.validatorIndex)) senderPower += power;
  } else {
    const key = `${vote.round}/${vote.type}/${vote.validatorIndex}`;
    if (!equivocations.has(key)) {
      const newEquivocations = new Set(equivocations);
      newEquivocations.add(key);
      equivocations = newEquivocations;
      evidence = [first, vote];
    }
  }

  const newTally: VoteTally<S> = { votes, votesByValue, byValue, power: anyPower, quorum };
  const newRound: RoundVotes<S> =
    vote.type === "prevote"
      ? { prevote: newTally, precommit: roundVotes.precommit, senderPower }
      : { prevote: roundVotes.prevote, precommit: newTally, senderPower };
  const rounds = new Map(keeper.rounds);
  rounds.set(vote.round, newRound);
  const newKeeper: VoteKeeper<S> = { ...keeper, rounds, equivocations };
  return first === undefined
    ? { kind: "added", keeper: newKeeper }
    : { kind: "equivocation", keeper: newKeeper, evidence };
}

export function voteTally<S>(
  keeper: VoteKeeper<S>,
  round: number,
  type: CoreVoteType,
): VoteTally<S> {
  return keeper.rounds.get(round)?.[type] ?? EMPTY_TALLY;
}

/** Power of the votes of (round, type) for `value` (`null` = nil). */
export function votePowerFor<S>(
  keeper: VoteKeeper<S>,
  round: number,
  type: CoreVoteType,
  value: ValueId | null,
): bigint {
  return voteTally(keeper, round, type).byValue.get(value) ?? 0n;
}

/** The value (or nil) with more than 2/3 of (round, type), or undefined while there is none. */
export function quorumValue<S>(
  keeper: VoteKeeper<S>,
  round: number,
  type: CoreVoteType,
): ValueId | null | undefined {
  const quorum = voteTally(keeper, round, type).quorum;
  return quorum === null ? undefined : quorum.value;
}

/** More than 2/3 of (round, type) for anything, values and nil together (L34, L47). */
export function hasQuorumAny<S>(keeper: VoteKeeper<S>, round: number, type: CoreVoteType): boolean {
  return exceedsTwoThirds(voteTally(keeper, round, type).power, keeper.total);
}

/** More than 1/3 of the power sent some vote in `round` (L55). */
export function hasOneThirdInRound<S>(keeper: VoteKeeper<S>, round: number): boolean {
  const roundVotes = keeper.rounds.get(round);
  return roundVotes !== undefined && exceedsOneThird(roundVotes.senderPower, keeper.total);
}

/** The first vote of each validator in (round, type), by validator index. */
export function votesOf<S>(
  keeper: VoteKeeper<S>,
  round: number,
  type: CoreVoteType,
): CoreVote<S>[] {
  return [...voteTally(keeper, round, type).votes.values()].sort(byIndex);
}

/** The votes of (round, type) for `value` (`null` = nil), one per validator, by index. */
export function votesFor<S>(
  keeper: VoteKeeper<S>,
  round: number,
  type: CoreVoteType,
  value: ValueId | null,
): CoreVote<S>[] {
  return [...(voteTally(keeper, round, type).votesByValue.get(value)?.values() ?? [])].sort(
    byIndex,
  );
}

function byIndex<S>(a: CoreVote<S>, b: CoreVote<S>): number {
  return a.validatorIndex - b.validatorIndex;
}
