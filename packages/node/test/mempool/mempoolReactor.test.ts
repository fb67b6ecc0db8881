import { createKvStoreApp, type KvStoreApp } from "@qos/app";
import { sha256 } from "@qos/crypto";
import { toHex, utf8Encode } from "@qos/types";
import { afterEach, describe, expect, it } from "vitest";
import { createMempool, type Mempool } from "../../src/mempool/mempool.ts";
import {
  createMempoolReactor,
  decodeMempoolTxs,
  encodeMempoolTxs,
  type MempoolReactor,
} from "../../src/mempool/mempoolReactor.ts";
import { CHANNEL, type NodeId, type P2PNetwork } from "../../src/p2p/p2pNetwork.ts";
import {
  addressOf,
  isConnected,
  makeNode,
  metricValue,
  silent,
  type TestNode,
  waitFor,
} from "../p2p/p2pHarness.ts";

interface GossipNode extends TestNode {
  readonly app: KvStoreApp;
  readonly mempool: Mempool;
  readonly reactor: MempoolReactor;
  /** Every tx this node handed to the network, per peer: `${peer}/${txHash}`. */
  readonly sent: string[];
}

const nodes: GossipNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) {
    n.reactor.stop();
    await n.net.stop();
    await n.app.close();
  }
});

/** Watches what the reactor sends, on the real network (nothing is faked). */
function observed(net: P2PNetwork, sent: string[]): P2PNetwork {
  const record = (peer: NodeId, bytes: Uint8Array) => {
    for (const tx of decodeMempoolTxs(bytes) ?? []) sent.push(`${peer}/${toHex(sha256(tx))}`);
  };
  return {
    ...net,
    registerChannel(desc, onMessage) {
      const ch = net.registerChannel(desc, onMessage);
      return {
        send(peer, bytes) {
          const ok = ch.send(peer, bytes);
          if (ok) record(peer, bytes);
          return ok;
        },
        broadcast(bytes, except) {
          for (const p of net.peers()) if (p.nodeId !== except) this.send(p.nodeId, bytes);
        },
      };
    },
  };
}

async function gossipNode(
  persistentPeers: string[] = [],
  invalidTxsPerSpam?: number,
  broadcast?: boolean,
) {
  const node = makeNode({ persistentPeers });
  const app = createKvStoreApp({ memory: true });
  await app.initChain({
    time: { seconds: 0n, nanos: 0 },
    chainId: "p2p-test",
    consensusParams: {},
    validators: [],
    appStateBytes: utf8Encode("{}"),
    initialHeight: 1n,
  });
  const mempool = createMempool({}, { app, logger: silent, metrics: null });
  const sent: string[] = [];
  const reactor = createMempoolReactor({
    network: observed(node.net, sent),
    mempool,
    logger: silent,
    ...(invalidTxsPerSpam === undefined ? {} : { invalidTxsPerSpam }),
    ...(broadcast === undefined ? {} : { broadcast }),
  });
  await node.net.start();
  const g: GossipNode = { ...node, app, mempool, reactor, sent };
  nodes.push(g);
  return g;
}

const tx = (i: number) => utf8Encode(`key${i}=value${i}`);
const hashOf = (t: Uint8Array) => toHex(sha256(t));

describe("mempool gossip", () => {
  it("takes a tx submitted to one node to every node, each tx at most once per peer and never back", async () => {
    const a = await gossipNode();
    const b = await gossipNode([addressOf(a.net)]);
    const c = await gossipNode([addressOf(a.net), addressOf(b.net)]);
    await waitFor(
      () => isConnected(a.net, b.net) && isConnected(a.net, c.net) && isConnected(b.net, c.net),
      "a triangle",
    );
    const N = 50;
    for (let i = 0; i < N; i++) {
      const res = await a.mempool.checkTx(tx(i));
      expect(res.ok && res.value.code).toBe(0);
    }
    await waitFor(() => b.mempool.size() === N && c.mempool.size() === N, "txs on b and c");
    expect(b.mempool.txs().map(hashOf).sort()).toEqual(a.mempool.txs().map(hashOf).sort());
    // Let stray copies arrive before checking there were none too many.
    await new Promise((r) => setTimeout(r, 300));
    for (const n of [a, b, c]) {
      expect(new Set(n.sent).size, "a tx sent twice to one peer").toBe(n.sent.length);
      // Never back to the peer it came from (a later sender may have crossed it on the wire).
      for (const e of n.mempool.entries()) {
        const [from] = e.senders;
        if (from !== undefined) expect(n.sent).not.toContain(`${from}/${hashOf(e.tx)}`);
      }
    }
    // a sent every tx to both peers; in all, no more than one copy per tx per link direction.
    expect(a.sent.length).toBe(2 * N);
    expect(a.sent.length + b.sent.length + c.sent.length).toBeLessThanOrEqual(6 * N);
    // Nobody was reported for honest gossip.
    for (const n of [a, b, c]) {
      expect(await metricValue(n.registry, "cometbft_p2p_peer_reports_total")).toBe(0);
    }
  });

  it("sends a new peer the txs already in the mempool", async () => {
    const a = await gossipNode();
    for (let i = 0; i < 20; i++) await a.mempool.checkTx(tx(i));
    const b = await gossipNode([addressOf(a.net)]);
    await waitFor(() => b.mempool.size() === 20, "the mempool's txs on the new peer");
    expect(b.mempool.txs().map(hashOf)).toEqual(a.mempool.txs().map(hashOf));
    const fromA = b.mempool.entries().every((e) => e.senders.has(a.net.nodeId));
    expect(fromA).toBe(true);
  });

  it("with broadcast off, keeps its own txs (on add and for a new peer) but takes peers' txs", async () => {
    const quiet = await gossipNode([], undefined, false);
    for (let i = 0; i < 10; i++) await quiet.mempool.checkTx(tx(i));
    const b = await gossipNode([addressOf(quiet.net)]);
    await waitFor(() => isConnected(quiet.net, b.net), "a link");
    for (let i = 10; i < 20; i++) await quiet.mempool.checkTx(tx(i));
    for (let i = 100; i < 105; i++) await b.mempool.checkTx(tx(i));
    await waitFor(() => quiet.mempool.size() === 25, "b's txs on the quiet node");
    // Let anything the quiet node might send arrive before checking it sent nothing.
    await new Promise((r) => setTimeout(r, 300));
    expect(quiet.sent).toEqual([]);
    expect(b.mempool.size()).toBe(5);
  });

  it("reports a malformed message; counts txs failing CheckTx as spam only in bulk", async () => {
    const a = await gossipNode([], 5);
    // A plain network on the mempool channel, to send what a reactor would not.
    const raw = makeNode({ persistentPeers: [addressOf(a.net)] });
    const ch = raw.net.registerChannel(
      { id: CHANNEL.mempool, name: "mempool", maxMessageBytes: 1 << 20, sendQueueCapacity: 100 },
      () => {},
    );
    await raw.net.start();
    try {
      await waitFor(() => isConnected(a.net, raw.net), "the raw peer");
      const score = () => a.net.peers().find((p) => p.nodeId === raw.net.nodeId)?.score ?? 100;
      ch.send(a.net.nodeId, Uint8Array.from([0x0a, 0xff, 0x01]));
      await waitFor(() => score() < 100, "the malformed message reported");
      expect(score()).toBeCloseTo(80, 0);
      // Four invalid txs: not an offence.
      ch.send(a.net.nodeId, encodeMempoolTxs([1, 2, 3, 4].map((i) => utf8Encode(`a=b=${i}`))));
      ch.send(a.net.nodeId, encodeMempoolTxs([utf8Encode("good=tx")]));
      await waitFor(() => a.mempool.size() === 1, "the valid tx");
      expect(score()).toBeCloseTo(80, 0);
      // The fifth within the minute makes a spam report.
      ch.send(a.net.nodeId, encodeMempoolTxs([utf8Encode("a=b=5")]));
      await waitFor(() => score() < 79, "the spam report");
      expect(
        await metricValue(a.registry, "cometbft_p2p_peer_reports_total", { offence: "spam" }),
      ).toBe(1);
      expect(a.mempool.entries()[0]?.senders.has(raw.net.nodeId)).toBe(true);
    } finally {
      await raw.net.stop();
    }
  });

  it("encodes txs as CometBFT's tendermint.mempool.Message", () => {
    // Message{txs: Txs{txs: ["ab", ""]}}: field 1 (Txs) holding two field-1 bytes entries.
    const bytes = encodeMempoolTxs([utf8Encode("ab"), new Uint8Array()]);
    expect([...bytes]).toEqual([0x0a, 0x06, 0x0a, 0x02, 0x61, 0x62, 0x0a, 0x00]);
    expect(decodeMempoolTxs(bytes)?.map((t) => [...t])).toEqual([[0x61, 0x62], []]);
    expect(decodeMempoolTxs(Uint8Array.from([0xff]))).toBeNull();
    expect(decodeMempoolTxs(new Uint8Array())).toBeNull();
  });
});
