// Acceptance 7 ("hostile peer") of the validator network: raw TCP garbage at a validator's p2p
// port, and libp2p peers built with our own createP2PNetwork (a fresh node key each, the right
// chain id) that send undecodable consensus messages, oversized frames, or well-framed votes
// with wrong signatures. Each such peer is disconnected and banned (log, /net_info, ban and
// refusal metrics), a reconnection with its key is refused, and the 4 validators keep
// committing without a fork.

import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { create } from "@bufbuild/protobuf";
import {
  CHANNEL,
  type Channel,
  createP2PNetwork,
  createSilentLogger,
  type Ed25519Key,
  generateEd25519Key,
  nodeIdFromPublicKey,
  type P2PNetwork,
} from "@qos/node";
import {
  consensusWire,
  createBlockID,
  createVote,
  encodeWireMessage,
  SignedMsgType,
} from "@qos/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Cluster,
  type ClusterNode,
  compareChains,
  freePort,
  heightsOf,
  latestHeight,
  rpcCall,
  sleep,
  startCluster,
  validatorSetAt,
  waitFor,
  waitForAllHeights,
} from "./harness.ts";

const CHAIN_ID = "e2e-hostile-1";

let cluster: Cluster;
const metricsPorts: number[] = [];
const hostiles: P2PNetwork[] = [];
const node = (i: number) => cluster.nodes[i] as ClusterNode;

async function withLogs<T>(what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${cluster.logTail(30)}`);
  }
}

/** A Prometheus counter of a validator, summed over the series whose labels include `label`. */
async function metric(i: number, name: string, label: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${metricsPorts[i]}/metrics`).then((r) => r.text());
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) && l.includes(label))
    .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

async function peerIdsOf(target: ClusterNode): Promise<string[]> {
  const r = await rpcCall<{ peers: { node_info: { id: string } }[] }>(target.rpc, "net_info");
  return r.peers.map((p) => p.node_info.id);
}

/**
 * A libp2p peer of ours with its own node key, dialling `target` as a persistent peer and
 * speaking the consensus channels with no size limit of its own (so it can send oversized
 * frames). Resolves once the target admitted it.
 */
async function hostilePeer(
  target: ClusterNode,
  key: Ed25519Key = generateEd25519Key(),
): Promise<{ net: P2PNetwork; id: string; send(channel: number, bytes: Uint8Array): boolean }> {
  const net = createP2PNetwork(
    {
      chainId: CHAIN_ID,
      nodeKey: key,
      moniker: "hostile",
      listenAddr: "tcp://127.0.0.1:0",
      externalAddress: "",
      persistentPeers: target.p2pAddress,
      seeds: "",
      pex: false,
      maxInbound: 4,
      maxOutbound: 4,
      allowDuplicateIp: true,
      banDurationMs: 60_000,
      addrBookPath: null,
    },
    { logger: createSilentLogger(), metrics: null },
  );
  const channels = new Map<number, Channel>(
    [CHANNEL.consensusState, CHANNEL.consensusData, CHANNEL.consensusVote].map((id) => [
      id,
      net.registerChannel(
        { id, name: `hostile-${id}`, maxMessageBytes: 8 << 20, sendQueueCapacity: 4096 },
        () => {},
      ),
    ]),
  );
  hostiles.push(net);
  await net.start();
  const id = nodeIdFromPublicKey(key.publicKey);
  await waitFor(`${target.moniker} to admit the hostile peer`, async () =>
    net.peers().some((p) => p.nodeId === target.nodeId) ? true : undefined,
  );
  return {
    net,
    id,
    send: (channel, bytes) => channels.get(channel)?.send(target.nodeId, bytes) ?? false,
  };
}

/** The target logged that it banned `id` for `offence`, and /net_info no longer lists it. */
async function expectBanned(target: ClusterNode, id: string, offence: string): Promise<string> {
  const line = await withLogs(
    waitFor(
      `${target.moniker} to ban ${id}`,
      async () =>
        target
          .output()
          .split("\n")
          .find((l) => /peer banned/.test(l) && l.includes(id)),
      30_000,
    ),
  );
  expect(line).toContain(offence);
  await waitFor(`${id} gone from ${target.moniker}'s /net_info`, async () =>
    (await peerIdsOf(target)).includes(id) ? undefined : true,
  );
  return line;
}

/**
 * A new process-like peer with the banned key dials again: the target refuses it (its
 * "banned" refusal counter rises) and never lists it as a peer.
 */
async function expectReconnectionRefused(
  target: ClusterNode,
  targetIndex: number,
  key: Ed25519Key,
): Promise<number> {
  const id = nodeIdFromPublicKey(key.publicKey);
  const before = await metric(
    targetIndex,
    "cometbft_p2p_rejected_connections_total",
    'reason="banned"',
  );
  const net = createP2PNetwork(
    {
      chainId: CHAIN_ID,
      nodeKey: key,
      moniker: "hostile-again",
      listenAddr: "tcp://127.0.0.1:0",
      externalAddress: "",
      persistentPeers: target.p2pAddress,
      seeds: "",
      pex: false,
      maxInbound: 4,
      maxOutbound: 4,
      allowDuplicateIp: true,
      banDurationMs: 60_000,
      addrBookPath: null,
      redialDelayMs: 200,
    },
    { logger: createSilentLogger(), metrics: null },
  );
  net.registerChannel(
    { id: CHANNEL.consensusState, name: "state", maxMessageBytes: 4096, sendQueueCapacity: 16 },
    () => {},
  );
  hostiles.push(net);
  await net.start();
  try {
    const after = await waitFor(
      `${target.moniker} to refuse the banned key`,
      async () => {
        const n = await metric(
          targetIndex,
          "cometbft_p2p_rejected_connections_total",
          'reason="banned"',
        );
        return n > before ? n : undefined;
      },
      20_000,
    );
    expect(net.peers()).toEqual([]);
    expect(await peerIdsOf(target)).not.toContain(id);
    return after - before;
  } finally {
    await net.stop();
  }
}

beforeAll(async () => {
  cluster = await startCluster({ prefix: "qos-e2e-hostile-", chainId: CHAIN_ID, start: [] });
  for (let i = 0; i < 4; i++) metricsPorts.push(await freePort());
  await Promise.all(
    [0, 1, 2, 3].map((i) =>
      cluster.start(i, [
        "--instrumentation.prometheus",
        "true",
        "--instrumentation.prometheus_listen_addr",
        `127.0.0.1:${metricsPorts[i]}`,
      ]),
    ),
  );
  await withLogs(
    waitForAllHeights(
      cluster.nodes.map((n) => n.rpc),
      2n,
      90_000,
    ),
  );
}, 120_000);

afterAll(async () => {
  for (const h of hostiles) await h.stop().catch(() => {});
  await cluster?.close();
});

/** Every validator's height went past `before` by at least `by`. */
async function expectProgress(before: (bigint | null)[], by: bigint): Promise<bigint[]> {
  return await withLogs(
    waitFor(
      `every validator ${by} blocks past ${before.join("/")}`,
      async () => {
        const now = await heightsOf(cluster.nodes.map((n) => n.rpc));
        return now.every((h, i) => h !== null && h >= (before[i] ?? 0n) + by)
          ? (now as bigint[])
          : undefined;
      },
      60_000,
    ),
  );
}

describe("hostile peers", () => {
  it("raw TCP garbage at a p2p port is cut off and the node carries on", async () => {
    const before = await heightsOf(cluster.nodes.map((n) => n.rpc));
    const payloads = [
      randomBytes(64 * 1024),
      Buffer.from("/multistream/1.0.0\n".repeat(1000)),
      Buffer.concat([Buffer.from([0x13]), Buffer.from("/multistream/1.0.0\n"), randomBytes(4096)]),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
    ];
    for (const payload of payloads) {
      const closed = await new Promise<boolean>((resolve) => {
        const sock = connect(node(0).p2pPort, "127.0.0.1");
        const timer = setTimeout(() => {
          sock.destroy();
          resolve(false);
        }, 20_000);
        sock.on("error", () => {});
        // Read what the node answers (a paused socket would not notice the close).
        sock.on("data", () => {});
        sock.on("close", () => {
          clearTimeout(timer);
          resolve(true);
        });
        sock.on("connect", () => sock.write(payload));
      });
      expect(closed).toBe(true);
    }
    await expectProgress(before, 3n);
    expect(node(0).isRunning()).toBe(true);
    expect((await peerIdsOf(node(0))).length).toBe(3);
  }, 120_000);

  it("undecodable consensus messages: disconnected and banned, a reconnection is refused", async ({
    annotate,
  }) => {
    const before = await heightsOf(cluster.nodes.map((n) => n.rpc));
    const key = generateEd25519Key();
    const h = await hostilePeer(node(0), key);
    expect(await peerIdsOf(node(0))).toContain(h.id);
    // A length-delimited field longer than the message; an empty Message (no oneof set).
    for (let i = 0; i < 10; i++) {
      h.send(CHANNEL.consensusState, Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01));
      h.send(CHANNEL.consensusVote, new Uint8Array(0));
    }
    const line = await expectBanned(node(0), h.id, "malformed");
    await waitFor("the hostile peer to lose node0", async () =>
      h.net.peers().length === 0 ? true : undefined,
    );
    await h.net.stop();
    const bans = await metric(0, "cometbft_p2p_peer_bans_total", 'reason="malformed"');
    expect(bans).toBeGreaterThanOrEqual(1);
    const refused = await expectReconnectionRefused(node(0), 0, key);
    const after = await expectProgress(before, 3n);
    await annotate(
      `node0: ${line.replace(/^.*peer banned/, "peer banned")}; ${refused} reconnection(s) refused as banned; heights ${before.join("/")} → ${after.join("/")}`,
    );
  }, 120_000);

  it("oversized frames: disconnected and banned, a reconnection is refused", async ({
    annotate,
  }) => {
    const before = await heightsOf(cluster.nodes.map((n) => n.rpc));
    const key = generateEd25519Key();
    const h = await hostilePeer(node(1), key);
    // Above the State and Vote channels' 4 KiB and the Data channel's 1 MiB.
    h.send(CHANNEL.consensusState, randomBytes(64 * 1024));
    h.send(CHANNEL.consensusVote, randomBytes(8 * 1024));
    h.send(CHANNEL.consensusData, randomBytes(2 * 1024 * 1024));
    const line = await expectBanned(node(1), h.id, "oversized");
    // The reports logged before the ban (a frame already in flight may be reported after it).
    const lines = node(1)
      .output()
      .split("\n")
      .filter((l) => l.includes(h.id));
    const reports = lines
      .slice(
        0,
        lines.findIndex((l) => /peer banned/.test(l)),
      )
      .filter((l) => /peer misbehaved/.test(l));
    await h.net.stop();
    const dropped = await metric(1, "cometbft_p2p_message_dropped_total", 'reason="oversized"');
    expect(dropped).toBeGreaterThanOrEqual(2);
    // Two oversized frames are enough for a ban (−50 each from 100).
    expect(reports.length).toBe(2);
    const refused = await expectReconnectionRefused(node(1), 1, key);
    const after = await expectProgress(before, 3n);
    await annotate(
      `node1: ${line.replace(/^.*peer banned/, "peer banned")}; ${dropped} oversized frames dropped, ${reports.length} reports; ${refused} reconnection(s) refused; heights ${before.join("/")} → ${after.join("/")}`,
    );
  }, 120_000);

  it("well-framed votes with wrong signatures: disconnected and banned, a reconnection is refused", async ({
    annotate,
  }) => {
    const before = await heightsOf(cluster.nodes.map((n) => n.rpc));
    const target = node(2);
    const key = generateEd25519Key();
    const h = await hostilePeer(target, key);
    // Votes claiming to be node0's, for the height being decided and the next one (held and
    // checked when it starts), each with 64 random bytes for a signature.
    const latest = await latestHeight(target.rpc);
    const { raw } = await validatorSetAt(target.rpc, latest);
    const victim = await rpcCall<{ validator_info: { address: string } }>(node(0).rpc, "status");
    const index = raw.findIndex((v) => v.address === victim.validator_info.address);
    expect(index).toBeGreaterThanOrEqual(0);
    let sent = 0;
    const vote = (height: bigint, round: number) =>
      encodeWireMessage(
        consensusWire.MessageSchema,
        create(consensusWire.MessageSchema, {
          sum: {
            case: "vote",
            value: create(consensusWire.VoteSchema, {
              vote: createVote({
                type: SignedMsgType.PREVOTE,
                height,
                round,
                blockId: createBlockID({
                  hash: randomBytes(32),
                  partSetHeader: { total: 1, hash: randomBytes(32) },
                }),
                timestamp: { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 },
                validatorAddress: Buffer.from(victim.validator_info.address, "hex"),
                validatorIndex: index,
                signature: randomBytes(64),
              }),
            }),
          },
        }),
      );
    const banned = waitFor(
      "the ban",
      async () =>
        target
          .output()
          .split("\n")
          .some((l) => /peer banned/.test(l) && l.includes(h.id))
          ? true
          : undefined,
      30_000,
    );
    let done = false;
    void banned.then(() => {
      done = true;
    });
    while (!done && sent < 400) {
      const current = (await latestHeight(target.rpc)) + 1n;
      for (let round = 0; round < 4; round++) {
        if (h.send(CHANNEL.consensusVote, vote(current, round))) sent++;
        if (h.send(CHANNEL.consensusVote, vote(current + 1n, round))) sent++;
      }
      await sleep(300);
    }
    await banned;
    const line = await expectBanned(target, h.id, "invalid");
    await h.net.stop();
    const refused = await expectReconnectionRefused(target, 2, key);
    const after = await expectProgress(before, 3n);
    // The forged votes changed nothing: no fork, every validator still has 3 peers.
    const cmp = await compareChains(cluster.nodes.map((n) => n.rpc));
    expect(cmp.forks).toEqual([]);
    for (const n of cluster.nodes) {
      const ids = await peerIdsOf(n);
      expect(ids.sort()).toEqual(
        cluster.nodes
          .filter((o) => o !== n)
          .map((o) => o.nodeId)
          .sort(),
      );
    }
    await annotate(
      `node2: ${line.replace(/^.*peer banned/, "peer banned")} after ${sent} forged votes sent; ${refused} reconnection(s) refused; heights ${before.join("/")} → ${after.join("/")}; no fork over ${cmp.compared} heights`,
    );
  }, 120_000);
});
