// An in-process P2PNetwork: several nodes joined by links that deliver each channel's messages
// asynchronously and in order, with the channel size limits and per-peer send queues, peer
// reports, a score and bans. Tests use it to run real reactors against each other.

import type { P2PNodeInfo } from "../../src/p2p/nodeInfo.ts";
import type {
  Channel,
  ChannelDescriptor,
  NodeId,
  P2PNetwork,
  PeerInfo,
  PeerOffence,
} from "../../src/p2p/p2pNetwork.ts";

export interface PeerReport {
  readonly reporter: NodeId;
  readonly peer: NodeId;
  readonly offence: PeerOffence;
  readonly reason: string;
}

export interface MemoryNetwork extends P2PNetwork {
  /** Reports this node made about its peers. */
  readonly reports: PeerReport[];
  /** Peers this node banned. */
  readonly banned: Set<NodeId>;
}

export interface MemoryHub {
  /** A node's network endpoint; `nodeId` must be unique in the hub. */
  createNetwork(nodeId: NodeId): MemoryNetwork;
  connect(a: NodeId, b: NodeId): void;
  disconnect(a: NodeId, b: NodeId): void;
  /** Messages delivered so far from `from` to `to` on `channel` (each filter optional). */
  delivered(from?: NodeId, to?: NodeId, channel?: number): number;
}

/** Score lost per report; at BAN_SCORE or below the peer is disconnected and banned. */
const OFFENCE_COST: Record<PeerOffence, number> = {
  malformed: 20,
  oversized: 50,
  invalid: 30,
  unsolicited: 10,
  spam: 5,
};
const START_SCORE = 100;
const BAN_SCORE = 0;

interface Endpoint {
  readonly net: MemoryNetwork;
  started: boolean;
  readonly channels: Map<
    number,
    { desc: ChannelDescriptor; onMessage: (peer: NodeId, bytes: Uint8Array) => void }
  >;
  readonly links: Map<NodeId, Link>;
  readonly info: P2PNodeInfo;
  readonly scores: Map<NodeId, number>;
  readonly connectedCbs: Set<(peer: PeerInfo) => void>;
  readonly disconnectedCbs: Set<(peer: NodeId) => void>;
}

/** One direction of a connection: a queue per channel, drained one message per macrotask. */
interface Link {
  readonly to: NodeId;
  readonly outbound: boolean;
  readonly queues: Map<number, Uint8Array[]>;
  readonly connectedAtMs: number;
  scheduled: boolean;
  open: boolean;
}

export function createMemoryHub(): MemoryHub {
  const endpoints = new Map<NodeId, Endpoint>();
  const deliveredLog: { from: NodeId; to: NodeId; channel: number }[] = [];

  function endpoint(id: NodeId): Endpoint {
    const e = endpoints.get(id);
    if (e === undefined) throw new Error(`unknown node ${id}`);
    return e;
  }

  function peerInfo(self: Endpoint, link: Link): PeerInfo {
    return {
      nodeId: link.to,
      moniker: link.to,
      remoteAddr: `memory://${link.to}`,
      outbound: link.outbound,
      score: self.scores.get(link.to) ?? START_SCORE,
      nodeInfo: endpoint(link.to).info,
      persistent: false,
      connectedAtMs: link.connectedAtMs,
    };
  }

  function schedule(from: Endpoint, link: Link): void {
    if (link.scheduled) return;
    link.scheduled = true;
    setImmediate(() => {
      link.scheduled = false;
      if (!link.open) return;
      const target = endpoints.get(link.to);
      if (target === undefined) return;
      // One message per channel per turn, so channels interleave like a multiplexed connection.
      for (const [channelId, queue] of link.queues) {
        const bytes = queue.shift();
        if (bytes === undefined) continue;
        const ch = target.channels.get(channelId);
        if (ch === undefined || !target.started) continue;
        if (bytes.length > ch.desc.maxMessageBytes) {
          target.net.reportPeer(from.net.nodeId, "oversized", `message of ${bytes.length} bytes`);
          continue;
        }
        deliveredLog.push({ from: from.net.nodeId, to: link.to, channel: channelId });
        ch.onMessage(from.net.nodeId, bytes);
      }
      if ([...link.queues.values()].some((q) => q.length > 0)) schedule(from, link);
    });
  }

  function drop(a: Endpoint, b: Endpoint): void {
    const ab = a.links.get(b.net.nodeId);
    const ba = b.links.get(a.net.nodeId);
    if (ab === undefined || ba === undefined) return;
    ab.open = false;
    ba.open = false;
    a.links.delete(b.net.nodeId);
    b.links.delete(a.net.nodeId);
    for (const cb of a.disconnectedCbs) cb(b.net.nodeId);
    for (const cb of b.disconnectedCbs) cb(a.net.nodeId);
  }

  function createNetwork(nodeId: NodeId): MemoryNetwork {
    if (endpoints.has(nodeId)) throw new Error(`node ${nodeId} exists`);
    const reports: PeerReport[] = [];
    const banned = new Set<NodeId>();
    const self: Endpoint = {
      net: undefined as unknown as MemoryNetwork,
      started: false,
      channels: new Map(),
      links: new Map(),
      info: {
        protocolVersion: { p2p: 8n, block: 11n, app: 0n },
        nodeId,
        listenAddr: `memory://${nodeId}`,
        network: "memory",
        version: "0.38.0",
        channels: new Uint8Array(),
        moniker: nodeId,
        other: { txIndex: "off", rpcAddress: "" },
      },
      scores: new Map(),
      connectedCbs: new Set(),
      disconnectedCbs: new Set(),
    };

    function channelFor(desc: ChannelDescriptor): Channel {
      const sendTo = (peer: NodeId, bytes: Uint8Array): boolean => {
        const link = self.links.get(peer);
        if (link === undefined || !link.open) return false;
        let queue = link.queues.get(desc.id);
        if (queue === undefined) {
          queue = [];
          link.queues.set(desc.id, queue);
        }
        if (queue.length >= desc.sendQueueCapacity) return false;
        queue.push(bytes.slice());
        schedule(self, link);
        return true;
      };
      return {
        send: sendTo,
        broadcast(bytes, except) {
          for (const peer of self.links.keys()) if (peer !== except) sendTo(peer, bytes);
        },
      };
    }

    const net: MemoryNetwork = {
      nodeId,
      reports,
      banned,
      registerChannel(desc, onMessage) {
        if (self.started) throw new Error("registerChannel after start");
        if (self.channels.has(desc.id)) throw new Error(`channel ${desc.id} registered twice`);
        self.channels.set(desc.id, { desc, onMessage });
        return channelFor(desc);
      },
      async start() {
        self.started = true;
      },
      async stop() {
        self.started = false;
        for (const peer of [...self.links.keys()]) drop(self, endpoint(peer));
      },
      peers() {
        return [...self.links.values()].map((l) => peerInfo(self, l));
      },
      onPeerConnected(cb) {
        self.connectedCbs.add(cb);
        return () => self.connectedCbs.delete(cb);
      },
      onPeerDisconnected(cb) {
        self.disconnectedCbs.add(cb);
        return () => self.disconnectedCbs.delete(cb);
      },
      reportPeer(peer, offence, reason) {
        reports.push({ reporter: nodeId, peer, offence, reason });
        const score = (self.scores.get(peer) ?? START_SCORE) - OFFENCE_COST[offence];
        self.scores.set(peer, score);
        if (score <= BAN_SCORE) net.banPeer(peer, `score ${score}`);
      },
      banPeer(peer) {
        banned.add(peer);
        const other = endpoints.get(peer);
        if (other !== undefined) drop(self, other);
      },
      listenAddresses: () => [`memory://${nodeId}`],
      nodeInfo: () => self.info,
      isBanned: (peer) => banned.has(peer),
    };
    (self as { net: MemoryNetwork }).net = net;
    endpoints.set(nodeId, self);
    return net;
  }

  return {
    createNetwork,
    connect(a, b) {
      const ea = endpoint(a);
      const eb = endpoint(b);
      if (ea.links.has(b) || ea.net.banned.has(b) || eb.net.banned.has(a)) return;
      const at = Date.now();
      const ab: Link = {
        to: b,
        outbound: true,
        queues: new Map(),
        connectedAtMs: at,
        scheduled: false,
        open: true,
      };
      const ba: Link = { ...ab, to: a, outbound: false, queues: new Map() };
      ea.links.set(b, ab);
      eb.links.set(a, ba);
      for (const cb of ea.connectedCbs) cb(peerInfo(ea, ab));
      for (const cb of eb.connectedCbs) cb(peerInfo(eb, ba));
    },
    disconnect(a, b) {
      drop(endpoint(a), endpoint(b));
    },
    delivered: (from, to, channel) =>
      deliveredLog.filter(
        (d) =>
          (from === undefined || d.from === from) &&
          (to === undefined || d.to === to) &&
          (channel === undefined || d.channel === channel),
      ).length,
  };
}
