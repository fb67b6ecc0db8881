// The node's peer-to-peer network on libp2p 2.x (tcp + noise + yamux): identity from the
// node key, NodeInfo handshake, channels as libp2p protocols, peers, scores, bans and PEX.

import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { privateKeyFromRaw } from "@libp2p/crypto/keys";
import type { Connection, Libp2p, MultiaddrConnection, PeerId, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import type { Multiaddr } from "@multiformats/multiaddr";
import { BLOCK_PROTOCOL } from "@qos/types";
import { createLibp2p } from "libp2p";
import { type Ed25519Key, nodeIdFromPublicKey } from "../keyFiles.ts";
import type { Logger } from "../logger.ts";
import { COMETBFT_COMPAT_VERSION, P2P_PROTOCOL } from "../version.ts";
import { type AddrBook, createAddrBook } from "./addrBook.ts";
import { createFrameDecoder, encodeFrame, type FrameError } from "./frame.ts";
import {
  decodeNodeInfo,
  encodeNodeInfo,
  MAX_NODE_INFO_BYTES,
  nodeInfoIncompatibility,
  type P2PNodeInfo,
} from "./nodeInfo.ts";
import { channelLabel, type P2PMetrics } from "./p2pMetrics.ts";
import {
  hostPort,
  isLoopbackIp,
  isUnspecifiedIp,
  multiaddrHostPort,
  type PeerAddress,
  parsePeerAddress,
  parsePeerList,
  peerAddressToMultiaddr,
  peerAddressToString,
} from "./peerAddress.ts";
import { createBanList, createPeerScores } from "./peerScores.ts";
import { createPeerSendQueue, type PeerSendQueue } from "./peerSendQueue.ts";
import { createPexReactor, type PexReactor } from "./pexReactor.ts";

/** CometBFT channel ids (p2p/conn, reactors): PEX 0x00, consensus State 0x20, Data 0x21, Vote 0x22, VoteSetBits 0x23, Mempool 0x30, Evidence 0x38, Blocksync 0x40. */
export const CHANNEL = {
  pex: 0x00,
  consensusState: 0x20,
  consensusData: 0x21,
  consensusVote: 0x22,
  consensusVoteSetBits: 0x23,
  mempool: 0x30,
  evidence: 0x38,
  blocksync: 0x40,
} as const;

/** CometBFT node id: lower-case hex of sha256(ed25519 pubkey)[:20]. */
export type NodeId = string;

export interface ChannelDescriptor {
  readonly id: number;
  readonly name: string;
  /** Messages above this size are dropped and the sender's score lowered. */
  readonly maxMessageBytes: number;
  /** Per-peer outbound queue capacity (messages); when full, `send` returns false and the message is dropped. */
  readonly sendQueueCapacity: number;
}

export type PeerOffence = "malformed" | "oversized" | "invalid" | "unsolicited" | "spam";

export interface Channel {
  /** Queues `bytes` for one peer; false when the peer is unknown or its queue is full (dropped). */
  send(peer: NodeId, bytes: Uint8Array): boolean;
  /** Queues `bytes` for every connected peer (except `except`). */
  broadcast(bytes: Uint8Array, except?: NodeId): void;
}

export interface PeerInfo {
  readonly nodeId: NodeId;
  readonly moniker: string;
  /** `ip:port` of the connection's far end. */
  readonly remoteAddr: string;
  readonly outbound: boolean;
  readonly score: number;
  /** What the peer said about itself in the handshake (for `/net_info`). */
  readonly nodeInfo: P2PNodeInfo;
  /** A configured persistent peer (redialled when it goes). */
  readonly persistent: boolean;
  /** When the peer connected (ms since the epoch). */
  readonly connectedAtMs: number;
}

export interface P2PNetwork {
  readonly nodeId: NodeId;
  /** Registers a reactor's channel before start(); `onMessage` gets every message of that channel from any peer. */
  registerChannel(
    desc: ChannelDescriptor,
    onMessage: (peer: NodeId, bytes: Uint8Array) => void,
  ): Channel;
  start(): Promise<void>;
  stop(): Promise<void>;
  peers(): readonly PeerInfo[];
  onPeerConnected(cb: (peer: PeerInfo) => void): () => void;
  onPeerDisconnected(cb: (peer: NodeId) => void): () => void;
  /** A reactor reports a misbehaving peer: its score drops; repeated offences disconnect and ban it for a while. */
  reportPeer(peer: NodeId, offence: PeerOffence, reason: string): void;
  /** Disconnects and bans at once (e.g. a peer proven Byzantine). */
  banPeer(peer: NodeId, reason: string, durationMs?: number): void;
  /** `host:port` addresses we listen on, with the real port (after start). */
  listenAddresses(): string[];
  /** The NodeInfo we send to peers (after start: its listen address has the bound port). */
  nodeInfo(): P2PNodeInfo;
  /** Whether a node id is banned now. */
  isBanned(peer: NodeId): boolean;
}

export interface P2PNetworkOptions {
  readonly chainId: string;
  readonly nodeKey: Ed25519Key;
  readonly moniker: string;
  /** config.toml `p2p.laddr`, e.g. "tcp://0.0.0.0:26656" (port 0: any free port). */
  readonly listenAddr: string;
  /** `host:port` peers should dial (config `external_address`); "" to advertise listenAddr. */
  readonly externalAddress: string;
  /** `id@host:port` entries, or config.toml's comma-separated string. */
  readonly persistentPeers: string | readonly string[];
  readonly seeds: string | readonly string[];
  readonly pex: boolean;
  readonly maxInbound: number;
  readonly maxOutbound: number;
  /**
   * Accept several peers from one IP (and never ban by IP). Loopback peers are always
   * allowed, whatever this says: every process of a local testnet shares 127.0.0.1.
   */
  readonly allowDuplicateIp: boolean;
  /** How long a ban lasts (CometBFT has none; default 10 minutes). */
  readonly banDurationMs: number;
  /** `<home>/config/addrbook.json`, or null to keep the address book in memory. */
  readonly addrBookPath: string | null;
  /** `node_info.version` (default the CometBFT version we are compatible with). */
  readonly version?: string;
  /** The app's protocol version in NodeInfo. */
  readonly appVersion?: bigint;
  /** NodeInfo `other.rpc_address` and `other.tx_index`. */
  readonly rpcAddress?: string;
  readonly txIndex?: "on" | "off";
  /** Time allowed for the NodeInfo exchange (default 10 s; CometBFT handshake_timeout is 20 s). */
  readonly handshakeTimeoutMs?: number;
  /** How often PEX checks the outbound peer count and asks for addresses (default 30 s). */
  readonly ensurePeersPeriodMs?: number;
  /** First redial delay of a persistent peer; doubles up to maxRedialDelayMs (defaults 1 s, 30 s). */
  readonly redialDelayMs?: number;
  readonly maxRedialDelayMs?: number;
  /** Time allowed for one dial (default 10 s). */
  readonly dialTimeoutMs?: number;
}

export interface P2PNetworkDeps {
  /** The node's logger; the network logs under child({ module: "p2p" }). */
  readonly logger: Logger;
  readonly metrics: P2PMetrics | null;
}

/** The handshake protocol: both ends send one length-prefixed NodeInfo, then close. */
export const HANDSHAKE_PROTOCOL = "/qos/handshake/1";
export const DEFAULT_BAN_DURATION_MS = 10 * 60_000;

export function channelProtocol(chainId: string, channelId: number): string {
  return `/qos/${chainId}/chan/${channelId.toString(16).padStart(2, "0")}/1`;
}

/** The libp2p private key of a node key (64 bytes: seed ‖ public key). */
export function nodeKeyToLibp2pKey(key: Ed25519Key): ReturnType<typeof privateKeyFromRaw> {
  return privateKeyFromRaw(key.privateKey);
}

/** The CometBFT node id of an authenticated libp2p peer; null for keys other than ed25519. */
export function nodeIdFromPeerId(peerId: PeerId): NodeId | null {
  if (peerId.type !== "Ed25519" || peerId.publicKey === undefined) return null;
  return nodeIdFromPublicKey(peerId.publicKey.raw);
}

type DialKind = "persistent" | "seed" | "pex";

interface DialIntent {
  readonly id: NodeId | null;
  readonly kind: DialKind;
  /** `host:port` dialled. */
  readonly key: string;
}

interface Peer {
  readonly nodeId: NodeId;
  conn: Connection;
  outbound: boolean;
  ip: string;
  remoteAddr: string;
  readonly info: P2PNodeInfo;
  readonly kind: DialKind | "inbound";
  readonly persistent: boolean;
  readonly connectedAtMs: number;
  readonly queues: Map<number, PeerSendQueue>;
}

interface ConnState {
  readonly conn: Connection;
  readonly nodeId: NodeId;
  readonly intent: DialIntent | null;
  /** Resolves to the peer once the handshake admitted it, or null. */
  readonly admitted: Promise<Peer | null>;
  resolve(peer: Peer | null): void;
  settled: boolean;
}

interface RegisteredChannel {
  readonly desc: ChannelDescriptor;
  readonly onMessage: (peer: NodeId, bytes: Uint8Array) => void;
  readonly protocol: string;
  readonly label: string;
}

interface PersistentEntry {
  readonly addr: PeerAddress;
  readonly key: string;
  /** The configured id, or the one learnt when it connected. */
  nodeId: NodeId | null;
  attempts: number;
  timer: ReturnType<typeof setTimeout> | null;
}

function toList(v: string | readonly string[]): PeerAddress[] {
  const text = typeof v === "string" ? v : v.join(",");
  const { addrs, invalid } = parsePeerList(text);
  if (invalid.length > 0) throw new Error(`invalid peer address(es): ${invalid.join(", ")}`);
  return addrs;
}

function ipOf(ma: Multiaddr): string {
  return multiaddrHostPort(ma)?.host ?? "";
}

export function createP2PNetwork(opts: P2PNetworkOptions, deps: P2PNetworkDeps): P2PNetwork {
  const log = deps.logger.child({ module: "p2p" });
  const metrics = deps.metrics;
  const selfId = nodeIdFromPublicKey(opts.nodeKey.publicKey);
  const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000;
  const ensurePeersPeriodMs = opts.ensurePeersPeriodMs ?? 30_000;
  const redialDelayMs = opts.redialDelayMs ?? 1000;
  const maxRedialDelayMs = opts.maxRedialDelayMs ?? 30_000;
  const dialTimeoutMs = opts.dialTimeoutMs ?? 10_000;
  const banDurationMs = opts.banDurationMs;

  const listen = parsePeerAddress(opts.listenAddr, true);
  if (listen === null || listen.id !== null) {
    throw new Error(`invalid p2p listen address ${JSON.stringify(opts.listenAddr)}`);
  }
  const external = opts.externalAddress === "" ? null : parsePeerAddress(opts.externalAddress);
  if (opts.externalAddress !== "" && (external === null || external.id !== null)) {
    throw new Error(`invalid p2p external address ${JSON.stringify(opts.externalAddress)}`);
  }
  const persistentAddrs = toList(opts.persistentPeers);
  const seedAddrs = toList(opts.seeds);
  const persistentIds = new Set(persistentAddrs.flatMap((a) => (a.id === null ? [] : [a.id])));

  const channels = new Map<number, RegisteredChannel>();
  const peers = new Map<NodeId, Peer>();
  const conns = new Map<string, ConnState>();
  const dialIntents = new Map<string, DialIntent>();
  /** Node ids being dialled: one dial per node at a time, so no duplicate connection of ours. */
  const dialingIds = new Set<NodeId>();
  const lastIp = new Map<NodeId, string>();
  const scores = createPeerScores();
  const bannedIds = createBanList();
  const bannedIps = createBanList();
  const connectedListeners = new Set<(peer: PeerInfo) => void>();
  const disconnectedListeners = new Set<(peer: NodeId) => void>();
  const book: AddrBook = createAddrBook({ path: opts.addrBookPath, selfId });
  const persistent: PersistentEntry[] = persistentAddrs.map((addr) => ({
    addr,
    key: hostPort(addr.host, addr.port),
    nodeId: addr.id,
    attempts: 0,
    timer: null,
  }));

  let node: Libp2p | null = null;
  let running = false;
  let ourInfo: P2PNodeInfo = buildNodeInfo(listen.port);
  let pex: PexReactor | null = null;

  function buildNodeInfo(port: number): P2PNodeInfo {
    const advertised = external ?? { host: listen?.host ?? "0.0.0.0", port };
    return {
      protocolVersion: { p2p: P2P_PROTOCOL, block: BLOCK_PROTOCOL, app: opts.appVersion ?? 0n },
      nodeId: selfId,
      listenAddr: hostPort(advertised.host, advertised.port),
      network: opts.chainId,
      version: opts.version ?? COMETBFT_COMPAT_VERSION,
      channels: Uint8Array.from([...channels.keys()].sort((a, b) => a - b)),
      moniker: opts.moniker,
      other: { txIndex: opts.txIndex ?? "on", rpcAddress: opts.rpcAddress ?? "" },
    };
  }

  const isIpExempt = (ip: string) => opts.allowDuplicateIp || isLoopbackIp(ip);

  function peerInfoOf(p: Peer): PeerInfo {
    return {
      nodeId: p.nodeId,
      moniker: p.info.moniker,
      remoteAddr: p.remoteAddr,
      outbound: p.outbound,
      score: scores.score(p.nodeId),
      nodeInfo: p.info,
      persistent: p.persistent,
      connectedAtMs: p.connectedAtMs,
    };
  }

  function reject(conn: Connection, reason: string, detail: Record<string, unknown>): null {
    metrics?.rejectedConnections.inc({ reason });
    log.info({ ...detail, remote: conn.remoteAddr.toString(), reason }, "peer refused");
    conn.close().catch(() => conn.abort(new Error(reason)));
    return null;
  }

  // --- sending -------------------------------------------------------------------------

  function queueFor(peer: Peer, ch: RegisteredChannel): PeerSendQueue {
    let q = peer.queues.get(ch.desc.id);
    if (q === undefined) {
      q = createPeerSendQueue({
        capacity: ch.desc.sendQueueCapacity,
        openStream: () => peer.conn.newStream(ch.protocol),
        onSent: (bytes) => metrics?.messageSendBytes.inc({ chID: ch.label }, bytes),
        onError: (e) =>
          log.debug({ peer: peer.nodeId, chID: ch.label, err: e }, "send stream failed"),
      });
      peer.queues.set(ch.desc.id, q);
    }
    return q;
  }

  function sendTo(peer: Peer, ch: RegisteredChannel, bytes: Uint8Array): boolean {
    if (!peer.info.channels.includes(ch.desc.id)) return false;
    const ok = queueFor(peer, ch).push(bytes);
    if (!ok) metrics?.messagesDropped.inc({ chID: ch.label, reason: "queue_full" });
    return ok;
  }

  // --- receiving -----------------------------------------------------------------------

  async function serveChannel(ch: RegisteredChannel, stream: Stream, conn: Connection) {
    const st = connState(conn);
    const peer = st === null ? null : await st.admitted;
    if (peer === null) {
      stream.abort(new Error("no handshake"));
      return;
    }
    const nodeId = peer.nodeId;
    const decoder = createFrameDecoder(ch.desc.maxMessageBytes);
    const deliver = (frame: Uint8Array) => {
      if (peers.get(nodeId) === undefined) return; // disconnected or banned meanwhile
      metrics?.messageReceiveBytes.inc({ chID: ch.label }, frame.length);
      try {
        ch.onMessage(nodeId, frame);
      } catch (e) {
        log.error({ err: e, peer: nodeId, chID: ch.label }, "channel handler threw");
      }
    };
    try {
      for await (const list of stream.source) {
        for (const chunk of list) {
          const bad = decoder.push(chunk, deliver);
          if (bad === null) continue;
          if (bad.kind === "oversized") {
            metrics?.messagesDropped.inc({ chID: ch.label, reason: "oversized" });
            stream.abort(new Error("oversized message"));
            reportPeer(
              nodeId,
              "oversized",
              `${bad.length}-byte message on channel ${ch.label} (max ${ch.desc.maxMessageBytes})`,
            );
          } else {
            stream.abort(new Error("malformed frame"));
            reportPeer(nodeId, "malformed", `bad length prefix on channel ${ch.label}`);
          }
          return;
        }
        if (peers.get(nodeId) === undefined) {
          stream.abort(new Error("peer gone"));
          return;
        }
      }
    } catch (e) {
      log.debug({ err: e, peer: nodeId, chID: ch.label }, "receive stream ended");
    }
  }

  // --- connections and the handshake ---------------------------------------------------

  function connState(conn: Connection): ConnState | null {
    const known = conns.get(conn.id);
    if (known !== undefined) return known;
    const nodeId = nodeIdFromPeerId(conn.remotePeer);
    if (nodeId === null) {
      conn.abort(new Error("not an ed25519 peer"));
      return null;
    }
    let resolve: (p: Peer | null) => void = () => {};
    const admitted = new Promise<Peer | null>((r) => {
      resolve = r;
    });
    const hp = multiaddrHostPort(conn.remoteAddr);
    const intent =
      conn.direction === "outbound" && hp !== null
        ? (dialIntents.get(hostPort(hp.host, hp.port)) ?? null)
        : null;
    const st: ConnState = {
      conn,
      nodeId,
      intent,
      admitted,
      settled: false,
      resolve(p) {
        if (st.settled) return;
        st.settled = true;
        resolve(p);
      },
    };
    conns.set(conn.id, st);
    return st;
  }

  function onConnectionOpen(conn: Connection): void {
    const st = connState(conn);
    if (st === null) return;
    lastIp.set(st.nodeId, ipOf(conn.remoteAddr));
    if (conn.direction === "outbound") {
      void conn
        .newStream(HANDSHAKE_PROTOCOL, { signal: AbortSignal.timeout(handshakeTimeoutMs) })
        .then((s) => handshake(st, s))
        .catch((e) => {
          st.resolve(reject(conn, "handshake_failed", { err: String(e), peer: st.nodeId }));
        });
    }
    // Inbound: the dialer opens the handshake stream; give up if it does not in time.
    const timer = setTimeout(() => {
      if (!st.settled) st.resolve(reject(conn, "handshake_timeout", { peer: st.nodeId }));
    }, handshakeTimeoutMs + 1000);
    void st.admitted.then(() => clearTimeout(timer));
  }

  function onConnectionClose(conn: Connection): void {
    const st = conns.get(conn.id);
    conns.delete(conn.id);
    st?.resolve(null);
    if (st === undefined) return;
    const peer = peers.get(st.nodeId);
    if (peer !== undefined && peer.conn.id === conn.id) removePeer(peer, "connection closed");
    const stillThere = [...conns.values()].some((c) => c.nodeId === st.nodeId);
    if (!stillThere && !peers.has(st.nodeId)) lastIp.delete(st.nodeId);
  }

  /** The peer's NodeInfo frame, or a FrameError when it framed it badly (its fault). */
  async function readNodeInfo(stream: Stream): Promise<Uint8Array | FrameError> {
    const decoder = createFrameDecoder(MAX_NODE_INFO_BYTES);
    let frame: Uint8Array | null = null;
    for await (const list of stream.source) {
      for (const chunk of list) {
        const bad = decoder.push(chunk, (f) => {
          frame ??= f;
        });
        if (bad !== null) return bad;
        if (frame !== null) return frame;
      }
    }
    throw new Error("stream ended before the NodeInfo");
  }

  async function handshake(st: ConnState, stream: Stream): Promise<void> {
    const timer = setTimeout(
      () => stream.abort(new Error("handshake timeout")),
      handshakeTimeoutMs,
    );
    let bytes: Uint8Array;
    try {
      const writing = stream.sink([encodeFrame(encodeNodeInfo(ourInfo))]);
      const read = await readNodeInfo(stream);
      if (!(read instanceof Uint8Array)) {
        writing.catch(() => {});
        stream.abort(new Error(`NodeInfo frame ${read.kind}`));
        reportPeer(st.nodeId, "malformed", `NodeInfo frame ${read.kind}`);
        st.resolve(reject(st.conn, "bad_node_info", { peer: st.nodeId, err: read.kind }));
        return;
      }
      bytes = read;
      await writing;
      await stream.close();
    } catch (e) {
      stream.abort(e instanceof Error ? e : new Error(String(e)));
      st.resolve(reject(st.conn, "handshake_failed", { err: String(e), peer: st.nodeId }));
      return;
    } finally {
      clearTimeout(timer);
    }
    const info = decodeNodeInfo(bytes);
    if (typeof info === "string") {
      // An authenticated node sent garbage: it costs that node id.
      reportPeer(st.nodeId, "malformed", `bad NodeInfo: ${info}`);
      st.resolve(reject(st.conn, "bad_node_info", { peer: st.nodeId, err: info }));
      return;
    }
    st.resolve(admit(st, info));
  }

  function admit(st: ConnState, info: P2PNodeInfo): Peer | null {
    const { conn, nodeId } = st;
    if (!running || st.settled || conn.status !== "open") return null;
    if (info.nodeId !== nodeId) {
      return reject(conn, "id_mismatch", { claimed: info.nodeId, peer: nodeId });
    }
    if (nodeId === selfId) return reject(conn, "self", { peer: nodeId });
    const incompatible = nodeInfoIncompatibility(ourInfo, info);
    if (incompatible !== null) {
      return reject(conn, "incompatible", { peer: nodeId, err: incompatible });
    }
    const ip = ipOf(conn.remoteAddr);
    if (bannedIds.isBanned(nodeId) || (!isIpExempt(ip) && bannedIps.isBanned(ip))) {
      return reject(conn, "banned", { peer: nodeId });
    }
    if (st.intent?.id != null && st.intent.id !== nodeId) {
      return reject(conn, "unexpected_id", { expected: st.intent.id, peer: nodeId });
    }
    const hp = multiaddrHostPort(conn.remoteAddr);
    const remoteAddr = hp === null ? conn.remoteAddr.toString() : hostPort(hp.host, hp.port);
    const outbound = conn.direction === "outbound";

    const existing = peers.get(nodeId);
    if (existing !== undefined) return resolveDuplicate(existing, conn, ip, remoteAddr);

    if (!outbound) {
      const inbound = [...peers.values()].filter((p) => !p.outbound).length;
      if (inbound >= opts.maxInbound) {
        return reject(conn, "max_inbound", { peer: nodeId, max: opts.maxInbound });
      }
    }
    if (!isIpExempt(ip) && [...peers.values()].some((p) => p.ip === ip)) {
      return reject(conn, "duplicate_ip", { peer: nodeId, ip });
    }

    const kind = outbound ? (st.intent?.kind ?? "pex") : "inbound";
    const peer: Peer = {
      nodeId,
      conn,
      outbound,
      ip,
      remoteAddr,
      info,
      kind,
      persistent: persistentIds.has(nodeId) || kind === "persistent",
      connectedAtMs: Date.now(),
      queues: new Map(),
    };
    peers.set(nodeId, peer);
    metrics?.peers.set(peers.size);
    log.info(
      { peer: nodeId, moniker: info.moniker, remote: remoteAddr, outbound, kind },
      "peer connected",
    );
    rememberAddress(peer);
    for (const e of persistent) {
      if (e.nodeId === nodeId || (e.addr.id === null && st.intent?.key === e.key)) {
        e.nodeId = nodeId;
        e.attempts = 0;
      }
    }
    const pi = peerInfoOf(peer);
    for (const cb of connectedListeners) {
      try {
        cb(pi);
      } catch (e) {
        log.error({ err: e }, "peer-connected listener threw");
      }
    }
    return peer;
  }

  /**
   * Two connections to one node (both dialled at once): keep the one dialled by the node
   * with the smaller id, so both ends keep the same one; on a tie keep the older.
   */
  function resolveDuplicate(peer: Peer, conn: Connection, ip: string, remoteAddr: string) {
    const dialer = (c: Connection) => (c.direction === "outbound" ? selfId : peer.nodeId);
    const newWins = dialer(conn) !== dialer(peer.conn) && dialer(conn) < dialer(peer.conn);
    if (!newWins) {
      log.debug({ peer: peer.nodeId }, "duplicate connection closed");
      conn.close().catch(() => {});
      // The peer stays admitted: streams that came on this connection are still served.
      return peer;
    }
    const old = peer.conn;
    peer.conn = conn;
    peer.outbound = conn.direction === "outbound";
    peer.ip = ip;
    peer.remoteAddr = remoteAddr;
    for (const [id, q] of peer.queues) {
      const ch = channels.get(id);
      if (ch !== undefined) q.rebind(() => peer.conn.newStream(ch.protocol));
    }
    log.debug({ peer: peer.nodeId }, "duplicate connection: switched to the preferred one");
    old.close().catch(() => {});
    return peer;
  }

  function removePeer(peer: Peer, reason: string): void {
    if (peers.get(peer.nodeId) !== peer) return;
    peers.delete(peer.nodeId);
    for (const q of peer.queues.values()) q.close();
    peer.queues.clear();
    metrics?.peers.set(peers.size);
    log.info({ peer: peer.nodeId, reason }, "peer disconnected");
    for (const cb of disconnectedListeners) {
      try {
        cb(peer.nodeId);
      } catch (e) {
        log.error({ err: e }, "peer-disconnected listener threw");
      }
    }
    if (running) {
      for (const e of persistent) if (e.nodeId === peer.nodeId) scheduleRedial(e);
    }
  }

  function disconnect(nodeId: NodeId, reason: string): void {
    const peer = peers.get(nodeId);
    if (peer !== undefined) removePeer(peer, reason);
    for (const st of [...conns.values()]) {
      if (st.nodeId !== nodeId) continue;
      st.resolve(null);
      st.conn.close().catch(() => st.conn.abort(new Error(reason)));
    }
  }

  /** Puts a connected peer's dialable address in the book (its listen address for inbound peers). */
  function rememberAddress(peer: Peer): void {
    if (peer.kind === "seed") return; // seeds are for addresses, not for keeping
    const now = Date.now();
    if (peer.outbound) {
      const hp = multiaddrHostPort(peer.conn.remoteAddr);
      if (hp !== null && book.add({ id: peer.nodeId, ip: hp.host, port: hp.port }, "self")) {
        book.markGood(peer.nodeId, now);
      }
      return;
    }
    const said = parsePeerAddress(peer.info.listenAddr);
    if (said === null) return;
    const ip = isUnspecifiedIp(said.host) ? peer.ip : said.host;
    book.add({ id: peer.nodeId, ip, port: said.port }, peer.nodeId);
  }

  // --- scores and bans -----------------------------------------------------------------

  /** `label` is the metric's reason (an offence or "manual"), `reason` the text logged. */
  function ban(nodeId: NodeId, label: string, reason: string, durationMs: number): void {
    bannedIds.ban(nodeId, durationMs);
    const ip = lastIp.get(nodeId);
    if (ip !== undefined && ip !== "" && !isIpExempt(ip)) bannedIps.ban(ip, durationMs);
    metrics?.peerBans.inc({ reason: label });
    log.warn({ peer: nodeId, reason, durationMs }, "peer banned");
    book.remove(nodeId);
    disconnect(nodeId, `banned: ${reason}`);
  }

  function reportPeer(peer: NodeId, offence: PeerOffence, reason: string): void {
    metrics?.peerReports.inc({ offence });
    log.info({ peer, offence, reason }, "peer misbehaved");
    if (bannedIds.isBanned(peer)) return;
    if (scores.penalize(peer, offence)) ban(peer, offence, `${offence}: ${reason}`, banDurationMs);
  }

  // --- dialling ------------------------------------------------------------------------

  /** Our id, or an address we listen on or advertise: we never dial ourselves. */
  function isSelfAddress(a: PeerAddress): boolean {
    if (a.id === selfId) return true;
    const listening = listenAddresses();
    if (
      listening.includes(hostPort(a.host, a.port)) ||
      ourInfo.listenAddr === hostPort(a.host, a.port)
    ) {
      return true;
    }
    const ourPorts = new Set([ourInfo.listenAddr, ...listening].map((s) => s.split(":").pop()));
    const local = isLoopbackIp(a.host) || isUnspecifiedIp(a.host) || a.host === "localhost";
    return local && ourPorts.has(String(a.port));
  }

  /** Dials an address; resolves to the admitted peer, or null. */
  async function dialAddress(a: PeerAddress, kind: DialKind): Promise<Peer | null> {
    const libp2p = node;
    if (libp2p === null || !running) return null;
    if (a.id !== null && (peers.has(a.id) || bannedIds.isBanned(a.id))) return null;
    if (isSelfAddress(a)) return null;
    if (!isIpExempt(a.host) && bannedIps.isBanned(a.host)) return null;
    const key = hostPort(a.host, a.port);
    if (dialIntents.has(key) || (a.id !== null && dialingIds.has(a.id))) return null;
    dialIntents.set(key, { id: a.id, kind, key });
    if (a.id !== null) dialingIds.add(a.id);
    try {
      const conn = await libp2p.dial(peerAddressToMultiaddr(a), {
        signal: AbortSignal.timeout(dialTimeoutMs),
      });
      const st = connState(conn);
      return st === null ? null : await st.admitted;
    } catch (e) {
      log.debug({ addr: peerAddressToString(a), err: String(e) }, "dial failed");
      return null;
    } finally {
      dialIntents.delete(key);
      if (a.id !== null) dialingIds.delete(a.id);
    }
  }

  function scheduleRedial(e: PersistentEntry): void {
    if (!running || e.timer !== null) return;
    const delay = Math.min(maxRedialDelayMs, redialDelayMs * 2 ** Math.min(e.attempts, 20));
    const jitter = delay * 0.2 * Math.random();
    e.timer = setTimeout(() => {
      e.timer = null;
      void dialPersistent(e);
    }, delay + jitter);
  }

  async function dialPersistent(e: PersistentEntry): Promise<void> {
    if (!running) return;
    if (e.nodeId !== null && peers.has(e.nodeId)) return; // its disconnect reschedules
    e.attempts++;
    const peer = await dialAddress(e.addr, "persistent");
    if (peer === null) scheduleRedial(e);
  }

  // --- the P2PNetwork ------------------------------------------------------------------

  function listenAddresses(): string[] {
    if (node === null) return [];
    const out = new Set<string>();
    for (const ma of node.getMultiaddrs()) {
      const hp = multiaddrHostPort(ma);
      if (hp !== null) out.add(hostPort(hp.host, hp.port));
    }
    return [...out];
  }

  /** Connection gater checks, before encryption: banned IPs, one peer per IP, inbound quota. */
  function gaterDeniesInbound(maConn: MultiaddrConnection): boolean {
    const ip = ipOf(maConn.remoteAddr);
    let reason: string | null = null;
    if (!isIpExempt(ip) && bannedIps.isBanned(ip)) reason = "banned";
    else if (!isIpExempt(ip) && [...peers.values()].some((p) => p.ip === ip))
      reason = "duplicate_ip";
    else if ([...peers.values()].filter((p) => !p.outbound).length >= opts.maxInbound) {
      reason = "max_inbound";
    }
    if (reason === null) return false;
    metrics?.rejectedConnections.inc({ reason });
    log.debug({ remote: maConn.remoteAddr.toString(), reason }, "inbound connection refused");
    return true;
  }

  /** After encryption, the remote key is known: refuse non-ed25519 keys, ourselves and banned ids. */
  function gaterDeniesPeer(peerId: PeerId): boolean {
    const id = nodeIdFromPeerId(peerId);
    const reason =
      id === null
        ? "not_ed25519"
        : id === selfId
          ? "self"
          : bannedIds.isBanned(id)
            ? "banned"
            : null;
    if (reason === null) return false;
    metrics?.rejectedConnections.inc({ reason });
    log.debug({ peer: id, reason }, "connection refused");
    return true;
  }

  const network: P2PNetwork = {
    nodeId: selfId,

    registerChannel(desc, onMessage) {
      if (node !== null) throw new Error("registerChannel: call it before start()");
      if (channels.has(desc.id))
        throw new Error(`channel ${channelLabel(desc.id)} registered twice`);
      if (!Number.isInteger(desc.id) || desc.id < 0 || desc.id > 0xff) {
        throw new Error(`channel id ${desc.id} is not a byte`);
      }
      if (!(desc.maxMessageBytes > 0 && desc.sendQueueCapacity >= 1)) {
        throw new Error(`channel ${channelLabel(desc.id)}: limits must be positive`);
      }
      const ch: RegisteredChannel = {
        desc,
        onMessage,
        protocol: channelProtocol(opts.chainId, desc.id),
        label: channelLabel(desc.id),
      };
      channels.set(desc.id, ch);
      return {
        send(peerId, bytes) {
          const peer = peers.get(peerId);
          if (peer === undefined) return false;
          if (bytes.length > desc.maxMessageBytes) {
            log.error(
              { chID: ch.label, size: bytes.length },
              "refusing to send an oversized message",
            );
            return false;
          }
          return sendTo(peer, ch, bytes);
        },
        broadcast(bytes, except) {
          if (bytes.length > desc.maxMessageBytes) {
            log.error(
              { chID: ch.label, size: bytes.length },
              "refusing to send an oversized message",
            );
            return;
          }
          for (const peer of peers.values()) if (peer.nodeId !== except) sendTo(peer, ch, bytes);
        },
      };
    },

    async start() {
      if (node !== null) throw new Error("p2p network already started");
      if (opts.pex) {
        pex = createPexReactor({
          network,
          book,
          selfId,
          seeds: seedAddrs,
          maxOutbound: opts.maxOutbound,
          ensurePeersPeriodMs,
          logger: log,
          outboundCount: () =>
            [...peers.values()].filter((p) => p.outbound && p.kind !== "seed").length,
          isSeedPeer: (id) => peers.get(id)?.kind === "seed",
          canDial: (id, ip) =>
            !peers.has(id) &&
            !bannedIds.isBanned(id) &&
            (isIpExempt(ip) ||
              (!bannedIps.isBanned(ip) && ![...peers.values()].some((p) => p.ip === ip))),
          dial: (a, kind) => dialAddress(a, kind),
          disconnect: (id, reason) => disconnect(id, reason),
        });
      } else if (seedAddrs.length > 0) {
        log.warn("seeds are ignored: PEX is off");
      }
      for (const a of persistentAddrs) {
        if (a.id !== null) book.add({ id: a.id, ip: a.host, port: a.port }, "config");
      }
      const libp2p = await createLibp2p({
        start: false,
        privateKey: nodeKeyToLibp2pKey(opts.nodeKey),
        addresses: { listen: [`${peerAddressToMultiaddr(listen).toString()}`] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionManager: {
          maxConnections: opts.maxInbound + opts.maxOutbound + persistentAddrs.length + 16,
          inboundConnectionThreshold: 10,
          dialTimeout: dialTimeoutMs,
        },
        connectionGater: {
          denyDialPeer: (peerId) => {
            const id = nodeIdFromPeerId(peerId);
            return id === null || id === selfId || bannedIds.isBanned(id);
          },
          denyDialMultiaddr: (ma) => {
            const ip = ipOf(ma);
            return !isIpExempt(ip) && bannedIps.isBanned(ip);
          },
          denyInboundConnection: (maConn) => gaterDeniesInbound(maConn),
          denyInboundEncryptedConnection: (peerId) => gaterDeniesPeer(peerId),
          denyOutboundEncryptedConnection: (peerId, maConn) => {
            if (gaterDeniesPeer(peerId)) return true;
            const id = nodeIdFromPeerId(peerId);
            const hp = multiaddrHostPort(maConn.remoteAddr);
            const expected = hp === null ? null : dialIntents.get(hostPort(hp.host, hp.port))?.id;
            if (expected != null && expected !== id) {
              metrics?.rejectedConnections.inc({ reason: "unexpected_id" });
              log.info({ expected, peer: id }, "dialled address has another node id");
              return true;
            }
            return false;
          },
        },
      });
      node = libp2p;
      libp2p.addEventListener("connection:open", (evt) => {
        try {
          onConnectionOpen(evt.detail);
        } catch (e) {
          log.error({ err: e }, "connection open handling failed");
        }
      });
      libp2p.addEventListener("connection:close", (evt) => {
        try {
          onConnectionClose(evt.detail);
        } catch (e) {
          log.error({ err: e }, "connection close handling failed");
        }
      });
      await libp2p.handle(
        HANDSHAKE_PROTOCOL,
        ({ stream, connection }) => {
          const st = connState(connection);
          if (st === null || connection.direction !== "inbound" || st.settled) {
            stream.abort(new Error("unexpected handshake"));
            return;
          }
          void handshake(st, stream);
        },
        { maxInboundStreams: 1, maxOutboundStreams: 1 },
      );
      for (const ch of channels.values()) {
        await libp2p.handle(
          ch.protocol,
          ({ stream, connection }) => {
            void serveChannel(ch, stream, connection);
          },
          { maxInboundStreams: 4, maxOutboundStreams: 4 },
        );
      }
      running = true;
      await libp2p.start();
      const port = multiaddrHostPort(
        libp2p.getMultiaddrs()[0] ?? peerAddressToMultiaddr(listen),
      )?.port;
      ourInfo = buildNodeInfo(port ?? listen.port);
      log.info(
        { nodeId: selfId, listen: listenAddresses(), advertised: ourInfo.listenAddr },
        "p2p listening",
      );
      for (const e of persistent) void dialPersistent(e);
      pex?.start();
    },

    async stop() {
      if (node === null || !running) return;
      running = false;
      pex?.stop();
      for (const e of persistent) {
        if (e.timer !== null) clearTimeout(e.timer);
        e.timer = null;
      }
      for (const peer of [...peers.values()]) removePeer(peer, "stopping");
      try {
        book.save();
      } catch (e) {
        log.error({ err: e }, "cannot save the address book");
      }
      await node.stop();
    },

    peers: () => [...peers.values()].map(peerInfoOf),

    onPeerConnected(cb) {
      connectedListeners.add(cb);
      return () => connectedListeners.delete(cb);
    },

    onPeerDisconnected(cb) {
      disconnectedListeners.add(cb);
      return () => disconnectedListeners.delete(cb);
    },

    reportPeer,

    banPeer(peer, reason, durationMs) {
      ban(peer, "manual", reason, durationMs ?? banDurationMs);
    },

    listenAddresses,
    nodeInfo: () => ourInfo,
    isBanned: (peer) => bannedIds.isBanned(peer),
  };
  return network;
}
