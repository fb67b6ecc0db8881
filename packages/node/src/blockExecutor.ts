// The block executor (CometBFT state/execution.go + state/validation.go): builds proposal
// blocks, validates received ones against the chain state, and applies decided blocks —
// FinalizeBlock, one atomic store write (block, commit, results, state), app Commit and
// the mempool update.

import { toBinary } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Application, CommitInfo, FinalizeBlockResponse, Misbehavior } from "@qos/app";
import {
  blockIdEquals,
  commitHash,
  commitMedianTime,
  consensusParamsHash,
  createPartSet,
  dataHash,
  evidenceHash,
  headerHash,
  type PartSet,
  resultsHash,
  timestampToNanos,
  type ValidatorSet,
  verifyCommit,
} from "@qos/consensus";
import type { BlockStore, NodeDb, StateStore } from "@qos/store";
import {
  BLOCK_PROTOCOL,
  type Block,
  type BlockID,
  BlockIDFlag,
  BlockMetaSchema,
  BlockSchema,
  type Commit,
  CommitSchema,
  ConsensusParamsSchema,
  createBlock,
  createBlockID,
  createBlockMeta,
  createCommit,
  createHeader,
  type Evidence,
  encodeWireMessage,
  equalBytes,
  err,
  ok,
  PartSchema,
  QosError,
  type Result,
  toHex,
  ValidatorSetSchema,
} from "@qos/types";
import { paramsUpdateToProto, timestampToAbci, validatorUpdateFromAbci } from "./abciConvert.ts";
import { type BlockResults, blockResultsOf } from "./blockResults.ts";
import { type ChainState, encodeChainState, nextHeight, updateChainState } from "./chainState.ts";
import { type EvidencePool, evidenceListSize } from "./evidence/evidencePool.ts";
import type { Logger } from "./logger.ts";
import type { Mempool } from "./mempool/mempool.ts";

export const BlockErrorCode = {
  Invalid: "block/invalid",
  AppResponse: "block/bad-app-response",
} as const;
export type BlockErrorCode = (typeof BlockErrorCode)[keyof typeof BlockErrorCode];

function invalid(message: string): { ok: false; error: QosError<BlockErrorCode> } {
  return err(new QosError(BlockErrorCode.Invalid, message));
}

/** types/block.go size bounds used by MaxDataBytes. */
const MAX_HEADER_BYTES = 626n;
const MAX_OVERHEAD_FOR_BLOCK = 11n;
const MAX_COMMIT_OVERHEAD_BYTES = 94n;
const MAX_COMMIT_SIG_BYTES = 109n;
const MAX_BLOCK_SIZE_BYTES = 104_857_600n;

/** types/block.go MaxDataBytes: room left for txs in a block of `maxBytes`. */
export function maxDataBytes(maxBytes: bigint, evidenceBytes: bigint, validators: number): bigint {
  const limit = maxBytes === -1n ? MAX_BLOCK_SIZE_BYTES : maxBytes;
  return (
    limit -
    MAX_OVERHEAD_FOR_BLOCK -
    MAX_HEADER_BYTES -
    (MAX_COMMIT_OVERHEAD_BYTES + MAX_COMMIT_SIG_BYTES * BigInt(validators)) -
    evidenceBytes
  );
}

export interface ProposalBlock {
  readonly block: Block;
  readonly blockBytes: Uint8Array;
  readonly partSet: PartSet;
  readonly blockId: BlockID;
}

/** A block with its encoding, part set and id (computed once, reused everywhere). */
export function sealBlock(block: Block): ProposalBlock {
  const blockBytes = encodeWireMessage(BlockSchema, block);
  const partSet = createPartSet(blockBytes);
  const hash = block.header === undefined ? null : headerHash(block.header);
  return {
    block,
    blockBytes,
    partSet,
    blockId: createBlockID({ hash: hash ?? new Uint8Array(), partSetHeader: partSet.header }),
  };
}

/** ABCI CommitInfo of a block's LastCommit: who signed, with their power (state/execution.go buildLastCommitInfo). */
export function lastCommitInfo(
  commit: Commit | undefined,
  lastValidators: ValidatorSet | null,
): CommitInfo {
  if (commit === undefined || lastValidators === null) return { round: 0, votes: [] };
  return {
    round: commit.round,
    votes: commit.signatures.map((sig, i) => {
      const v = lastValidators.getByIndex(i);
      return {
        validator: { address: v?.address ?? sig.validatorAddress, power: v?.votingPower ?? 0n },
        blockIdFlag: (sig.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_COMMIT
          ? 2
          : sig.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_NIL
            ? 3
            : 1) as 1 | 2 | 3,
      };
    }),
  };
}

/** The header time a block at the state's next height must carry (state.MakeBlock / MedianTime). */
export function expectedBlockTime(state: ChainState, lastCommit: Commit): Timestamp {
  if (state.lastBlockHeight === 0n || state.lastValidators === null) return state.lastBlockTime;
  return commitMedianTime(lastCommit, state.lastValidators);
}

export interface AppliedBlock {
  readonly state: ChainState;
  readonly response: FinalizeBlockResponse;
  /** The response's results as stored (hashes, protos, encodings), for indexing and events. */
  readonly results: BlockResults;
}

export interface BlockExecutorDeps {
  readonly app: Application;
  readonly db: NodeDb;
  readonly blockStore: BlockStore;
  readonly stateStore: StateStore;
  readonly mempool: Mempool | null;
  /** The evidence pool: pending evidence for proposals, checks of received blocks. */
  readonly evidence: BlockEvidence | null;
  readonly logger: Logger;
}

/** What the executor needs of the evidence pool. */
export type BlockEvidence = Pick<
  EvidencePool,
  "pendingEvidence" | "checkEvidence" | "toMisbehavior" | "update"
>;

export interface BlockExecutor {
  /** state.CreateProposalBlock: reap the mempool, ask the app (PrepareProposal), build the block. */
  createProposalBlock(
    state: ChainState,
    lastCommit: Commit,
    proposerAddress: Uint8Array,
  ): Promise<ProposalBlock>;
  /** state/validation.go validateBlock against the chain state. */
  validateBlock(state: ChainState, block: Block): Result<void, QosError<BlockErrorCode>>;
  /** ABCI ProcessProposal for a block that passed validateBlock. */
  processProposal(state: ChainState, sealed: ProposalBlock): Promise<boolean>;
  /**
   * Applies a decided block: FinalizeBlock, then one atomic write of the block, its parts,
   * the commits, the results and the next state; then `afterSave` (the host writes the
   * WAL's end-height marker there), then the app's Commit and the mempool update.
   */
  applyBlock(
    state: ChainState,
    sealed: ProposalBlock,
    seenCommit: Commit,
    afterSave: () => void,
  ): Promise<AppliedBlock>;
  /**
   * Re-runs FinalizeBlock + Commit for a stored block (handshake replay); returns the app hash.
   * `state` is the node's latest chain state (the context evidence is read in).
   */
  replayBlockToApp(
    state: ChainState,
    block: Block,
    lastValidators: ValidatorSet | null,
  ): Promise<Uint8Array>;
}

export function createBlockExecutor(deps: BlockExecutorDeps): BlockExecutor {
  const { app, db, blockStore, stateStore, mempool, logger, evidence: pool } = deps;

  /** ABCI Misbehavior of a block's evidence (what FinalizeBlock hands the app for slashing). */
  function misbehaviorOf(evidence: readonly Evidence[], state: ChainState): Misbehavior[] {
    if (pool === null) return [];
    return evidence.flatMap((ev) => pool.toMisbehavior(ev, state));
  }

  function makeBlock(
    state: ChainState,
    txs: readonly Uint8Array[],
    lastCommit: Commit,
    proposerAddress: Uint8Array,
    evidence: readonly Evidence[],
  ): Block {
    const height = nextHeight(state);
    const header = createHeader({
      version: { block: BLOCK_PROTOCOL, app: state.appVersion },
      chainId: state.chainId,
      height,
      time: expectedBlockTime(state, lastCommit),
      lastBlockId: state.lastBlockId,
      lastCommitHash: commitHash(lastCommit) ?? new Uint8Array(),
      dataHash: dataHash(txs),
      validatorsHash: state.validators.hash(),
      nextValidatorsHash: state.nextValidators.hash(),
      consensusHash: consensusParamsHash(state.consensusParams),
      appHash: state.appHash,
      lastResultsHash: state.lastResultsHash,
      evidenceHash: evidenceHash(evidence),
      proposerAddress,
    });
    return createBlock({
      header,
      data: { txs: [...txs] },
      evidence: { evidence: [...evidence] },
      lastCommit,
    });
  }

  function decidedCommitInfo(state: ChainState, block: Block): CommitInfo {
    return lastCommitInfo(block.lastCommit, state.lastValidators);
  }

  /**
   * FinalizeBlock for `block`, signed by `lastValidators` (the set of the previous height);
   * `state` is the chain state the block is applied to (or, in a replay, the latest one).
   */
  async function finalize(
    state: ChainState,
    block: Block,
    blockHash: Uint8Array,
    lastValidators: ValidatorSet | null,
  ): Promise<FinalizeBlockResponse> {
    const header = block.header;
    if (header === undefined) throw new QosError(BlockErrorCode.Invalid, "block without header");
    const txs = block.data?.txs ?? [];
    const res = await app.finalizeBlock({
      txs,
      decidedLastCommit: lastCommitInfo(block.lastCommit, lastValidators),
      misbehavior: misbehaviorOf(block.evidence?.evidence ?? [], state),
      hash: blockHash,
      height: header.height,
      time: timestampToAbci(header.time as Timestamp),
      nextValidatorsHash: header.nextValidatorsHash,
      proposerAddress: header.proposerAddress,
    });
    if (res.txResults.length !== txs.length) {
      // A broken application: continuing would commit results that do not match the block.
      throw new QosError(
        BlockErrorCode.AppResponse,
        `application returned ${res.txResults.length} tx results for a block of ${txs.length} txs at height ${header.height}`,
      );
    }
    return res;
  }

  return {
    async createProposalBlock(state, lastCommit, proposerAddress) {
      const height = nextHeight(state);
      const params = state.consensusParams;
      const maxBytes = params.block?.maxBytes ?? -1n;
      const maxGas = params.block?.maxGas ?? -1n;
      const evidence = pool === null ? [] : pool.pendingEvidence(params.evidence?.maxBytes ?? -1n);
      const room = maxDataBytes(maxBytes, evidenceListSize(evidence), state.validators.size);
      const reaped = mempool === null ? [] : mempool.reapMaxBytesMaxGas(room, maxGas);
      const draft = makeBlock(state, [], lastCommit, proposerAddress, evidence);
      const prepared = await app.prepareProposal({
        maxTxBytes: room,
        txs: reaped,
        localLastCommit: decidedCommitInfo(state, draft),
        misbehavior: misbehaviorOf(evidence, state),
        height,
        time: timestampToAbci(draft.header?.time as Timestamp),
        nextValidatorsHash: state.nextValidators.hash(),
        proposerAddress,
      });
      let size = 0n;
      for (const tx of prepared.txs) size += BigInt(tx.length);
      if (size > room) {
        // PrepareProposal must respect maxTxBytes (ABCI spec); CometBFT panics here.
        throw new QosError(
          BlockErrorCode.AppResponse,
          `PrepareProposal returned ${size} bytes of txs, above the limit of ${room}`,
        );
      }
      return sealBlock(makeBlock(state, prepared.txs, lastCommit, proposerAddress, evidence));
    },

    validateBlock(state, block) {
      const h = block.header;
      if (h === undefined) return invalid("block has no header");
      const height = nextHeight(state);
      if (h.version?.block !== BLOCK_PROTOCOL || h.version.app !== state.appVersion) {
        return invalid(
          `wrong Block.Header.Version. Expected {${BLOCK_PROTOCOL} ${state.appVersion}}, got {${h.version?.block} ${h.version?.app}}`,
        );
      }
      if (h.chainId !== state.chainId)
        return invalid(`wrong Block.Header.ChainID. Expected ${state.chainId}, got ${h.chainId}`);
      if (h.height !== height)
        return invalid(`wrong Block.Header.Height. Expected ${height}, got ${h.height}`);
      if (!blockIdEquals(h.lastBlockId, state.lastBlockId))
        return invalid("wrong Block.Header.LastBlockID");
      const txs = block.data?.txs ?? [];
      if (!equalBytes(h.dataHash, dataHash(txs))) return invalid("wrong Header.DataHash");
      if (!equalBytes(h.appHash, state.appHash)) {
        return invalid(
          `wrong Block.Header.AppHash. Expected ${toHex(state.appHash)}, got ${toHex(h.appHash)}`,
        );
      }
      if (!equalBytes(h.consensusHash, consensusParamsHash(state.consensusParams)))
        return invalid("wrong Block.Header.ConsensusHash");
      if (!equalBytes(h.lastResultsHash, state.lastResultsHash))
        return invalid("wrong Block.Header.LastResultsHash");
      if (!equalBytes(h.validatorsHash, state.validators.hash()))
        return invalid("wrong Block.Header.ValidatorsHash");
      if (!equalBytes(h.nextValidatorsHash, state.nextValidators.hash()))
        return invalid("wrong Block.Header.NextValidatorsHash");
      const evidence = block.evidence?.evidence ?? [];
      if (evidence.length > 0) {
        if (pool === null) return invalid("this node cannot check evidence");
        const checked = pool.checkEvidence(evidence, state);
        if (!checked.ok) return invalid(`invalid evidence: ${checked.error.message}`);
      }
      if (!equalBytes(h.evidenceHash, evidenceHash(evidence)))
        return invalid("wrong Header.EvidenceHash");
      const lastCommit = block.lastCommit ?? createCommit();
      if (!equalBytes(h.lastCommitHash, commitHash(lastCommit) ?? new Uint8Array()))
        return invalid("wrong Header.LastCommitHash");
      if (height === state.initialHeight) {
        if (lastCommit.signatures.length !== 0)
          return invalid("initial block can't have LastCommit signatures");
        if (timestampToNanos(h.time) !== timestampToNanos(state.lastBlockTime)) {
          return invalid("block time is not equal to genesis time at the initial height");
        }
      } else {
        if (state.lastValidators === null) return invalid("no validator set for the last commit");
        const v = verifyCommit(
          state.chainId,
          state.lastValidators,
          state.lastBlockId,
          height - 1n,
          lastCommit,
        );
        if (!v.ok) return invalid(`invalid LastCommit: ${v.error.message}`);
        if (timestampToNanos(h.time) <= timestampToNanos(state.lastBlockTime)) {
          return invalid("block time is not greater than the last block time");
        }
        const median = commitMedianTime(lastCommit, state.lastValidators);
        if (timestampToNanos(h.time) !== timestampToNanos(median))
          return invalid("invalid block time: not the weighted median of the LastCommit");
      }
      if (h.proposerAddress.length !== 20 || !state.validators.hasAddress(h.proposerAddress)) {
        return invalid(
          `block.Header.ProposerAddress ${toHex(h.proposerAddress)} is not a validator`,
        );
      }
      const maxBytes = state.consensusParams.block?.maxBytes ?? -1n;
      const size = BigInt(toBinary(BlockSchema, block).length);
      if (maxBytes !== -1n && size > maxBytes)
        return invalid(`block is too big: ${size} > ${maxBytes} bytes`);
      return ok(undefined);
    },

    async processProposal(state, sealed) {
      const h = sealed.block.header;
      if (h === undefined) return false;
      const status = await app.processProposal({
        txs: sealed.block.data?.txs ?? [],
        proposedLastCommit: decidedCommitInfo(state, sealed.block),
        misbehavior: misbehaviorOf(sealed.block.evidence?.evidence ?? [], state),
        hash: sealed.blockId.hash,
        height: h.height,
        time: timestampToAbci(h.time as Timestamp),
        nextValidatorsHash: h.nextValidatorsHash,
        proposerAddress: h.proposerAddress,
      });
      return status === "accept";
    },

    async applyBlock(state, sealed, seenCommit, afterSave) {
      const { block, blockId } = sealed;
      const header = block.header;
      if (header === undefined) throw new QosError(BlockErrorCode.Invalid, "block without header");
      const height = header.height;
      const res = await finalize(state, block, blockId.hash, state.lastValidators);
      const txs = block.data?.txs ?? [];
      const results = blockResultsOf(txs, res);
      const next = updateChainState(state, {
        height,
        blockId,
        time: header.time as Timestamp,
        validatorUpdates: res.validatorUpdates.map(validatorUpdateFromAbci),
        consensusParamUpdates:
          res.consensusParamUpdates === undefined
            ? undefined
            : paramsUpdateToProto(res.consensusParamUpdates),
        resultsHash: resultsHash(results.txResults),
        appHash: res.appHash,
      });
      if (!next.ok) {
        // The app returned an update CometBFT would refuse: that is an app bug, halt loudly.
        throw new QosError(
          BlockErrorCode.AppResponse,
          `applying block ${height}: ${next.error.message}`,
        );
      }
      const meta = createBlockMeta({
        blockId,
        blockSize: BigInt(sealed.blockBytes.length),
        header,
        numTxs: BigInt(block.data?.txs.length ?? 0),
      });
      db.writeBlock((batch) => {
        blockStore.saveBlock(batch, {
          height,
          hash: blockId.hash,
          blockBytes: sealed.blockBytes,
          parts: sealed.partSet.parts.map((p) => toBinary(PartSchema, p)),
          metaBytes: encodeWireMessage(BlockMetaSchema, meta),
          lastCommitBytes:
            height === state.initialHeight
              ? null
              : encodeWireMessage(CommitSchema, block.lastCommit ?? createCommit()),
          seenCommitBytes: encodeWireMessage(CommitSchema, seenCommit),
        });
        blockStore.saveResults(batch, height, results.recordBytes);
        saveStateRecords(stateStore, batch, next.value);
        app.persist?.(batch);
      });
      afterSave();
      if (mempool !== null) await mempool.lock();
      try {
        const commitRes = await app.commit();
        if (mempool !== null) await mempool.update(height, txs, res.txResults, results.txHashes);
        if (commitRes.retainHeight > 0n)
          logger.debug(
            { retainHeight: String(commitRes.retainHeight) },
            "app asked to retain blocks from height",
          );
      } finally {
        mempool?.unlock();
      }
      pool?.update(next.value, block.evidence?.evidence ?? []);
      return { state: next.value, response: res, results };
    },

    async replayBlockToApp(state, block, lastValidators) {
      const sealed = sealBlock(block);
      const res = await finalize(state, block, sealed.blockId.hash, lastValidators);
      if (app.persist !== undefined) {
        const persist = app.persist.bind(app);
        db.writeBlock((batch) => persist(batch));
      }
      await app.commit();
      return res.appHash;
    },
  };
}

/**
 * Writes the per-height state records of `state` (state/store.go Save): the validators of
 * lastBlockHeight+2 and the params of lastBlockHeight+1, and the state snapshot itself.
 * At genesis (lastBlockHeight 0) it also writes the validators of the initial height.
 */
export function saveStateRecords(
  stateStore: StateStore,
  batch: Parameters<StateStore["saveState"]>[0],
  state: ChainState,
): void {
  const nh = nextHeight(state);
  if (state.lastBlockHeight === 0n) {
    stateStore.saveValidators(
      batch,
      nh,
      encodeWireMessage(ValidatorSetSchema, state.validators.toProto()),
    );
  }
  stateStore.saveValidators(
    batch,
    nh + 1n,
    encodeWireMessage(ValidatorSetSchema, state.nextValidators.toProto()),
  );
  stateStore.saveConsensusParams(
    batch,
    nh,
    encodeWireMessage(ConsensusParamsSchema, state.consensusParams),
  );
  stateStore.saveState(batch, encodeChainState(state));
}
