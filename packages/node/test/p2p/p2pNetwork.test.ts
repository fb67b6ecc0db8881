import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Libp2p, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import fc from "fast-check";
import { createLibp2p } from "libp2p";
import { afterEach, describe, expect, it } from "vitest";
import { type Ed25519Key, generateEd25519Key, nodeIdFromPublicKey } from "../../src/keyFiles.ts";
import { createFrameDecoder, encodeFrame } from "../../src/p2p/frame.ts";
import { decodeNodeInfo, encodeNodeInfo, type P2PNodeInfo } from "../../src/p2p/nodeInfo.ts";
import {
  CHANNEL,
  type ChannelDescriptor,
  channelProtocol,
  HANDSHAKE_PROTOCOL,
  type NodeId,
  nodeKeyToLibp2pKey,
  type P2PNetworkOptions,
} from "../../src/p2p/p2pNetwork.ts";
import { parsePeerAddress, peerAddressToMultiaddr } from "../../src/p2p/peerAddress.ts";
import {
  addressOf,
  isConnected,
  makeNode,
  metricValue,
  TEST_CHAIN,
  type TestNode,
  waitFor,
} from "./p2pHarness.ts";

const started: TestNode[] = [];
const raws: Libp2p[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.net.stop()));
  await Promise.all(raws.splice(0).map((r) => r.stop()));
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const desc = (id: number, maxMessageBytes = 1024, sendQueueCapacity = 1000): ChannelDescriptor => ({
  id,
  name: `ch${id}`,
  maxMessageBytes,
  sendQueueCapacity,
});

interface Inbox {
  readonly got: { peer: NodeId; ch: number; text: string }[];
  of(ch: number, peer?: NodeId): string[];
}

function inbox(): Inbox {
  const got: Inbox["got"] = [];
  return {
    got,
    of: (ch, peer) =>
      got.filter((m) => m.ch === ch && (peer === undefined || m.peer === peer)).map((m) => m.text),
  };
}

/** Starts a node with the given channels; every message lands in the returned inbox. */
async function start(
  overrides: Partial<P2PNetworkOptions> = {},
  channels: ChannelDescriptor[] = [desc(0x30)],
  key?: Ed25519Key,
) {
  const node = makeNode(overrides, key);
  const box = inbox();
  const chans = new Map(
    channels.map((d) => [
      d.id,
      node.net.registerChannel(d, (peer, bytes) =>
        box.got.push({ peer, ch: d.id, text: dec(bytes) }),
      ),
    ]),
  );
  await node.net.start();
  started.push(node);
  const ch = (id: number) => {
    const c = chans.get(id);
    if (c === undefined) throw new Error(`no channel ${id}`);
    return c;
  };
  return { ...node, box, ch };
}

/** A bare libp2p node with a node key: speaks our protocols by hand, to misbehave. */
async function rawClient(key: Ed25519Key): Promise<Libp2p> {
  const node = await createLibp2p({
    privateKey: nodeKeyToLibp2pKey(key),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
  raws.push(node);
  return node;
}

function infoFor(key: Ed25519Key, over: Partial<P2PNodeInfo> = {}): P2PNodeInfo {
  return {
    protocolVersion: { p2p: 8n, block: 11n, app: 0n },
    nodeId: nodeIdFromPublicKey(key.publicKey),
    listenAddr: "127.0.0.1:1",
    network: TEST_CHAIN,
    version: "0.38.17",
    channels: Uint8Array.from([0x30]),
    moniker: "raw",
    other: { txIndex: "on", rpcAddress: "" },
    ...over,
  };
}

function maOf(addr: string) {
  const a = parsePeerAddress(addr);
  if (a === null) throw new Error(addr);
  return peerAddressToMultiaddr(a);
}

/** Writes `frames` on a new stream and returns the first frame read back (or null at the end). */
async function exchange(stream: Stream, frames: Uint8Array[]): Promise<Uint8Array | null> {
  const writing = stream.sink(frames).catch(() => {});
  const decoder = createFrameDecoder(1 << 16);
  let first: Uint8Array | null = null;
  try {
    for await (const list of stream.source) {
      for (const chunk of list) {
        decoder.push(chunk, (f) => {
          first ??= f;
        });
      }
      if (first !== null) break;
    }
  } catch {
    // reset by the other end
  }
  await writing;
  return first;
}

describe("p2p network on loopback", () => {
  it("connects through persistent peers and exchanges messages on two channels both ways, in order", async () => {
    const chans = [desc(0x20, 1024, 10_000), desc(0x30, 1024, 10_000)];
    const a = await start({}, chans);
    const connected: string[] = [];
    a.net.onPeerConnected((p) => connected.push(p.nodeId));
    const b = await start({ persistentPeers: [addressOf(a.net)] }, chans);
    await waitFor(() => isConnected(a.net, b.net), "a and b to connect");
    expect(connected).toEqual([b.net.nodeId]);
    const pa = a.net.peers()[0];
    expect(pa).toMatchObject({
      nodeId: b.net.nodeId,
      outbound: false,
      score: 100,
      moniker: "test",
    });
    expect(b.net.peers()[0]).toMatchObject({
      nodeId: a.net.nodeId,
      outbound: true,
      persistent: true,
    });
    expect(pa?.nodeInfo.network).toBe(TEST_CHAIN);
    expect([...(pa?.nodeInfo.channels ?? [])]).toEqual([0x20, 0x30]);

    const N = 2000;
    for (let i = 0; i < N; i++) {
      expect(a.ch(0x20).send(b.net.nodeId, enc(`a20-${i}`))).toBe(true);
      expect(a.ch(0x30).send(b.net.nodeId, enc(`a30-${i}`))).toBe(true);
      expect(b.ch(0x20).send(a.net.nodeId, enc(`b20-${i}`))).toBe(true);
      expect(b.ch(0x30).send(a.net.nodeId, enc(`b30-${i}`))).toBe(true);
    }
    await waitFor(() => a.box.got.length === 2 * N && b.box.got.length === 2 * N, "all messages");
    const seq = (p: string) => Array.from({ length: N }, (_, i) => `${p}-${i}`);
    expect(b.box.of(0x20, a.net.nodeId)).toEqual(seq("a20"));
    expect(b.box.of(0x30, a.net.nodeId)).toEqual(seq("a30"));
    expect(a.box.of(0x20, b.net.nodeId)).toEqual(seq("b20"));
    expect(a.box.of(0x30, b.net.nodeId)).toEqual(seq("b30"));
    expect(
      await metricValue(a.registry, "cometbft_p2p_message_send_bytes_total", { chID: "0x30" }),
    ).toBe(seq("a30").reduce((n, s) => n + s.length, 0));
    expect(
      await metricValue(b.registry, "cometbft_p2p_message_receive_bytes_total", { chID: "0x20" }),
    ).toBe(seq("a20").reduce((n, s) => n + s.length, 0));
    expect(await metricValue(a.registry, "cometbft_p2p_peers")).toBe(1);

    // broadcast reaches every peer but the excepted one.
    const c = await start({ persistentPeers: [addressOf(a.net)] }, chans);
    await waitFor(() => a.net.peers().length === 2, "c to connect");
    a.ch(0x30).broadcast(enc("to-all"));
    a.ch(0x30).broadcast(enc("not-b"), b.net.nodeId);
    await waitFor(() => c.box.of(0x30).length === 2, "c's broadcasts");
    expect(c.box.of(0x30)).toEqual(["to-all", "not-b"]);
    await waitFor(() => b.box.of(0x30).includes("to-all"), "b's broadcast");
    expect(b.box.of(0x30)).not.toContain("not-b");

    // A stopped peer is seen to go.
    const gone: string[] = [];
    a.net.onPeerDisconnected((p) => gone.push(p));
    await c.net.stop();
    await waitFor(() => gone.includes(c.net.nodeId), "c's disconnection");
    expect(a.net.peers().map((p) => p.nodeId)).toEqual([b.net.nodeId]);
    expect(a.ch(0x30).send(c.net.nodeId, enc("x"))).toBe(false);
  });

  it("keeps one connection when two nodes dial each other at once, and redials a restarted persistent peer", async () => {
    // A fixed port for b, so it can come back on it.
    const port = await freePort();
    const bKey = generateEd25519Key();
    const bAddr = `${nodeIdFromPublicKey(bKey.publicKey)}@127.0.0.1:${port}`;
    const a = await start({ persistentPeers: [bAddr] });
    const b = await start(
      { listenAddr: `tcp://127.0.0.1:${port}`, persistentPeers: [addressOf(a.net)] },
      [desc(0x30)],
      bKey,
    );
    await waitFor(() => isConnected(a.net, b.net), "a and b");
    for (let i = 0; i < 100; i++) a.ch(0x30).send(b.net.nodeId, enc(`m${i}`));
    await waitFor(() => b.box.of(0x30).length === 100, "messages over the kept connection");
    expect(b.box.of(0x30)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(a.net.peers().length).toBe(1);

    await b.net.stop();
    await waitFor(() => a.net.peers().length === 0, "b gone");
    const b2 = await start({ listenAddr: `tcp://127.0.0.1:${port}` }, [desc(0x30)], bKey);
    await waitFor(() => isConnected(a.net, b2.net), "a to redial b");
    expect(a.net.peers()[0]?.outbound).toBe(true);
  });

  it("drops an oversized frame unread, reports the sender, and bans it when it repeats", async () => {
    const a = await start({}, [desc(0x30, 100)]);
    // b's channel 0x30 allows bigger messages than a's, so b can send what a refuses.
    const b = await start({ persistentPeers: [addressOf(a.net)], redialDelayMs: 50 }, [
      desc(0x30, 10_000),
    ]);
    await waitFor(() => isConnected(a.net, b.net), "a and b");
    b.ch(0x30).send(a.net.nodeId, enc("small"));
    b.ch(0x30).send(a.net.nodeId, enc("x".repeat(101)));
    await waitFor(() => (a.net.peers()[0]?.score ?? 100) < 100, "b's score to drop");
    expect(a.net.peers()[0]?.score).toBeCloseTo(50, 0);
    expect(a.box.of(0x30)).toEqual(["small"]);
    expect(
      await metricValue(a.registry, "cometbft_p2p_message_dropped_total", {
        chID: "0x30",
        reason: "oversized",
      }),
    ).toBe(1);
    // The stream was reset; b's next send opens a new one.
    await waitFor(() => {
      b.ch(0x30).send(a.net.nodeId, enc("y".repeat(500)));
      return a.net.isBanned(b.net.nodeId);
    }, "b's ban");
    expect(a.net.peers()).toEqual([]);
    expect(a.box.of(0x30)).toEqual(["small"]);
    expect(
      await metricValue(a.registry, "cometbft_p2p_peer_bans_total", { reason: "oversized" }),
    ).toBe(1);
    // b keeps redialling (a is its persistent peer) and is refused every time.
    await waitFor(() => a.net.peers().length === 0 && b.net.peers().length === 0, "no peers");
    const before = await metricValue(a.registry, "cometbft_p2p_rejected_connections_total", {
      reason: "banned",
    });
    let refused = before;
    await waitForAsync(async () => {
      refused = await metricValue(a.registry, "cometbft_p2p_rejected_connections_total", {
        reason: "banned",
      });
      return refused >= before + 2;
    }, "b's redials to be refused");
    expect(a.net.peers()).toEqual([]);
  });

  it("survives garbage on a raw TCP connection to its listen port", async () => {
    const a = await start();
    const b = await start({ persistentPeers: [addressOf(a.net)] });
    await waitFor(() => isConnected(a.net, b.net), "a and b");
    const [host, port] = (a.net.listenAddresses()[0] ?? "").split(":");
    for (const junk of [
      enc("GET / HTTP/1.1\r\n\r\n"),
      Uint8Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff),
      enc("/multistream/1.0.0\n"),
      Uint8Array.from([0x13, ...enc("/multistream/1.0.0\n"), 0xff, 0xff, 0xff, 0xff, 0x0f]),
    ]) {
      await new Promise<void>((resolve) => {
        const sock = createConnection({ host: host ?? "", port: Number(port) }, () =>
          sock.end(junk),
        );
        sock.on("error", () => resolve());
        sock.on("close", () => resolve());
        sock.resume();
      });
    }
    // Still serving its peer and accepting new ones.
    b.ch(0x30).send(a.net.nodeId, enc("still here"));
    await waitFor(() => a.box.of(0x30).includes("still here"), "a message after the garbage");
    const c = await start({ persistentPeers: [addressOf(a.net)] });
    await waitFor(() => isConnected(a.net, c.net), "a new peer after the garbage");
  });

  it("survives garbage on the handshake and on a channel; bans the offender and refuses its reconnection", async () => {
    const a = await start({ pex: true }, [desc(0x30)]);
    const key = generateEd25519Key();
    const badId = nodeIdFromPublicKey(key.publicKey);
    const raw = await rawClient(key);
    const target = maOf(a.net.listenAddresses()[0] ?? "");

    // 1. Garbage instead of a NodeInfo: refused, and it costs the key's node id.
    {
      const conn = await raw.dial(target);
      const s = await conn.newStream(HANDSHAKE_PROTOCOL);
      const reply = await exchange(s, [encodeFrame(Uint8Array.from([0xff, 0x01, 0x02, 0x03]))]);
      expect(reply).not.toBeNull(); // a sent its own NodeInfo first
      await waitFor(() => conn.status !== "open", "a to drop the connection");
      expect(a.net.peers()).toEqual([]);
    }
    // 2. A good handshake, then garbage frames on a channel and junk on PEX.
    const openPeer = async () => {
      const conn = await raw.dial(target);
      const s = await conn.newStream(HANDSHAKE_PROTOCOL);
      const reply = await exchange(s, [encodeFrame(encodeNodeInfo(infoFor(key)))]);
      const theirs = reply === null ? null : decodeNodeInfo(reply);
      expect(typeof theirs === "string" ? theirs : theirs?.nodeId).toBe(a.net.nodeId);
      await waitFor(() => a.net.peers().some((p) => p.nodeId === badId), "the raw peer admitted");
      return conn;
    };
    const conn = await openPeer();
    const ch = await conn.newStream(channelProtocol(TEST_CHAIN, 0x30));
    await ch.sink([Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80])]).catch(() => {});
    await waitFor(() => (a.net.peers()[0]?.score ?? 100) < 100, "malformed frame reported");
    // Junk PEX messages: well framed, undecodable.
    for (let i = 0; i < 5 && !a.net.isBanned(badId); i++) {
      const pex = await conn.newStream(channelProtocol(TEST_CHAIN, CHANNEL.pex)).catch(() => null);
      if (pex === null) break;
      await pex.sink([encodeFrame(Uint8Array.from([0xff, 0xff, 0xff]))]).catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(() => a.net.isBanned(badId), "the offender's ban");
    await waitFor(() => conn.status !== "open", "the offender's connection closed");
    expect(a.net.peers()).toEqual([]);
    expect(
      await metricValue(a.registry, "cometbft_p2p_peer_reports_total", { offence: "malformed" }),
    ).toBeGreaterThanOrEqual(3);
    // Its reconnection is refused.
    const again = await raw.dial(target).then(
      async (c) => {
        const s = await c.newStream(HANDSHAKE_PROTOCOL).catch(() => null);
        return s === null ? null : await exchange(s, [encodeFrame(encodeNodeInfo(infoFor(key)))]);
      },
      () => null,
    );
    expect(again).toBeNull();
    expect(a.net.peers()).toEqual([]);
    expect(
      await metricValue(a.registry, "cometbft_p2p_rejected_connections_total", {
        reason: "banned",
      }),
    ).toBeGreaterThanOrEqual(1);

    // The node still works.
    const b = await start({ persistentPeers: [addressOf(a.net)] });
    await waitFor(() => isConnected(a.net, b.net), "an honest peer");
  });

  it("survives random junk on the handshake from many keys", async () => {
    const a = await start();
    const target = maOf(a.net.listenAddresses()[0] ?? "");
    const junks = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => [encodeFrame(b)]),
        fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => [b]),
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }),
      ),
      { numRuns: 30, seed: 42 },
    );
    // libp2p refuses more than 10 connections a second from one host: some dials fail.
    let delivered = 0;
    for (const frames of junks) {
      const raw = await rawClient(generateEd25519Key());
      const conn = await raw.dial(target).catch(() => null);
      const s = conn === null ? null : await conn.newStream(HANDSHAKE_PROTOCOL).catch(() => null);
      if (s !== null) {
        await exchange(s, frames);
        delivered++;
      }
      await raw.stop();
    }
    expect(delivered).toBeGreaterThanOrEqual(10);
    expect(a.net.peers()).toEqual([]);
    const b = await start({ persistentPeers: [addressOf(a.net)] });
    await waitFor(() => isConnected(a.net, b.net), "an honest peer after the junk");
  });

  it("keeps its address book in addrbook.json across restarts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "p2p-book-"));
    try {
      const path = join(dir, "config", "addrbook.json");
      const b = await start({ pex: true });
      const a = await start({ pex: true, addrBookPath: path, persistentPeers: [addressOf(b.net)] });
      await waitFor(() => isConnected(a.net, b.net), "a and b");
      await a.net.stop();
      const saved = JSON.parse(readFileSync(path, "utf8")) as {
        addrs: { id: string; port: number }[];
      };
      expect(saved.addrs.map((e) => e.id)).toEqual([b.net.nodeId]);
      // A restarted a (no persistent peers now) finds b from its book.
      const again = await start({ pex: true, addrBookPath: path }, [desc(0x30)], a.key);
      await waitFor(() => isConnected(again.net, b.net), "a to redial b from its book");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a peer on another chain", async () => {
    const a = await start();
    const b = await start({ chainId: "other-chain", persistentPeers: [addressOf(a.net)] });
    // Each end refuses the other; whichever decides first closes the connection.
    const refusals = async () =>
      (await metricValue(a.registry, "cometbft_p2p_rejected_connections_total", {
        reason: "incompatible",
      })) +
      (await metricValue(b.registry, "cometbft_p2p_rejected_connections_total", {
        reason: "incompatible",
      }));
    await waitForAsync(async () => (await refusals()) >= 2, "two refusals");
    expect(a.net.peers()).toEqual([]);
    expect(b.net.peers()).toEqual([]);
  });

  it("refuses a peer whose claimed node id is not its key's", async () => {
    const a = await start();
    const key = generateEd25519Key();
    const raw = await rawClient(key);
    const conn = await raw.dial(maOf(a.net.listenAddresses()[0] ?? ""));
    const s = await conn.newStream(HANDSHAKE_PROTOCOL);
    const other = nodeIdFromPublicKey(generateEd25519Key().publicKey);
    await exchange(s, [encodeFrame(encodeNodeInfo(infoFor(key, { nodeId: other })))]);
    await waitFor(() => conn.status !== "open", "the connection dropped");
    expect(a.net.peers()).toEqual([]);
    expect(
      await metricValue(a.registry, "cometbft_p2p_rejected_connections_total", {
        reason: "id_mismatch",
      }),
    ).toBe(1);
  });

  it("drops a persistent peer whose key is not the configured id, and never dials itself", async () => {
    const a = await start();
    const wrong = nodeIdFromPublicKey(generateEd25519Key().publicKey);
    const [hp] = a.net.listenAddresses();
    const b = await start({ persistentPeers: [`${wrong}@${hp}`] });
    await waitForAsync(
      async () =>
        (await metricValue(b.registry, "cometbft_p2p_rejected_connections_total", {
          reason: "unexpected_id",
        })) >= 2,
      "b to refuse a's key",
    );
    expect(a.net.peers()).toEqual([]);
    expect(b.net.peers()).toEqual([]);

    // A node whose persistent peers and address book hold itself.
    const port = await freePort();
    const self = generateEd25519Key();
    const selfId = nodeIdFromPublicKey(self.publicKey);
    const c = await start(
      {
        listenAddr: `tcp://127.0.0.1:${port}`,
        persistentPeers: [`${selfId}@127.0.0.1:${port}`, `127.0.0.1:${port}`],
        pex: true,
      },
      [desc(0x30)],
      self,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(c.net.peers()).toEqual([]);
    expect(await metricValue(c.registry, "cometbft_p2p_rejected_connections_total")).toBe(0);
  });

  it("PEX: a knows b, b knows c, so a learns c and connects to it", async () => {
    const c = await start({ pex: true });
    const b = await start({ pex: true, persistentPeers: [addressOf(c.net)] });
    await waitFor(() => isConnected(b.net, c.net), "b and c");
    const a = await start({ pex: true, persistentPeers: [addressOf(b.net)] });
    await waitFor(() => isConnected(a.net, c.net), "a to find c through b");
    // (c may have learnt a from b as well: when both dial, one connection is kept.)
    expect(a.net.peers().find((p) => p.nodeId === c.net.nodeId)?.persistent).toBe(false);
    expect(a.net.peers().length).toBe(2);
    // No offences on the way.
    for (const n of [a, b, c]) {
      expect(await metricValue(n.registry, "cometbft_p2p_peer_reports_total")).toBe(0);
    }
  });

  it("PEX: seeds hand out addresses, then are let go", async () => {
    const c = await start({ pex: true });
    const seed = await start({ pex: true, persistentPeers: [addressOf(c.net)] });
    await waitFor(() => isConnected(seed.net, c.net), "seed and c");
    const a = makeNode({ pex: true, seeds: [addressOf(seed.net)] });
    const left: string[] = [];
    a.net.onPeerDisconnected((p) => left.push(p));
    await a.net.start();
    started.push(a);
    await waitFor(() => isConnected(a.net, c.net), "a to find c through the seed");
    await waitFor(() => left.includes(seed.net.nodeId), "the seed let go once it answered");
  });

  it("keeps within max_num_inbound_peers", async () => {
    const a = await start({ maxInbound: 2 });
    const others: Awaited<ReturnType<typeof start>>[] = [];
    for (let i = 0; i < 4; i++) others.push(await start({ persistentPeers: [addressOf(a.net)] }));
    await waitFor(() => a.net.peers().length === 2, "two inbound peers");
    await waitForAsync(
      async () =>
        (await metricValue(a.registry, "cometbft_p2p_rejected_connections_total", {
          reason: "max_inbound",
        })) >= 2,
      "refusals above the limit",
    );
    expect(a.net.peers().length).toBe(2);
    // A refused dialer may have admitted a for a moment, until a closed the connection.
    await waitFor(
      () => others.filter((o) => o.net.peers().length === 1).length === 2,
      "refused ones to see it",
    );
  });

  it("drops messages when a peer's send queue is full, and counts them", async () => {
    const a = await start({}, [desc(0x30, 1024, 3)]);
    const b = await start({ persistentPeers: [addressOf(a.net)] }, [desc(0x30, 1024, 3)]);
    await waitFor(() => isConnected(a.net, b.net), "a and b");
    // The writer opens its stream asynchronously, so these pile up in the queue.
    const verdicts = Array.from({ length: 10 }, (_, i) =>
      a.ch(0x30).send(b.net.nodeId, enc(`m${i}`)),
    );
    expect(verdicts).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(
      await metricValue(a.registry, "cometbft_p2p_message_dropped_total", {
        chID: "0x30",
        reason: "queue_full",
      }),
    ).toBe(7);
    await waitFor(() => b.box.of(0x30).length === 3, "the queued messages");
    expect(b.box.of(0x30)).toEqual(["m0", "m1", "m2"]);
    // Unknown peers and unregistered channels on the peer's side.
    expect(a.ch(0x30).send("00".repeat(20), enc("x"))).toBe(false);
  });

  it("banPeer disconnects at once; after the ban the persistent peer comes back", async () => {
    const a = await start({ banDurationMs: 60_000 });
    const b = await start({ persistentPeers: [addressOf(a.net)] });
    await waitFor(() => isConnected(a.net, b.net), "a and b");
    a.net.banPeer(b.net.nodeId, "proven byzantine", 700);
    expect(a.net.peers()).toEqual([]);
    expect(a.net.isBanned(b.net.nodeId)).toBe(true);
    expect(
      await metricValue(a.registry, "cometbft_p2p_peer_bans_total", { reason: "manual" }),
    ).toBe(1);
    await waitFor(() => !a.net.isBanned(b.net.nodeId), "the ban to end");
    await waitFor(() => isConnected(a.net, b.net), "b to reconnect after its ban");
  });

  it("reportPeer lowers the score by the offence's weight", async () => {
    const a = await start();
    const b = await start({ persistentPeers: [addressOf(a.net)] });
    await waitFor(() => isConnected(a.net, b.net), "a and b");
    a.net.reportPeer(b.net.nodeId, "invalid", "bad vote");
    a.net.reportPeer(b.net.nodeId, "spam", "too many");
    expect(a.net.peers()[0]?.score).toBeCloseTo(65, 0);
    expect(a.net.isBanned(b.net.nodeId)).toBe(false);
  });
});

async function waitForAsync(cond: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}
