// The Tendermint state machine of one node at one height (Algorithm 1 of arXiv 1807.04938,
// with the CometBFT v0.38 locking rules): a pure function from (state, input) to (state, outputs).
import { QosError } from "@qos/types";
import type {
  CoreInput,
  CoreOutput,
  CoreProposal,
  CoreVote,
  CoreVoteType,
  RoundStep,
  TimeoutConfig,
  TimeoutStep,
  ValidatorPowers,
  ValueId,
} from "./types.ts";
import { DEFAULT_TIMEOUTS, timeoutDuration } from "./types.ts";
import {
  applyVote,
  createVoteKeeper,
  hasOneThirdInRound,
  hasQuorumAny,
  quorumValue,
  type VoteKeeper,
  votesFor,
} from "./voteKeeper.ts";

export const CONSENSUS_CORE_ERROR = {
  /** The host broke the core's contract (height regression, bad validator set or own index). */
  invalidInput: "CONSENSUS_INVALID_INPUT",
  /** The core was about to sign twice for one (height, round, step): a bug, halt. */
  doubleSign: "CONSENSUS_DOUBLE_SIGN",
} as const;

export type ConsensusCoreErrorCode =
  (typeof CONSENSUS_CORE_ERROR)[keyof typeof CONSENSUS_CORE_ERROR];

/** Once-per-round facts ("for the first time" in the paper), reset by StartRound. */
export interface RoundFlags {
  /** getValue was emitted and no proposal was made yet (L18). */
  readonly awaitingValue: boolean;
  readonly proposed: boolean;
  /** L34 fired. */
  readonly timeoutPrevoteScheduled: boolean;
  /** L47 fired. */
  readonly timeoutPrecommitScheduled: boolean;
  /** L36 fired. */
  readonly polkaValueSeen: boolean;
}

export interface ConsensusState<S = unknown> {
  readonly timeouts: TimeoutConfig;
  /** h_p; 0n before the first startHeight. */
  readonly height: bigint;
  readonly validators: ValidatorPowers;
  readonly ownIndex: number | null;
  /** round_p; -1 before the first startHeight. */
  readonly round: number;
  readonly step: RoundStep;
  readonly lockedValue: ValueId | null;
  readonly lockedRound: number;
  readonly validValue: ValueId | null;
  readonly validRound: number;
  /** decision_p[h_p] (L51). */
  readonly decision: { readonly round: number; readonly value: ValueId } | null;
  readonly votes: VoteKeeper<S>;
  /** Proposals from each round's proposer, by round, in arrival order. */
  readonly proposals: ReadonlyMap<number, readonly CoreProposal<S>[]>;
  /** The first valid proposal seen for each value at this height (any round). */
  readonly validProposals: ReadonlyMap<ValueId, CoreProposal<S>>;
  readonly flags: RoundFlags;
  /** Last (round, rank) we signed at this height; rank 0 proposal, 1 prevote, 2 precommit. */
  readonly lastSigned: { readonly round: number; readonly rank: number } | null;
}

export interface ConsensusTransition<S = unknown> {
  readonly state: ConsensusState<S>;
  readonly outputs: readonly CoreOutput<S>[];
}

export interface ConsensusStateOptions {
  readonly timeouts?: TimeoutConfig;
}

const NO_FLAGS: RoundFlags = {
  awaitingValue: false,
  proposed: false,
  timeoutPrevoteScheduled: false,
  timeoutPrecommitScheduled: false,
  polkaValueSeen: false,
};

const NO_VALIDATORS: ValidatorPowers = { powers: [], total: 0n, proposer: () => -1 };

const MAX_ROUND = 2 ** 31 - 1;

type Draft<S> = { -readonly [K in keyof ConsensusState<S>]: ConsensusState<S>[K] };

export function createConsensusState<S = unknown>(
  options: ConsensusStateOptions = {},
): ConsensusState<S> {
  return {
    timeouts: options.timeouts ?? DEFAULT_TIMEOUTS,
    height: 0n,
    validators: NO_VALIDATORS,
    ownIndex: null,
    round: -1,
    step: "unstarted",
    lockedValue: null,
    lockedRound: -1,
    validValue: null,
    validRound: -1,
    decision: null,
    votes: createVoteKeeper<S>(0n, NO_VALIDATORS),
    proposals: new Map(),
    validProposals: new Map(),
    flags: NO_FLAGS,
    lastSigned: null,
  };
}

/**
 * Applies one input. The old state is left untouched; when the input changes nothing the
 * same state object comes back with no outputs. Throws a QosError only on a host contract
 * violation (`startHeight` misuse) or a broken internal invariant.
 */
export function consensusStep<S>(
  state: ConsensusState<S>,
  input: CoreInput<S>,
): ConsensusTransition<S> {
  const d: Draft<S> = { ...state };
  const out: CoreOutput<S>[] = [];
  let changed: boolean;
  switch (input.type) {
    case "startHeight":
      startHeight(d, out, input.height, input.validators, input.ownIndex);
      changed = true;
      break;
    case "proposal":
      changed = receiveProposal(d, input.proposal);
      break;
    case "vote":
      changed = receiveVote(d, out, input.vote);
      break;
    case "timeout":
      changed = onTimeout(d, out, input.step, input.height, input.round);
      break;
    case "proposeValue":
      changed = onProposeValue(d, out, input.height, input.round, input.value);
      break;
  }
  if (!changed) return { state, outputs: out };
  while (applyRule(d, out)) {
    // Every rule fires at most once per round or moves the round or step forward, so this ends.
  }
  return { state: d, outputs: out };
}

// --- inputs ---------------------------------------------------------------------------

function startHeight<S>(
  d: Draft<S>,
  out: CoreOutput<S>[],
  height: bigint,
  validators: ValidatorPowers,
  ownIndex: number | null,
): void {
  if (height <= d.height) {
    throw new QosError(CONSENSUS_CORE_ERROR.invalidInput, "startHeight must move height forward", {
      height,
      current: d.height,
    });
  }
  if (validators.total <= 0n || validators.powers.some((p) => p < 0n)) {
    throw new QosError(CONSENSUS_CORE_ERROR.invalidInput, "validator powers must be positive", {
      height,
    });
  }
  if (
    ownIndex !== null &&
    (!Number.isInteger(ownIndex) || (validators.powers[ownIndex] ?? 0n) <= 0n)
  ) {
    throw new QosError(CONSENSUS_CORE_ERROR.invalidInput, "own index is not in the set", {
      height,
      ownIndex,
    });
  }
  // L52-L53: new height, locks and valid value reset, empty message log.
  d.height = height;
  d.validators = validators;
  d.ownIndex = ownIndex;
  d.lockedValue = null;
  d.lockedRound = -1;
  d.validValue = null;
  d.validRound = -1;
  d.decision = null;
  d.votes = createVoteKeeper<S>(height, validators);
  d.proposals = new Map();
  d.validProposals = new Map();
  d.lastSigned = null;
  startRound(d, out, 0); // L10, L54
}

function receiveProposal<S>(d: Draft<S>, p: CoreProposal<S>): boolean {
  if (d.step === "unstarted" || d.step === "commit" || p.height !== d.height) return false;
  if (!Number.isInteger(p.round) || p.round < 0 || p.round > MAX_ROUND) return false;
  // CometBFT defaultSetProposal: POLRound is -1 or in [0, round).
  if (!Number.isInteger(p.polRound) || p.polRound < -1 || p.polRound >= p.round) return false;
  // "from proposer(h_p, r)" (L22, L28, L36, L49).
  if (p.validatorIndex !== d.validators.proposer(p.round)) return false;
  const list = d.proposals.get(p.round) ?? [];
  const at = list.findIndex((q) => q.value === p.value && q.polRound === p.polRound);
  let next: CoreProposal<S>[];
  if (at >= 0) {
    // The same proposal again is a no-op, except that a later valid verdict replaces an
    // earlier invalid one (e.g. the block parts completed).
    if (list[at]?.valid === true || !p.valid) return false;
    next = list.map((q, i) => (i === at ? p : q));
  } else {
    next = [...list, p];
  }
  const proposals = new Map(d.proposals);
  proposals.set(p.round, next);
  d.proposals = proposals;
  if (p.valid && !d.validProposals.has(p.value)) {
    const validProposals = new Map(d.validProposals);
    validProposals.set(p.value, p);
    d.validProposals = validProposals;
  }
  return true;
}

function receiveVote<S>(d: Draft<S>, out: CoreOutput<S>[], vote: CoreVote<S>): boolean {
  if (d.step === "unstarted") return false;
  const result = applyVote(d.votes, vote);
  switch (result.kind) {
    case "added":
      d.votes = result.keeper;
      return true;
    case "equivocation":
      d.votes = result.keeper;
      if (result.evidence !== null) {
        out.push({ type: "evidence", voteA: result.evidence[0], voteB: result.evidence[1] });
      }
      return true;
    default:
      return false;
  }
}

function onTimeout<S>(
  d: Draft<S>,
  out: CoreOutput<S>[],
  step: TimeoutStep,
  height: bigint,
  round: number,
): boolean {
  if (height !== d.height || round !== d.round) return false;
  switch (step) {
    case "propose":
      // L57-L60. v0.38 defaultDoPrevote: a locked node prevotes its locked block, else nil.
      if (d.step !== "propose") return false;
      castVote(d, out, "prevote", d.lockedValue);
      d.step = "prevote";
      return true;
    case "prevote":
      // L61-L64 precommit nil. v0.38 enterPrecommit: a polka we could not act on (nil, or a
      // block we do not have; polkas we can act on were handled by L36/L44) unlocks.
      if (d.step !== "prevote") return false;
      if (quorumValue(d.votes, d.round, "prevote") !== undefined) unlock(d);
      castVote(d, out, "precommit", null);
      d.step = "precommit";
      return true;
    case "precommit":
      // L65-L67.
      if (d.step === "commit" || d.step === "unstarted") return false;
      startRound(d, out, d.round + 1);
      return true;
  }
}

function onProposeValue<S>(
  d: Draft<S>,
  out: CoreOutput<S>[],
  height: bigint,
  round: number,
  value: ValueId,
): boolean {
  if (
    height !== d.height ||
    round !== d.round ||
    d.step !== "propose" ||
    !d.flags.awaitingValue ||
    d.flags.proposed
  ) {
    return false;
  }
  // L18-L19: validValue was nil when the round started, so validRound is -1.
  propose(d, out, value, -1);
  return true;
}

// --- the upon rules ---------------------------------------------------------------------

/** Fires the first rule whose condition holds; returns false when none does. */
function applyRule<S>(d: Draft<S>, out: CoreOutput<S>[]): boolean {
  if (d.step === "unstarted" || d.step === "commit") return false;
  if (tryDecide(d, out)) return true; // L49
  const skipTo = roundToSkipTo(d); // L55
  if (skipTo !== undefined) {
    startRound(d, out, skipTo); // L56
    return true;
  }
  if (tryUnlockOnNewerPolka(d)) return true;
  const round = d.round;
  if (d.step === "propose" && tryPrevoteOnProposal(d, out)) return true; // L22, L28
  const polka = quorumValue(d.votes, round, "prevote");
  // L36: proposal + 2f+1 prevotes for v, step >= prevote, for the first time.
  if (
    (d.step === "prevote" || d.step === "precommit") &&
    !d.flags.polkaValueSeen &&
    typeof polka === "string" &&
    haveValidValue(d, polka, round)
  ) {
    if (d.step === "prevote") {
      d.lockedValue = polka; // L38 (v0.38 enterPrecommit: lock, or relock the locked block)
      d.lockedRound = round; // L39
      castVote(d, out, "precommit", polka); // L40
      d.step = "precommit"; // L41
    }
    d.validValue = polka; // L42
    d.validRound = round; // L43
    d.flags = { ...d.flags, polkaValueSeen: true };
    return true;
  }
  // L44: 2f+1 prevotes for nil while in prevote. v0.38 enterPrecommit also unlocks.
  if (d.step === "prevote" && polka === null) {
    unlock(d);
    castVote(d, out, "precommit", null); // L45
    d.step = "precommit"; // L46
    return true;
  }
  // L34: 2f+1 prevotes of any kind while in prevote, for the first time.
  if (
    d.step === "prevote" &&
    !d.flags.timeoutPrevoteScheduled &&
    hasQuorumAny(d.votes, round, "prevote")
  ) {
    d.flags = { ...d.flags, timeoutPrevoteScheduled: true };
    scheduleTimeout(d, out, "prevote"); // L35
    return true;
  }
  // L47: 2f+1 precommits of any kind, for the first time.
  if (!d.flags.timeoutPrecommitScheduled && hasQuorumAny(d.votes, round, "precommit")) {
    d.flags = { ...d.flags, timeoutPrecommitScheduled: true };
    scheduleTimeout(d, out, "precommit"); // L48
    return true;
  }
  return false;
}

/** L49-L51: a proposal for v and 2f+1 precommits for v in any round r decide v. */
function tryDecide<S>(d: Draft<S>, out: CoreOutput<S>[]): boolean {
  let best: { round: number; value: ValueId; proposal: CoreProposal<S> } | undefined;
  for (const [round, roundVotes] of d.votes.rounds) {
    const quorum = roundVotes.precommit.quorum;
    if (quorum === null || quorum.value === null) continue;
    if (best !== undefined && best.round <= round) continue;
    // L50 valid(v). The value id names the block, so a valid proposal of it from any round
    // will do (CometBFT enterCommit takes the locked block or fetches the block by hash).
    const proposal = d.validProposals.get(quorum.value);
    if (proposal !== undefined) best = { round, value: quorum.value, proposal };
  }
  if (best === undefined) return false;
  const { round, value, proposal } = best;
  d.decision = { round, value }; // L51
  d.step = "commit";
  // One precommit per validator: its vote for the value, else its vote for nil.
  const forValue = votesFor(d.votes, round, "precommit", value);
  const voted = new Set(forValue.map((v) => v.validatorIndex));
  const precommits = [
    ...forValue,
    ...votesFor(d.votes, round, "precommit", null).filter((v) => !voted.has(v.validatorIndex)),
  ].sort((a, b) => a.validatorIndex - b.validatorIndex);
  out.push({ type: "decide", height: d.height, round, value, precommits, proposal });
  return true;
}

/** L55: the highest round above ours in which more than 1/3 of the power sent a vote. */
function roundToSkipTo<S>(d: Draft<S>): number | undefined {
  let target: number | undefined;
  for (const round of d.votes.rounds.keys()) {
    if (round > d.round && (target === undefined || round > target)) {
      if (hasOneThirdInRound(d.votes, round)) target = round;
    }
  }
  return target;
}

/**
 * v0.38 addVote: a polka for something other than our locked block (nil included) in a round
 * vr with lockedRound < vr <= round unlocks. (The paper instead lets L29 prevote a POL value
 * when lockedRound <= vr; both are kept.)
 */
function tryUnlockOnNewerPolka<S>(d: Draft<S>): boolean {
  if (d.lockedRound < 0) return false;
  for (const [round, roundVotes] of d.votes.rounds) {
    if (round <= d.lockedRound || round > d.round) continue;
    const quorum = roundVotes.prevote.quorum;
    if (quorum !== null && quorum.value !== d.lockedValue) {
      unlock(d);
      return true;
    }
  }
  return false;
}

/** L22 (polRound -1) and L28 (polRound vr with 2f+1 prevotes for v in vr), in step propose. */
function tryPrevoteOnProposal<S>(d: Draft<S>, out: CoreOutput<S>[]): boolean {
  for (const p of d.proposals.get(d.round) ?? []) {
    let value: ValueId | null;
    if (p.polRound === -1) {
      value = prevoteValue(d, p, false); // L23-L26
    } else if (quorumValue(d.votes, p.polRound, "prevote") === p.value) {
      value = prevoteValue(d, p, true); // L29-L32
    } else {
      continue;
    }
    castVote(d, out, "prevote", value);
    d.step = "prevote"; // L27, L33
    return true;
  }
  return false;
}

function prevoteValue<S>(d: Draft<S>, p: CoreProposal<S>, hasPol: boolean): ValueId | null {
  if (d.lockedValue !== null) {
    if (d.lockedValue === p.value) return p.value; // L23 / L29: lockedValue = v
    if (hasPol && p.valid && d.lockedRound <= p.polRound) return p.value; // L29: lockedRound <= vr
    return d.lockedValue; // v0.38 defaultDoPrevote: locked, so prevote the locked block
  }
  return p.valid ? p.value : null; // L23 / L29 with no lock; else L26 / L32 nil
}

/** We hold v as a valid block for `round`: a valid proposal of it in that round, or our lock. */
function haveValidValue<S>(d: Draft<S>, value: ValueId, round: number): boolean {
  if (d.lockedValue === value) return true;
  return (d.proposals.get(round) ?? []).some((p) => p.valid && p.value === value);
}

// --- actions ----------------------------------------------------------------------------

/** L11-L21. */
function startRound<S>(d: Draft<S>, out: CoreOutput<S>[], round: number): void {
  d.round = round; // L12
  d.step = "propose"; // L13
  d.flags = NO_FLAGS;
  out.push({ type: "newRound", height: d.height, round });
  // L21 (CometBFT enterPropose schedules timeoutPropose for the proposer too).
  scheduleTimeout(d, out, "propose");
  if (d.ownIndex === null || d.validators.proposer(round) !== d.ownIndex) return; // L14
  if (d.validValue !== null) {
    propose(d, out, d.validValue, d.validRound); // L15-L16, L19 (v0.38: ValidBlock, POLRound = ValidRound)
  } else {
    d.flags = { ...d.flags, awaitingValue: true };
    out.push({ type: "getValue", height: d.height, round }); // L18
  }
}

function propose<S>(d: Draft<S>, out: CoreOutput<S>[], value: ValueId, polRound: number): void {
  guardSigning(d, 0);
  d.flags = { ...d.flags, awaitingValue: false, proposed: true };
  out.push({ type: "propose", height: d.height, round: d.round, value, polRound });
}

function castVote<S>(
  d: Draft<S>,
  out: CoreOutput<S>[],
  voteType: CoreVoteType,
  value: ValueId | null,
): void {
  if (d.ownIndex === null) return; // not a validator: follow the steps, sign nothing
  guardSigning(d, voteType === "prevote" ? 1 : 2);
  out.push({ type: "vote", voteType, height: d.height, round: d.round, value });
}

/** Built-in double-sign guard: what we sign must strictly follow what we signed before. */
function guardSigning<S>(d: Draft<S>, rank: number): void {
  const last = d.lastSigned;
  if (last !== null && (d.round < last.round || (d.round === last.round && rank <= last.rank))) {
    throw new QosError(CONSENSUS_CORE_ERROR.doubleSign, "consensus core would sign twice", {
      height: d.height,
      round: d.round,
      rank,
      last,
    });
  }
  d.lastSigned = { round: d.round, rank };
}

function scheduleTimeout<S>(d: Draft<S>, out: CoreOutput<S>[], step: TimeoutStep): void {
  out.push({
    type: "scheduleTimeout",
    step,
    height: d.height,
    round: d.round,
    durationMs: timeoutDuration(d.timeouts, step, d.round),
  });
}

function unlock<S>(d: Draft<S>): void {
  d.lockedValue = null;
  d.lockedRound = -1;
}
