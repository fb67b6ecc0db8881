// Peer scores and bans: each offence costs a peer points that come back slowly; a peer whose
// score falls to the threshold is banned (node id, and IP where an IP identifies a node).

import type { NodeId, PeerOffence } from "./p2pNetwork.ts";

export const MAX_PEER_SCORE = 100;
/** At or below this score a peer is disconnected and banned. */
export const BAN_SCORE = 0;
/** Points each offence costs: two oversized frames, or five malformed messages, get a ban. */
export const OFFENCE_PENALTY: Readonly<Record<PeerOffence, number>> = {
  malformed: 20,
  oversized: 50,
  invalid: 30,
  unsolicited: 10,
  spam: 5,
};
/** Points regained per second: one malformed message a minute is tolerated, two are not. */
export const SCORE_REGEN_PER_SECOND = 0.5;

export interface PeerScores {
  /** The peer's current score (MAX_PEER_SCORE for a peer never reported). */
  score(peer: NodeId): number;
  /** Lowers the score; true when it reached BAN_SCORE (the caller bans). */
  penalize(peer: NodeId, offence: PeerOffence): boolean;
  forget(peer: NodeId): void;
}

export function createPeerScores(now: () => number = Date.now): PeerScores {
  // Only peers below the maximum are kept; a record is the score at `at`.
  const records = new Map<NodeId, { score: number; at: number }>();

  function current(peer: NodeId, t: number): number {
    const r = records.get(peer);
    if (r === undefined) return MAX_PEER_SCORE;
    const s = Math.min(MAX_PEER_SCORE, r.score + ((t - r.at) / 1000) * SCORE_REGEN_PER_SECOND);
    if (s >= MAX_PEER_SCORE) records.delete(peer);
    return s;
  }

  return {
    score: (peer) => Math.round(current(peer, now()) * 100) / 100,
    penalize(peer, offence) {
      const t = now();
      const s = current(peer, t) - OFFENCE_PENALTY[offence];
      records.set(peer, { score: s, at: t });
      // Decided in whole points: the fraction of a point regained since the last offence
      // (two oversized frames 1 ms apart leave 0.0005) must not spare the peer its ban.
      return Math.floor(s) <= BAN_SCORE;
    },
    forget: (peer) => void records.delete(peer),
  };
}

export interface BanList {
  ban(key: string, durationMs: number): void;
  isBanned(key: string): boolean;
  /** Keys banned now. */
  size(): number;
}

/** Bans by key (a node id or an IP) until a deadline. */
export function createBanList(now: () => number = Date.now): BanList {
  const until = new Map<string, number>();
  function prune(t: number): void {
    for (const [k, u] of until) if (u <= t) until.delete(k);
  }
  return {
    ban(key, durationMs) {
      const t = now() + durationMs;
      if ((until.get(key) ?? 0) < t) until.set(key, t);
    },
    isBanned(key) {
      const u = until.get(key);
      if (u === undefined) return false;
      if (u > now()) return true;
      until.delete(key);
      return false;
    },
    size() {
      prune(now());
      return until.size;
    },
  };
}
