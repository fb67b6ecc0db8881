// The consensus reactor (CometBFT consensus/reactor.go): gossips proposals, block parts and
// votes to peers on channels 0x20–0x22, tracking each peer's round state (height, round,
// step and which votes/parts it has) so nothing is sent twice, and helping peers that lag
// with the block and precommits of the height they are stuck at.

import { create } from "@bufbuild/protobuf";
import { commitToVote } from "@qos/consensus";
import type { BlockStore } from "@qos/store";
import {
  type Commit,
  CommitSchema,
  consensusWire,
  decodeWireMessage,
  encodeWireMessage,
  type Part,
  PartSchema,
  type Proposal,
  type Vote,
} from "@qos/types";
import type { ConsensusHost, GossipView } from "./consensusHost.ts";
import type { Logger } from "./logger.ts";
import { CHANNEL, type Channel, type NodeId, type P2PNetwork } from "./p2p/p2pNetwork.ts";

const { MessageSchema } = consensusWire;
type WireMessage = consensusWire.Message;

/** Largest consensus message: a 64 KiB block part with its proof, plus framing. */
export const MAX_CONSENSUS_MESSAGE_BYTES = 1_048_576;

/** What we know a peer has at its current height. */
interface PeerRoundState {
  height: bigint;
  round: number;
  step: number;
  /** `round/type/index` of the votes it has. */
  readonly votes: Set<string>;
  /** `round/type` of our own votes sent to it (whatever it announced). */
  readonly ownSent: Set<string>;
  /** Rounds whose proposal it has. */
  readonly proposals: Set<number>;
  /** `round/index` of the block parts it has. */
  readonly parts: Set<string>;
}

function newPeerState(): PeerRoundState {
  return {
    height: 0n,
    round: -1,
    step: 0,
    votes: new Set(),
    ownSent: new Set(),
    proposals: new Set(),
    parts: new Set(),
  };
}

function voteKey(v: Pick<Vote, "round" | "type" | "validatorIndex">): string {
  return `${v.round}/${v.type}/${v.validatorIndex}`;
}

export interface ConsensusReactorOptions {
  /** Fallback gossip period (ms): catch-up and retransmission when nothing changes locally. */
  readonly gossipIntervalMs?: number;
  /** Messages sent to one peer per gossip pass at most. */
  readonly maxMessagesPerPass?: number;
}

export interface ConsensusReactorDeps {
  readonly network: P2PNetwork;
  /** The running consensus host; null while the node block-syncs (messages are then dropped). */
  readonly host: () => ConsensusHost | null;
  readonly blockStore: BlockStore;
  readonly logger: Logger;
}

export interface ConsensusReactor {
  start(): void;
  stop(): void;
}

export function createConsensusReactor(
  opts: ConsensusReactorOptions,
  deps: ConsensusReactorDeps,
): ConsensusReactor {
  const { network, blockStore } = deps;
  const log = deps.logger.child({ module: "consensus-reactor" });
  const interval = opts.gossipIntervalMs ?? 100;
  const maxPerPass = opts.maxMessagesPerPass ?? 256;
  const peers = new Map<NodeId, PeerRoundState>();
  let timer: ReturnType<typeof setInterval> | null = null;
  let unsubscribe: (() => void)[] = [];
  let lastAnnounced = "";
  let announcedVotes = new Set<string>();
  let announcedHeight = -1n;
  let passScheduled = false;
  /** The host whose changes trigger a gossip pass (it is replaced after each block-sync run). */
  let watched: ConsensusHost | null = null;
  let unwatch: (() => void) | null = null;
  function watch(host: ConsensusHost): void {
    unwatch?.();
    watched = host;
    unwatch = host.onChange(schedulePass);
  }

  const encode = (sum: WireMessage["sum"]): Uint8Array =>
    encodeWireMessage(MessageSchema, create(MessageSchema, { sum }));

  function onMessage(peer: NodeId, bytes: Uint8Array): void {
    const decoded = decodeWireMessage(MessageSchema, bytes);
    if (!decoded.ok || decoded.value.sum.case === undefined) {
      network.reportPeer(peer, "malformed", "undecodable consensus message");
      return;
    }
    const ps = peers.get(peer) ?? newPeerState();
    peers.set(peer, ps);
    const sum = decoded.value.sum;
    switch (sum.case) {
      case "newRoundStep": {
        const m = sum.value;
        if (m.height !== ps.height) {
          ps.votes.clear();
          ps.ownSent.clear();
          ps.proposals.clear();
          ps.parts.clear();
        }
        ps.height = m.height;
        ps.round = m.round;
        ps.step = m.step;
        break;
      }
      case "hasVote":
        if (sum.value.height === ps.height)
          ps.votes.add(`${sum.value.round}/${sum.value.type}/${sum.value.index}`);
        break;
      case "proposal": {
        const p = sum.value.proposal;
        if (p === undefined) {
          network.reportPeer(peer, "malformed", "empty proposal message");
          return;
        }
        if (p.height === ps.height) ps.proposals.add(p.round);
        deps.host()?.receiveProposal(p, peer);
        break;
      }
      case "blockPart": {
        const { height, round, part } = sum.value;
        if (part === undefined) {
          network.reportPeer(peer, "malformed", "empty block part message");
          return;
        }
        if (height === ps.height) ps.parts.add(`${round}/${part.index}`);
        deps.host()?.receiveBlockPart(height, round, part, peer);
        break;
      }
      case "vote": {
        const v = sum.value.vote;
        if (v === undefined) {
          network.reportPeer(peer, "malformed", "empty vote message");
          return;
        }
        if (v.height === ps.height) ps.votes.add(voteKey(v));
        deps.host()?.receiveVote(v, peer);
        break;
      }
      default:
        // NewValidBlock, ProposalPOL, VoteSetMaj23, VoteSetBits: accepted, not needed by our gossip.
        break;
    }
  }

  const state = network.registerChannel(
    {
      id: CHANNEL.consensusState,
      name: "consensus-state",
      maxMessageBytes: 4096,
      sendQueueCapacity: 256,
    },
    onMessage,
  );
  const data = network.registerChannel(
    {
      id: CHANNEL.consensusData,
      name: "consensus-data",
      maxMessageBytes: MAX_CONSENSUS_MESSAGE_BYTES,
      sendQueueCapacity: 256,
    },
    onMessage,
  );
  const votes = network.registerChannel(
    {
      id: CHANNEL.consensusVote,
      name: "consensus-vote",
      maxMessageBytes: 4096,
      sendQueueCapacity: 1024,
    },
    onMessage,
  );

  /** Announces our step and the votes we gained, so peers do not send them again. */
  function announce(view: GossipView): void {
    const stepKey = `${view.height}/${view.round}/${view.step}`;
    if (stepKey !== lastAnnounced) {
      lastAnnounced = stepKey;
      state.broadcast(
        encode({
          case: "newRoundStep",
          value: create(consensusWire.NewRoundStepSchema, {
            height: view.height,
            round: Math.max(view.round, 0),
            step: view.step,
            lastCommitRound: view.lastCommit.round,
          }),
        }),
      );
    }
    if (view.height !== announcedHeight) {
      announcedHeight = view.height;
      announcedVotes = new Set();
    }
    for (const v of view.votes) {
      const k = voteKey(v);
      if (announcedVotes.has(k)) continue;
      announcedVotes.add(k);
      state.broadcast(
        encode({
          case: "hasVote",
          value: create(consensusWire.HasVoteSchema, {
            height: v.height,
            round: v.round,
            type: v.type,
            index: v.validatorIndex,
          }),
        }),
      );
    }
  }

  function sendProposal(ch: Channel, peer: NodeId, proposal: Proposal): boolean {
    return ch.send(
      peer,
      encode({ case: "proposal", value: create(consensusWire.ProposalSchema, { proposal }) }),
    );
  }

  function sendPart(peer: NodeId, height: bigint, round: number, part: Part): boolean {
    return data.send(
      peer,
      encode({
        case: "blockPart",
        value: create(consensusWire.BlockPartSchema, { height, round, part }),
      }),
    );
  }

  function sendVote(peer: NodeId, vote: Vote): boolean {
    return votes.send(
      peer,
      encode({ case: "vote", value: create(consensusWire.VoteSchema, { vote }) }),
    );
  }

  /** Sends a peer at our height what it lacks: proposals, parts, votes (gossipDataRoutine/gossipVotesRoutine). */
  function gossipCurrent(
    peer: NodeId,
    ps: PeerRoundState,
    view: GossipView,
    budget: number,
  ): number {
    let sent = 0;
    for (const { proposal, parts } of view.proposals) {
      if (sent >= budget) return sent;
      if (!ps.proposals.has(proposal.round)) {
        if (!sendProposal(data, peer, proposal)) return sent;
        ps.proposals.add(proposal.round);
        sent++;
      }
      for (const part of parts) {
        if (sent >= budget) return sent;
        const k = `${proposal.round}/${part.index}`;
        if (ps.parts.has(k)) continue;
        if (!sendPart(peer, view.height, proposal.round, part)) return sent;
        ps.parts.add(k);
        sent++;
      }
    }
    // Our own votes go to every peer once, even one that announced a vote of our index: a
    // vote by our key we did not send it means a second process signs with our key, and the
    // peer must see both votes to turn them into evidence (CometBFT's gossip would skip it,
    // leaving double signing to be caught only by timing races).
    for (const v of view.ownVotes) {
      if (sent >= budget) return sent;
      const own = `${v.round}/${v.type}`;
      if (ps.ownSent.has(own)) continue;
      if (!sendVote(peer, v)) return sent;
      ps.ownSent.add(own);
      ps.votes.add(voteKey(v));
      sent++;
    }
    // Votes of the peer's round first, then the rest (POL rounds, precommits of other rounds).
    const ordered = [...view.votes].sort(
      (a, b) => Number(b.round === ps.round) - Number(a.round === ps.round),
    );
    for (const v of ordered) {
      if (sent >= budget) return sent;
      const k = voteKey(v);
      if (ps.votes.has(k)) continue;
      if (!sendVote(peer, v)) return sent;
      ps.votes.add(k);
      sent++;
    }
    return sent;
  }

  /**
   * A peer stuck at a height we committed: send that block's parts and its precommits, so
   * its host can decide (gossipDataForCatchup, and the commit votes gossipVotesRoutine sends).
   */
  function gossipCatchUp(
    peer: NodeId,
    ps: PeerRoundState,
    view: GossipView,
    budget: number,
  ): number {
    const h = ps.height;
    if (h <= 0n || h < blockStore.base()) return 0;
    let commit: Commit | undefined;
    if (h === view.height - 1n) commit = view.lastCommit;
    else {
      const bytes = blockStore.loadBlockCommit(h) ?? blockStore.loadSeenCommit(h);
      const decoded = bytes === undefined ? undefined : decodeWireMessage(CommitSchema, bytes);
      commit = decoded?.ok ? decoded.value : undefined;
    }
    if (commit === undefined || commit.height !== h) return 0;
    let sent = 0;
    for (let i = 0; i < commit.signatures.length && sent < budget; i++) {
      const sig = commit.signatures[i];
      if (sig === undefined || sig.signature.length === 0) continue;
      const v = commitToVote(commit, i);
      const k = voteKey(v);
      if (ps.votes.has(k)) continue;
      if (!sendVote(peer, v)) return sent;
      ps.votes.add(k);
      sent++;
    }
    const total = blockStore.loadBlockPartCount(h);
    for (let i = 0; i < total && sent < budget; i++) {
      const k = `${commit.round}/${i}`;
      if (ps.parts.has(k)) continue;
      const bytes = blockStore.loadBlockPart(h, i);
      const part = bytes === undefined ? undefined : decodeWireMessage(PartSchema, bytes);
      if (part === undefined || !part.ok) break;
      if (!sendPart(peer, h, commit.round, part.value)) return sent;
      ps.parts.add(k);
      sent++;
    }
    return sent;
  }

  function gossipPass(): void {
    passScheduled = false;
    const host = deps.host();
    if (host !== null && host !== watched) watch(host);
    // No peers, nothing to tell: a lone validator skips building the view (a connecting peer
    // schedules a pass of its own).
    if (host === null || peers.size === 0) return;
    const view = host.gossipView();
    if (view.step === 0 && view.votes.length === 0) return;
    announce(view);
    for (const [peer, ps] of peers) {
      if (ps.height === view.height) gossipCurrent(peer, ps, view, maxPerPass);
      else if (ps.height > 0n && ps.height < view.height) gossipCatchUp(peer, ps, view, maxPerPass);
    }
  }

  function schedulePass(): void {
    if (passScheduled) return;
    passScheduled = true;
    queueMicrotask(gossipPass);
  }

  return {
    start() {
      unsubscribe = [
        () => unwatch?.(),
        network.onPeerConnected((p) => {
          peers.set(p.nodeId, newPeerState());
          lastAnnounced = ""; // tell the new peer where we are
          schedulePass();
        }),
        network.onPeerDisconnected((id) => {
          peers.delete(id);
        }),
      ];
      for (const p of network.peers()) peers.set(p.nodeId, newPeerState());
      timer = setInterval(() => {
        lastAnnounced = ""; // re-announce periodically: a lost NewRoundStep must not stall a peer
        gossipPass();
      }, interval);
      log.debug({ intervalMs: interval }, "consensus gossip started");
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      for (const u of unsubscribe) u();
      unsubscribe = [];
      peers.clear();
    },
  };
}
