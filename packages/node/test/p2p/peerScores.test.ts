import { describe, expect, it } from "vitest";
import {
  createBanList,
  createPeerScores,
  MAX_PEER_SCORE,
  OFFENCE_PENALTY,
  SCORE_REGEN_PER_SECOND,
} from "../../src/p2p/peerScores.ts";

describe("peer scores", () => {
  it("bans after five malformed messages or two oversized ones in a row", () => {
    const t = 0;
    const scores = createPeerScores(() => t);
    const verdicts = [1, 2, 3, 4, 5].map(() => scores.penalize("a", "malformed"));
    expect(verdicts).toEqual([false, false, false, false, true]);
    expect([scores.penalize("b", "oversized"), scores.penalize("b", "oversized")]).toEqual([
      false,
      true,
    ]);
    expect(scores.score("c")).toBe(MAX_PEER_SCORE);
  });

  it("bans two oversized frames, or five malformed messages, sent milliseconds apart", () => {
    let t = 0;
    const scores = createPeerScores(() => t);
    expect(scores.penalize("b", "oversized")).toBe(false);
    t += 1;
    expect(scores.penalize("b", "oversized")).toBe(true);
    const verdicts = [1, 2, 3, 4, 5].map(() => {
      t += 3;
      return scores.penalize("a", "malformed");
    });
    expect(verdicts).toEqual([false, false, false, false, true]);
  });

  it("regenerates slowly, up to the maximum", () => {
    let t = 0;
    const scores = createPeerScores(() => t);
    scores.penalize("a", "invalid");
    expect(scores.score("a")).toBe(MAX_PEER_SCORE - OFFENCE_PENALTY.invalid);
    t += 10_000;
    expect(scores.score("a")).toBe(
      MAX_PEER_SCORE - OFFENCE_PENALTY.invalid + 10 * SCORE_REGEN_PER_SECOND,
    );
    t += 3_600_000;
    expect(scores.score("a")).toBe(MAX_PEER_SCORE);
  });

  it("tolerates one malformed message a minute forever", () => {
    let t = 0;
    const scores = createPeerScores(() => t);
    for (let i = 0; i < 100; i++) {
      expect(scores.penalize("a", "malformed")).toBe(false);
      t += 60_000;
    }
  });
});

describe("ban list", () => {
  it("bans until the deadline; a longer ban extends, a shorter one does not shorten", () => {
    let t = 0;
    const bans = createBanList(() => t);
    bans.ban("x", 1000);
    bans.ban("x", 10);
    expect(bans.isBanned("x")).toBe(true);
    t = 999;
    expect(bans.isBanned("x")).toBe(true);
    expect(bans.size()).toBe(1);
    t = 1000;
    expect(bans.isBanned("x")).toBe(false);
    expect(bans.size()).toBe(0);
  });
});
