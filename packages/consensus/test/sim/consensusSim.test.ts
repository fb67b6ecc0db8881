// Seeded network simulation of the consensus core. SIM_RUNS sets the number of runs (default
// 1000), SIM_SEED replays one seed, SIM_SEED_BASE shifts the seeds (run i uses base + i), and
// SIM_TRACE=1 adds the last outputs of every node to a failure report. A failing run names its
// seed: rerun it with `SIM_SEED=<seed> SIM_TRACE=1 npx vitest run packages/consensus/test/sim`.
import { describe, expect, it } from "vitest";
import { runSimulation, type SimResult } from "./harness.ts";

const env = (name: string): number | undefined => {
  const raw = process.env[name];
  return raw === undefined || raw === "" ? undefined : Number(raw);
};

const replaySeed = env("SIM_SEED");
const runs = replaySeed === undefined ? (env("SIM_RUNS") ?? 1000) : 1;
const seedBase = replaySeed ?? env("SIM_SEED_BASE") ?? 1;
const trace = process.env.SIM_TRACE === "1";
const CHUNK = 500; // runs per test, so that each test stays far below the test timeout

function describeFailure(result: SimResult, lines: readonly string[]): string {
  const params = JSON.stringify(result.params, (_, v) => (typeof v === "bigint" ? Number(v) : v));
  const tail =
    lines.length > 0
      ? `\n  trace (last 300 outputs):\n    ${lines.slice(-300).join("\n    ")}`
      : "";
  return `SIM_SEED=${result.seed} failed:\n  ${result.violations.join("\n  ")}\n  params: ${params}${tail}`;
}

describe("consensus simulation: agreement, validity, termination", () => {
  for (let first = 0; first < runs; first += CHUNK) {
    const count = Math.min(CHUNK, runs - first);
    const from = seedBase + first;
    it(`seeds ${from}..${from + count - 1}`, async ({ annotate }) => {
      const failures: string[] = [];
      let heights = 0;
      let maxRound = 0;
      let evidence = 0;
      let steps = 0;
      let laterRounds = 0;
      let decisions = 0;
      let worstMargin = Number.NEGATIVE_INFINITY;
      for (let seed = from; seed < from + count; seed++) {
        const lines: string[] = [];
        const result = trace
          ? runSimulation({ seed, trace: (line) => lines.push(line) })
          : runSimulation({ seed });
        if (result.violations.length > 0) failures.push(describeFailure(result, lines));
        heights += result.heightsDecided;
        maxRound = Math.max(maxRound, result.maxRound);
        evidence += result.evidence;
        steps += result.steps;
        worstMargin = Math.max(worstMargin, result.worstBoundMarginMs);
        result.decisionRounds.forEach((c, round) => {
          decisions += c;
          if (round > 0) laterRounds += c;
        });
      }
      await annotate(
        `${count} runs, ${heights} heights decided by all honest validators, ` +
          `${laterRounds}/${decisions} decisions after round 0, highest round ${maxRound}, ` +
          `${evidence} evidence outputs, ${steps} core steps, ` +
          `closest approach to the termination bound ${worstMargin} ms`,
      );
      expect(failures, failures.slice(0, 3).join("\n")).toEqual([]);
    });
  }

  it("is deterministic: the same seed gives the same run", () => {
    const a = runSimulation({ seed: seedBase + 7 });
    const b = runSimulation({ seed: seedBase + 7 });
    expect(b).toEqual(a);
    expect(runSimulation({ seed: seedBase + 8 })).not.toEqual(a);
  });
});

describe("the invariant checker can fail", () => {
  it("finds a disagreement when the harness breaks the quorum threshold", () => {
    // Honest cores are told half the real total power, so their "2/3" is really "1/3".
    let found: SimResult | undefined;
    for (let seed = 1; seed <= 200 && found === undefined; seed++) {
      const result = runSimulation({ seed, brokenQuorum: true });
      if (result.violations.some((v) => v.startsWith("agreement:"))) found = result;
    }
    expect(found, "no disagreement found in 200 seeds with a broken quorum").toBeDefined();
    if (found === undefined) return;
    // The same seed with the real threshold is clean: the threshold is what broke it.
    expect(runSimulation({ seed: found.seed }).violations).toEqual([]);
  });
});
