// Test chains made by the real node parts: LMDB node db in a temp dir, kvstore app, block
// executor and handshake; blocks are proposed by the executor and committed with precommits
// signed by deterministic ed25519 test keys.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clone, create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { createKvStoreApp, type KvStoreApp } from "@qos/app";
import { evidenceHash, voteSignBytes } from "@qos/consensus";
import { ed25519Address, ed25519KeyFromSeed, ed25519Sign } from "@qos/crypto";
import {
  type BlockStore,
  createBlockStore,
  createStateStore,
  type NodeDb,
  openNodeDb,
  type StateStore,
} from "@qos/store";
import {
  type BlockID,
  BlockIDFlag,
  BlockSchema,
  type Commit,
  CommitSchema,
  createCommit,
  createCommitSig,
  createVote,
  decodeWireMessage,
  defaultConsensusParams,
  type Evidence,
  EvidenceListSchema,
  PublicKeySchema,
  SignedMsgType,
  utf8Encode,
  type Vote,
} from "@qos/types";
import { pino } from "pino";
import {
  type BlockExecutor,
  createBlockExecutor,
  type ProposalBlock,
  sealBlock,
} from "../../src/blockExecutor.ts";
import type { ChainState } from "../../src/chainState.ts";
import type { GenesisDoc } from "../../src/genesis.ts";
import { handshake } from "../../src/handshake.ts";
import type { ValidatorKey } from "../../src/keyFiles.ts";
import { createMempool, type Mempool } from "../../src/mempool/mempool.ts";

export const silentLogger = pino({ level: process.env.BS_LOG ?? "silent" });

export interface TestValidator {
  readonly key: ValidatorKey;
  readonly power: bigint;
}

/** Validators with keys from fixed seeds (seed byte i+1), so runs are repeatable. */
export function testValidators(powers: readonly bigint[]): TestValidator[] {
  return powers.map((power, i) => {
    const k = ed25519KeyFromSeed(new Uint8Array(32).fill(i + 1));
    return { key: { ...k, address: ed25519Address(k.publicKey) }, power };
  });
}

export const GENESIS_SECONDS = 1_700_000_000n;

export function testGenesis(chainId: string, validators: readonly TestValidator[]): GenesisDoc {
  return {
    genesisTime: create(TimestampSchema, { seconds: GENESIS_SECONDS, nanos: 0 }),
    chainId,
    initialHeight: 1n,
    consensusParams: defaultConsensusParams(),
    validators: validators.map((v, i) => ({
      address: v.key.address,
      pubKey: create(PublicKeySchema, { sum: { case: "ed25519", value: v.key.publicKey } }),
      power: v.power,
      name: `val${i}`,
    })),
    appHash: new Uint8Array(),
    appState: {},
  };
}

export interface TestNode {
  readonly dir: string;
  readonly db: NodeDb;
  readonly blockStore: BlockStore;
  readonly stateStore: StateStore;
  readonly app: KvStoreApp;
  readonly mempool: Mempool;
  readonly executor: BlockExecutor;
  state: ChainState;
  /** Commit of the last block (the next block's LastCommit). */
  lastCommit: Commit;
  /** Applies a verified block the way consensus does (the blocksync `applyBlock` dep). */
  apply(sealed: ProposalBlock, commit: Commit): Promise<ChainState>;
  /** Closes the stores; `keepFiles` leaves the directory for a reopen. */
  close(keepFiles?: boolean): Promise<void>;
}

/** A node's stores, app and executor, past the handshake (genesis, or replay after a restart). */
export async function openTestNode(genesis: GenesisDoc, dir?: string): Promise<TestNode> {
  const home = dir ?? mkdtempSync(join(tmpdir(), "qos-bs-"));
  const db = openNodeDb({ path: join(home, "blockstore") });
  const blockStore = createBlockStore(db);
  const stateStore = createStateStore(db);
  const app = createKvStoreApp({ dir: join(home, "app") });
  const mempool = createMempool({ recheck: false }, { app, logger: silentLogger, metrics: null });
  const executor = createBlockExecutor({
    app,
    db,
    blockStore,
    stateStore,
    mempool,
    evidence: null,
    logger: silentLogger,
  });
  const hs = await handshake({
    app,
    genesis,
    db,
    blockStore,
    stateStore,
    executor,
    logger: silentLogger,
  });
  const node: TestNode = {
    dir: home,
    db,
    blockStore,
    stateStore,
    app,
    mempool,
    executor,
    state: hs.state,
    lastCommit: hs.lastCommit,
    async apply(sealed, commit) {
      const applied = await executor.applyBlock(node.state, sealed, commit, () => undefined);
      node.state = applied.state;
      node.lastCommit = commit;
      return applied.state;
    },
    async close(keepFiles = false) {
      await app.close();
      await db.close();
      if (!keepFiles) rmSync(home, { recursive: true, force: true });
    },
  };
  return node;
}

function timestampAt(seconds: bigint, nanos = 0) {
  return create(TimestampSchema, { seconds, nanos });
}

/** A precommit (or prevote) of validator `v` for `blockId`, signed. */
export function signVote(
  chainId: string,
  v: TestValidator,
  init: {
    type?: SignedMsgType;
    height: bigint;
    round?: number;
    blockId: BlockID;
    validatorIndex: number;
    seconds: bigint;
  },
): Vote {
  const vote = createVote({
    type: init.type ?? SignedMsgType.PRECOMMIT,
    height: init.height,
    round: init.round ?? 0,
    blockId: init.blockId,
    timestamp: timestampAt(init.seconds, 1_000_000),
    validatorAddress: v.key.address,
    validatorIndex: init.validatorIndex,
  });
  vote.signature = ed25519Sign(v.key.privateKey, voteSignBytes(chainId, vote));
  return vote;
}

/** The commit every validator of `state.validators` signs for block `blockId` at `height`. */
export function signCommit(
  state: ChainState,
  validators: readonly TestValidator[],
  blockId: BlockID,
  height: bigint,
): Commit {
  const seconds = GENESIS_SECONDS + height;
  return createCommit({
    height,
    round: 0,
    blockId,
    signatures: state.validators.validators.map((val, i) => {
      const v = validators.find((t) => t.key.address.every((b, j) => b === val.address[j]));
      if (v === undefined) throw new Error("no test key for a validator");
      const vote = signVote(state.chainId, v, { height, blockId, validatorIndex: i, seconds });
      return createCommitSig({
        blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_COMMIT,
        validatorAddress: vote.validatorAddress,
        timestamp: vote.timestamp,
        signature: vote.signature,
      });
    }),
  });
}

/**
 * Proposes (with `txsPerBlock` kvstore txs from the mempool), commits and applies `count`
 * blocks; `evidence` goes into the first one (with its evidence hash).
 */
export async function produceBlocks(
  node: TestNode,
  validators: readonly TestValidator[],
  count: number,
  txsPerBlock = 2,
  evidence: readonly Evidence[] = [],
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const height = node.state.lastBlockHeight + 1n;
    for (let t = 0; t < txsPerBlock; t++) {
      const r = await node.mempool.checkTx(utf8Encode(`k${height}-${t}=v${height}-${t}`));
      if (!r.ok || r.value.code !== 0) throw new Error(`tx refused at height ${height}`);
    }
    const proposer = node.state.validators.getProposer().address;
    let sealed = await node.executor.createProposalBlock(node.state, node.lastCommit, proposer);
    if (i === 0 && evidence.length > 0) {
      const block = clone(BlockSchema, sealed.block);
      if (block.header === undefined) throw new Error("block without header");
      block.header.evidenceHash = evidenceHash(evidence);
      block.evidence = create(EvidenceListSchema, { evidence: [...evidence] });
      sealed = sealBlock(block);
    }
    const commit = signCommit(node.state, validators, sealed.blockId, height);
    await node.apply(sealed, commit);
  }
}

/** Applies `from`'s stored blocks (with its seen commits) to `to`, up to `upTo`. */
export async function copyChain(from: TestNode, to: TestNode, upTo?: bigint): Promise<void> {
  const top = upTo ?? from.blockStore.height();
  for (let h = to.state.lastBlockHeight + 1n; h <= top; h++) {
    const block = decodeWireMessage(BlockSchema, from.blockStore.loadBlock(h) as Uint8Array);
    const commit = decodeWireMessage(CommitSchema, from.blockStore.loadSeenCommit(h) as Uint8Array);
    if (!block.ok || !commit.ok) throw new Error(`block ${h} unreadable`);
    await to.apply(sealBlock(block.value), commit.value);
  }
}
