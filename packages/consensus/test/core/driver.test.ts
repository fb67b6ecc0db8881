// The driver wraps consensusStep with a mutable current state.
import { describe, expect, it } from "vitest";
import { consensusStep, createConsensusDriver, createConsensusState } from "../../src/index.ts";
import { inProposal, inStart, outVote, proposal, roundStart, type Sig } from "./fixtures.ts";

describe("createConsensusDriver", () => {
  it("threads the state and returns the same outputs as consensusStep", () => {
    const driver = createConsensusDriver<Sig>();
    expect(driver.process(inStart(1))).toEqual(roundStart(0));
    const before = driver.state;
    expect(driver.process(inProposal(proposal(0, "A")))).toEqual([outVote("prevote", 0, "A")]);
    expect(driver.state.step).toBe("prevote");
    expect(before.step).toBe("propose");
    const direct = consensusStep(
      consensusStep(createConsensusState<Sig>(), inStart(1)).state,
      inProposal(proposal(0, "A")),
    );
    expect(direct.state).toEqual(driver.state);
  });

  it("uses the given timeouts", () => {
    const timeouts = {
      propose: { baseMs: 10, deltaMs: 1 },
      prevote: { baseMs: 20, deltaMs: 2 },
      precommit: { baseMs: 30, deltaMs: 3 },
    };
    const driver = createConsensusDriver<Sig>({ timeouts });
    expect(driver.process(inStart(1))).toContainEqual({
      type: "scheduleTimeout",
      step: "propose",
      height: 5n,
      round: 0,
      durationMs: 10,
    });
  });
});
