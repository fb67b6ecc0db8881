// Builders and the TestStep runner (Malachite's step-table style) for the consensus core tests.
import { expect } from "vitest";
import {
  type ConsensusState,
  type CoreInput,
  type CoreOutput,
  type CoreProposal,
  type CoreVote,
  type CoreVoteType,
  consensusStep,
  createConsensusState,
  DEFAULT_TIMEOUTS,
  type TimeoutStep,
  timeoutDuration,
  type ValidatorPowers,
  type ValueId,
} from "../../src/index.ts";

export type Sig = string;
export const H = 5n;

/** Round-robin proposer: round r is proposed by validator r mod n. */
export function validators(powers: readonly bigint[]): ValidatorPowers {
  return {
    powers,
    total: powers.reduce((a, b) => a + b, 0n),
    proposer: (round) => round % powers.length,
  };
}

export const EQUAL4 = validators([1n, 1n, 1n, 1n]);

export function vote(
  type: CoreVoteType,
  round: number,
  validatorIndex: number,
  value: ValueId | null,
  height = H,
): CoreVote<Sig> {
  return {
    type,
    height,
    round,
    validatorIndex,
    value,
    signed: `${type}/${height}/${round}/${validatorIndex}/${value ?? "nil"}`,
  };
}

export function proposal(
  round: number,
  value: ValueId,
  polRound = -1,
  opts: { valid?: boolean; validatorIndex?: number; height?: bigint; n?: number } = {},
): CoreProposal<Sig> {
  const height = opts.height ?? H;
  return {
    height,
    round,
    polRound,
    value,
    validatorIndex: opts.validatorIndex ?? round % (opts.n ?? 4),
    valid: opts.valid ?? true,
    signed: `proposal/${height}/${round}/${value}/${polRound}`,
  };
}

export const inVote = (
  type: CoreVoteType,
  round: number,
  index: number,
  value: ValueId | null,
  height = H,
): CoreInput<Sig> => ({ type: "vote", vote: vote(type, round, index, value, height) });

export const inProposal = (p: CoreProposal<Sig>): CoreInput<Sig> => ({
  type: "proposal",
  proposal: p,
});

export const inTimeout = (step: TimeoutStep, round: number, height = H): CoreInput<Sig> => ({
  type: "timeout",
  step,
  height,
  round,
});

export const inStart = (
  ownIndex: number | null,
  vals: ValidatorPowers = EQUAL4,
  height = H,
): CoreInput<Sig> => ({ type: "startHeight", height, validators: vals, ownIndex });

export const outNewRound = (round: number): CoreOutput<Sig> => ({
  type: "newRound",
  height: H,
  round,
});

export const outTimeout = (step: TimeoutStep, round: number): CoreOutput<Sig> => ({
  type: "scheduleTimeout",
  step,
  height: H,
  round,
  durationMs: timeoutDuration(DEFAULT_TIMEOUTS, step, round),
});

export const outVote = (
  voteType: CoreVoteType,
  round: number,
  value: ValueId | null,
): CoreOutput<Sig> => ({ type: "vote", voteType, height: H, round, value });

export const outGetValue = (round: number): CoreOutput<Sig> => ({
  type: "getValue",
  height: H,
  round,
});

export const outPropose = (round: number, value: ValueId, polRound: number): CoreOutput<Sig> => ({
  type: "propose",
  height: H,
  round,
  value,
  polRound,
});

/** newRound + scheduleTimeout(propose): what every StartRound emits first. */
export const roundStart = (round: number): CoreOutput<Sig>[] => [
  outNewRound(round),
  outTimeout("propose", round),
];

export type StateFields = Partial<
  Pick<
    ConsensusState<Sig>,
    | "height"
    | "round"
    | "step"
    | "lockedValue"
    | "lockedRound"
    | "validValue"
    | "validRound"
    | "decision"
  >
>;

export interface TestStep {
  readonly desc: string;
  readonly input: CoreInput<Sig>;
  readonly expectedOutputs: readonly CoreOutput<Sig>[];
  readonly expectedState?: StateFields;
}

/** Runs a step table from `initial` and checks every step's outputs and state fields. */
export function runSteps(
  steps: readonly TestStep[],
  initial: ConsensusState<Sig> = createConsensusState<Sig>(),
): ConsensusState<Sig> {
  let state = initial;
  for (const step of steps) {
    const transition = consensusStep(state, step.input);
    expect(transition.outputs, step.desc).toEqual(step.expectedOutputs);
    if (step.expectedState !== undefined) {
      expect(pick(transition.state, step.expectedState), step.desc).toEqual(step.expectedState);
    }
    state = transition.state;
  }
  return state;
}

function pick(state: ConsensusState<Sig>, fields: StateFields): StateFields {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) out[key] = state[key as keyof StateFields];
  return out as StateFields;
}

/** Feeds inputs without checking, for set-up. */
export function feed(
  state: ConsensusState<Sig>,
  inputs: readonly CoreInput<Sig>[],
): ConsensusState<Sig> {
  let s = state;
  for (const input of inputs) s = consensusStep(s, input).state;
  return s;
}
