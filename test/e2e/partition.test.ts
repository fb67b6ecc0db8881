// Acceptance "Partition": one validator of four is cut off from the others by a controllable
// TCP proxy on loopback (test/e2e/proxy.ts; no network namespaces). Every node's persistent
// peers are the proxies' ports, and PEX is off, so no node learns a peer's real address and
// goes around the proxies. While the partition lasts the other three keep committing and the
// isolated node does not; healed, it catches up. Then a 2–2 split: neither half has +2/3, so
// neither commits; healed, the chain resumes. No two nodes ever hold different blocks at one
// height (every node's block hashes are sampled all along, by test/e2e/chainWatch.ts).

import { afterAll, describe, expect, it } from "vitest";
import { type ChainWatch, highest, startChainWatch } from "./chainWatch.ts";
import { latestHeight, rpcCall, sleep, waitFor, waitForHeight } from "./harness.ts";
import { type ProxiedCluster, startProxiedCluster } from "./proxiedCluster.ts";

const ISOLATED = 2;
/** Blocks the majority must commit while the partition lasts. */
const MAJORITY_BLOCKS = 8n;

let cluster: ProxiedCluster | undefined;
let watch: ChainWatch | undefined;

afterAll(async () => {
  await watch?.stop();
  await cluster?.close();
});

async function peerCount(rpc: string): Promise<number> {
  const r = await rpcCall<{ n_peers: string }>(rpc, "net_info", {}, 2_000);
  return Number(r.n_peers);
}

/** Every node has `peers` peers (through the proxies). */
async function waitForPeerCounts(c: ProxiedCluster, peers: number[], what: string): Promise<void> {
  await waitFor(
    what,
    async () => {
      const counts = await Promise.all(c.nodes.map((n) => peerCount(n.rpc)));
      return counts.every((k, i) => k === peers[i]) ? true : undefined;
    },
    // Redials back off up to 30 s (+20% jitter) while links are cut.
    60_000,
  );
}

/** No fork: every node's hashes compared up to `height`, and none differed. */
async function expectNoForkUpTo(c: ProxiedCluster, w: ChainWatch, height: bigint): Promise<void> {
  await waitFor("every node's hashes compared", async () => {
    await w.pollNow();
    return c.nodes.every((n) => w.scanned(n.index) >= height) ? true : undefined;
  });
  expect(w.forks()).toEqual([]);
  expect(c.unexpectedExits()).toEqual([]);
}

async function startOnce(): Promise<{ c: ProxiedCluster; w: ChainWatch }> {
  cluster ??= await startProxiedCluster({ prefix: "qos-partition-", chainId: "partition-test" });
  watch ??= await startChainWatch({ rpcs: cluster.nodes.map((n) => n.rpc) });
  return { c: cluster, w: watch };
}

describe("partition (TCP proxy between every pair of validators)", () => {
  it("isolating 1 of 4 validators: the majority commits, the isolated node does not, then catches up; no fork", async () => {
    const { c, w } = await startOnce();
    const isolated = c.nodes[ISOLATED];
    const majority = c.nodes.filter((n) => n.index !== ISOLATED);
    if (isolated === undefined) throw new Error("no isolated node");

    // Connected through the proxies: every node has the other three as peers.
    await waitForPeerCounts(c, [3, 3, 3, 3], "a full mesh of peers");
    for (const n of c.nodes) await waitForHeight(n.rpc, 3n);

    // --- partition --------------------------------------------------------------------
    c.mesh.isolate(ISOLATED);
    await waitFor("the isolated node to lose its peers", async () =>
      (await peerCount(isolated.rpc)) === 0 ? true : undefined,
    );
    await waitFor("the majority to lose only the isolated node", async () => {
      const counts = await Promise.all(majority.map((n) => peerCount(n.rpc)));
      return counts.every((k) => k === 2) ? true : undefined;
    });
    // Anything already received is handled within this pause; from here its height must stay.
    await sleep(1_000);
    const frozen = await latestHeight(isolated.rpc);
    const majorityStart = highest(await Promise.all(majority.map((n) => latestHeight(n.rpc))));
    const watchedFrom = w.samples(ISOLATED).length;
    for (const n of majority) await waitForHeight(n.rpc, majorityStart + MAJORITY_BLOCKS, 90_000);
    expect(await latestHeight(isolated.rpc)).toBe(frozen);
    const duringPartition = w.samples(ISOLATED).slice(watchedFrom);
    expect(duringPartition.length).toBeGreaterThan(0);
    for (const s of duringPartition) expect(s.height).toBe(frozen);
    expect(await peerCount(isolated.rpc)).toBe(0);
    // The proxies really carried the partition: the isolated node's links refused its redials.
    const refused = c.nodes
      .filter((n) => n.index !== ISOLATED)
      .map((n) => c.mesh.link(ISOLATED, n.index).stats().refused)
      .reduce((a, b) => a + b, 0);
    expect(refused).toBeGreaterThan(0);

    // --- heal -------------------------------------------------------------------------
    c.mesh.healAll();
    const tip = w.maxHeight();
    await waitForHeight(isolated.rpc, tip + 2n, 90_000);
    await waitForPeerCounts(c, [3, 3, 3, 3], "a full mesh of peers again");

    // --- no fork, at any sampled moment or at the end ------------------------------------
    await expectNoForkUpTo(c, w, await latestHeight(isolated.rpc));
  }, 240_000);

  it("a 2–2 split: neither half commits (no +2/3), healed the chain resumes; no fork", async () => {
    const { c, w } = await startOnce();
    for (const a of [0, 1]) for (const b of [2, 3]) c.mesh.cutBetween(a, b);
    await waitForPeerCounts(c, [1, 1, 1, 1], "each node to keep only its half's peer");
    await sleep(1_000);
    const frozen = await Promise.all(c.nodes.map((n) => latestHeight(n.rpc)));
    const from = c.nodes.map((n) => w.samples(n.index).length);
    // Longer than a round's timeouts (propose 3 s + prevote 1 s + precommit 1 s): rounds pass, no block.
    await sleep(8_000);
    await w.pollNow();
    for (const n of c.nodes) {
      expect(await latestHeight(n.rpc)).toBe(frozen[n.index]);
      const during = w.samples(n.index).slice(from[n.index]);
      expect(during.length).toBeGreaterThan(0);
      for (const s of during) expect(s.height).toBe(frozen[n.index]);
    }

    c.mesh.healAll();
    const top = highest(frozen);
    for (const n of c.nodes) await waitForHeight(n.rpc, top + 3n, 90_000);
    await waitForPeerCounts(c, [3, 3, 3, 3], "a full mesh of peers again");
    await expectNoForkUpTo(c, w, top + 3n);
  }, 240_000);
});
