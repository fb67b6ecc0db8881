// Acceptance 1–3 of the validator network: 4 `qos start` processes from `qos testnet` on
// loopback agree (same blocks, app hashes and verifying commits everywhere, txs sent to any
// node commit on all), survive one crashed validator and take it back, and halt without a fork
// when two of four are down, resuming when one returns. One cluster, the tests in order.

import { BlockIDFlag, toHex } from "@qos/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  broadcastTx,
  type Cluster,
  type ClusterNode,
  compareChains,
  heightsOf,
  rpcCall,
  sleep,
  startCluster,
  verifyCommitAt,
  waitFor,
  waitForAllHeights,
  waitForTx,
} from "./harness.ts";

const CHAIN_ID = "e2e-cluster-1";
/** 4 validators of power 10: a commit needs more than 2/3 of 40. */
const TOTAL_POWER = 40n;

let cluster: Cluster;
/** Validator address (upper-case hex) of each node, from its /status. */
const addresses: string[] = [];

const rpcs = (nodes: readonly ClusterNode[]) => nodes.map((n) => n.rpc);
const node = (i: number) => cluster.nodes[i] as ClusterNode;

/** Highest height among the nodes (those that answer). */
async function tipOf(nodes: readonly ClusterNode[]): Promise<bigint> {
  let tip = 0n;
  for (const h of await heightsOf(rpcs(nodes))) if (h !== null && h > tip) tip = h;
  return tip;
}

/** Fails with the nodes' recent logs attached. */
async function withLogs<T>(what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${cluster.logTail(30)}`);
  }
}

/** The flag of one validator's CommitSig in the commit of height h (served by `base`). */
async function commitFlagOf(base: string, h: bigint, address: string): Promise<number | null> {
  const { commit } = await verifyCommitAt(base, CHAIN_ID, h);
  const sig = commit.signatures.find((s) => toHex(s.validatorAddress) === address);
  return sig === undefined ? null : sig.blockIdFlag;
}

beforeAll(async () => {
  cluster = await startCluster({ prefix: "qos-e2e-cluster-", chainId: CHAIN_ID });
  await withLogs(waitForAllHeights(rpcs(cluster.nodes), 2n, 90_000));
  for (const n of cluster.nodes) {
    const st = await rpcCall<{ validator_info: { address: string } }>(n.rpc, "status");
    addresses.push(st.validator_info.address);
  }
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

describe("a 4-validator network on loopback", () => {
  it("agrees: txs sent to every node commit on all, same blocks and app hashes, commits verify", async ({
    annotate,
  }) => {
    // Each node sees the 3 others as peers (real connections, their node ids and monikers).
    for (const n of cluster.nodes) {
      const others = cluster.nodes.filter((o) => o !== n);
      const info = await withLogs(
        waitFor(`${n.moniker}'s 3 peers`, async () => {
          const r = await rpcCall<{
            n_peers: string;
            peers: { node_info: { id: string; moniker: string }; remote_ip: string }[];
          }>(n.rpc, "net_info");
          return r.peers.length === 3 ? r : undefined;
        }),
      );
      expect(info.n_peers).toBe("3");
      expect(info.peers.map((p) => p.node_info.id).sort()).toEqual(
        others.map((o) => o.nodeId).sort(),
      );
      expect(info.peers.map((p) => p.node_info.moniker).sort()).toEqual(
        others.map((o) => o.moniker).sort(),
      );
      for (const p of info.peers) expect(p.remote_ip).toMatch(/^127\.0\.0\.1/);
      const st = await rpcCall<{
        node_info: { id: string; network: string; moniker: string };
        sync_info: { catching_up: boolean };
        validator_info: { voting_power: string };
      }>(n.rpc, "status");
      expect(st.node_info.id).toBe(n.nodeId);
      expect(st.node_info.network).toBe(CHAIN_ID);
      expect(st.node_info.moniker).toBe(n.moniker);
      expect(st.sync_info.catching_up).toBe(false);
      expect(st.validator_info.voting_power).toBe("10");
    }
    expect(new Set(addresses).size).toBe(4);

    // Txs sent round-robin to the 4 nodes: each one is indexed on every node at one height and
    // index, and its key is readable from every node's app.
    const sent: { key: string; hash: string; to: number }[] = [];
    for (let i = 0; i < 16; i++) {
      const to = i % 4;
      const key = `agree-${i}`;
      sent.push({ key, hash: await broadcastTx(node(to).rpc, `${key}=from-node${to}`), to });
    }
    let lastTxHeight = 0n;
    for (const tx of sent) {
      const where = await withLogs(
        Promise.all(cluster.nodes.map((n) => waitForTx(n.rpc, tx.hash))),
      );
      const first = where[0];
      if (first === undefined) throw new Error("no nodes");
      expect(first.code).toBe(0);
      for (const w of where) {
        expect({ height: w.height, index: w.index }).toEqual({
          height: first.height,
          index: first.index,
        });
      }
      if (first.height > lastTxHeight) lastTxHeight = first.height;
    }
    for (const n of cluster.nodes) {
      const q = await rpcCall<{ response: { value?: string } }>(n.rpc, "abci_query", {
        path: "/store",
        data: Buffer.from("agree-5", "utf8").toString("hex"),
      });
      expect(Buffer.from(q.response.value ?? "", "base64").toString("utf8")).toBe("from-node1");
    }

    // Same block hash and header app hash at every height, on every node.
    const target = lastTxHeight + 2n > 12n ? lastTxHeight + 2n : 12n;
    await withLogs(waitForAllHeights(rpcs(cluster.nodes), target, 60_000));
    const cmp = await compareChains(rpcs(cluster.nodes));
    expect(cmp.forks).toEqual([]);
    expect(cmp.compared).toBeGreaterThanOrEqual(Number(target));

    // Every commit verifies against /validators on every node, and the app hash after each
    // block (block_results) is the same everywhere.
    for (let h = 1n; h <= target; h++) {
      const hashes = new Set<string>();
      const appHashes = new Set<string>();
      for (const n of cluster.nodes) {
        const v = await verifyCommitAt(n.rpc, CHAIN_ID, h);
        expect(v.talliedPower * 3n).toBeGreaterThan(TOTAL_POWER * 2n);
        expect(v.validators.size).toBe(4);
        hashes.add(v.hash);
        const res = await rpcCall<{ app_hash: string }>(n.rpc, "block_results", {
          height: String(h),
        });
        appHashes.add(res.app_hash);
      }
      expect(hashes.size).toBe(1);
      expect(appHashes.size).toBe(1);
    }
    await annotate(
      `16 txs round-robin committed on all 4 nodes by height ${lastTxHeight}; heights 1..${target}: same block hash, header app hash and block_results app hash on every node, every /commit verified (4 × ${target})`,
    );
  }, 180_000);

  it("one validator down: the other 3 keep committing; restarted, it catches up and signs again", async ({
    annotate,
  }) => {
    const victim = node(3);
    const rest = cluster.nodes.filter((n) => n !== victim);
    const atKill = await tipOf(cluster.nodes);
    await cluster.kill(victim.index);
    const t0 = Date.now();
    const after = await withLogs(waitForAllHeights(rpcs(rest), atKill + 5n, 60_000));
    const downFor = Date.now() - t0;
    // Blocks committed while it was down verify without its signature.
    const without = await verifyCommitAt(node(0).rpc, CHAIN_ID, atKill + 4n);
    const missing = without.commit.signatures.find(
      (s) => toHex(s.validatorAddress) === addresses[3],
    );
    expect(missing).toBeUndefined();
    expect(without.talliedPower).toBe(30n);

    // Restarted: it fetches the blocks it missed by block sync, reaches the others' tip and
    // follows them.
    const logBefore = victim.output().length;
    await cluster.start(victim.index);
    const tipAtRestart = await tipOf(rest);
    const t1 = Date.now();
    await withLogs(waitForAllHeights([victim.rpc], tipAtRestart, 90_000));
    const caughtUpMs = Date.now() - t1;
    await withLogs(waitForAllHeights([victim.rpc], tipAtRestart + 3n, 60_000));
    const synced = /caught up; switching to consensus.* blocks=(\d+)/.exec(
      victim.output().slice(logBefore),
    );
    expect(synced, "the restarted node's block sync hand-over").not.toBeNull();
    const syncedBlocks = Number(synced?.[1]);
    expect(syncedBlocks).toBeGreaterThanOrEqual(1);

    // Its precommits are in later commits again (CommitSig flag COMMIT).
    const signedAt = await withLogs(
      waitFor(
        "a commit signed by the restarted validator",
        async () => {
          const latest = await tipOf(rest);
          for (let h = tipAtRestart + 1n; h <= latest; h++) {
            if ((await commitFlagOf(node(0).rpc, h, addresses[3] as string)) === 2) return h;
          }
          return undefined;
        },
        60_000,
      ),
    );
    expect(BlockIDFlag.BLOCK_ID_FLAG_COMMIT).toBe(2);
    const cmp = await compareChains(rpcs(cluster.nodes));
    expect(cmp.forks).toEqual([]);
    await annotate(
      `killed node3 at height ${atKill}; the others reached ${after.join("/")} in ${downFor} ms; restarted at tip ${tipAtRestart}, caught up in ${caughtUpMs} ms (${syncedBlocks} blocks by block sync), its precommit back in the commit of height ${signedAt}; no fork over ${cmp.compared} heights`,
    );
  }, 240_000);

  it("two validators down: the chain halts without a fork; one back and it resumes", async ({
    annotate,
  }) => {
    const survivors = [node(0), node(1)];
    await Promise.all([cluster.kill(2), cluster.kill(3)]);
    // A block already precommitted by 3 of 4 may still land; then nothing more can.
    await sleep(2000);
    const halted = await heightsOf(rpcs(survivors));
    // Several rounds of timeouts (propose 1 s + 0.5 s·r, prevote and precommit 1 s + 0.5 s·r).
    await sleep(10_000);
    const still = await heightsOf(rpcs(survivors));
    expect(still).toEqual(halted);
    const during = await compareChains(rpcs(survivors));
    expect(during.forks).toEqual([]);

    // One validator back: 3 of 4 again, the chain moves on.
    await cluster.start(2);
    const haltHeight = halted.reduce<bigint>((a, b) => (b !== null && b > a ? b : a), 0n);
    const t0 = Date.now();
    await withLogs(waitForAllHeights(rpcs([...survivors, node(2)]), haltHeight + 3n, 90_000));
    const resumedMs = Date.now() - t0;

    // The last one back too: every node holds the same block at every height.
    await cluster.start(3);
    const tip = await tipOf(survivors);
    await withLogs(waitForAllHeights(rpcs(cluster.nodes), tip, 90_000));
    const cmp = await compareChains(rpcs(cluster.nodes));
    expect(cmp.forks).toEqual([]);
    await annotate(
      `halted at ${halted.join("/")} for 10 s; with node2 back it committed ${haltHeight + 3n} after ${resumedMs} ms; all 4 agree on heights 1..${cmp.heights.join("/")}`,
    );
  }, 240_000);
});
