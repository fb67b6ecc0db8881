import { create } from "@bufbuild/protobuf";
import {
  type Block,
  BlockSchema,
  blocksyncWire,
  decodeWireMessage,
  encodeWireMessage,
  toHex,
  utf8Encode,
} from "@qos/types";
import fc from "fast-check";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BlockSync,
  type BlockSyncOptions,
  createBlockSync,
} from "../../src/blocksync/blockSync.ts";
import { createBlockSyncMetrics } from "../../src/blocksync/blockSyncMetrics.ts";
import {
  type BlocksyncMessage,
  decodeBlocksyncMessage,
  encodeBlockResponseFromBytes,
  encodeBlocksyncMessage,
} from "../../src/blocksync/blocksyncMessages.ts";
import type { ChainState } from "../../src/chainState.ts";
import type { NodeId } from "../../src/p2p/p2pNetwork.ts";
import {
  copyChain,
  openTestNode,
  produceBlocks,
  silentLogger,
  type TestNode,
  testGenesis,
  testValidators,
} from "./chainFixture.ts";
import { createMemoryHub, type MemoryHub, type MemoryNetwork } from "./memoryNetwork.ts";

const validators = testValidators([10n, 10n, 10n]);
const genesis = testGenesis("blocksync-test", validators);
const CHAIN_LENGTH = 152;

/**
 * Fast timings for in-process runs (behaviour, not speed, is asserted). Request timeouts stay
 * long where no peer is meant to time out, so a loaded machine cannot make an honest peer slow.
 */
const FAST: BlockSyncOptions = {
  statusIntervalMs: 100,
  requestTimeoutMs: 60_000,
  startupWaitMs: 200,
  caughtUpCheckMs: 50,
  peerCooldownMs: 60_000,
};

let source: TestNode;
let mirror: TestNode;
const opened: TestNode[] = [];
const syncs: BlockSync[] = [];
const networks: MemoryNetwork[] = [];

beforeAll(async () => {
  source = await openTestNode(genesis);
  await produceBlocks(source, validators, CHAIN_LENGTH);
  mirror = await openTestNode(genesis);
  await copyChain(source, mirror);
}, 120_000);

afterAll(async () => {
  await source.close();
  await mirror.close();
});

afterEach(async () => {
  for (const n of networks.splice(0)) await n.stop();
  for (const s of syncs.splice(0)) await s.stop();
  for (const n of opened.splice(0)) await n.close();
});

async function freshNode(): Promise<TestNode> {
  const n = await openTestNode(genesis);
  opened.push(n);
  return n;
}

/** A block sync reactor on `node`, with a promise of its next caught-up state. */
function reactor(
  node: TestNode,
  net: MemoryNetwork,
  opts: BlockSyncOptions = FAST,
  registry?: Registry,
): { sync: BlockSync; caughtUp: () => Promise<ChainState> } {
  let waiters: ((s: ChainState) => void)[] = [];
  const sync = createBlockSync(opts, {
    chainState: () => node.state,
    blockStore: node.blockStore,
    executor: node.executor,
    applyBlock: (sealed, commit) => node.apply(sealed, commit),
    network: net,
    logger: silentLogger,
    metrics: registry === undefined ? null : createBlockSyncMetrics(registry),
    onCaughtUp: (s) => {
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve(s);
    },
  });
  syncs.push(sync);
  return {
    sync,
    caughtUp: () => new Promise((resolve) => waiters.push(resolve)),
  };
}

/** A peer with its own blocksync handler: answers status truthfully or not, serves what `serve` says. */
function rawPeer(
  net: MemoryNetwork,
  status: { base: bigint; height: bigint },
  serve: (height: bigint) => Uint8Array | "none" | "silent",
): { received: BlocksyncMessage[]; send: (to: NodeId, msg: Uint8Array) => boolean } {
  const received: BlocksyncMessage[] = [];
  const channel = net.registerChannel(
    { id: 0x40, name: "blocksync", maxMessageBytes: 110_000_000, sendQueueCapacity: 1000 },
    (peer, bytes) => {
      const m = decodeBlocksyncMessage(bytes);
      if (!m.ok) return;
      received.push(m.value);
      if (m.value.kind === "statusRequest") {
        channel.send(peer, encodeBlocksyncMessage({ kind: "statusResponse", ...status }));
      } else if (m.value.kind === "blockRequest") {
        const answer = serve(m.value.height);
        if (answer === "none")
          channel.send(
            peer,
            encodeBlocksyncMessage({ kind: "noBlockResponse", height: m.value.height }),
          );
        else if (answer !== "silent") channel.send(peer, answer);
      }
    },
  );
  net.onPeerConnected((p) =>
    channel.send(p.nodeId, encodeBlocksyncMessage({ kind: "statusResponse", ...status })),
  );
  return { received, send: (to, msg) => channel.send(to, msg) };
}

/** The synced node holds the source's blocks, commits, results and app hashes up to its height. */
function expectSameChain(synced: TestNode, from: TestNode): void {
  const top = synced.blockStore.height();
  for (let h = 1n; h <= top; h++) {
    expect(toHex(synced.blockStore.loadBlock(h) as Uint8Array)).toBe(
      toHex(from.blockStore.loadBlock(h) as Uint8Array),
    );
    expect(synced.blockStore.loadResults(h)).toEqual(from.blockStore.loadResults(h));
    expect(synced.blockStore.loadBlockMeta(h)).toEqual(from.blockStore.loadBlockMeta(h));
  }
  // The app hash after block `top` is what block top+1 of the source carries.
  const next = decodeWireMessage(BlockSchema, from.blockStore.loadBlock(top + 1n) as Uint8Array);
  if (!next.ok) throw next.error;
  expect(toHex(synced.state.appHash)).toBe(toHex(next.value.header?.appHash ?? new Uint8Array()));
}

async function startNetworks(hub: MemoryHub, ids: string[]): Promise<MemoryNetwork[]> {
  const nets = ids.map((id) => hub.createNetwork(id));
  networks.push(...nets);
  return nets;
}

describe("block sync", () => {
  it("syncs an empty node from two peers, verifying every block, and hands over to consensus", async () => {
    const hub = createMemoryHub();
    const [netA, netB, netC] = await startNetworks(hub, ["a", "b", "c"]);
    reactor(source, netA as MemoryNetwork).sync.start();
    reactor(mirror, netB as MemoryNetwork).sync.start();
    const node = await freshNode();
    const registry = new Registry();
    const c = reactor(node, netC as MemoryNetwork, FAST, registry);
    for (const n of [netA, netB, netC]) await n?.start();
    hub.connect("c", "a");
    hub.connect("c", "b");
    const done = c.caughtUp();
    c.sync.startSync();
    expect(c.sync.isSyncing()).toBe(true);
    const state = await done;
    expect(c.sync.isSyncing()).toBe(false);
    // Caught up at max peer height - 1: the last block needs its successor's LastCommit.
    expect(state.lastBlockHeight).toBe(BigInt(CHAIN_LENGTH - 1));
    expect(node.blockStore.height()).toBe(BigInt(CHAIN_LENGTH - 1));
    expectSameChain(node, source);
    // Both peers served blocks.
    expect(hub.delivered("a", "c", 0x40)).toBeGreaterThan(10);
    expect(hub.delivered("b", "c", 0x40)).toBeGreaterThan(10);
    expect(netC?.reports).toEqual([]);
    const metrics = await registry.getMetricsAsJSON();
    const latest = metrics.find((m) => m.name === "cometbft_blocksync_latest_block_height");
    expect(latest?.values[0]?.value).toBe(CHAIN_LENGTH - 1);
  });

  it("reports a peer serving tampered blocks and completes from the honest peer", async () => {
    const hub = createMemoryHub();
    const [netA, netEvil, netC] = await startNetworks(hub, ["a", "evil", "c"]);
    reactor(source, netA as MemoryNetwork).sync.start();
    rawPeer(netEvil as MemoryNetwork, { base: 1n, height: BigInt(CHAIN_LENGTH) }, (h) => {
      const bytes = source.blockStore.loadBlock(h);
      if (bytes === undefined) return "none";
      const block = decodeWireMessage(BlockSchema, bytes);
      if (!block.ok) throw block.error;
      // Same header, other txs: the block no longer matches the committed BlockID.
      const tampered: Block = {
        ...block.value,
        data: { ...block.value.data, txs: [utf8Encode("evil=1")] },
      } as Block;
      return encodeBlockResponseFromBytes(encodeWireMessage(BlockSchema, tampered));
    });
    const node = await freshNode();
    const c = reactor(node, netC as MemoryNetwork);
    for (const n of [netA, netEvil, netC]) await n?.start();
    hub.connect("c", "evil");
    hub.connect("c", "a");
    const done = c.caughtUp();
    c.sync.startSync();
    const state = await done;
    expect(state.lastBlockHeight).toBe(BigInt(CHAIN_LENGTH - 1));
    expectSameChain(node, source);
    const reports = netC?.reports ?? [];
    expect(reports.some((r) => r.peer === "evil" && r.offence === "invalid")).toBe(true);
    // The honest peer is never blamed: the commit in block H+1 proves which block is H.
    expect(reports.filter((r) => r.peer === "a")).toEqual([]);
  });

  it("blames the sender of a block whose LastCommit is forged, not the sender of the block before", async () => {
    const hub = createMemoryHub();
    const [netA, netEvil, netC] = await startNetworks(hub, ["a", "evil", "c"]);
    reactor(source, netA as MemoryNetwork).sync.start();
    rawPeer(netEvil as MemoryNetwork, { base: 1n, height: BigInt(CHAIN_LENGTH) }, (h) => {
      const bytes = source.blockStore.loadBlock(h);
      if (bytes === undefined) return "none";
      const block = decodeWireMessage(BlockSchema, bytes);
      if (!block.ok) throw block.error;
      const sigs = block.value.lastCommit?.signatures ?? [];
      for (const s of sigs) if (s.signature.length > 0) s.signature = s.signature.map((b) => b ^ 1);
      return encodeBlockResponseFromBytes(encodeWireMessage(BlockSchema, block.value));
    });
    const node = await freshNode();
    const c = reactor(node, netC as MemoryNetwork);
    for (const n of [netA, netEvil, netC]) await n?.start();
    hub.connect("c", "evil");
    hub.connect("c", "a");
    const done = c.caughtUp();
    c.sync.startSync();
    await done;
    expectSameChain(node, source);
    const reports = netC?.reports ?? [];
    expect(reports.some((r) => r.peer === "evil" && r.offence === "invalid")).toBe(true);
    expect(reports.filter((r) => r.peer === "a")).toEqual([]);
  });

  for (const behaviour of ["silent", "none"] as const) {
    it(`is not stalled by a peer lying about its height (${behaviour === "silent" ? "never answers" : "answers NoBlockResponse"})`, async () => {
      const hub = createMemoryHub();
      const [netA, netLiar, netC] = await startNetworks(hub, ["a", "liar", "c"]);
      reactor(source, netA as MemoryNetwork).sync.start();
      // It serves the real blocks it has, but claims a million.
      const liar = rawPeer(netLiar as MemoryNetwork, { base: 1n, height: 1_000_000n }, (h) => {
        const bytes = source.blockStore.loadBlock(h);
        return bytes === undefined ? behaviour : encodeBlockResponseFromBytes(bytes);
      });
      const node = await freshNode();
      const c = reactor(node, netC as MemoryNetwork, { ...FAST, requestTimeoutMs: 500 });
      for (const n of [netA, netLiar, netC]) await n?.start();
      hub.connect("c", "liar");
      hub.connect("c", "a");
      const done = c.caughtUp();
      c.sync.startSync();
      const state = await done;
      expect(state.lastBlockHeight).toBe(BigInt(CHAIN_LENGTH - 1));
      expectSameChain(node, source);
      // The liar was asked for heights only it claimed, and then dropped from the pool.
      expect(
        liar.received.some((m) => m.kind === "blockRequest" && m.height > BigInt(CHAIN_LENGTH)),
      ).toBe(true);
      // Having failed us, its claim does not make the node leave consensus.
      expect(c.sync.isBehind()).toBe(false);
    });
  }

  it("serves status and blocks to any peer, and NoBlockResponse for heights it lacks", async () => {
    const hub = createMemoryHub();
    const [netA, netP] = await startNetworks(hub, ["a", "p"]);
    reactor(source, netA as MemoryNetwork);
    const got: BlocksyncMessage[] = [];
    const ch = (netP as MemoryNetwork).registerChannel(
      { id: 0x40, name: "blocksync", maxMessageBytes: 110_000_000, sendQueueCapacity: 100 },
      (_peer, bytes) => {
        const m = decodeBlocksyncMessage(bytes);
        if (m.ok) got.push(m.value);
      },
    );
    await netA?.start();
    await netP?.start();
    hub.connect("p", "a");
    ch.send("a", encodeBlocksyncMessage({ kind: "statusRequest" }));
    ch.send("a", encodeBlocksyncMessage({ kind: "blockRequest", height: 7n }));
    ch.send("a", encodeBlocksyncMessage({ kind: "blockRequest", height: 10_000n }));
    await until(() => got.length >= 4);
    // On connect, then on request.
    const statuses = got.filter((m) => m.kind === "statusResponse");
    expect(statuses.length).toBe(2);
    expect(statuses[1]).toEqual({ kind: "statusResponse", base: 1n, height: BigInt(CHAIN_LENGTH) });
    const block = got.find((m) => m.kind === "blockResponse");
    expect(block?.kind === "blockResponse" && encodeWireMessage(BlockSchema, block.block)).toEqual(
      source.blockStore.loadBlock(7n),
    );
    expect(got).toContainEqual({ kind: "noBlockResponse", height: 10_000n });
  });

  it("reports malformed messages and blocks nobody asked for", async () => {
    const hub = createMemoryHub();
    const [netA, netP] = await startNetworks(hub, ["a", "p"]);
    reactor(source, netA as MemoryNetwork).sync.startSync();
    const p = rawPeer(netP as MemoryNetwork, { base: 0n, height: 0n }, () => "silent");
    await netA?.start();
    await netP?.start();
    hub.connect("p", "a");
    p.send("a", new Uint8Array([0xff, 0xff, 0xff]));
    p.send("a", encodeBlockResponseFromBytes(source.blockStore.loadBlock(3n) as Uint8Array));
    await until(() => (netA?.reports.length ?? 0) >= 2);
    expect(netA?.reports.map((r) => [r.peer, r.offence])).toEqual([
      ["p", "malformed"],
      ["p", "unsolicited"],
    ]);
  });

  it("notices it fell behind, syncs again when switched back, and is caught up again", async () => {
    const hub = createMemoryHub();
    const node = await freshNode();
    const [netS, netC] = await startNetworks(hub, ["s", "c"]);
    const s = reactor(node, netS as MemoryNetwork);
    s.sync.start();
    // A second synced node: first up to the source's height, then the source moves on.
    const follower = await freshNode();
    await copyChain(source, node, 60n);
    const c = reactor(follower, netC as MemoryNetwork);
    await netS?.start();
    await netC?.start();
    hub.connect("c", "s");
    let done = c.caughtUp();
    c.sync.startSync();
    expect((await done).lastBlockHeight).toBe(59n);
    expect(c.sync.isBehind()).toBe(false);
    await copyChain(source, node, 100n);
    // The periodic status broadcast tells the follower it is behind.
    await until(() => c.sync.isBehind());
    done = c.caughtUp();
    c.sync.startSync();
    expect((await done).lastBlockHeight).toBe(99n);
    expectSameChain(follower, source);
    expect(c.sync.isBehind()).toBe(false);
  });

  it("stopSync stops a run without handing over", async () => {
    const hub = createMemoryHub();
    const [netA, netC] = await startNetworks(hub, ["a", "c"]);
    reactor(source, netA as MemoryNetwork).sync.start();
    const node = await freshNode();
    let handedOver = false;
    const c = reactor(node, netC as MemoryNetwork);
    void c.caughtUp().then(() => {
      handedOver = true;
    });
    await netA?.start();
    await netC?.start();
    hub.connect("c", "a");
    c.sync.startSync();
    await until(() => node.blockStore.height() >= 5n);
    await c.sync.stopSync();
    const stoppedAt = node.blockStore.height();
    expect(c.sync.isSyncing()).toBe(false);
    expect(c.sync.status().pendingRequests).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(node.blockStore.height()).toBe(stoppedAt);
    expect(handedOver).toBe(false);
  });
});

describe("blocksync messages", () => {
  it("a BlockResponse framed around stored bytes equals the encoded message", () => {
    const bytes = source.blockStore.loadBlock(5n) as Uint8Array;
    const block = decodeWireMessage(BlockSchema, bytes);
    if (!block.ok) throw block.error;
    expect(encodeBlockResponseFromBytes(bytes)).toEqual(
      encodeBlocksyncMessage({ kind: "blockResponse", block: block.value }),
    );
  });

  it("round-trips every message kind and matches CometBFT's field numbers", () => {
    const height = fc.bigInt({ min: 0n, max: (1n << 63n) - 1n });
    const msg: fc.Arbitrary<BlocksyncMessage> = fc.oneof(
      height.map((h) => ({ kind: "blockRequest", height: h }) as const),
      height.map((h) => ({ kind: "noBlockResponse", height: h }) as const),
      fc.constant({ kind: "statusRequest" } as const),
      fc.tuple(height, height).map(([a, b]) => {
        const [base, top] = [a, b].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        return { kind: "statusResponse", base, height: top } as BlocksyncMessage;
      }),
    );
    fc.assert(
      fc.property(msg, (m) => {
        const decoded = decodeBlocksyncMessage(encodeBlocksyncMessage(m));
        expect(decoded.ok && decoded.value).toEqual(m);
      }),
    );
    // Message{status_request=4: {}} and Message{block_request=1: {height=1: 5}}.
    expect(toHex(encodeBlocksyncMessage({ kind: "statusRequest" }))).toBe("2200");
    expect(toHex(encodeBlocksyncMessage({ kind: "blockRequest", height: 5n }))).toBe("0A020805");
    expect(
      toHex(
        encodeWireMessage(
          blocksyncWire.MessageSchema,
          create(blocksyncWire.MessageSchema, {
            sum: { case: "statusResponse", value: { height: 2n, base: 1n } },
          }),
        ),
      ),
    ).toBe("2A0408021001");
  });

  it("refuses garbage, empty messages and impossible status ranges", () => {
    expect(decodeBlocksyncMessage(new Uint8Array([0xff])).ok).toBe(false);
    expect(decodeBlocksyncMessage(new Uint8Array()).ok).toBe(false);
    expect(
      decodeBlocksyncMessage(
        encodeBlocksyncMessage({ kind: "statusResponse", base: 5n, height: 4n }),
      ).ok,
    ).toBe(false);
    expect(decodeBlocksyncMessage(new Uint8Array([0x1a, 0x00])).ok).toBe(false);
  });
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}
