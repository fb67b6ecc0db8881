// The application boundary: an ABCI 2.0-shaped interface (CometBFT v0.38) between the
// node and any state machine. The node calls these methods in CometBFT's order:
//   info -> (initChain at genesis) -> [checkTx]* ; per height:
//   prepareProposal (proposer) / processProposal (others) -> finalizeBlock -> commit
// Types here are plain data (bigint, Uint8Array); the node maps them to wire types.

import type { WriteBatch } from "@qos/store";
import type { EventAttributeFields, EventFields, ExecTxResultFields } from "@qos/types";

/** google.protobuf.Timestamp: seconds since the Unix epoch and nanoseconds (0..999999999). */
export interface Timestamp {
  readonly seconds: bigint;
  readonly nanos: number;
}

/** An event attribute; `index`: whether the node's indexer indexes it (CometBFT `index`). */
export type EventAttribute = EventAttributeFields;

export type Event = EventFields;

/** A consensus public key; CometBFT v0.38 `PublicKey` oneof. */
export interface PubKey {
  readonly type: "ed25519" | "secp256k1";
  readonly key: Uint8Array;
}

/** A change of one validator's power; power 0 removes the validator. */
export interface ValidatorUpdate {
  readonly pubKey: PubKey;
  readonly power: bigint;
}

/** ABCI ExecTxResult; code 0 is success. The same plain shape @qos/types encodes by hand. */
export type ExecTxResult = ExecTxResultFields;

export interface CheckTxResponse extends ExecTxResult {
  /** Mempool priority; higher is reaped first. */
  readonly priority?: bigint;
}

/** The subset of consensus parameters the application may read or update (ABCI ConsensusParams). */
export interface ConsensusParamsUpdate {
  readonly block?: { readonly maxBytes: bigint; readonly maxGas: bigint };
  readonly evidence?: {
    readonly maxAgeNumBlocks: bigint;
    /** Nanoseconds. */
    readonly maxAgeDuration: bigint;
    readonly maxBytes: bigint;
  };
  readonly validator?: { readonly pubKeyTypes: readonly string[] };
  readonly abci?: { readonly voteExtensionsEnableHeight: bigint };
}

export interface InfoRequest {
  readonly version: string;
  readonly blockVersion: bigint;
  readonly p2pVersion: bigint;
}

export interface InfoResponse {
  readonly data: string;
  readonly version: string;
  readonly appVersion: bigint;
  /** Last height the application committed; 0 before genesis. */
  readonly lastBlockHeight: bigint;
  readonly lastBlockAppHash: Uint8Array;
}

export interface InitChainRequest {
  readonly time: Timestamp;
  readonly chainId: string;
  readonly consensusParams: ConsensusParamsUpdate;
  readonly validators: readonly ValidatorUpdate[];
  /** genesis.json `app_state`, as its UTF-8 JSON bytes. */
  readonly appStateBytes: Uint8Array;
  readonly initialHeight: bigint;
}

export interface InitChainResponse {
  readonly consensusParams?: ConsensusParamsUpdate;
  /** If non-empty, replaces the genesis validator set. */
  readonly validators: readonly ValidatorUpdate[];
  readonly appHash: Uint8Array;
}

export type CheckTxType = "new" | "recheck";

export interface CheckTxRequest {
  readonly tx: Uint8Array;
  readonly type: CheckTxType;
}

/** A validator's participation in the last commit (ABCI VoteInfo). */
export interface VoteInfo {
  readonly validator: { readonly address: Uint8Array; readonly power: bigint };
  /** CometBFT BlockIDFlag: 1 absent, 2 commit, 3 nil. */
  readonly blockIdFlag: 1 | 2 | 3;
}

export interface CommitInfo {
  readonly round: number;
  readonly votes: readonly VoteInfo[];
}

/** Evidence of misbehaviour handed to the application (ABCI Misbehavior). */
export interface Misbehavior {
  readonly type: "duplicate_vote" | "light_client_attack";
  readonly validator: { readonly address: Uint8Array; readonly power: bigint };
  readonly height: bigint;
  readonly time: Timestamp;
  readonly totalVotingPower: bigint;
}

export interface PrepareProposalRequest {
  readonly maxTxBytes: bigint;
  /** Mempool txs in reap order; the app returns the txs to propose. */
  readonly txs: readonly Uint8Array[];
  readonly localLastCommit: CommitInfo;
  readonly misbehavior: readonly Misbehavior[];
  readonly height: bigint;
  readonly time: Timestamp;
  readonly nextValidatorsHash: Uint8Array;
  readonly proposerAddress: Uint8Array;
}

export interface PrepareProposalResponse {
  readonly txs: readonly Uint8Array[];
}

export interface ProcessProposalRequest {
  readonly txs: readonly Uint8Array[];
  readonly proposedLastCommit: CommitInfo;
  readonly misbehavior: readonly Misbehavior[];
  readonly hash: Uint8Array;
  readonly height: bigint;
  readonly time: Timestamp;
  readonly nextValidatorsHash: Uint8Array;
  readonly proposerAddress: Uint8Array;
}

export type ProcessProposalStatus = "accept" | "reject";

export interface FinalizeBlockRequest {
  readonly txs: readonly Uint8Array[];
  readonly decidedLastCommit: CommitInfo;
  readonly misbehavior: readonly Misbehavior[];
  readonly hash: Uint8Array;
  readonly height: bigint;
  readonly time: Timestamp;
  readonly nextValidatorsHash: Uint8Array;
  readonly proposerAddress: Uint8Array;
}

export interface FinalizeBlockResponse {
  /** Block-level events (begin/end block in older ABCI). */
  readonly events: readonly Event[];
  /** One result per tx, in block order. */
  readonly txResults: readonly ExecTxResult[];
  /** Decided at height H, they take effect at H+2 (CometBFT semantics). */
  readonly validatorUpdates: readonly ValidatorUpdate[];
  readonly consensusParamUpdates?: ConsensusParamsUpdate;
  /** The app hash after this block; it goes into header H+1. */
  readonly appHash: Uint8Array;
}

export interface CommitResponse {
  /** Blocks below this height may be pruned; 0 keeps everything. */
  readonly retainHeight: bigint;
}

export interface ProofOp {
  readonly type: string;
  readonly key: Uint8Array;
  readonly data: Uint8Array;
}

export interface QueryRequest {
  readonly data: Uint8Array;
  readonly path: string;
  /** 0 means the latest committed height. */
  readonly height: bigint;
  readonly prove: boolean;
}

export interface QueryResponse {
  readonly code: number;
  readonly log: string;
  readonly info: string;
  readonly index: bigint;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly proofOps: readonly ProofOp[] | null;
  readonly height: bigint;
  readonly codespace: string;
}

/**
 * The application. Methods are async because an application may do I/O, but the node
 * never calls two of them concurrently (CometBFT's consensus connection is serial;
 * checkTx and query may interleave between consensus calls, never within one).
 */
export interface Application {
  info(req: InfoRequest): Promise<InfoResponse>;
  initChain(req: InitChainRequest): Promise<InitChainResponse>;
  checkTx(req: CheckTxRequest): Promise<CheckTxResponse>;
  /**
   * Optional work on a new tx before its CheckTx, which the node may run for many txs at once
   * (signature verification off the main thread). It decides nothing and changes no state:
   * CheckTx makes every check again unless it holds that exact check's earlier success.
   */
  preCheckTx?(tx: Uint8Array): Promise<void>;
  prepareProposal(req: PrepareProposalRequest): Promise<PrepareProposalResponse>;
  processProposal(req: ProcessProposalRequest): Promise<ProcessProposalStatus>;
  finalizeBlock(req: FinalizeBlockRequest): Promise<FinalizeBlockResponse>;
  /**
   * In-process applications that keep their state in the node's LMDB environment write the
   * state of the last finalizeBlock here, inside the node's block write transaction, so the
   * block and the app state commit together (the node calls it, then `commit`). Applications
   * with their own storage leave it out and persist in `commit`.
   */
  persist?(batch: WriteBatch): void;
  /** Makes the state of the last finalizeBlock the committed state (persisting it if `persist` is absent). */
  commit(): Promise<CommitResponse>;
  query(req: QueryRequest): Promise<QueryResponse>;
  /** Releases resources (databases, files). */
  close(): Promise<void>;
}
