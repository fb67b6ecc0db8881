// Types of the pure Tendermint consensus core: opaque values, votes, proposals, the
// validator powers the host supplies, timeouts, and the core's inputs and outputs.
// Paper line numbers (e.g. L22) refer to Algorithm 1 of arXiv 1807.04938.

/** Canonical key of a BlockID, supplied by the host. The core compares these and nothing else. */
export type ValueId = string;

export type CoreVoteType = "prevote" | "precommit";

/** Step of the current round. "commit" means the height is decided (L51). */
export type RoundStep = "unstarted" | "propose" | "prevote" | "precommit" | "commit";

/** The three round timeouts (L21, L35, L48). */
export type TimeoutStep = "propose" | "prevote" | "precommit";

/** A vote as the core sees it. `signed` is the host's signed wire vote, carried opaquely (for evidence and commits). */
export interface CoreVote<S = unknown> {
  readonly type: CoreVoteType;
  readonly height: bigint;
  readonly round: number;
  readonly validatorIndex: number;
  /** `null` is a vote for nil. */
  readonly value: ValueId | null;
  readonly signed: S;
}

/** A proposal whose signature the host has verified. */
export interface CoreProposal<S = unknown> {
  readonly height: bigint;
  readonly round: number;
  /** POL round, -1 for none. */
  readonly polRound: number;
  readonly value: ValueId;
  readonly validatorIndex: number;
  /** The host's verdict: full block received, ValidateBlock passed and the app's ProcessProposal accepted. */
  readonly valid: boolean;
  readonly signed: S;
}

/** The validator set of one height, reduced to what consensus needs. */
export interface ValidatorPowers {
  /** Voting power by validator index. A power of 0 is treated as "not in the set". */
  readonly powers: readonly bigint[];
  /** Total voting power; the thresholds are computed from it (CometBFT `TotalVotingPower`). */
  readonly total: bigint;
  /**
   * Proposer of a round, as a validator index (CometBFT proposer priority, incremented `round` times).
   * Must be pure; the core may call it several times for the same round.
   */
  proposer(round: number): number;
}

export interface TimeoutParams {
  readonly baseMs: number;
  readonly deltaMs: number;
}

/** Round timeouts: the duration in round r is `baseMs + r * deltaMs`. */
export interface TimeoutConfig {
  readonly propose: TimeoutParams;
  readonly prevote: TimeoutParams;
  readonly precommit: TimeoutParams;
}

/** CometBFT v0.38 `DefaultConsensusConfig`. */
export const DEFAULT_TIMEOUTS: TimeoutConfig = {
  propose: { baseMs: 3000, deltaMs: 500 },
  prevote: { baseMs: 1000, deltaMs: 500 },
  precommit: { baseMs: 1000, deltaMs: 500 },
};

export function timeoutDuration(config: TimeoutConfig, step: TimeoutStep, round: number): number {
  const params = config[step];
  return params.baseMs + round * params.deltaMs;
}

/** What the host feeds the core. Own signed votes and proposals come back in as ordinary inputs. */
export type CoreInput<S = unknown> =
  | {
      readonly type: "startHeight";
      readonly height: bigint;
      readonly validators: ValidatorPowers;
      /** Our validator index in this height's set, or null when we do not vote. */
      readonly ownIndex: number | null;
    }
  | { readonly type: "proposal"; readonly proposal: CoreProposal<S> }
  | { readonly type: "vote"; readonly vote: CoreVote<S> }
  | {
      readonly type: "timeout";
      readonly step: TimeoutStep;
      readonly height: bigint;
      readonly round: number;
    }
  /** The host's answer to `getValue` (L18). */
  | {
      readonly type: "proposeValue";
      readonly height: bigint;
      readonly round: number;
      readonly value: ValueId;
    };

/** What the core asks the host to do. */
export type CoreOutput<S = unknown> =
  /** Informational: we entered a round (L11). */
  | { readonly type: "newRound"; readonly height: bigint; readonly round: number }
  /** We are the proposer and have no valid value: build a block and answer with `proposeValue` (L18). */
  | { readonly type: "getValue"; readonly height: bigint; readonly round: number }
  /** Sign and broadcast a proposal (L19), then feed it back as a `proposal` input. */
  | {
      readonly type: "propose";
      readonly height: bigint;
      readonly round: number;
      readonly value: ValueId;
      readonly polRound: number;
    }
  /** Sign and broadcast a vote, then feed it back as a `vote` input. */
  | {
      readonly type: "vote";
      readonly voteType: CoreVoteType;
      readonly height: bigint;
      readonly round: number;
      readonly value: ValueId | null;
    }
  /** Call back with a `timeout` input after `durationMs`. */
  | {
      readonly type: "scheduleTimeout";
      readonly step: TimeoutStep;
      readonly height: bigint;
      readonly round: number;
      readonly durationMs: number;
    }
  /**
   * The height is decided (L49-L51). `precommits` holds one precommit of `round` per
   * validator, by index: its vote for `value`, else its vote for nil (what a CometBFT Commit
   * records). `proposal` is the valid proposal of `value` that we hold (maybe of another round).
   */
  | {
      readonly type: "decide";
      readonly height: bigint;
      readonly round: number;
      readonly value: ValueId;
      readonly precommits: readonly CoreVote<S>[];
      readonly proposal: CoreProposal<S>;
    }
  /** Two different votes by one validator for the same height, round and type. */
  | { readonly type: "evidence"; readonly voteA: CoreVote<S>; readonly voteB: CoreVote<S> };
