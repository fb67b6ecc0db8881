// Acceptance 5 of the validator network: an operator runs one validator key (node3's) in two
// processes — a second home with its own node key, data and sign state. The two sign
// conflicting votes; the others turn them into DuplicateVoteEvidence, which a block commits.

import { copyFileSync } from "node:fs";
import { verifyDuplicateVoteEvidence } from "@qos/consensus";
import { blockFromJson, EVIDENCE_TYPE_DUPLICATE_VOTE, toHex } from "@qos/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Cluster,
  type ClusterNode,
  compareChains,
  headerSummaries,
  latestHeight,
  nodePaths,
  rpcCall,
  startCluster,
  validatorSetAt,
  waitFor,
  waitForAllHeights,
} from "./harness.ts";

const CHAIN_ID = "e2e-double-sign-1";
/** sha256 of nothing: the evidence hash of a block without evidence. */
const EMPTY_EVIDENCE_HASH = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";

let cluster: Cluster;
const node = (i: number) => cluster.nodes[i] as ClusterNode;

async function withLogs<T>(what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${cluster.logTail(30)}`);
  }
}

interface BlockJson {
  block_id: { hash: string };
  block: {
    header: { height: string; evidence_hash: string };
    evidence: {
      evidence: {
        type: string;
        value: {
          vote_a: {
            height: string;
            round: number;
            type: number;
            validator_address: string;
            block_id: { hash: string };
          };
          vote_b: { validator_address: string; block_id: { hash: string } };
        };
      }[];
    };
  };
}

beforeAll(async () => {
  // node4 is a full node of the testnet: its own node key, data dir and sign state. The
  // operator's mistake: node3's validator key on that second machine too. Both run from
  // genesis, so they are at the same height whenever node3 proposes.
  cluster = await startCluster({
    prefix: "qos-e2e-double-",
    chainId: CHAIN_ID,
    fullNodes: 1,
    start: [],
    // A 1 s commit timeout (not the fast 200 ms) gives the twin below its head start.
    nodeArgs: ["--consensus.timeout_commit", "1s", "--consensus.timeout_propose", "2s"],
  });
  copyFileSync(nodePaths(node(3).home).validatorKey, nodePaths(node(4).home).validatorKey);
  // The twin is also set up differently (a 10 ms commit timeout, a 1 ms propose timeout): it
  // starts each height about a second before the proposer (1 s commit timeout) sends its
  // block, finds no proposal and prevotes nil, while node3 prevotes the block. Every height
  // that node3's key does not propose gives a conflicting pair, however loaded the machine.
  // (Racing two identical processes is not enough: whichever gets the other's proposal first
  // prevotes that block too, and with the same mempools their blocks can be byte-identical.)
  // node3 also starts each height 10 ms after its commit: the twin's votes count for its key,
  // so nobody waits for node3, and a node3 that once fell a height behind under CI load would
  // otherwise stay one behind for good, its votes always a height late and never conflicting.
  const quick = ["--consensus.timeout_commit", "10ms"];
  await Promise.all(
    [0, 1, 2, 3, 4].map((i) =>
      cluster.start(
        i,
        i === 4 ? [...quick, "--consensus.timeout_propose", "1ms"] : i === 3 ? quick : [],
      ),
    ),
  );
  await withLogs(
    waitForAllHeights(
      cluster.nodes.map((n) => n.rpc),
      1n,
      90_000,
    ),
  );
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

describe("two processes signing with one validator key", () => {
  it("their conflicting votes become DuplicateVoteEvidence committed in a block", async ({
    annotate,
  }) => {
    const validators = cluster.nodes.slice(0, 4);
    const st = await rpcCall<{ validator_info: { address: string } }>(node(3).rpc, "status");
    const address = st.validator_info.address;

    const twin = node(4);
    const twinSt = await rpcCall<{ validator_info: { address: string; voting_power: string } }>(
      twin.rpc,
      "status",
    );
    expect(twinSt.validator_info.address).toBe(address);
    expect(twinSt.validator_info.voting_power).toBe("10");

    // Some validator (node3 itself included) sees two different votes of node3's key for one
    // height, round and step…
    const t0 = Date.now();
    const seen = await withLogs(
      waitFor(
        "a validator to see conflicting votes from node3",
        async () => {
          for (const v of validators) {
            const line = v
              .output()
              .split("\n")
              .find((l) => /conflicting votes/.test(l) && l.includes(address));
            if (line !== undefined) return { node: v.moniker, line };
          }
          return undefined;
        },
        90_000,
      ),
    );
    const conflictMs = Date.now() - t0;

    // …and a block commits the evidence.
    let scanned = 0n;
    const found = await withLogs(
      waitFor(
        "a block with DuplicateVoteEvidence",
        async () => {
          const tip = await latestHeight(node(0).rpc);
          if (tip <= scanned) return undefined;
          const metas = await headerSummaries(node(0).rpc, scanned + 1n, tip);
          scanned = tip;
          for (const m of metas) {
            const b = await rpcCall<BlockJson>(node(0).rpc, "block", { height: String(m.height) });
            if (b.block.evidence.evidence.length > 0) return { height: m.height, json: b };
          }
          return undefined;
        },
        120_000,
      ),
    );
    const evidenceMs = Date.now() - t0;
    const { height, json } = found;
    expect(json.block.header.evidence_hash).not.toBe(EMPTY_EVIDENCE_HASH);
    expect(json.block.header.evidence_hash).not.toBe("");
    const ev = json.block.evidence.evidence[0];
    if (ev === undefined) throw new Error("no evidence");
    expect(ev.type).toBe(EVIDENCE_TYPE_DUPLICATE_VOTE);
    expect(ev.value.vote_a.validator_address).toBe(address);
    expect(ev.value.vote_b.validator_address).toBe(address);
    expect(ev.value.vote_a.block_id.hash).not.toBe(ev.value.vote_b.block_id.hash);

    // The evidence verifies on its own against the validator set of its height.
    const block = blockFromJson(json.block);
    if (!block.ok) throw block.error;
    const evHeight = BigInt(ev.value.vote_a.height);
    expect(evHeight).toBeLessThan(height);
    const { set } = await validatorSetAt(node(0).rpc, evHeight);
    for (const e of block.value.evidence?.evidence ?? []) {
      if (e.sum.case !== "duplicateVoteEvidence") throw new Error(`evidence ${e.sum.case}`);
      const verdict = verifyDuplicateVoteEvidence(e.sum.value, CHAIN_ID, set);
      if (!verdict.ok)
        throw new Error(`committed evidence does not verify: ${verdict.error.message}`);
      expect(toHex(e.sum.value.voteA?.validatorAddress ?? new Uint8Array())).toBe(address);
    }

    // Every validator holds that block; the chain goes on; one piece of evidence is committed
    // once only.
    await withLogs(
      waitForAllHeights(
        validators.map((n) => n.rpc),
        height + 3n,
        60_000,
      ),
    );
    const hashes = await Promise.all(
      validators.map(
        async (v) => (await headerSummaries(v.rpc, height, height))[0]?.hash ?? "missing",
      ),
    );
    expect(new Set(hashes)).toEqual(new Set([json.block_id.hash]));
    const tip = await latestHeight(node(0).rpc);
    const committed = new Map<string, bigint>();
    for (const m of await headerSummaries(node(0).rpc, 1n, tip)) {
      const b = await rpcCall<BlockJson>(node(0).rpc, "block", { height: String(m.height) });
      for (const e of b.block.evidence.evidence) {
        const key = `${e.value.vote_a.height}/${e.value.vote_a.round}/${e.value.vote_a.type}/${e.value.vote_a.block_id.hash}/${e.value.vote_b.block_id.hash}`;
        expect(committed.get(key)).toBeUndefined();
        committed.set(key, m.height);
      }
    }
    const cmp = await compareChains(validators.map((n) => n.rpc));
    expect(cmp.forks).toEqual([]);
    await annotate(
      `node3 and its twin (node4) from genesis; ${seen.node} saw conflicting votes after ${conflictMs} ms; DuplicateVoteEvidence (votes at height ${evHeight}, round ${ev.value.vote_a.round}) committed at height ${height} after ${evidenceMs} ms; ${committed.size} distinct evidence committed by height ${tip}, none twice; no fork over ${cmp.compared} heights`,
    );
  }, 360_000);
});
