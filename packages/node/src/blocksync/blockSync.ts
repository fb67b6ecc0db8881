// Block sync (CometBFT blocksync/reactor.go + pool.go): serves stored blocks and the block
// store's range to any peer on the Blocksync channel (0x40); while syncing, fetches the next
// heights from peers (bounded requests per peer, timeouts, re-requests), verifies block H with
// the LastCommit carried in block H+1, applies it, and hands over to consensus once caught up.

import { blockIdEquals, validateCommit, verifyCommitLight } from "@qos/consensus";
import type { BlockStore } from "@qos/store";
import { type Block, type Commit, err, ok, type Result, toHex } from "@qos/types";
import { type BlockExecutor, type ProposalBlock, sealBlock } from "../blockExecutor.ts";
import { type ChainState, MAX_BLOCK_SIZE_BYTES, nextHeight } from "../chainState.ts";
import { type Clock, systemClock } from "../consensusHost.ts";
import type { Logger } from "../logger.ts";
import type {
  CHANNEL,
  Channel,
  ChannelDescriptor,
  NodeId,
  P2PNetwork,
  PeerOffence,
} from "../p2p/p2pNetwork.ts";
import type { BlockSyncMetrics } from "./blockSyncMetrics.ts";
import {
  type BlocksyncMessage,
  decodeBlocksyncMessage,
  encodeBlockResponseFromBytes,
  encodeBlocksyncMessage,
} from "./blocksyncMessages.ts";

/** CHANNEL.blocksync of the p2p layer (a type-level check keeps the two equal). */
export const BLOCKSYNC_CHANNEL_ID: (typeof CHANNEL)["blocksync"] = 0x40;

/** blocksync/reactor.go GetChannels: room for the largest block plus the message framing. */
export const BLOCKSYNC_CHANNEL: ChannelDescriptor = {
  id: BLOCKSYNC_CHANNEL_ID,
  name: "blocksync",
  maxMessageBytes: Number(MAX_BLOCK_SIZE_BYTES) + 16,
  sendQueueCapacity: 1000,
};

export interface BlockSyncOptions {
  /** How often our status is broadcast (and, while syncing, peers' status requested). CometBFT: 10 s. */
  readonly statusIntervalMs?: number;
  /** Requests in flight per peer (pool.go maxPendingRequestsPerPeer). */
  readonly maxPendingPerPeer?: number;
  /** Heights fetched ahead of the next block to apply (pool.go maxTotalRequesters). */
  readonly maxBlocksAhead?: number;
  /**
   * A request unanswered this long drops the peer from the pool (pool.go peerTimeout: 15 s)
   * for as long, doubling with each drop.
   */
  readonly requestTimeoutMs?: number;
  /** Caught up needs a received block or this much time since the run started (5 s). */
  readonly startupWaitMs?: number;
  /** How often the caught-up condition is checked (switchToConsensusIntervalSeconds: 1 s). */
  readonly caughtUpCheckMs?: number;
  /** A peer that sent an invalid block is not asked again for this long (doubling with each drop). */
  readonly peerCooldownMs?: number;
  /**
   * Upper bound of the doubling cool-downs; a peer's record is forgotten this long after its
   * cool-down ends (until then it does not count for isBehind).
   */
  readonly maxPeerCooldownMs?: number;
}

const DEFAULTS: Required<BlockSyncOptions> = {
  statusIntervalMs: 10_000,
  maxPendingPerPeer: 20,
  maxBlocksAhead: 600,
  requestTimeoutMs: 15_000,
  startupWaitMs: 5_000,
  caughtUpCheckMs: 1_000,
  peerCooldownMs: 60_000,
  maxPeerCooldownMs: 600_000,
};

export interface BlockSyncDeps {
  /** The node's latest committed state (read when a sync run starts). */
  readonly chainState: () => ChainState;
  readonly blockStore: BlockStore;
  readonly executor: Pick<BlockExecutor, "validateBlock">;
  /**
   * Applies a verified block exactly as consensus does (FinalizeBlock, the atomic store write
   * with `commit` as its seen commit, app Commit) and returns the next state.
   */
  readonly applyBlock: (sealed: ProposalBlock, commit: Commit) => Promise<ChainState>;
  readonly network: P2PNetwork;
  readonly logger: Logger;
  readonly metrics: BlockSyncMetrics | null;
  /** Called once per sync run when caught up; the node then starts consensus. */
  readonly onCaughtUp: (state: ChainState) => void;
  /** Applying a verified block failed (app or store failure): syncing has stopped; halt the node. */
  readonly onFatal?: (error: unknown) => void;
  readonly clock?: Clock;
}

export interface BlockSyncStatus {
  readonly syncing: boolean;
  /** Height of our block store. */
  readonly height: bigint;
  /** Highest height reported by a peer in good standing (0 when none). */
  readonly maxPeerHeight: bigint;
  /** Peers in good standing that reported their status. */
  readonly peers: number;
  /** Block requests in flight. */
  readonly pendingRequests: number;
  /** Blocks applied in the current (or last) sync run. */
  readonly blocksSynced: number;
}

export interface BlockSync {
  /** Starts the status broadcasts. Serving peers works from construction on. */
  start(): void;
  /** Stops syncing and all timers. */
  stop(): Promise<void>;
  /** Starts a sync run from the node's current chain state (no-op while one runs). */
  startSync(): void;
  /** Stops the sync run; resolves once the block being applied, if any, is applied. */
  stopSync(): Promise<void>;
  isSyncing(): boolean;
  /**
   * A peer with no drop on record reports a height at least 2 above our block store's (a peer
   * that failed us recently cannot pull the node out of consensus by claiming a height).
   */
  isBehind(): boolean;
  status(): BlockSyncStatus;
}

interface PoolPeer {
  readonly id: NodeId;
  base: bigint;
  height: bigint;
  /** Heights requested from this peer and not yet answered. */
  readonly inFlight: Set<bigint>;
  /**
   * Heights asked from this peer that it may still answer: an answer for any other height is
   * unsolicited, while a late answer after a re-request elsewhere is ignored.
   */
  readonly asked: Set<bigint>;
}

/** One height of the sync window. */
interface Slot {
  peer: NodeId | null;
  sentAt: number;
  block: Block | null;
  /** Who sent `block`. */
  from: NodeId | null;
}

interface Penalty {
  strikes: number;
  until: number;
}

type Blame = { readonly peers: readonly NodeId[]; readonly reason: string };

/** The offence reported for a peer that lets a request time out (the p2p API has no "slow"). */
const SLOW_PEER_OFFENCE: PeerOffence = "spam";

export function createBlockSync(options: BlockSyncOptions, deps: BlockSyncDeps): BlockSync {
  const opts: Required<BlockSyncOptions> = { ...DEFAULTS, ...options };
  const { blockStore, network, metrics } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ module: "blocksync" });

  const peers = new Map<NodeId, PoolPeer>();
  const penalties = new Map<NodeId, Penalty>();
  const slots = new Map<bigint, Slot>();

  let syncing = false;
  let stopped = false;
  let state: ChainState | null = null;
  let runStartedAt = 0;
  let receivedBlock = false;
  let blocksSynced = 0;
  let applying: Promise<void> | null = null;
  let stopStatusTimer: (() => void) | null = null;
  let syncTimers: (() => void)[] = [];
  let rateMark = { at: 0, blocks: 0 };
  const sweepMs = Math.max(10, Math.min(1000, Math.floor(opts.requestTimeoutMs / 4)));
  let lastSweepAt = 0;

  const channel: Channel = network.registerChannel(BLOCKSYNC_CHANNEL, onMessage);

  network.onPeerConnected((peer) => {
    if (stopped) return;
    send(peer.nodeId, statusResponse());
    if (syncing) send(peer.nodeId, { kind: "statusRequest" });
  });
  network.onPeerDisconnected((peerId) => {
    const peer = peers.get(peerId);
    if (peer === undefined) return;
    unassign(peer);
    peers.delete(peerId);
    pump();
  });

  // ---- helpers -----------------------------------------------------------------------

  /** Runs `fn` every `ms` until the returned function is called. */
  function every(ms: number, fn: () => void): () => void {
    let active = true;
    let cancelCurrent = (): void => undefined;
    const arm = () => {
      cancelCurrent = clock.setTimer(ms, () => {
        if (!active) return;
        fn();
        if (active) arm();
      });
    };
    arm();
    return () => {
      active = false;
      cancelCurrent();
    };
  }

  function send(peer: NodeId, msg: BlocksyncMessage): boolean {
    return channel.send(peer, encodeBlocksyncMessage(msg));
  }

  function statusResponse(): BlocksyncMessage {
    const height = blockStore.height();
    return { kind: "statusResponse", base: height === 0n ? 0n : blockStore.base(), height };
  }

  function isActive(id: NodeId): boolean {
    const p = penalties.get(id);
    return p === undefined || p.until <= clock.nowMs();
  }

  /** No drop on record: the peer's claimed height may make us leave consensus (isBehind). */
  function isTrusted(id: NodeId): boolean {
    const p = penalties.get(id);
    if (p === undefined) return true;
    if (p.until + opts.maxPeerCooldownMs > clock.nowMs()) return false;
    penalties.delete(id);
    return true;
  }

  function activePeers(): PoolPeer[] {
    return [...peers.values()].filter((p) => isActive(p.id));
  }

  function maxPeerHeight(): bigint {
    let max = 0n;
    for (const p of activePeers()) if (p.height > max) max = p.height;
    return max;
  }

  function pendingRequests(): number {
    let n = 0;
    for (const p of peers.values()) n += p.inFlight.size;
    return n;
  }

  /** Frees the heights a peer was asked for, so they are requested elsewhere. */
  function unassign(peer: PoolPeer): void {
    for (const h of peer.inFlight) {
      const slot = slots.get(h);
      if (slot !== undefined && slot.peer === peer.id) slot.peer = null;
    }
    peer.inFlight.clear();
  }

  /**
   * Takes a peer out of the pool (pool.go removePeer) for a cool-down that doubles with each
   * drop, reporting it when `offence` is given; `discard` also drops the unapplied blocks it sent.
   */
  function dropPeer(
    id: NodeId,
    reason: string,
    offence: PeerOffence | null,
    discard: boolean,
    baseCooldownMs: number,
  ) {
    isTrusted(id); // forgets an old record
    const prev = penalties.get(id);
    const strikes = (prev?.strikes ?? 0) + 1;
    const cooldown = Math.min(opts.maxPeerCooldownMs, baseCooldownMs * 2 ** (strikes - 1));
    penalties.set(id, { strikes, until: clock.nowMs() + cooldown });
    const peer = peers.get(id);
    if (peer !== undefined) unassign(peer);
    if (discard) {
      for (const slot of slots.values()) {
        if (slot.from === id) {
          slot.block = null;
          slot.from = null;
        }
      }
    }
    log.info({ peer: id, reason, cooldownMs: cooldown }, "dropped peer from the block pool");
    if (offence !== null) network.reportPeer(id, offence, reason);
  }

  // ---- serving -------------------------------------------------------------------------

  function onMessage(peerId: NodeId, bytes: Uint8Array): void {
    if (stopped) return;
    const decoded = decodeBlocksyncMessage(bytes);
    if (!decoded.ok) {
      network.reportPeer(peerId, "malformed", decoded.error.message);
      return;
    }
    const msg = decoded.value;
    switch (msg.kind) {
      case "blockRequest":
        serveBlock(peerId, msg.height);
        break;
      case "statusRequest":
        send(peerId, statusResponse());
        break;
      case "statusResponse":
        onStatus(peerId, msg.base, msg.height);
        break;
      case "blockResponse":
        onBlock(peerId, msg.block);
        break;
      case "noBlockResponse":
        onNoBlock(peerId, msg.height);
        break;
    }
  }

  /** blocksync/reactor.go respondToPeer. */
  function serveBlock(peerId: NodeId, height: bigint): void {
    const bytes = height > 0n ? blockStore.loadBlock(height) : undefined;
    if (bytes === undefined) {
      send(peerId, { kind: "noBlockResponse", height });
      return;
    }
    channel.send(peerId, encodeBlockResponseFromBytes(bytes));
  }

  // ---- the pool --------------------------------------------------------------------------

  function onStatus(peerId: NodeId, base: bigint, height: bigint): void {
    let peer = peers.get(peerId);
    if (peer === undefined) {
      peer = { id: peerId, base, height, inFlight: new Set(), asked: new Set() };
      peers.set(peerId, peer);
    } else {
      peer.base = base;
      peer.height = height;
    }
    if (syncing) {
      pump();
      checkCaughtUp();
    }
  }

  function onBlock(peerId: NodeId, block: Block): void {
    const height = block.header?.height ?? -1n;
    const peer = peers.get(peerId);
    if (peer === undefined || !peer.asked.has(height)) {
      // A peer never asked for this height. (Peers taken out of the pool are forgotten only
      // on disconnect, so their late answers are still recognised.)
      if (peer === undefined && !syncing) return;
      network.reportPeer(peerId, "unsolicited", `block ${height} was not requested from it`);
      return;
    }
    peer.asked.delete(height);
    const slot = slots.get(height);
    if (!syncing || slot === undefined || slot.peer !== peerId || slot.block !== null) {
      // Late: re-requested elsewhere after a timeout, or the run ended.
      if (peer.inFlight.delete(height) && slot !== undefined && slot.peer === peerId)
        slot.peer = null;
      return;
    }
    peer.inFlight.delete(height);
    slot.peer = null;
    slot.block = block;
    slot.from = peerId;
    receivedBlock = true;
    applyReady();
    pump();
  }

  function onNoBlock(peerId: NodeId, height: bigint): void {
    const peer = peers.get(peerId);
    if (peer === undefined || !peer.asked.has(height)) {
      log.debug({ peer: peerId, height: String(height) }, "unrequested NoBlockResponse");
      return;
    }
    peer.asked.delete(height);
    peer.inFlight.delete(height);
    const slot = slots.get(height);
    if (slot !== undefined && slot.peer === peerId) slot.peer = null;
    // It reported this height in its range and now says it lacks it (pruned, or lied about
    // its height): stop asking it for a while, and ask others.
    if (height >= peer.base && height <= peer.height)
      dropPeer(
        peerId,
        `has no block ${height} within its reported range`,
        null,
        false,
        opts.requestTimeoutMs,
      );
    pump();
  }

  function pickPeer(height: bigint): PoolPeer | null {
    let best: PoolPeer | null = null;
    for (const p of peers.values()) {
      if (height < p.base || height > p.height) continue;
      if (p.inFlight.size >= opts.maxPendingPerPeer || !isActive(p.id)) continue;
      if (best === null || p.inFlight.size < best.inFlight.size) best = p;
    }
    return best;
  }

  /** Requests the window's unrequested heights from peers that have them (pool.go makeNextRequester). */
  function pump(): void {
    if (!syncing || state === null) return;
    const next = nextHeight(state);
    const top = maxPeerHeight();
    const end = next + BigInt(opts.maxBlocksAhead);
    for (let h = next; h < end && h <= top; h++) {
      let slot = slots.get(h);
      if (slot !== undefined && (slot.block !== null || slot.peer !== null)) continue;
      const peer = pickPeer(h);
      if (peer === null) continue;
      if (!send(peer.id, { kind: "blockRequest", height: h })) continue;
      if (slot === undefined) {
        slot = { peer: null, sentAt: 0, block: null, from: null };
        slots.set(h, slot);
      }
      slot.peer = peer.id;
      slot.sentAt = clock.nowMs();
      peer.inFlight.add(h);
      peer.asked.add(h);
    }
  }

  /** Drops peers whose oldest request has waited longer than requestTimeoutMs. */
  function sweepTimeouts(): void {
    const now = clock.nowMs();
    // A sweep much later than scheduled means this process was busy (applying blocks):
    // answers may be waiting unread, so nobody is judged slow on this round.
    const starved = now - lastSweepAt > 2 * sweepMs + 100;
    lastSweepAt = now;
    const slow = new Set<NodeId>();
    for (const [h, slot] of starved ? [] : slots) {
      if (slot.peer !== null && slot.block === null && now - slot.sentAt > opts.requestTimeoutMs) {
        if (!slow.has(slot.peer)) {
          slow.add(slot.peer);
          log.debug({ peer: slot.peer, height: String(h) }, "block request timed out");
        }
      }
    }
    for (const id of slow) {
      dropPeer(
        id,
        `no answer to a block request within ${opts.requestTimeoutMs} ms`,
        SLOW_PEER_OFFENCE,
        false,
        opts.requestTimeoutMs,
      );
    }
    // Forget asked heights far below the window: an answer for them now is unsolicited.
    if (state !== null) {
      const floor = state.lastBlockHeight - BigInt(opts.maxBlocksAhead);
      for (const p of peers.values()) for (const h of p.asked) if (h < floor) p.asked.delete(h);
    }
    pump();
    checkCaughtUp();
  }

  // ---- verify and apply --------------------------------------------------------------------

  /**
   * blocksync/reactor.go poolRoutine: block H is verified with the LastCommit in block H+1
   * (VerifyCommitLight against the validators of H), then validateBlock. When the commit is
   * genuine (it verifies against its own BlockID) but names another block, only H's sender
   * is blamed; when it does not verify, only H+1's sender; when a committed block fails
   * validateBlock, both (as CometBFT does).
   */
  function verifyPair(
    st: ChainState,
    first: Block,
    second: Block,
    firstFrom: NodeId,
    secondFrom: NodeId,
  ): Result<ProposalBlock, Blame> {
    const height = first.header?.height ?? 0n;
    const lastCommit = second.lastCommit;
    if (lastCommit === undefined)
      return err({ peers: [secondFrom], reason: `block ${height + 1n} has no LastCommit` });
    const basic = validateCommit(lastCommit);
    if (!basic.ok) {
      return err({
        peers: [secondFrom],
        reason: `block ${height + 1n} has a malformed LastCommit: ${basic.error.message}`,
      });
    }
    const own = verifyCommitLight(
      st.chainId,
      st.validators,
      lastCommit.blockId,
      height,
      lastCommit,
    );
    if (!own.ok) {
      return err({
        peers: [secondFrom],
        reason: `block ${height + 1n} carries an invalid commit for block ${height}: ${own.error.message}`,
      });
    }
    const sealed = sealBlock(first);
    if (!blockIdEquals(sealed.blockId, lastCommit.blockId)) {
      return err({
        peers: [firstFrom],
        reason: `block ${height} (${toHex(sealed.blockId.hash)}) is not the committed block (${toHex(lastCommit.blockId?.hash ?? new Uint8Array())})`,
      });
    }
    const valid = deps.executor.validateBlock(st, first);
    if (!valid.ok) {
      return err({
        peers: [firstFrom, secondFrom],
        reason: `committed block ${height} fails validation: ${valid.error.message}`,
      });
    }
    return ok(sealed);
  }

  function pairReady(): boolean {
    if (state === null) return false;
    const height = nextHeight(state);
    return (
      (slots.get(height)?.block ?? null) !== null &&
      (slots.get(height + 1n)?.block ?? null) !== null
    );
  }

  /** Starts the apply loop unless it runs; it applies while consecutive pairs are in. */
  function applyReady(): void {
    if (applying !== null || !syncing) return;
    applying = applyLoop().finally(() => {
      applying = null;
      if (!syncing) return;
      pump();
      if (pairReady()) applyReady();
      else checkCaughtUp();
    });
  }

  async function applyLoop(): Promise<void> {
    try {
      while (syncing && state !== null) {
        const height = nextHeight(state);
        const first = slots.get(height);
        const second = slots.get(height + 1n);
        if (
          first === undefined ||
          second === undefined ||
          first.block === null ||
          second.block === null
        )
          break;
        const verdict = verifyPair(
          state,
          first.block,
          second.block,
          first.from as NodeId,
          second.from as NodeId,
        );
        if (!verdict.ok) {
          const { peers: blamed, reason } = verdict.error;
          log.warn({ height: String(height), peers: blamed, reason }, "invalid block from peer");
          for (const id of new Set(blamed))
            dropPeer(id, reason, "invalid", true, opts.peerCooldownMs);
          pump();
          continue;
        }
        const commit = second.block.lastCommit as Commit;
        const sealed = verdict.value;
        state = await deps.applyBlock(sealed, commit);
        slots.delete(height);
        blocksSynced++;
        recordApplied(sealed, height);
        pump();
      }
    } catch (e) {
      log.fatal({ err: e }, "applying a synced block failed; block sync stopped");
      endRun();
      deps.onFatal?.(e);
    }
  }

  function recordApplied(sealed: ProposalBlock, height: bigint): void {
    const txs = sealed.block.data?.txs.length ?? 0;
    if (metrics !== null) {
      metrics.numTxs.set(txs);
      metrics.totalTxs.inc(txs);
      metrics.blockSizeBytes.set(sealed.blockBytes.length);
      metrics.latestBlockHeight.set(Number(height));
    }
    if (blocksSynced % 100 === 0) {
      const now = clock.nowMs();
      const rate = ((blocksSynced - rateMark.blocks) * 1000) / Math.max(1, now - rateMark.at);
      rateMark = { at: now, blocks: blocksSynced };
      log.info(
        {
          height: String(height),
          maxPeerHeight: String(maxPeerHeight()),
          blocksPerSecond: Math.round(rate),
        },
        "block sync rate",
      );
    }
  }

  /** pool.go IsCaughtUp: a peer, a block received or the start-up wait over, and height ≥ max − 1. */
  function checkCaughtUp(): void {
    if (!syncing || state === null || applying !== null) return;
    if (activePeers().length === 0) return;
    if (!receivedBlock && clock.nowMs() - runStartedAt < opts.startupWaitMs) return;
    const top = maxPeerHeight();
    if (state.lastBlockHeight < top - 1n) return;
    const caughtUp = state;
    log.info(
      {
        height: String(caughtUp.lastBlockHeight),
        maxPeerHeight: String(top),
        blocks: blocksSynced,
      },
      "caught up; switching to consensus",
    );
    endRun();
    deps.onCaughtUp(caughtUp);
  }

  function endRun(): void {
    syncing = false;
    for (const cancel of syncTimers) cancel();
    syncTimers = [];
    for (const p of peers.values()) p.inFlight.clear();
    slots.clear();
    metrics?.syncing.set(0);
  }

  function start(): void {
    if (stopStatusTimer !== null) return;
    stopStatusTimer = every(opts.statusIntervalMs, () => {
      channel.broadcast(encodeBlocksyncMessage(statusResponse()));
      if (syncing) channel.broadcast(encodeBlocksyncMessage({ kind: "statusRequest" }));
    });
  }

  function startSync(): void {
    if (syncing) return;
    start();
    state = deps.chainState();
    syncing = true;
    runStartedAt = clock.nowMs();
    rateMark = { at: runStartedAt, blocks: 0 };
    receivedBlock = false;
    blocksSynced = 0;
    for (const p of peers.values()) p.inFlight.clear();
    slots.clear();
    metrics?.syncing.set(1);
    log.info({ height: String(state.lastBlockHeight) }, "block sync started");
    channel.broadcast(encodeBlocksyncMessage({ kind: "statusRequest" }));
    lastSweepAt = runStartedAt;
    syncTimers = [every(sweepMs, sweepTimeouts), every(opts.caughtUpCheckMs, checkCaughtUp)];
    pump();
  }

  async function stopSync(): Promise<void> {
    if (syncing) {
      endRun();
      log.info({}, "block sync stopped");
    }
    if (applying !== null) await applying;
  }

  return {
    start,
    async stop() {
      stopped = true;
      stopStatusTimer?.();
      stopStatusTimer = null;
      await stopSync();
    },
    startSync,
    stopSync,
    isSyncing: () => syncing,
    isBehind() {
      const ours = blockStore.height();
      return [...peers.values()].some((p) => isTrusted(p.id) && p.height >= ours + 2n);
    },
    status() {
      return {
        syncing,
        height: blockStore.height(),
        maxPeerHeight: maxPeerHeight(),
        peers: activePeers().length,
        pendingRequests: pendingRequests(),
        blocksSynced,
      };
    },
  };
}
