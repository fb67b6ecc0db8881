import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { blockIdKey } from "@qos/consensus";
import {
  BlockMetaSchema,
  createBlockID,
  createConsensusParams,
  type DuplicateVoteEvidence,
  decodeWireMessage,
  type Evidence,
  EvidenceListSchema,
  EvidenceParamsSchema,
  EvidenceSchema,
  encodeWireMessage,
  SignedMsgType,
  type Vote,
} from "@qos/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainState } from "../../src/chainState.ts";
import {
  createEvidencePool,
  type EvidencePool,
  EvidencePoolErrorCode,
  evidenceListSize,
} from "../../src/evidence/evidencePool.ts";
import type { Channel } from "../../src/p2p/p2pNetwork.ts";
import {
  copyChain,
  GENESIS_SECONDS,
  openTestNode,
  produceBlocks,
  signVote,
  silentLogger,
  type TestNode,
  testGenesis,
  testValidators,
} from "../blocksync/chainFixture.ts";
import { createMemoryHub, type MemoryNetwork } from "../blocksync/memoryNetwork.ts";

const validators = testValidators([10n, 10n, 10n, 10n]);
const genesis = testGenesis("evidence-test", validators);

let a: TestNode;
let b: TestNode;
let netA: MemoryNetwork;
let netB: MemoryNetwork;
let netP: MemoryNetwork;
let poolA: EvidencePool;
let poolB: EvidencePool;
/** The evidence built from the conflicting votes at EV_HEIGHT. */
let evidence: Evidence;
const EV_HEIGHT = 6n;
const hub = createMemoryHub();
const fromPeer: Evidence[][] = [];
let pChannel: Channel;

function randomBlockId(seed: number) {
  return createBlockID({
    hash: new Uint8Array(32).fill(seed),
    partSetHeader: { total: 1, hash: new Uint8Array(32).fill(seed + 1) },
  });
}

function conflictingVotes(height: bigint, validatorIdx = 0): [Vote, Vote] {
  const v = validators[validatorIdx] ?? validators[0];
  if (v === undefined) throw new Error("no validator");
  const index = a.state.validators.getByAddress(v.key.address)?.index ?? -1;
  const vote = (seed: number) =>
    signVote(genesis.chainId, v, {
      type: SignedMsgType.PREVOTE,
      height,
      blockId: randomBlockId(seed),
      validatorIndex: index,
      seconds: GENESIS_SECONDS + height,
    });
  return [vote(9), vote(3)];
}

function newPool(node: TestNode, net: MemoryNetwork | null): EvidencePool {
  return createEvidencePool(
    { gossipIntervalMs: 50 },
    {
      db: node.db,
      blockStore: node.blockStore,
      stateStore: node.stateStore,
      chainState: () => node.state,
      network: net,
      logger: silentLogger,
    },
  );
}

function dve(ev: Evidence): DuplicateVoteEvidence {
  if (ev.sum.case !== "duplicateVoteEvidence") throw new Error("not a duplicate vote");
  return ev.sum.value;
}

/** A copy of the evidence with `edit` applied to its DuplicateVoteEvidence. */
function altered(edit: (d: DuplicateVoteEvidence) => void): Evidence {
  const copy = decodeWireMessage(EvidenceSchema, encodeWireMessage(EvidenceSchema, evidence));
  if (!copy.ok) throw copy.error;
  edit(dve(copy.value));
  return copy.value;
}

function blockTimeAt(node: TestNode, height: bigint) {
  const meta = decodeWireMessage(
    BlockMetaSchema,
    node.blockStore.loadBlockMeta(height) as Uint8Array,
  );
  if (!meta.ok) throw meta.error;
  return meta.value.header?.time;
}

function withEvidenceParams(
  state: ChainState,
  lastBlockHeight: bigint,
  lastBlockSeconds: bigint,
  maxAgeNumBlocks: bigint,
  maxAgeSeconds: bigint,
): ChainState {
  return {
    ...state,
    lastBlockHeight,
    lastBlockTime: { ...state.lastBlockTime, seconds: lastBlockSeconds },
    consensusParams: createConsensusParams({
      ...state.consensusParams,
      evidence: create(EvidenceParamsSchema, {
        maxAgeNumBlocks,
        maxAgeDuration: create(DurationSchema, { seconds: maxAgeSeconds }),
        maxBytes: 1_048_576n,
      }),
    }),
  };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

beforeAll(async () => {
  a = await openTestNode(genesis);
  b = await openTestNode(genesis);
  await produceBlocks(a, validators, Number(EV_HEIGHT) - 1, 1);
  await copyChain(a, b);
  netA = hub.createNetwork("a");
  netB = hub.createNetwork("b");
  netP = hub.createNetwork("p");
  poolA = newPool(a, netA);
  poolB = newPool(b, netB);
  // A raw peer that records what it is sent and can send anything.
  pChannel = netP.registerChannel(
    { id: 0x38, name: "evidence", maxMessageBytes: 1_048_576, sendQueueCapacity: 100 },
    (_peer, bytes) => {
      const list = decodeWireMessage(EvidenceListSchema, bytes);
      if (list.ok) fromPeer.push(list.value.evidence);
    },
  );
  for (const n of [netA, netB, netP]) await n.start();
  poolA.start();
  poolB.start();
  hub.connect("a", "b");
}, 60_000);

afterAll(async () => {
  poolA.stop();
  poolB.stop();
  for (const n of [netA, netB, netP]) await n.stop();
  await a.close();
  await b.close();
});

describe("evidence pool", () => {
  it("builds DuplicateVoteEvidence from conflicting votes once their block is committed, and gossips it", async () => {
    const [v1, v2] = conflictingVotes(EV_HEIGHT);
    poolA.reportConflictingVotes(v1, v2);
    expect(poolA.size()).toBe(0);
    await produceBlocks(a, validators, 1, 1);
    await copyChain(a, b);
    poolA.update(a.state, []);
    expect(poolA.size()).toBe(1);
    const [ev] = poolA.pendingEvidence(-1n);
    if (ev === undefined) throw new Error("no evidence");
    evidence = ev;
    const d = dve(ev);
    // VoteA has the smaller BlockID key; powers and time are those at the evidence height.
    expect(blockIdKey(d.voteA?.blockId) < blockIdKey(d.voteB?.blockId)).toBe(true);
    expect(d.voteA?.signature).toEqual(v2.signature);
    expect(d.validatorPower).toBe(10n);
    expect(d.totalVotingPower).toBe(40n);
    expect(d.timestamp).toEqual(blockTimeAt(a, EV_HEIGHT));
    // Gossiped to B, which verifies it against its own stores.
    await until(() => poolB.size() === 1);
    expect(poolB.pendingEvidence(-1n)).toEqual([ev]);
    expect(poolB.isPending(ev)).toBe(true);
  });

  it("builds evidence at once for votes of a height already committed", () => {
    const [v1, v2] = conflictingVotes(EV_HEIGHT - 2n, 2);
    const before = poolA.size();
    poolA.reportConflictingVotes(v1, v2);
    expect(poolA.size()).toBe(before + 1);
  });

  it("hands the proposer pending evidence in height order within the byte limit", () => {
    const all = poolA.pendingEvidence(-1n);
    expect(all.length).toBe(2);
    expect(all.map((e) => dve(e).voteA?.height)).toEqual([EV_HEIGHT - 2n, EV_HEIGHT]);
    expect(poolA.pendingEvidence(evidenceListSize(all))).toEqual(all);
    expect(poolA.pendingEvidence(evidenceListSize(all) - 1n)).toEqual(all.slice(0, 1));
    expect(poolA.pendingEvidence(10n)).toEqual([]);
  });

  it("accepts valid evidence in a block, and gives the app its Misbehavior", () => {
    expect(poolA.checkEvidence([evidence], a.state)).toEqual({ ok: true, value: undefined });
    expect(poolA.checkEvidence([], a.state).ok).toBe(true);
    const d = dve(evidence);
    expect(poolA.toMisbehavior(evidence, a.state)).toEqual([
      {
        type: "duplicate_vote",
        validator: { address: d.voteA?.validatorAddress, power: 10n },
        height: EV_HEIGHT,
        time: { seconds: d.timestamp?.seconds, nanos: d.timestamp?.nanos },
        totalVotingPower: 40n,
      },
    ]);
  });

  it("rejects forged signatures, wrong powers, wrong time, bad vote order, duplicates and oversize", () => {
    const code = (list: Evidence[], state = a.state) => {
      const r = poolA.checkEvidence(list, state);
      return r.ok ? "ok" : r.error.code;
    };
    const forgedA = altered((d) => {
      if (d.voteA) d.voteA.signature = d.voteA.signature.map((x, i) => (i === 0 ? x ^ 1 : x));
    });
    const forgedB = altered((d) => {
      if (d.voteB) d.voteB.signature = new Uint8Array(64);
    });
    expect(code([forgedA])).toBe(EvidencePoolErrorCode.Invalid);
    expect(code([forgedB])).toBe(EvidencePoolErrorCode.Invalid);
    expect(
      code([
        altered((d) => {
          d.validatorPower = 11n;
        }),
      ]),
    ).toBe(EvidencePoolErrorCode.Invalid);
    expect(
      code([
        altered((d) => {
          d.totalVotingPower = 30n;
        }),
      ]),
    ).toBe(EvidencePoolErrorCode.Invalid);
    expect(
      code([
        altered((d) => {
          if (d.timestamp) d.timestamp.seconds += 1n;
        }),
      ]),
    ).toBe(EvidencePoolErrorCode.Invalid);
    expect(
      code([
        altered((d) => {
          [d.voteA, d.voteB] = [d.voteB, d.voteA];
        }),
      ]),
    ).toBe(EvidencePoolErrorCode.Invalid);
    expect(code([evidence, evidence])).toBe(EvidencePoolErrorCode.Duplicate);
    // Evidence of a height this node has no block for yet.
    expect(
      code([
        altered((d) => {
          if (d.voteA) d.voteA.height = 50n;
          if (d.voteB) d.voteB.height = 50n;
        }),
      ]),
    ).toBe(EvidencePoolErrorCode.Unverifiable);
    const tight = {
      ...a.state,
      consensusParams: createConsensusParams({
        ...a.state.consensusParams,
        evidence: create(EvidenceParamsSchema, {
          maxAgeNumBlocks: a.state.consensusParams.evidence?.maxAgeNumBlocks ?? 100_000n,
          maxBytes: evidenceListSize([evidence]) - 1n,
        }),
      }),
    } as ChainState;
    expect(code([evidence], tight)).toBe(EvidencePoolErrorCode.Overflow);
    // None of the bad ones entered the pool.
    expect(poolA.size()).toBe(2);
  });

  it("expires evidence only when it is older than both age limits", () => {
    const t = (blockTimeAt(a, EV_HEIGHT)?.seconds ?? 0n) as bigint;
    const code = (state: ChainState) => {
      const r = poolA.checkEvidence([evidence], state);
      return r.ok ? "ok" : r.error.code;
    };
    // 100 blocks and 1000 s later, with limits of 10 blocks and 100 s: expired.
    expect(code(withEvidenceParams(a.state, EV_HEIGHT + 100n, t + 1000n, 10n, 100n))).toBe(
      EvidencePoolErrorCode.Expired,
    );
    // Too many blocks, but young enough.
    expect(code(withEvidenceParams(a.state, EV_HEIGHT + 100n, t + 50n, 10n, 100n))).toBe("ok");
    // Too old, but few enough blocks.
    expect(code(withEvidenceParams(a.state, EV_HEIGHT + 5n, t + 1000n, 10n, 100n))).toBe("ok");
    // Exactly at both limits is not expired (strict comparisons).
    expect(code(withEvidenceParams(a.state, EV_HEIGHT + 10n, t + 100n, 10n, 100n))).toBe("ok");
    // The same rule for evidence not pending here (fully verified).
    const fresh = newPool(b, null);
    const [other] = poolA.pendingEvidence(-1n);
    if (other === undefined) throw new Error("no evidence");
    expect(
      fresh.checkEvidence([other], withEvidenceParams(b.state, 200n, t + 10_000n, 10n, 100n)).ok,
    ).toBe(false);
  });

  it("punishes a peer gossiping bad evidence, not one gossiping evidence it cannot verify yet", async () => {
    hub.connect("p", "a");
    // A sends its pending evidence to a new peer.
    await until(() => fromPeer.length >= 2);
    expect(fromPeer.flat()).toContainEqual(evidence);
    const send = (list: Evidence[]) =>
      pChannel.send(
        "a",
        encodeWireMessage(EvidenceListSchema, create(EvidenceListSchema, { evidence: list })),
      );
    const ahead = altered((d) => {
      if (d.voteA) d.voteA.height = 50n;
      if (d.voteB) d.voteB.height = 50n;
    });
    send([ahead]);
    send([evidence]); // already pending: fine
    send([
      altered((d) => {
        d.validatorPower = 1n;
      }),
    ]);
    await until(() => netA.reports.length > 0);
    expect(netA.reports).toMatchObject([{ peer: "p", offence: "invalid" }]);
    pChannel.send("a", new Uint8Array([0x0a, 0xff]));
    await until(() => netA.reports.length > 1);
    expect(netA.reports[1]).toMatchObject({ peer: "p", offence: "malformed" });
    expect(poolA.size()).toBe(2);
  });

  it("keeps pending evidence across a restart", async () => {
    const dir = b.dir;
    const before = poolB.pendingEvidence(-1n);
    expect(before.length).toBeGreaterThan(0);
    poolB.stop();
    await netB.stop();
    await b.close(true);
    b = await openTestNode(genesis, dir);
    poolB = newPool(b, null);
    expect(poolB.pendingEvidence(-1n)).toEqual(before);
    expect(poolB.isPending(evidence)).toBe(true);
  });

  it("moves the evidence of a committed block out of pending, and refuses it in later blocks", async () => {
    await produceBlocks(a, validators, 1, 1, [evidence]);
    const included = a.blockStore.height();
    poolA.update(a.state, [evidence]);
    expect(poolA.isPending(evidence)).toBe(false);
    expect(poolA.isCommitted(evidence)).toBe(true);
    expect(poolA.size()).toBe(1);
    expect(poolA.pendingEvidence(-1n)).not.toContainEqual(evidence);
    const r = poolA.checkEvidence([evidence], a.state);
    expect(!r.ok && r.error.code).toBe(EvidencePoolErrorCode.Committed);
    expect(poolA.addEvidence(evidence)).toEqual({ ok: true, value: "already-committed" });
    expect(included).toBe(EV_HEIGHT + 1n);
  });

  it("on restart, finds pending evidence that a stored block committed before a crash", async () => {
    expect(poolB.isPending(evidence)).toBe(true);
    // B stores the block with the evidence, then "crashes" before the pool's update.
    await copyChain(a, b);
    const dir = b.dir;
    await b.close(true);
    b = await openTestNode(genesis, dir);
    poolB = newPool(b, null);
    expect(poolB.isPending(evidence)).toBe(false);
    expect(poolB.isCommitted(evidence)).toBe(true);
  });

  it("drops pending evidence once it expires", () => {
    const t = (blockTimeAt(a, EV_HEIGHT)?.seconds ?? 0n) as bigint;
    expect(poolA.size()).toBe(1);
    poolA.update(withEvidenceParams(a.state, a.state.lastBlockHeight, t + 50n, 1n, 100n), []);
    expect(poolA.size()).toBe(1);
    poolA.update(withEvidenceParams(a.state, EV_HEIGHT + 100n, t + 1000n, 10n, 100n), []);
    expect(poolA.size()).toBe(0);
    expect(poolA.isCommitted(evidence)).toBe(false);
  });

  it("accepts evidence by RPC once, and says so when it knows it", () => {
    const [v1, v2] = conflictingVotes(EV_HEIGHT - 1n, 3);
    const fresh = newPool(b, null);
    fresh.reportConflictingVotes(v1, v2);
    const [ev] = fresh.pendingEvidence(-1n).filter((e) => dve(e).voteA?.height === EV_HEIGHT - 1n);
    if (ev === undefined) throw new Error("no evidence");
    const other = newPool(a, null);
    expect(other.addEvidence(ev)).toEqual({ ok: true, value: "added" });
    expect(other.addEvidence(ev)).toEqual({ ok: true, value: "already-pending" });
    const lca = create(EvidenceSchema, { sum: { case: "lightClientAttackEvidence", value: {} } });
    const r = other.addEvidence(lca);
    expect(!r.ok && r.error.code).toBe(EvidencePoolErrorCode.Unsupported);
    expect(other.toMisbehavior(lca, a.state)).toEqual([]);
  });
});
