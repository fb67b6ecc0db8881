// Mempool gossip on channel 0x30 (CometBFT mempool/reactor.go): every tx that enters the local
// mempool goes once to each peer that did not send it to us (the txs of one event-loop turn in
// one message per peer); txs from peers go through CheckTx.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { mempoolWire } from "@qos/types";
import type { Logger } from "../logger.ts";
import { CHANNEL, type NodeId, type P2PNetwork } from "../p2p/p2pNetwork.ts";
import type { Mempool, MempoolTx } from "./mempool.ts";

export interface MempoolReactorOptions {
  readonly network: Pick<
    P2PNetwork,
    "registerChannel" | "onPeerConnected" | "onPeerDisconnected" | "reportPeer" | "peers"
  >;
  readonly mempool: Mempool;
  readonly logger: Logger;
  /** The mempool's max_tx_bytes (default 1 MiB): the channel's message limit is derived from it. */
  readonly maxTxBytes?: number;
  /** Messages queued per peer before new ones are dropped (default 10000). */
  readonly sendQueueCapacity?: number;
  /**
   * Whether txs are sent to peers at all (config `mempool.broadcast`, default true). A node
   * that does not broadcast still takes txs from peers; its own txs reach a block only when it
   * proposes (CometBFT's `broadcast = false`, used by sentries and private submitters).
   */
  readonly broadcast?: boolean;
  /** Txs failing CheckTx from one peer within a minute that count as one `spam` offence (default 100). */
  readonly invalidTxsPerSpam?: number;
}

export interface MempoolReactor {
  /** Stops gossiping (unsubscribes from the mempool and the network). */
  stop(): void;
}

/** A message carrying the txs of a new peer's catch-up holds up to this many bytes of txs. */
const CATCH_UP_BATCH_BYTES = 64 * 1024;
const CATCH_UP_RETRY_MS = 50;
const SPAM_WINDOW_MS = 60_000;

export function encodeMempoolTxs(txs: readonly Uint8Array[]): Uint8Array {
  return toBinary(
    mempoolWire.MessageSchema,
    create(mempoolWire.MessageSchema, {
      sum: { case: "txs", value: create(mempoolWire.TxsSchema, { txs: [...txs] }) },
    }),
  );
}

/** The txs of a tendermint.mempool.Message, or null when it is not one. */
export function decodeMempoolTxs(bytes: Uint8Array): Uint8Array[] | null {
  try {
    const msg = fromBinary(mempoolWire.MessageSchema, bytes);
    return msg.sum.case === "txs" ? msg.sum.value.txs : null;
  } catch {
    return null;
  }
}

export function createMempoolReactor(opts: MempoolReactorOptions): MempoolReactor {
  const { network, mempool } = opts;
  const log = opts.logger.child({ module: "mempool-reactor" });
  const maxTxBytes = opts.maxTxBytes ?? 1024 * 1024;
  const invalidTxsPerSpam = opts.invalidTxsPerSpam ?? 100;
  const gossip = opts.broadcast ?? true;
  const peers = new Set<NodeId>();
  const invalid = new Map<NodeId, { since: number; count: number }>();
  const catchUps = new Map<NodeId, ReturnType<typeof setTimeout>>();
  let stopped = false;

  const channel = network.registerChannel(
    {
      id: CHANNEL.mempool,
      name: "mempool",
      // One tx plus the Message/Txs envelope (CometBFT: MaxTxBytes + overhead).
      maxMessageBytes: Math.max(maxTxBytes, CATCH_UP_BATCH_BYTES) + 1024,
      sendQueueCapacity: opts.sendQueueCapacity ?? 10_000,
    },
    onMessage,
  );

  function countInvalid(peer: NodeId): void {
    const now = Date.now();
    let w = invalid.get(peer);
    if (w === undefined || now - w.since > SPAM_WINDOW_MS) {
      w = { since: now, count: 0 };
      invalid.set(peer, w);
    }
    if (++w.count >= invalidTxsPerSpam) {
      invalid.delete(peer);
      network.reportPeer(peer, "spam", `${w.count} txs failing CheckTx within a minute`);
    }
  }

  function onMessage(peer: NodeId, bytes: Uint8Array): void {
    const txs = decodeMempoolTxs(bytes);
    if (txs === null || txs.length === 0) {
      network.reportPeer(peer, "malformed", "not a tendermint.mempool.Message with txs");
      return;
    }
    for (const tx of txs) {
      mempool.checkTx(tx, { sender: peer }).then(
        (res) => {
          if (res.ok) {
            if (res.value.code !== 0) countInvalid(peer);
            return;
          }
          // Already known, or the mempool is full: not the peer's fault.
          if (res.error.code === "tx_empty" || res.error.code === "tx_too_large")
            countInvalid(peer);
        },
        (e: unknown) => log.error({ err: e, peer }, "checkTx of a gossiped tx failed"),
      );
    }
  }

  /** Txs admitted in this turn of the event loop, per peer, sent together by `flush`. */
  const pending = new Map<NodeId, Uint8Array[]>();
  let flushScheduled = false;

  /**
   * Sends each peer its pending txs in `Txs` messages of up to CATCH_UP_BATCH_BYTES (a bigger
   * tx goes alone). Txs that arrive in one turn (a burst of RPC calls) share one message per
   * peer instead of one each: the p2p stream, framing and encoding cost is per message. The
   * wire format is unchanged (`Txs` holds a list; CometBFT reads every entry).
   */
  function flush(): void {
    flushScheduled = false;
    if (stopped) return;
    for (const [peer, txs] of pending) {
      pending.delete(peer);
      if (!peers.has(peer)) continue;
      let i = 0;
      while (i < txs.length) {
        const batch: Uint8Array[] = [];
        let size = 0;
        for (; i < txs.length; i++) {
          const tx = txs[i] as Uint8Array;
          if (batch.length > 0 && size + tx.length + 6 > CATCH_UP_BATCH_BYTES) break;
          batch.push(tx);
          size += tx.length + 6;
        }
        if (!channel.send(peer, encodeMempoolTxs(batch))) {
          log.debug({ peer, txs: batch.length }, "txs not gossiped: send queue full");
        }
      }
    }
  }

  function broadcast(tx: MempoolTx): void {
    if (stopped || !gossip || peers.size === 0) return;
    for (const peer of peers) {
      if (tx.senders.has(peer)) continue;
      let list = pending.get(peer);
      if (list === undefined) {
        list = [];
        pending.set(peer, list);
      }
      list.push(tx.tx);
    }
    if (!flushScheduled && pending.size > 0) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }

  /** Sends a new peer what the mempool holds (the txs it did not send us), paced by its queue. */
  function catchUp(peer: NodeId, entries: MempoolTx[], from: number): void {
    catchUps.delete(peer);
    let i = from;
    while (i < entries.length && !stopped && peers.has(peer)) {
      const batch: Uint8Array[] = [];
      let size = 0;
      let j = i;
      for (; j < entries.length; j++) {
        const e = entries[j] as MempoolTx;
        if (e.senders.has(peer) || !mempool.has(e.hash)) continue;
        // Each tx costs its bytes plus a tag and a length prefix (at most 6 bytes).
        if (batch.length > 0 && size + e.tx.length + 6 > CATCH_UP_BATCH_BYTES) break;
        batch.push(e.tx);
        size += e.tx.length + 6;
      }
      if (batch.length > 0 && !channel.send(peer, encodeMempoolTxs(batch))) {
        catchUps.set(
          peer,
          setTimeout(() => catchUp(peer, entries, i), CATCH_UP_RETRY_MS),
        );
        return;
      }
      i = j;
    }
  }

  const unsubscribers = [
    mempool.onTxAdded(broadcast),
    network.onPeerConnected((p) => {
      peers.add(p.nodeId);
      const entries = mempool.entries();
      if (gossip && entries.length > 0) catchUp(p.nodeId, entries, 0);
    }),
    network.onPeerDisconnected((id) => {
      peers.delete(id);
      invalid.delete(id);
      const t = catchUps.get(id);
      if (t !== undefined) clearTimeout(t);
      catchUps.delete(id);
    }),
  ];
  for (const p of network.peers()) peers.add(p.nodeId);

  return {
    stop() {
      stopped = true;
      for (const u of unsubscribers) u();
      for (const t of catchUps.values()) clearTimeout(t);
      catchUps.clear();
    },
  };
}
