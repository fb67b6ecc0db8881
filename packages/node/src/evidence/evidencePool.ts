// The evidence pool (CometBFT evidence/pool.go, verify.go, reactor.go): turns conflicting votes
// seen by consensus into DuplicateVoteEvidence once their block is committed, verifies evidence
// from peers and RPC, keeps pending and committed evidence in LMDB, gossips pending evidence on
// the Evidence channel (0x38), and serves the proposer, block validation and FinalizeBlock.

import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import type { Misbehavior } from "@qos/app";
import {
  blockIdKey,
  evidenceHashOne,
  isEvidenceExpired,
  timestampToNanos,
  type ValidatorSet,
  validatorSetFromProto,
  verifyDuplicateVoteEvidence,
} from "@qos/consensus";
import type { BlockStore, NodeDb, StateStore } from "@qos/store";
import {
  BlockMetaSchema,
  BlockSchema,
  createDuplicateVoteEvidence,
  type DuplicateVoteEvidence,
  decodeWireMessage,
  type Evidence,
  EvidenceListSchema,
  EvidenceSchema,
  encodeWireMessage,
  err,
  ok,
  QosError,
  type Result,
  toHex,
  ValidatorSetSchema,
  type Vote,
} from "@qos/types";
import type { ChainState } from "../chainState.ts";
import { type Clock, systemClock } from "../consensusHost.ts";
import type { Logger } from "../logger.ts";
import type { CHANNEL, Channel, ChannelDescriptor, NodeId, P2PNetwork } from "../p2p/p2pNetwork.ts";
import {
  createEvidenceStore,
  type EvidenceInfo,
  type EvidenceStore,
  evidenceKey,
  type PendingEntry,
} from "./evidenceStore.ts";

/** CHANNEL.evidence of the p2p layer (a type-level check keeps the two equal). */
export const EVIDENCE_CHANNEL_ID: (typeof CHANNEL)["evidence"] = 0x38;

/** evidence/reactor.go: 1 MB messages. */
export const EVIDENCE_CHANNEL: ChannelDescriptor = {
  id: EVIDENCE_CHANNEL_ID,
  name: "evidence",
  maxMessageBytes: 1_048_576,
  sendQueueCapacity: 100,
};

export const EvidencePoolErrorCode = {
  /** Provably bad (bad signature, wrong powers, time or vote order): a peer sending it misbehaves. */
  Invalid: "evidence/invalid",
  /** Older than both age limits of the consensus params. */
  Expired: "evidence/expired",
  /** This node lacks the block or validators at its height (ahead of us, or pruned). */
  Unverifiable: "evidence/unverifiable",
  /** Already included in an earlier block. */
  Committed: "evidence/committed",
  /** The same evidence twice in one block. */
  Duplicate: "evidence/duplicate",
  /** A block's evidence above evidence.max_bytes. */
  Overflow: "evidence/overflow",
  /** LightClientAttackEvidence: not verified by this node yet. */
  Unsupported: "evidence/unsupported",
} as const;
export type EvidencePoolErrorCode =
  (typeof EvidencePoolErrorCode)[keyof typeof EvidencePoolErrorCode];
export type EvidencePoolError = QosError<EvidencePoolErrorCode>;

/** What addEvidence did with valid evidence. */
export type AddEvidenceOutcome = "added" | "already-pending" | "already-committed";

export interface EvidencePoolOptions {
  /** Pending evidence is re-broadcast this often (peers behind us could not verify it before). */
  readonly gossipIntervalMs?: number;
  /** A peer message with more pieces than this is refused as spam (honest peers send one). */
  readonly maxEvidencePerMessage?: number;
}

export interface EvidencePoolDeps {
  /** Own tables `evidence/pending` and `evidence/committed` are opened here. */
  readonly db: NodeDb;
  readonly blockStore: BlockStore;
  readonly stateStore: StateStore;
  /** The latest committed state. */
  readonly chainState: () => ChainState;
  /** Null: no gossip (a node without p2p, or tests). */
  readonly network: P2PNetwork | null;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface EvidencePool {
  /** Starts the periodic re-broadcast of pending evidence. */
  start(): void;
  stop(): void;
  /**
   * Consensus saw one validator sign two different votes for one (height, round, type).
   * The evidence is built when the block at that height is committed (it needs that block's
   * time and the validator set there): at once if it is, else in `update`.
   */
  reportConflictingVotes(voteA: Vote, voteB: Vote): void;
  /** Evidence from a peer or RPC: verified, stored pending and gossiped. */
  addEvidence(ev: Evidence): Result<AddEvidenceOutcome, EvidencePoolError>;
  /** Pending evidence in height order whose EvidenceList fits `maxBytes` (−1: all). */
  pendingEvidence(maxBytes: bigint): Evidence[];
  /**
   * A block's evidence against the state before the block (state/validation.go + pool
   * CheckEvidence): each piece verifies, none twice, none committed, within evidence.max_bytes.
   * Valid evidence not yet pending becomes pending.
   */
  checkEvidence(list: readonly Evidence[], state: ChainState): Result<void, EvidencePoolError>;
  /**
   * After each committed block (state = the state after it): builds evidence from buffered
   * conflicting votes, moves the block's evidence to committed, drops expired evidence.
   */
  update(state: ChainState, committed: readonly Evidence[]): void;
  /** ABCI Misbehavior for FinalizeBlock (types/evidence.go ABCI()). */
  toMisbehavior(ev: Evidence, state: ChainState): Misbehavior[];
  isPending(ev: Evidence): boolean;
  isCommitted(ev: Evidence): boolean;
  /** Number of pending pieces. */
  size(): number;
}

const DEFAULTS: Required<EvidencePoolOptions> = {
  gossipIntervalMs: 10_000,
  maxEvidencePerMessage: 16,
};
/** CometBFT DefaultEvidenceParams. */
const DEFAULT_MAX_AGE_NUM_BLOCKS = 100_000n;
const DEFAULT_MAX_BYTES = 1_048_576n;
/** At start-up, the newest blocks scanned for pending evidence that was committed before a crash. */
const RECONCILE_BLOCKS = 100n;

function fail(
  code: EvidencePoolErrorCode,
  message: string,
): { ok: false; error: EvidencePoolError } {
  return err(new QosError(code, message));
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Size of one piece inside an EvidenceList (field tag, length, bytes). */
function listItemSize(evidenceBytes: Uint8Array): number {
  return 1 + varintSize(evidenceBytes.length) + evidenceBytes.length;
}

/** EvidenceData.ByteSize: the proto size of the EvidenceList. */
export function evidenceListSize(list: readonly Evidence[]): bigint {
  let size = 0;
  for (const ev of list) size += listItemSize(encodeWireMessage(EvidenceSchema, ev));
  return BigInt(size);
}

function nanosToTimestamp(nanos: bigint): Timestamp {
  const seconds = nanos / 1_000_000_000n - (nanos % 1_000_000_000n < 0n ? 1n : 0n);
  return create(TimestampSchema, { seconds, nanos: Number(nanos - seconds * 1_000_000_000n) });
}

export function createEvidencePool(
  options: EvidencePoolOptions,
  deps: EvidencePoolDeps,
): EvidencePool {
  const opts: Required<EvidencePoolOptions> = { ...DEFAULTS, ...options };
  const { db, blockStore, stateStore, network } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ module: "evidence" });
  const store: EvidenceStore = createEvidenceStore(db);

  /** Pending evidence by key (hex), mirrored from the table. */
  const pending = new Map<string, PendingEntry>();
  for (const entry of store.pending()) pending.set(toHex(entry.info.key), entry);
  /** Conflicting votes waiting for their block. */
  let buffer: { voteA: Vote; voteB: Vote }[] = [];
  let stopGossip: (() => void) | null = null;

  // ---- identity, lookups -------------------------------------------------------------------

  function duplicateVote(ev: Evidence): DuplicateVoteEvidence | null {
    return ev.sum.case === "duplicateVoteEvidence" ? ev.sum.value : null;
  }

  /** Height/time/hash of duplicate-vote evidence; null for other kinds. */
  function infoOf(ev: Evidence): EvidenceInfo | null {
    const dve = duplicateVote(ev);
    if (dve === null || dve.voteA === undefined) return null;
    const height = dve.voteA.height;
    if (height < 0n) return null;
    const hash = evidenceHashOne(ev);
    return {
      height,
      timeNanos: timestampToNanos(dve.timestamp),
      hash,
      key: evidenceKey(height, hash),
    };
  }

  function blockTimeAt(height: bigint): Timestamp | undefined {
    const bytes = blockStore.loadBlockMeta(height);
    if (bytes === undefined) return undefined;
    const meta = decodeWireMessage(BlockMetaSchema, bytes);
    return meta.ok ? meta.value.header?.time : undefined;
  }

  function validatorsAt(height: bigint): ValidatorSet | undefined {
    const bytes = stateStore.loadValidators(height);
    if (bytes === undefined) return undefined;
    const proto = decodeWireMessage(ValidatorSetSchema, bytes);
    if (!proto.ok) return undefined;
    const set = validatorSetFromProto(proto.value);
    return set.ok ? set.value : undefined;
  }

  function expired(info: { height: bigint; timeNanos: bigint }, state: ChainState): boolean {
    const params = state.consensusParams.evidence;
    return isEvidenceExpired({
      evidenceHeight: info.height,
      evidenceTime: nanosToTimestamp(info.timeNanos),
      lastBlockHeight: state.lastBlockHeight,
      lastBlockTime: state.lastBlockTime,
      params: {
        maxAgeNumBlocks: params?.maxAgeNumBlocks ?? DEFAULT_MAX_AGE_NUM_BLOCKS,
        maxAgeDuration: params?.maxAgeDuration,
      },
    });
  }

  // ---- verification (evidence/verify.go) --------------------------------------------------

  function verify(ev: Evidence, state: ChainState): Result<EvidenceInfo, EvidencePoolError> {
    const dve = duplicateVote(ev);
    if (dve === null) {
      return fail(
        EvidencePoolErrorCode.Unsupported,
        `${ev.sum.case ?? "empty"} evidence is not supported`,
      );
    }
    const info = infoOf(ev);
    if (info === null)
      return fail(EvidencePoolErrorCode.Invalid, "duplicate vote evidence without VoteA");
    const { height } = info;
    if (height > state.lastBlockHeight) {
      return fail(
        EvidencePoolErrorCode.Unverifiable,
        `evidence from height ${height} is ahead of the last block ${state.lastBlockHeight}`,
      );
    }
    const blockTime = blockTimeAt(height);
    if (blockTime === undefined)
      return fail(EvidencePoolErrorCode.Unverifiable, `don't have header #${height}`);
    if (timestampToNanos(blockTime) !== info.timeNanos) {
      return fail(
        EvidencePoolErrorCode.Invalid,
        `evidence has a different time to the block it is associated with (${info.timeNanos} != ${timestampToNanos(blockTime)} ns)`,
      );
    }
    if (expired(info, state)) {
      return fail(
        EvidencePoolErrorCode.Expired,
        `evidence from height ${height} is too old (last block ${state.lastBlockHeight})`,
      );
    }
    const valSet = validatorsAt(height);
    if (valSet === undefined)
      return fail(
        EvidencePoolErrorCode.Unverifiable,
        `no validator set stored for height ${height}`,
      );
    const v = verifyDuplicateVoteEvidence(dve, state.chainId, valSet);
    if (!v.ok) return fail(EvidencePoolErrorCode.Invalid, v.error.message);
    return ok(info);
  }

  // ---- storage -------------------------------------------------------------------------------

  function addPending(ev: Evidence, info: EvidenceInfo): void {
    const entry: PendingEntry = { info, evidence: ev };
    db.writeBlock((batch) => store.putPending(batch, entry));
    pending.set(toHex(info.key), entry);
    log.info(
      { height: String(info.height), hash: toHex(info.hash) },
      "verified new evidence of byzantine behavior",
    );
  }

  function isPendingKey(key: Uint8Array): boolean {
    return pending.has(toHex(key));
  }

  // ---- gossip (evidence/reactor.go) ----------------------------------------------------------

  function encodeOne(ev: Evidence): Uint8Array {
    return encodeWireMessage(EvidenceListSchema, create(EvidenceListSchema, { evidence: [ev] }));
  }

  let channel: Channel | null = null;
  if (network !== null) {
    channel = network.registerChannel(EVIDENCE_CHANNEL, onMessage);
    network.onPeerConnected((peer) => {
      for (const entry of pending.values()) channel?.send(peer.nodeId, encodeOne(entry.evidence));
    });
  }

  function onMessage(peer: NodeId, bytes: Uint8Array): void {
    const decoded = decodeWireMessage(EvidenceListSchema, bytes);
    if (!decoded.ok) {
      network?.reportPeer(peer, "malformed", decoded.error.message);
      return;
    }
    const list = decoded.value.evidence;
    if (list.length > opts.maxEvidencePerMessage) {
      network?.reportPeer(peer, "spam", `${list.length} pieces of evidence in one message`);
      return;
    }
    for (const ev of list) {
      const r = add(ev, peer);
      if (r.ok) continue;
      if (r.error.code === EvidencePoolErrorCode.Invalid) {
        log.warn({ peer, reason: r.error.message }, "invalid evidence from peer");
        network?.reportPeer(peer, "invalid", `evidence: ${r.error.message}`);
        return;
      }
      log.debug({ peer, reason: r.error.message }, "evidence from peer not added");
    }
  }

  function add(ev: Evidence, from: NodeId | null): Result<AddEvidenceOutcome, EvidencePoolError> {
    const info = infoOf(ev);
    if (info !== null) {
      if (isPendingKey(info.key)) return ok("already-pending");
      if (store.hasCommitted(info.key)) return ok("already-committed");
    }
    const v = verify(ev, deps.chainState());
    if (!v.ok) return v;
    addPending(ev, v.value);
    channel?.broadcast(encodeOne(ev), from ?? undefined);
    return ok("added");
  }

  // ---- conflicting votes from consensus (pool.go processConsensusBuffer) -----------------------

  /** Builds evidence for buffered votes whose block is committed; keeps the others. */
  function processBuffer(state: ChainState): void {
    const later: typeof buffer = [];
    for (const pair of buffer) {
      const height = pair.voteA.height;
      if (height > state.lastBlockHeight) {
        later.push(pair);
        continue;
      }
      const time = blockTimeAt(height);
      const valSet = validatorsAt(height);
      const val = valSet?.getByAddress(pair.voteA.validatorAddress);
      if (time === undefined || valSet === undefined || val === undefined) {
        log.error(
          { height: String(height), validator: toHex(pair.voteA.validatorAddress) },
          "cannot build duplicate vote evidence: block, validator set or validator missing",
        );
        continue;
      }
      // types/evidence.go NewDuplicateVoteEvidence: VoteA has the smaller BlockID key.
      const [voteA, voteB] =
        blockIdKey(pair.voteA.blockId) < blockIdKey(pair.voteB.blockId)
          ? [pair.voteA, pair.voteB]
          : [pair.voteB, pair.voteA];
      const ev = create(EvidenceSchema, {
        sum: {
          case: "duplicateVoteEvidence",
          value: createDuplicateVoteEvidence({
            voteA,
            voteB,
            totalVotingPower: valSet.totalVotingPower,
            validatorPower: val.validator.votingPower,
            timestamp: time,
          }),
        },
      });
      const r = add(ev, null);
      if (!r.ok) {
        log.error(
          { height: String(height), reason: r.error.message },
          "conflicting votes from consensus do not make valid evidence",
        );
      }
    }
    buffer = later;
  }

  // ---- start-up reconciliation ----------------------------------------------------------

  /**
   * The block store may hold a block whose evidence was never moved to committed (a crash
   * between the block write and `update`): mark pending evidence found in the newest blocks.
   */
  function reconcile(): void {
    if (pending.size === 0) return;
    const top = blockStore.height();
    let minPending = top;
    for (const e of pending.values()) if (e.info.height < minPending) minPending = e.info.height;
    const from = [minPending + 1n, top - RECONCILE_BLOCKS + 1n, blockStore.base()].reduce((a, b) =>
      a > b ? a : b,
    );
    for (let h = from; h <= top; h++) {
      const bytes = blockStore.loadBlock(h);
      if (bytes === undefined) continue;
      const block = decodeWireMessage(BlockSchema, bytes);
      if (!block.ok) continue;
      const list = block.value.evidence?.evidence ?? [];
      if (list.length > 0) markCommitted(list, h);
    }
  }

  function markCommitted(list: readonly Evidence[], includedAt: bigint): void {
    const infos = list.map(infoOf).filter((i): i is EvidenceInfo => i !== null);
    if (infos.length === 0) return;
    db.writeBlock((batch) => {
      for (const info of infos) {
        if (isPendingKey(info.key)) store.removePending(batch, info.key);
        store.putCommitted(batch, info, includedAt);
      }
    });
    for (const info of infos) pending.delete(toHex(info.key));
  }

  /** Drops expired pending evidence and expired committed records (both in height order). */
  function pruneExpired(state: ChainState): void {
    const pendingExpired = [...pending.values()].filter((e) => expired(e.info, state));
    const committedExpired: Uint8Array[] = [];
    for (const c of store.committed()) {
      if (!expired(c, state)) break;
      committedExpired.push(c.key);
    }
    if (pendingExpired.length === 0 && committedExpired.length === 0) return;
    db.writeBlock((batch) => {
      for (const e of pendingExpired) store.removePending(batch, e.info.key);
      for (const key of committedExpired) store.removeCommitted(batch, key);
    });
    for (const e of pendingExpired) pending.delete(toHex(e.info.key));
    if (pendingExpired.length > 0)
      log.info({ count: pendingExpired.length }, "dropped expired pending evidence");
  }

  reconcile();

  return {
    start() {
      if (stopGossip !== null || channel === null) return;
      let active = true;
      let cancel = (): void => undefined;
      const arm = () => {
        cancel = clock.setTimer(opts.gossipIntervalMs, () => {
          if (!active) return;
          for (const entry of pending.values()) channel?.broadcast(encodeOne(entry.evidence));
          arm();
        });
      };
      arm();
      stopGossip = () => {
        active = false;
        cancel();
      };
    },

    stop() {
      stopGossip?.();
      stopGossip = null;
    },

    reportConflictingVotes(voteA, voteB) {
      buffer.push({ voteA, voteB });
      const state = deps.chainState();
      if (voteA.height <= state.lastBlockHeight) processBuffer(state);
    },

    addEvidence: (ev) => add(ev, null),

    pendingEvidence(maxBytes) {
      const out: Evidence[] = [];
      let size = 0n;
      for (const entry of pending.size === 0 ? [] : store.pending()) {
        size += BigInt(listItemSize(encodeWireMessage(EvidenceSchema, entry.evidence)));
        if (maxBytes !== -1n && size > maxBytes) break;
        out.push(entry.evidence);
      }
      return out;
    },

    checkEvidence(list, state) {
      if (list.length === 0) return ok(undefined);
      const max = state.consensusParams.evidence?.maxBytes ?? DEFAULT_MAX_BYTES;
      const size = evidenceListSize(list);
      if (size > max) {
        return fail(
          EvidencePoolErrorCode.Overflow,
          `evidence of ${size} bytes is above the limit of ${max} bytes`,
        );
      }
      const seen = new Set<string>();
      for (const ev of list) {
        const info = infoOf(ev);
        if (info === null) {
          return fail(
            EvidencePoolErrorCode.Unsupported,
            `${ev.sum.case ?? "empty"} evidence is not supported`,
          );
        }
        const hex = toHex(info.hash);
        if (seen.has(hex))
          return fail(EvidencePoolErrorCode.Duplicate, `duplicate evidence ${hex} in the block`);
        seen.add(hex);
        if (store.hasCommitted(info.key))
          return fail(EvidencePoolErrorCode.Committed, `evidence ${hex} was already committed`);
        if (isPendingKey(info.key)) {
          // Verified when it entered the pool; only its age depends on the state.
          if (expired(info, state)) {
            return fail(
              EvidencePoolErrorCode.Expired,
              `evidence from height ${info.height} is too old (last block ${state.lastBlockHeight})`,
            );
          }
          continue;
        }
        const v = verify(ev, state);
        if (!v.ok) return v;
        addPending(ev, v.value);
      }
      return ok(undefined);
    },

    update(state, committed) {
      processBuffer(state);
      markCommitted(committed, state.lastBlockHeight);
      pruneExpired(state);
    },

    toMisbehavior(ev) {
      const dve = duplicateVote(ev);
      if (dve === null || dve.voteA === undefined) return [];
      const time = dve.timestamp;
      return [
        {
          type: "duplicate_vote",
          validator: { address: dve.voteA.validatorAddress, power: dve.validatorPower },
          height: dve.voteA.height,
          time: { seconds: time?.seconds ?? 0n, nanos: time?.nanos ?? 0 },
          totalVotingPower: dve.totalVotingPower,
        },
      ];
    },

    isPending(ev) {
      const info = infoOf(ev);
      return info !== null && isPendingKey(info.key);
    },

    isCommitted(ev) {
      const info = infoOf(ev);
      return info !== null && store.hasCommitted(info.key);
    },

    size: () => pending.size,
  };
}
