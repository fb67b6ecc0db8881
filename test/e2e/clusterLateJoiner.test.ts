// Acceptance 4 of the validator network: a full node (not in the validator set) that starts
// only once 4 validators are past height 100 syncs to their tip, then keeps following it, and
// holds the validators' blocks at every height.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Cluster,
  type ClusterNode,
  compareChains,
  latestHeight,
  rpcCall,
  startCluster,
  verifyCommitAt,
  waitFor,
  waitForAllHeights,
} from "./harness.ts";

const CHAIN_ID = "e2e-late-joiner-1";
const JOIN_AT = 100n;

let cluster: Cluster;
const node = (i: number) => cluster.nodes[i] as ClusterNode;

async function withLogs<T>(what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${cluster.logTail(30)}`);
  }
}

beforeAll(async () => {
  // 4 validators and one full node (node4), which is not started yet. Short timeouts get the
  // validators past height 100 quickly.
  cluster = await startCluster({
    prefix: "qos-e2e-late-",
    chainId: CHAIN_ID,
    fullNodes: 1,
    start: [0, 1, 2, 3],
    nodeArgs: ["--consensus.timeout_commit", "50ms", "--consensus.timeout_propose", "500ms"],
  });
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

describe("a late-joining full node", () => {
  it("started at height ≥ 100, it syncs to the tip, follows it, and holds the same blocks", async ({
    annotate,
  }) => {
    const validators = cluster.nodes.slice(0, 4);
    const t0 = Date.now();
    await withLogs(
      waitForAllHeights(
        validators.map((n) => n.rpc),
        JOIN_AT,
        150_000,
      ),
    );
    const reachMs = Date.now() - t0;

    const joiner = node(4);
    expect(joiner.validator).toBe(false);
    await cluster.start(joiner.index);
    const tipAtStart = await latestHeight(node(0).rpc);
    const t1 = Date.now();
    // It reaches the tip the validators had when it started…
    const reached = await withLogs(
      waitFor(
        "the late joiner to reach the validators' tip",
        async () => {
          const h = await latestHeight(joiner.rpc);
          return h >= tipAtStart ? h : undefined;
        },
        120_000,
      ),
    );
    const syncMs = Date.now() - t1;
    // …and then keeps up with them: it reaches, twice in a row, a tip the validators had
    // after it caught up.
    let followed = reached;
    for (let i = 0; i < 2; i++) {
      const tip = await latestHeight(node(0).rpc);
      await withLogs(waitForAllHeights([joiner.rpc], tip + 2n, 60_000));
      followed = await latestHeight(joiner.rpc);
    }

    // It got there by block sync, then handed over to consensus.
    const synced = /caught up; switching to consensus.* blocks=(\d+)/.exec(joiner.output());
    expect(synced, "the joiner's block sync hand-over").not.toBeNull();
    const syncedBlocks = Number(synced?.[1]);
    expect(syncedBlocks).toBeGreaterThanOrEqual(Number(JOIN_AT) - 1);

    const st = await rpcCall<{
      sync_info: { catching_up: boolean };
      validator_info: { voting_power: string };
    }>(joiner.rpc, "status");
    expect(st.validator_info.voting_power).toBe("0");
    expect(st.sync_info.catching_up).toBe(false);
    const peers = await rpcCall<{ peers: { node_info: { id: string } }[] }>(joiner.rpc, "net_info");
    expect(peers.peers.map((p) => p.node_info.id).sort()).toEqual(
      validators.map((v) => v.nodeId).sort(),
    );

    // Its blocks are the validators' at every height, and its commits verify.
    const cmp = await compareChains([node(0).rpc, node(1).rpc, joiner.rpc]);
    expect(cmp.forks).toEqual([]);
    expect(cmp.compared).toBeGreaterThanOrEqual(Number(followed));
    for (let h = 1n; h <= followed; h += 17n) {
      const v = await verifyCommitAt(joiner.rpc, CHAIN_ID, h);
      expect(v.validators.size).toBe(4);
    }
    await annotate(
      `validators reached ${JOIN_AT} in ${reachMs} ms; the joiner started at tip ${tipAtStart}, reached it in ${syncMs} ms (at ${reached}; ${syncedBlocks} blocks by block sync), then followed to ${followed}; no fork over ${cmp.compared} heights`,
    );
  }, 300_000);
});
