// Peer exchange on channel 0x00 (CometBFT p2p/pex): ask peers and seeds for addresses, answer
// their requests from the address book, and keep dialling until the outbound quota is met.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { p2pWire } from "@qos/types";
import type { Logger } from "../logger.ts";
import type { AddrBook } from "./addrBook.ts";
import { CHANNEL, type NodeId, type P2PNetwork } from "./p2pNetwork.ts";
import { isDialableIp, isValidNodeId, type PeerAddress } from "./peerAddress.ts";

/** CometBFT pex reactor: at most 250 addresses per answer (maxGetSelection). */
export const MAX_PEX_ADDRS = 250;
/** CometBFT: maxAddressSize (256) × maxGetSelection. */
const PEX_MAX_MESSAGE_BYTES = 64_000;

export interface PexReactorDeps {
  readonly network: Pick<
    P2PNetwork,
    "registerChannel" | "onPeerConnected" | "onPeerDisconnected" | "reportPeer" | "peers"
  >;
  readonly book: AddrBook;
  readonly selfId: NodeId;
  readonly seeds: readonly PeerAddress[];
  readonly maxOutbound: number;
  readonly ensurePeersPeriodMs: number;
  readonly logger: Logger;
  /** Outbound peers, seeds not counted. */
  readonly outboundCount: () => number;
  readonly isSeedPeer: (id: NodeId) => boolean;
  /** Not connected, not banned, and its IP acceptable. */
  readonly canDial: (id: NodeId, ip: string) => boolean;
  readonly dial: (addr: PeerAddress, kind: "seed" | "pex") => Promise<unknown>;
  readonly disconnect: (id: NodeId, reason: string) => void;
}

export interface PexReactor {
  start(): void;
  stop(): void;
}

export function createPexReactor(deps: PexReactorDeps): PexReactor {
  const { network, book, logger: log } = deps;
  const period = deps.ensurePeersPeriodMs;
  /** CometBFT minReceiveRequestInterval: a peer asking more often is spamming. */
  const minRequestIntervalMs = period / 3;
  const awaiting = new Set<NodeId>();
  const lastRequestFrom = new Map<NodeId, number>();
  const lastRequestTo = new Map<NodeId, number>();
  let interval: ReturnType<typeof setInterval> | null = null;
  let soon: ReturnType<typeof setTimeout> | null = null;
  let running = false;

  const channel = network.registerChannel(
    {
      id: CHANNEL.pex,
      name: "pex",
      maxMessageBytes: PEX_MAX_MESSAGE_BYTES,
      sendQueueCapacity: 10,
    },
    onMessage,
  );

  function request(peer: NodeId): void {
    const msg = create(p2pWire.PexMessageSchema, {
      sum: { case: "pexRequest", value: create(p2pWire.PexRequestSchema) },
    });
    if (channel.send(peer, toBinary(p2pWire.PexMessageSchema, msg))) {
      awaiting.add(peer);
      lastRequestTo.set(peer, Date.now());
    }
  }

  function answer(peer: NodeId): void {
    const addrs = book
      .selection(peer)
      .slice(0, MAX_PEX_ADDRS)
      .map((e) => create(p2pWire.NetAddressSchema, { id: e.id, ip: e.ip, port: e.port }));
    const msg = create(p2pWire.PexMessageSchema, {
      sum: { case: "pexAddrs", value: create(p2pWire.PexAddrsSchema, { addrs }) },
    });
    channel.send(peer, toBinary(p2pWire.PexMessageSchema, msg));
  }

  function onMessage(peer: NodeId, bytes: Uint8Array): void {
    let msg: p2pWire.PexMessage;
    try {
      msg = fromBinary(p2pWire.PexMessageSchema, bytes);
    } catch (e) {
      network.reportPeer(peer, "malformed", `undecodable PEX message: ${(e as Error).message}`);
      return;
    }
    const now = Date.now();
    switch (msg.sum.case) {
      case "pexRequest": {
        const last = lastRequestFrom.get(peer);
        if (last !== undefined && now - last < minRequestIntervalMs) {
          network.reportPeer(peer, "spam", `PEX request ${now - last} ms after the last one`);
          return;
        }
        lastRequestFrom.set(peer, now);
        answer(peer);
        return;
      }
      case "pexAddrs": {
        if (!awaiting.delete(peer)) {
          network.reportPeer(peer, "unsolicited", "PEX addresses we did not ask for");
          return;
        }
        const addrs = msg.sum.value.addrs;
        if (addrs.length > MAX_PEX_ADDRS) {
          network.reportPeer(
            peer,
            "malformed",
            `${addrs.length} PEX addresses (max ${MAX_PEX_ADDRS})`,
          );
          return;
        }
        let added = 0;
        let invalid = 0;
        for (const a of addrs) {
          if (a.id === deps.selfId) continue;
          if (!isValidNodeId(a.id) || !isDialableIp(a.ip) || a.port < 1 || a.port > 65535) {
            invalid++;
            continue;
          }
          if (book.add({ id: a.id, ip: a.ip, port: a.port }, peer)) added++;
        }
        if (invalid > 0) network.reportPeer(peer, "invalid", `${invalid} invalid PEX addresses`);
        log.debug({ peer, received: addrs.length, added }, "PEX addresses");
        if (deps.isSeedPeer(peer)) deps.disconnect(peer, "seed answered");
        ensurePeersSoon();
        return;
      }
      default:
        network.reportPeer(peer, "malformed", "empty PEX message");
    }
  }

  network.onPeerConnected((p) => {
    if (!running) return;
    if (book.needMoreAddrs() && (p.outbound || deps.isSeedPeer(p.nodeId))) request(p.nodeId);
  });
  network.onPeerDisconnected((id) => {
    awaiting.delete(id);
    lastRequestFrom.delete(id);
    lastRequestTo.delete(id);
  });

  function ensurePeersSoon(): void {
    if (!running || soon !== null) return;
    soon = setTimeout(() => {
      soon = null;
      ensurePeers();
    }, 0);
  }

  /** CometBFT ensurePeers: dial book addresses up to the outbound quota; ask for more if needed. */
  function ensurePeers(): void {
    if (!running) return;
    try {
      book.save();
    } catch (e) {
      log.error({ err: e }, "cannot save the address book");
    }
    const now = Date.now();
    const need = deps.maxOutbound - deps.outboundCount();
    if (need > 0) {
      const picks = book.pickToDial(need, now, (e) => deps.canDial(e.id, e.ip));
      for (const e of picks) {
        book.markAttempt(e.id, now);
        void deps.dial({ id: e.id, host: e.ip, port: e.port }, "pex").then((peer) => {
          if (peer !== null) book.markGood(e.id, Date.now());
        });
      }
    }
    const peers = network.peers();
    for (const p of peers) {
      // A seed that has not answered in three periods is dropped.
      if (deps.isSeedPeer(p.nodeId) && now - p.connectedAtMs > 3 * period) {
        deps.disconnect(p.nodeId, "seed kept too long");
      }
    }
    if (!book.needMoreAddrs()) return;
    // A request unanswered for a period may be repeated.
    const askable = peers.filter((p) => now - (lastRequestTo.get(p.nodeId) ?? 0) >= period);
    const pick = askable[Math.floor(Math.random() * askable.length)];
    if (pick !== undefined) {
      request(pick.nodeId);
    } else if (peers.length === 0 && deps.seeds.length > 0) {
      const seeds = deps.seeds.filter((s) => s.id === null || deps.canDial(s.id, s.host));
      const seed = seeds[Math.floor(Math.random() * seeds.length)];
      if (seed !== undefined) void deps.dial(seed, "seed");
    }
  }

  return {
    start() {
      running = true;
      soon = setTimeout(
        () => {
          soon = null;
          ensurePeers();
        },
        Math.min(period, 1000),
      );
      interval = setInterval(ensurePeers, period);
    },
    stop() {
      running = false;
      if (interval !== null) clearInterval(interval);
      if (soon !== null) clearTimeout(soon);
      interval = null;
      soon = null;
    },
  };
}
