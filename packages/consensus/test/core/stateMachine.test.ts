// Step tables for every rule of the consensus core: Algorithm 1 of arXiv 1807.04938 (L11-L67)
// plus the CometBFT v0.38 locking rules. Four validators of power 1 unless said otherwise:
// quorum (2f+1) is power 3, f+1 is power 2; round r is proposed by validator r mod 4.
import { QosError } from "@qos/types";
import { describe, expect, it } from "vitest";
import {
  CONSENSUS_CORE_ERROR,
  type ConsensusState,
  type CoreOutput,
  consensusStep,
  createConsensusState,
} from "../../src/index.ts";
import {
  feed,
  H,
  inProposal,
  inStart,
  inTimeout,
  inVote,
  outGetValue,
  outPropose,
  outTimeout,
  outVote,
  proposal,
  roundStart,
  runSteps,
  type Sig,
  validators,
  vote,
} from "./fixtures.ts";

const fresh = (): ConsensusState<Sig> => createConsensusState<Sig>();

/** Validator `own` locked on "A" in round 0 (proposal A, 2f+1 prevotes A, precommit A), still in round 0. */
function lockedOnA(own: number): ConsensusState<Sig> {
  const others = [0, 1, 2, 3].filter((i) => i !== own).slice(0, 3);
  return feed(fresh(), [
    inStart(own),
    inProposal(proposal(0, "A")),
    ...others.map((i) => inVote("prevote", 0, i, "A")),
  ]);
}

describe("StartRound (L11-L21)", () => {
  it("a non-proposer enters round 0 and schedules timeoutPropose", () => {
    runSteps([
      {
        desc: "startHeight as validator 1 (round 0 is proposed by 0)",
        input: inStart(1),
        expectedOutputs: roundStart(0),
        expectedState: {
          height: H,
          round: 0,
          step: "propose",
          lockedValue: null,
          lockedRound: -1,
          validValue: null,
          validRound: -1,
          decision: null,
        },
      },
    ]);
  });

  it("the proposer with no valid value asks the host for a value and proposes it with polRound -1", () => {
    runSteps([
      {
        desc: "L18 getValue (the proposer schedules timeoutPropose too, as CometBFT enterPropose)",
        input: inStart(0),
        expectedOutputs: [...roundStart(0), outGetValue(0)],
        expectedState: { round: 0, step: "propose" },
      },
      {
        desc: "an answer for another round is ignored",
        input: { type: "proposeValue", height: H, round: 1, value: "X" },
        expectedOutputs: [],
      },
      {
        desc: "L19 propose(h, 0, A, -1)",
        input: { type: "proposeValue", height: H, round: 0, value: "A" },
        expectedOutputs: [outPropose(0, "A", -1)],
      },
      {
        desc: "a second answer does not propose again",
        input: { type: "proposeValue", height: H, round: 0, value: "B" },
        expectedOutputs: [],
      },
      {
        desc: "our own proposal comes back as an input: L22 prevote A",
        input: inProposal(proposal(0, "A")),
        expectedOutputs: [outVote("prevote", 0, "A")],
        expectedState: { step: "prevote" },
      },
    ]);
  });

  it("the proposer re-proposes validValue with polRound = validRound (L15-L16, v0.38 ValidBlock)", () => {
    runSteps([
      { desc: "start as validator 1", input: inStart(1), expectedOutputs: roundStart(0) },
      {
        desc: "L22 prevote A",
        input: inProposal(proposal(0, "A")),
        expectedOutputs: [outVote("prevote", 0, "A")],
      },
      { desc: "prevote A from 0", input: inVote("prevote", 0, 0, "A"), expectedOutputs: [] },
      { desc: "prevote A from 2", input: inVote("prevote", 0, 2, "A"), expectedOutputs: [] },
      {
        desc: "L34 2f+1 prevotes of any kind: schedule timeoutPrevote",
        input: inVote("prevote", 0, 3, null),
        expectedOutputs: [outTimeout("prevote", 0)],
      },
      {
        desc: "L61 timeoutPrevote: precommit nil",
        input: inTimeout("prevote", 0),
        expectedOutputs: [outVote("precommit", 0, null)],
        expectedState: { step: "precommit", lockedValue: null },
      },
      {
        desc: "L36 our own prevote completes the polka for A in step precommit: valid only, no lock",
        input: inVote("prevote", 0, 1, "A"),
        expectedOutputs: [],
        expectedState: { validValue: "A", validRound: 0, lockedValue: null, lockedRound: -1 },
      },
      {
        desc: "L65 timeoutPrecommit: round 1, which we propose: validValue A with polRound 0",
        input: inTimeout("precommit", 0),
        expectedOutputs: [...roundStart(1), outPropose(1, "A", 0)],
        expectedState: { round: 1, step: "propose" },
      },
    ]);
  });
});

describe("Proposal with polRound -1 in step propose (L22-L27)", () => {
  it("prevotes a valid value when not locked", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      {
        desc: "proposal from someone who is not the proposer is ignored",
        input: inProposal(proposal(0, "X", -1, { validatorIndex: 2 })),
        expectedOutputs: [],
      },
      {
        desc: "L24 prevote A",
        input: inProposal(proposal(0, "A")),
        expectedOutputs: [outVote("prevote", 0, "A")],
        expectedState: { step: "prevote" },
      },
      {
        desc: "an equivocating proposer's second proposal does not make us prevote twice",
        input: inProposal(proposal(0, "B")),
        expectedOutputs: [],
        expectedState: { step: "prevote" },
      },
    ]);
  });

  it("prevotes nil for an invalid value", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      {
        desc: "L26 prevote nil (host verdict: invalid)",
        input: inProposal(proposal(0, "A", -1, { valid: false })),
        expectedOutputs: [outVote("prevote", 0, null)],
        expectedState: { step: "prevote" },
      },
    ]);
  });

  it("a locked node prevotes its locked value, whatever is proposed (v0.38 defaultDoPrevote)", () => {
    const locked = lockedOnA(2);
    expect(locked.lockedValue).toBe("A");
    runSteps(
      [
        {
          desc: "timeoutPrecommit: round 1 (proposed by 1)",
          input: inTimeout("precommit", 0),
          expectedOutputs: roundStart(1),
          expectedState: { round: 1, lockedValue: "A", lockedRound: 0 },
        },
        {
          desc: "proposal B: locked on A, so prevote A (the paper would prevote nil)",
          input: inProposal(proposal(1, "B")),
          expectedOutputs: [outVote("prevote", 1, "A")],
          expectedState: { step: "prevote", lockedValue: "A" },
        },
      ],
      locked,
    );
  });

  it("a locked node prevotes the proposal when it is its locked value (L23 lockedValue = v)", () => {
    runSteps(
      [
        { desc: "round 1", input: inTimeout("precommit", 0), expectedOutputs: roundStart(1) },
        {
          desc: "proposal A: prevote A",
          input: inProposal(proposal(1, "A")),
          expectedOutputs: [outVote("prevote", 1, "A")],
        },
      ],
      lockedOnA(2),
    );
  });
});

describe("Proposal with a POL round (L28-L33)", () => {
  it("prevotes v when 2f+1 prevoted v in vr < r, also when the POL arrives after the proposal", () => {
    runSteps([
      { desc: "start as 2", input: inStart(2), expectedOutputs: roundStart(0) },
      {
        desc: "L57 timeoutPropose: prevote nil",
        input: inTimeout("propose", 0),
        expectedOutputs: [outVote("prevote", 0, null)],
      },
      {
        desc: "L65 timeoutPrecommit moves to round 1 whatever the step",
        input: inTimeout("precommit", 0),
        expectedOutputs: roundStart(1),
      },
      {
        desc: "proposal A with POL round 0, but no POL yet: wait",
        input: inProposal(proposal(1, "A", 0)),
        expectedOutputs: [],
        expectedState: { step: "propose" },
      },
      { desc: "prevote A r0 from 0", input: inVote("prevote", 0, 0, "A"), expectedOutputs: [] },
      { desc: "prevote A r0 from 1", input: inVote("prevote", 0, 1, "A"), expectedOutputs: [] },
      {
        desc: "L28-L30 the POL completes: prevote A in round 1",
        input: inVote("prevote", 0, 3, "A"),
        expectedOutputs: [outVote("prevote", 1, "A")],
        expectedState: { round: 1, step: "prevote" },
      },
    ]);
  });

  it("a POL that does not match the proposed value does not count", () => {
    const s = feed(fresh(), [
      inStart(2),
      inTimeout("precommit", 0),
      ...[0, 1, 3].map((i) => inVote("prevote", 0, i, "B")),
    ]);
    runSteps(
      [
        {
          desc: "proposal A claiming POL round 0, where 2f+1 prevoted B",
          input: inProposal(proposal(1, "A", 0)),
          expectedOutputs: [],
          expectedState: { step: "propose" },
        },
        {
          desc: "a proposal whose polRound is not below its round is ignored",
          input: inProposal(proposal(1, "B", 1)),
          expectedOutputs: [],
        },
        {
          desc: "timeoutPropose: prevote nil",
          input: inTimeout("propose", 1),
          expectedOutputs: [outVote("prevote", 1, null)],
        },
      ],
      s,
    );
  });

  it("a newer POL for another value unlocks (v0.38 addVote) and L29 then prevotes it", () => {
    runSteps(
      [
        { desc: "round 1", input: inTimeout("precommit", 0), expectedOutputs: roundStart(1) },
        {
          desc: "timeoutPropose: locked, so prevote A",
          input: inTimeout("propose", 1),
          expectedOutputs: [outVote("prevote", 1, "A")],
        },
        { desc: "prevote B r1 from 0", input: inVote("prevote", 1, 0, "B"), expectedOutputs: [] },
        { desc: "prevote B r1 from 1", input: inVote("prevote", 1, 1, "B"), expectedOutputs: [] },
        {
          desc: "polka for B in round 1 > lockedRound 0: unlock; L34 timeoutPrevote",
          input: inVote("prevote", 1, 2, "B"),
          expectedOutputs: [outTimeout("prevote", 1)],
          expectedState: { lockedValue: null, lockedRound: -1 },
        },
        {
          desc: "L61 timeoutPrevote: precommit nil",
          input: inTimeout("prevote", 1),
          expectedOutputs: [outVote("precommit", 1, null)],
        },
        { desc: "round 2", input: inTimeout("precommit", 1), expectedOutputs: roundStart(2) },
        {
          desc: "L29 proposal B with POL round 1: prevote B",
          input: inProposal(proposal(2, "B", 1, { validatorIndex: 2 })),
          expectedOutputs: [outVote("prevote", 2, "B")],
        },
      ],
      lockedOnA(3),
    );
  });

  it("a POL older than our lock does not move us: prevote the locked value (v0.38; paper: nil)", () => {
    // Own index 3. Round 0: polka for B (we saw no proposal). Round 1: lock on A.
    const s = feed(fresh(), [
      inStart(3),
      inTimeout("propose", 0),
      ...[0, 1, 2].map((i) => inVote("prevote", 0, i, "B")),
      inTimeout("prevote", 0),
      inTimeout("precommit", 0),
      inProposal(proposal(1, "A")),
      ...[0, 1, 2].map((i) => inVote("prevote", 1, i, "A")),
    ]);
    expect([s.round, s.lockedValue, s.lockedRound]).toEqual([1, "A", 1]);
    runSteps(
      [
        { desc: "round 2", input: inTimeout("precommit", 1), expectedOutputs: roundStart(2) },
        {
          desc: "proposal B with POL round 0 < lockedRound 1: prevote A",
          input: inProposal(proposal(2, "B", 0)),
          expectedOutputs: [outVote("prevote", 2, "A")],
          expectedState: { lockedValue: "A", lockedRound: 1 },
        },
      ],
      s,
    );
  });
});

describe("Prevote thresholds (L34-L46)", () => {
  it("L34 schedules timeoutPrevote once on the first 2f+1 prevotes of any kind", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      {
        desc: "prevote A",
        input: inProposal(proposal(0, "A")),
        expectedOutputs: [outVote("prevote", 0, "A")],
      },
      { desc: "A from 0", input: inVote("prevote", 0, 0, "A"), expectedOutputs: [] },
      { desc: "nil from 2", input: inVote("prevote", 0, 2, null), expectedOutputs: [] },
      {
        desc: "B from 3: power 3 of any kind",
        input: inVote("prevote", 0, 3, "B"),
        expectedOutputs: [outTimeout("prevote", 0)],
      },
      {
        desc: "A from 1: no second timeout",
        input: inVote("prevote", 0, 1, "A"),
        expectedOutputs: [],
      },
      {
        desc: "L61 timeoutPrevote: precommit nil, keep no lock",
        input: inTimeout("prevote", 0),
        expectedOutputs: [outVote("precommit", 0, null)],
        expectedState: { step: "precommit", lockedValue: null },
      },
      {
        desc: "a stale timeoutPrevote is ignored",
        input: inTimeout("prevote", 0),
        expectedOutputs: [],
      },
    ]);
  });

  it("L36 locks and precommits on proposal + 2f+1 prevotes for v in step prevote", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      {
        desc: "prevote A",
        input: inProposal(proposal(0, "A")),
        expectedOutputs: [outVote("prevote", 0, "A")],
      },
      { desc: "A from 0", input: inVote("prevote", 0, 0, "A"), expectedOutputs: [] },
      { desc: "A from 2", input: inVote("prevote", 0, 2, "A"), expectedOutputs: [] },
      {
        desc: "A from 3: lock A, precommit A, validValue A",
        input: inVote("prevote", 0, 3, "A"),
        expectedOutputs: [outVote("precommit", 0, "A")],
        expectedState: {
          step: "precommit",
          lockedValue: "A",
          lockedRound: 0,
          validValue: "A",
          validRound: 0,
        },
      },
      {
        desc: "more prevotes change nothing",
        input: inVote("prevote", 0, 1, "A"),
        expectedOutputs: [],
      },
    ]);
  });

  it("L36 fires when the polka came before the proposal", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      {
        desc: "timeoutPropose: prevote nil",
        input: inTimeout("propose", 0),
        expectedOutputs: [outVote("prevote", 0, null)],
      },
      { desc: "A from 0", input: inVote("prevote", 0, 0, "A"), expectedOutputs: [] },
      { desc: "A from 2", input: inVote("prevote", 0, 2, "A"), expectedOutputs: [] },
      {
        desc: "polka for A without its proposal: only L34",
        input: inVote("prevote", 0, 3, "A"),
        expectedOutputs: [outTimeout("prevote", 0)],
        expectedState: { step: "prevote", lockedValue: null },
      },
      {
        desc: "the proposal arrives: lock and precommit A",
        input: inProposal(proposal(0, "A")),
        expectedOutputs: [outVote("precommit", 0, "A")],
        expectedState: { lockedValue: "A", lockedRound: 0, validValue: "A", validRound: 0 },
      },
    ]);
  });

  it("a polka for an invalid value is not acted on", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      {
        desc: "invalid proposal: prevote nil",
        input: inProposal(proposal(0, "A", -1, { valid: false })),
        expectedOutputs: [outVote("prevote", 0, null)],
      },
      { desc: "A from 0", input: inVote("prevote", 0, 0, "A"), expectedOutputs: [] },
      { desc: "A from 2", input: inVote("prevote", 0, 2, "A"), expectedOutputs: [] },
      {
        desc: "polka for A: no lock",
        input: inVote("prevote", 0, 3, "A"),
        expectedOutputs: [outTimeout("prevote", 0)],
        expectedState: { lockedValue: null, validValue: null },
      },
    ]);
  });

  it("v0.38 relock: a polka for our locked value locks again in the new round without a proposal", () => {
    runSteps(
      [
        { desc: "round 1", input: inTimeout("precommit", 0), expectedOutputs: roundStart(1) },
        {
          desc: "timeoutPropose: prevote locked A",
          input: inTimeout("propose", 1),
          expectedOutputs: [outVote("prevote", 1, "A")],
        },
        { desc: "A from 0", input: inVote("prevote", 1, 0, "A"), expectedOutputs: [] },
        { desc: "A from 1", input: inVote("prevote", 1, 1, "A"), expectedOutputs: [] },
        {
          desc: "polka for A in round 1: relock, precommit A",
          input: inVote("prevote", 1, 3, "A"),
          expectedOutputs: [outVote("precommit", 1, "A")],
          expectedState: { lockedValue: "A", lockedRound: 1, validValue: "A", validRound: 1 },
        },
      ],
      lockedOnA(2),
    );
  });

  it("L44 2f+1 prevotes nil: precommit nil and unlock (v0.38 enterPrecommit)", () => {
    runSteps(
      [
        { desc: "round 1", input: inTimeout("precommit", 0), expectedOutputs: roundStart(1) },
        {
          desc: "timeoutPropose: prevote locked A",
          input: inTimeout("propose", 1),
          expectedOutputs: [outVote("prevote", 1, "A")],
        },
        { desc: "nil from 0", input: inVote("prevote", 1, 0, null), expectedOutputs: [] },
        { desc: "nil from 1", input: inVote("prevote", 1, 1, null), expectedOutputs: [] },
        {
          desc: "nil polka: unlock and precommit nil",
          input: inVote("prevote", 1, 3, null),
          expectedOutputs: [outVote("precommit", 1, null)],
          expectedState: { step: "precommit", lockedValue: null, lockedRound: -1, validValue: "A" },
        },
      ],
      lockedOnA(2),
    );
  });

  it("L44 without a lock: precommit nil", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      {
        desc: "prevote A",
        input: inProposal(proposal(0, "A")),
        expectedOutputs: [outVote("prevote", 0, "A")],
      },
      { desc: "nil from 0", input: inVote("prevote", 0, 0, null), expectedOutputs: [] },
      { desc: "nil from 2", input: inVote("prevote", 0, 2, null), expectedOutputs: [] },
      {
        desc: "nil polka",
        input: inVote("prevote", 0, 3, null),
        expectedOutputs: [outVote("precommit", 0, null)],
        expectedState: { step: "precommit" },
      },
    ]);
  });

  it("v0.38 enterPrecommit: a polka for a block we do not have unlocks; timeoutPrevote precommits nil", () => {
    runSteps(
      [
        { desc: "round 1", input: inTimeout("precommit", 0), expectedOutputs: roundStart(1) },
        {
          desc: "timeoutPropose: prevote locked A",
          input: inTimeout("propose", 1),
          expectedOutputs: [outVote("prevote", 1, "A")],
        },
        { desc: "C from 0", input: inVote("prevote", 1, 0, "C"), expectedOutputs: [] },
        { desc: "C from 1", input: inVote("prevote", 1, 1, "C"), expectedOutputs: [] },
        {
          desc: "polka for C, which we do not have: unlock, wait (L34)",
          input: inVote("prevote", 1, 3, "C"),
          expectedOutputs: [outTimeout("prevote", 1)],
          expectedState: { step: "prevote", lockedValue: null, lockedRound: -1 },
        },
        {
          desc: "timeoutPrevote: precommit nil",
          input: inTimeout("prevote", 1),
          expectedOutputs: [outVote("precommit", 1, null)],
          expectedState: { step: "precommit", lockedValue: null },
        },
      ],
      lockedOnA(2),
    );
  });
});

describe("Precommits (L47-L54) and decisions", () => {
  it("L47 schedules timeoutPrecommit once, in any step; L65 starts the next round", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      { desc: "A from 0", input: inVote("precommit", 0, 0, "A"), expectedOutputs: [] },
      { desc: "nil from 2", input: inVote("precommit", 0, 2, null), expectedOutputs: [] },
      {
        desc: "nil from 3: 2f+1 precommits of any kind, still in step propose",
        input: inVote("precommit", 0, 3, null),
        expectedOutputs: [outTimeout("precommit", 0)],
        expectedState: { step: "propose" },
      },
      {
        desc: "one more: no second timeout",
        input: inVote("precommit", 0, 1, null),
        expectedOutputs: [],
      },
      {
        desc: "L65 timeoutPrecommit: round 1, ours to propose, no valid value",
        input: inTimeout("precommit", 0),
        expectedOutputs: [...roundStart(1), outGetValue(1)],
        expectedState: { round: 1, step: "propose" },
      },
      { desc: "stale timeoutPrecommit", input: inTimeout("precommit", 0), expectedOutputs: [] },
    ]);
  });

  it("L49 decides on proposal + 2f+1 precommits for v", () => {
    const p = proposal(0, "A");
    const end = runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      { desc: "prevote A", input: inProposal(p), expectedOutputs: [outVote("prevote", 0, "A")] },
      { desc: "precommit A from 0", input: inVote("precommit", 0, 0, "A"), expectedOutputs: [] },
      { desc: "precommit nil from 2", input: inVote("precommit", 0, 2, null), expectedOutputs: [] },
      {
        desc: "precommit A from 3",
        input: inVote("precommit", 0, 3, "A"),
        expectedOutputs: [outTimeout("precommit", 0)],
      },
      {
        desc: "precommit A from 1: decide A; the commit lists the votes for A and nil",
        input: inVote("precommit", 0, 1, "A"),
        expectedOutputs: [
          {
            type: "decide",
            height: H,
            round: 0,
            value: "A",
            precommits: [
              vote("precommit", 0, 0, "A"),
              vote("precommit", 0, 1, "A"),
              vote("precommit", 0, 2, null),
              vote("precommit", 0, 3, "A"),
            ],
            proposal: p,
          },
        ],
        expectedState: { step: "commit", decision: { round: 0, value: "A" } },
      },
      {
        desc: "timeouts after the decision are ignored",
        input: inTimeout("precommit", 0),
        expectedOutputs: [],
      },
      {
        desc: "proposals after the decision are ignored",
        input: inProposal(proposal(1, "B")),
        expectedOutputs: [],
      },
    ]);
    // L52-L54: the host starts the next height; locks and valid value reset.
    const next = consensusStep(end, inStart(1, undefined, H + 1n)).state;
    expect([
      next.height,
      next.round,
      next.step,
      next.lockedRound,
      next.validRound,
      next.decision,
    ]).toEqual([H + 1n, 0, "propose", -1, -1, null]);
  });

  it("L49 decides when the proposal arrives after the precommits", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      { desc: "A from 0", input: inVote("precommit", 0, 0, "A"), expectedOutputs: [] },
      { desc: "A from 2", input: inVote("precommit", 0, 2, "A"), expectedOutputs: [] },
      {
        desc: "A from 3",
        input: inVote("precommit", 0, 3, "A"),
        expectedOutputs: [outTimeout("precommit", 0)],
      },
      {
        desc: "an invalid proposal of A does not decide (L50 valid(v)); we prevote nil",
        input: inProposal(proposal(0, "A", -1, { valid: false })),
        expectedOutputs: [outVote("prevote", 0, null)],
        expectedState: { decision: null },
      },
      {
        desc: "the same proposal, now valid (block completed): decide",
        input: inProposal(proposal(0, "A")),
        expectedOutputs: [
          {
            type: "decide",
            height: H,
            round: 0,
            value: "A",
            precommits: [0, 2, 3].map((i) => vote("precommit", 0, i, "A")),
            proposal: proposal(0, "A"),
          },
        ],
        expectedState: { step: "commit", decision: { round: 0, value: "A" } },
      },
    ]);
  });

  it("L49 decides for an earlier round than the current one", () => {
    const s = feed(fresh(), [inStart(2), inTimeout("precommit", 0), inTimeout("precommit", 1)]);
    expect(s.round).toBe(2);
    runSteps(
      [
        { desc: "round 0 proposal", input: inProposal(proposal(0, "A")), expectedOutputs: [] },
        { desc: "A r0 from 0", input: inVote("precommit", 0, 0, "A"), expectedOutputs: [] },
        { desc: "A r0 from 1", input: inVote("precommit", 0, 1, "A"), expectedOutputs: [] },
        {
          desc: "A r0 from 3: decide round 0 while in round 2",
          input: inVote("precommit", 0, 3, "A"),
          expectedOutputs: [
            {
              type: "decide",
              height: H,
              round: 0,
              value: "A",
              precommits: [0, 1, 3].map((i) => vote("precommit", 0, i, "A")),
              proposal: proposal(0, "A"),
            },
          ],
          expectedState: { round: 2, step: "commit", decision: { round: 0, value: "A" } },
        },
      ],
      s,
    );
  });

  it("L49 accepts a valid proposal of the same value from another round", () => {
    const s = feed(fresh(), [inStart(2), inTimeout("precommit", 0)]);
    const p1 = proposal(1, "A", -1);
    runSteps(
      [
        {
          desc: "round 1 proposal of A",
          input: inProposal(p1),
          expectedOutputs: [outVote("prevote", 1, "A")],
        },
        { desc: "A r0 from 0", input: inVote("precommit", 0, 0, "A"), expectedOutputs: [] },
        { desc: "A r0 from 1", input: inVote("precommit", 0, 1, "A"), expectedOutputs: [] },
        {
          desc: "2f+1 precommits for A in round 0: decide with the round 1 proposal",
          input: inVote("precommit", 0, 3, "A"),
          expectedOutputs: [
            {
              type: "decide",
              height: H,
              round: 0,
              value: "A",
              precommits: [0, 1, 3].map((i) => vote("precommit", 0, i, "A")),
              proposal: p1,
            },
          ],
        },
      ],
      s,
    );
  });
});

describe("Round skip (L55-L56)", () => {
  it("skips on f+1 power of messages from a higher round, not on f", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      {
        desc: "prevote r3 from 0 (power 1)",
        input: inVote("prevote", 3, 0, null),
        expectedOutputs: [],
      },
      {
        desc: "precommit r3 from the same validator: still power 1",
        input: inVote("precommit", 3, 0, null),
        expectedOutputs: [],
        expectedState: { round: 0 },
      },
      { desc: "precommit r2 from 2", input: inVote("precommit", 2, 2, null), expectedOutputs: [] },
      {
        desc: "precommit r3 from 3: power 2 > 4/3, skip to round 3",
        input: inVote("precommit", 3, 3, "B"),
        expectedOutputs: roundStart(3),
        expectedState: { round: 3, step: "propose" },
      },
    ]);
  });

  it("counts power, not validators (unequal powers)", () => {
    const vals = validators([1n, 1n, 1n, 3n]); // total 6: f+1 needs power > 2
    runSteps([
      { desc: "start", input: inStart(1, vals), expectedOutputs: roundStart(0) },
      { desc: "r1 from 0", input: inVote("prevote", 1, 0, null), expectedOutputs: [] },
      {
        desc: "r1 from 2: power 2, no skip",
        input: inVote("prevote", 1, 2, null),
        expectedOutputs: [],
      },
      {
        desc: "r2 from 3 alone: power 3 > 2, skip to 2",
        input: inVote("prevote", 2, 3, null),
        expectedOutputs: roundStart(2),
        expectedState: { round: 2 },
      },
    ]);
  });

  it("after a skip, the rules run on the messages already held for the new round", () => {
    runSteps([
      { desc: "start", input: inStart(1), expectedOutputs: roundStart(0) },
      {
        desc: "proposal r2 A (future round, kept)",
        input: inProposal(proposal(2, "A")),
        expectedOutputs: [],
      },
      { desc: "prevote A r2 from 0", input: inVote("prevote", 2, 0, "A"), expectedOutputs: [] },
      {
        desc: "prevote A r2 from 2: skip to 2 and L22 prevote A at once",
        input: inVote("prevote", 2, 2, "A"),
        expectedOutputs: [...roundStart(2), outVote("prevote", 2, "A")],
        expectedState: { round: 2, step: "prevote" },
      },
      {
        desc: "prevote A r2 from 3: lock and precommit",
        input: inVote("prevote", 2, 3, "A"),
        expectedOutputs: [outVote("precommit", 2, "A")],
        expectedState: { lockedValue: "A", lockedRound: 2 },
      },
    ]);
  });
});

describe("Timeouts (L57-L67)", () => {
  it("timeoutPropose prevotes nil when not locked; stale timeouts are ignored", () => {
    const started = feed(fresh(), [inStart(1)]);
    for (const stale of [
      inTimeout("propose", 1),
      inTimeout("propose", 0, H + 1n),
      inTimeout("prevote", 0),
    ]) {
      const t = consensusStep(started, stale);
      expect(t.outputs).toEqual([]);
      expect(t.state).toBe(started);
    }
    runSteps(
      [
        {
          desc: "L59 prevote nil",
          input: inTimeout("propose", 0),
          expectedOutputs: [outVote("prevote", 0, null)],
          expectedState: { step: "prevote" },
        },
        { desc: "again: ignored", input: inTimeout("propose", 0), expectedOutputs: [] },
        {
          desc: "a proposal arriving after the timeout does not prevote again",
          input: inProposal(proposal(0, "A")),
          expectedOutputs: [],
        },
      ],
      started,
    );
  });
});

describe("Inputs the core ignores or tolerates", () => {
  it("ignores everything before startHeight", () => {
    const s = fresh();
    for (const input of [
      inVote("prevote", 0, 0, "A"),
      inProposal(proposal(0, "A")),
      inTimeout("propose", 0),
    ]) {
      const t = consensusStep(s, input);
      expect(t.state).toBe(s);
      expect(t.outputs).toEqual([]);
    }
  });

  it("ignores other heights and duplicates (same state object, no outputs)", () => {
    const s = feed(fresh(), [
      inStart(1),
      inVote("prevote", 0, 0, "A"),
      inProposal(proposal(0, "A")),
    ]);
    for (const input of [
      inVote("prevote", 0, 2, "A", H + 1n),
      inVote("prevote", 0, 2, "A", H - 1n),
      inProposal(proposal(0, "B", -1, { height: H + 1n })),
      inVote("prevote", 0, 0, "A"),
      inProposal(proposal(0, "A")),
      inVote("prevote", 0, 7, "A"),
      inVote("prevote", -1, 2, "A"),
      inProposal(proposal(-1, "A", -1, { validatorIndex: 3 })),
    ]) {
      const t = consensusStep(s, input);
      expect(t.outputs).toEqual([]);
      expect(t.state).toBe(s);
    }
  });

  it("reports an equivocating validator once; its vote for a value still completes +2/3", () => {
    const p = proposal(0, "A");
    const s = feed(fresh(), [inStart(1), inProposal(p)]);
    runSteps(
      [
        {
          desc: "nil precommit from 3",
          input: inVote("precommit", 0, 3, null),
          expectedOutputs: [],
        },
        { desc: "A from 0", input: inVote("precommit", 0, 0, "A"), expectedOutputs: [] },
        {
          desc: "A from 2: 3 of any kind (L47), A holds 2",
          input: inVote("precommit", 0, 2, "A"),
          expectedOutputs: [outTimeout("precommit", 0)],
        },
        {
          desc: "A from 3 too: evidence, and A holds 3: decide",
          input: inVote("precommit", 0, 3, "A"),
          expectedOutputs: [
            {
              type: "evidence",
              voteA: vote("precommit", 0, 3, null),
              voteB: vote("precommit", 0, 3, "A"),
            },
            {
              type: "decide",
              height: H,
              round: 0,
              value: "A",
              precommits: [0, 2, 3].map((i) => vote("precommit", 0, i, "A")),
              proposal: p,
            },
          ],
          expectedState: { step: "commit", decision: { round: 0, value: "A" } },
        },
        {
          desc: "a third vote from 3: no second evidence",
          input: inVote("precommit", 0, 3, "B"),
          expectedOutputs: [],
        },
      ],
      s,
    );
  });

  it("does not let an equivocator count twice toward one threshold", () => {
    const s = feed(fresh(), [inStart(1), inTimeout("propose", 0)]);
    runSteps(
      [
        { desc: "A from 2", input: inVote("prevote", 0, 2, "A"), expectedOutputs: [] },
        {
          desc: "B from 2: evidence only",
          input: inVote("prevote", 0, 2, "B"),
          expectedOutputs: [
            {
              type: "evidence",
              voteA: vote("prevote", 0, 2, "A"),
              voteB: vote("prevote", 0, 2, "B"),
            },
          ],
        },
        { desc: "nil from 2: nothing", input: inVote("prevote", 0, 2, null), expectedOutputs: [] },
        {
          desc: "A from 0: any-kind power is 2, not 4: no L34",
          input: inVote("prevote", 0, 0, "A"),
          expectedOutputs: [],
        },
      ],
      s,
    );
  });

  it("a non-validator follows the rounds, signs nothing, and decides", () => {
    const p = proposal(0, "A");
    runSteps([
      {
        desc: "start as observer (never the proposer)",
        input: inStart(null),
        expectedOutputs: roundStart(0),
      },
      {
        desc: "proposal: no prevote, step moves",
        input: inProposal(p),
        expectedOutputs: [],
        expectedState: { step: "prevote" },
      },
      ...[0, 1].map((i) => ({
        desc: `precommit A from ${i}`,
        input: inVote("precommit", 0, i, "A"),
        expectedOutputs: [] as CoreOutput<Sig>[],
      })),
      {
        desc: "third precommit: decide",
        input: inVote("precommit", 0, 2, "A"),
        expectedOutputs: [
          {
            type: "decide",
            height: H,
            round: 0,
            value: "A",
            precommits: [0, 1, 2].map((i) => vote("precommit", 0, i, "A")),
            proposal: p,
          },
        ],
      },
    ]);
  });

  it("rejects host contract violations at startHeight", () => {
    const s = feed(fresh(), [inStart(1)]);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof QosError ? e.code : "other";
      }
      return "none";
    };
    expect(code(() => consensusStep(s, inStart(1)))).toBe(CONSENSUS_CORE_ERROR.invalidInput);
    expect(code(() => consensusStep(s, inStart(1, undefined, H - 1n)))).toBe(
      CONSENSUS_CORE_ERROR.invalidInput,
    );
    expect(code(() => consensusStep(s, inStart(4, undefined, H + 1n)))).toBe(
      CONSENSUS_CORE_ERROR.invalidInput,
    );
    expect(code(() => consensusStep(s, inStart(0, validators([0n, 0n]), H + 1n)))).toBe(
      CONSENSUS_CORE_ERROR.invalidInput,
    );
    expect(code(() => consensusStep(s, inStart(null, validators([1n, 0n]), H + 1n)))).toBe("none");
  });

  it("never emits two votes of one type in one round, and leaves the old state untouched", () => {
    const s0 = feed(fresh(), [inStart(1)]);
    const t1 = consensusStep(s0, inProposal(proposal(0, "A")));
    expect(t1.outputs).toEqual([outVote("prevote", 0, "A")]);
    // Replaying the same input on the old state gives the same transition (purity).
    expect(consensusStep(s0, inProposal(proposal(0, "A")))).toEqual(t1);
    expect(s0.step).toBe("propose");
    let s = t1.state;
    const votes: CoreOutput<Sig>[] = [];
    for (const input of [
      inTimeout("propose", 0),
      inProposal(proposal(0, "B")),
      ...[0, 2, 3].map((i) => inVote("prevote", 0, i, null)),
      inTimeout("prevote", 0),
      ...[0, 2, 3].map((i) => inVote("prevote", 0, i, "A")),
    ]) {
      const t = consensusStep(s, input);
      votes.push(...t.outputs.filter((o) => o.type === "vote"));
      s = t.state;
    }
    expect(votes).toEqual([outVote("precommit", 0, null)]);
  });
});
