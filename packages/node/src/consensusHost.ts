// The consensus host (the effectful shell around the pure core; CometBFT's
// consensus/state.go receiveRoutine): one serialized input queue; every input is written
// to the WAL before it is handled (own signed messages fsynced); the core's outputs are
// carried out here — signing through the double-sign guard, timers through the injected
// clock, proposals through the block executor, decisions through applyBlock.

import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  blockIdKey,
  type ConsensusDriver,
  type CoreInput,
  type CoreOutput,
  type CoreVote,
  createConsensusDriver,
  joinParts,
  proposalSignBytes,
  type TimeoutConfig,
  type TimeoutStep,
  timestampToNanos,
  type ValidatorPowers,
  type ValidatorSet,
  type ValueId,
  validateVote,
  verifyPart,
  verifySignature,
  verifyVoteSignature,
  voteSignBytes,
  votesFor,
} from "@qos/consensus";
import { ed25519Sign } from "@qos/crypto";
import {
  isLastSignError,
  type LastSignState,
  SIGN_STEP,
  type SignOutcome,
  type SignStep,
  type Wal,
} from "@qos/store";
import {
  type Block,
  type BlockID,
  BlockIDFlag,
  BlockPartMessageSchema,
  BlockSchema,
  type Commit,
  createBlockID,
  createCommit,
  createCommitSig,
  createProposal,
  createVote,
  decodeWireMessage,
  encodeWireMessage,
  equalBytes,
  err,
  ok,
  type Part,
  type Proposal,
  QosError,
  type Result,
  SignedMsgType,
  TimeoutMessageSchema,
  toHex,
  type Vote,
  type WALMessage,
  WALMessageSchema,
} from "@qos/types";
import { type BlockExecutor, type ProposalBlock, sealBlock } from "./blockExecutor.ts";
import { type ChainState, nextHeight } from "./chainState.ts";
import type { ValidatorKey } from "./keyFiles.ts";
import type { Logger } from "./logger.ts";

/** Time and timers, injected so tests and simulations control them. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** What the host sends to peers (the p2p consensus reactor implements it). */
export interface ConsensusGossip {
  proposal(proposal: Proposal, parts: readonly Part[]): void;
  vote(vote: Vote): void;
}

const NO_GOSSIP: ConsensusGossip = { proposal() {}, vote() {} };

export interface CommittedBlock {
  readonly block: Block;
  readonly sealed: ProposalBlock;
  readonly state: ChainState;
  readonly response: import("@qos/app").FinalizeBlockResponse;
  /** The block's results as stored (hashes, protos, encodings). */
  readonly results: import("./blockResults.ts").BlockResults;
}

export interface ConsensusHostOptions {
  readonly timeouts: TimeoutConfig;
  readonly timeoutCommitMs: number;
  readonly skipTimeoutCommit: boolean;
  /** When false, round 0 of a height waits for a tx unless a proof block is needed (app hash changed). */
  readonly createEmptyBlocks: boolean;
}

export interface ConsensusHostDeps {
  readonly executor: BlockExecutor;
  readonly wal: Wal;
  /** Null for a non-validator (full) node. */
  readonly signer: { readonly key: ValidatorKey; readonly guard: LastSignState } | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly gossip?: ConsensusGossip;
  /** Called after each block is committed (indexing, events), in height order. */
  readonly onCommitted: (c: CommittedBlock) => void;
  /** Resolves when the mempool has txs (used when createEmptyBlocks is false). */
  readonly hasTxs?: () => boolean;
  readonly onTxsAvailable?: (cb: () => void) => () => void;
  /** App hash in the header of the last committed block (for needProofBlock after a restart). */
  readonly lastBlockAppHash?: Uint8Array;
  /** Tells the p2p layer about a peer that sent something invalid. */
  readonly reportPeer?: PeerOffenceReport;
  /** Two conflicting votes by one validator (for the evidence pool). */
  readonly onConflictingVotes?: (voteA: Vote, voteB: Vote) => void;
}

/** The signed wire message a core vote or proposal carries. */
type Signed = Vote | Proposal;

type HostInput =
  | { kind: "proposal"; proposal: Proposal; peer: string }
  | { kind: "blockPart"; height: bigint; round: number; part: Part; peer: string }
  | { kind: "vote"; vote: Vote; peer: string }
  | { kind: "timeout"; step: TimeoutStep; height: bigint; round: number; durationMs: number }
  | { kind: "startHeight"; height: bigint };

/** The parts of one block being received at this height. */
interface PartCollector {
  readonly blockId: BlockID;
  /** The signed proposal, or null for a block we only know from +2/3 precommits (catch-up). */
  readonly proposal: Proposal | null;
  readonly round: number;
  readonly parts: Map<number, Part>;
  done: boolean;
}

/** What the consensus reactor gossips: the current height's proposals, parts and votes. */
export interface GossipView {
  readonly height: bigint;
  readonly round: number;
  /** 1 propose, 2 prevote, 3 precommit, 4 commit (0 before the height started). */
  readonly step: number;
  readonly proposals: readonly { readonly proposal: Proposal; readonly parts: readonly Part[] }[];
  readonly votes: readonly Vote[];
  /**
   * The votes this process signed at this height. Usually also in `votes`; not when a vote by
   * our key from another process (a second machine running it) reached us first.
   */
  readonly ownVotes: readonly Vote[];
  /** The precommits of the last height (the next block's LastCommit). */
  readonly lastCommit: Commit;
}

/** How a peer misbehaved, as the p2p layer scores it. */
export type PeerOffenceReport = (
  peer: string,
  offence: "invalid" | "malformed",
  reason: string,
) => void;

/** Messages held for the next height at most (votes of a few rounds of a large set). */
const MAX_HELD_MESSAGES = 10_000;

const STEP_NUMBER: Record<TimeoutStep, number> = { propose: 1, prevote: 2, precommit: 3 };
const STEP_OF_ROUND_STEP: Record<string, number> = {
  unstarted: 0,
  propose: 1,
  prevote: 2,
  precommit: 3,
  commit: 4,
};
const STEP_NAME: Record<number, TimeoutStep> = { 1: "propose", 2: "prevote", 3: "precommit" };

function msToTimestamp(ms: number): Timestamp {
  return create(TimestampSchema, {
    seconds: BigInt(Math.floor(ms / 1000)),
    nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000,
  });
}

function timestampToMs(t: Timestamp | undefined): number {
  return Number(timestampToNanos(t) / 1_000_000n);
}

/** The rounds' proposers of one height, from CometBFT's proposer priority (consensus/state.go L1066). */
function validatorPowers(set: ValidatorSet): ValidatorPowers {
  const byRound = new Map<number, number>();
  return {
    powers: set.validators.map((v) => v.votingPower),
    total: set.totalVotingPower,
    proposer(round: number): number {
      let idx = byRound.get(round);
      if (idx === undefined) {
        const s = round === 0 ? set : set.incrementProposerPriority(round);
        idx = s.getByAddress(s.getProposer().address)?.index ?? -1;
        byRound.set(round, idx);
      }
      return idx;
    },
  };
}

export interface ConsensusHost {
  /** Replays the WAL of the current height, then starts consensus. */
  start(): Promise<void>;
  /** Stops taking inputs, cancels timers, waits for the input being handled. */
  stop(): Promise<void>;
  receiveProposal(proposal: Proposal, peer: string): void;
  receiveBlockPart(height: bigint, round: number, part: Part, peer: string): void;
  receiveVote(vote: Vote, peer: string): void;
  /** The latest committed chain state. */
  state(): ChainState;
  /** Current height, round and step (for /status, metrics and /dump_consensus_state). */
  roundState(): { height: bigint; round: number; step: string };
  /** Resolves when the chain has committed `height` (or rejects when the host stops). */
  waitForHeight(height: bigint): Promise<void>;
  /** What the consensus reactor gossips to peers. */
  gossipView(): GossipView;
  /** Called after every handled input (the reactor then gossips what changed). */
  onChange(listener: () => void): () => void;
}

export function createConsensusHost(
  initialState: ChainState,
  lastCommit: Commit,
  opts: ConsensusHostOptions,
  deps: ConsensusHostDeps,
): ConsensusHost {
  const { executor, wal, signer, clock, logger } = deps;
  const gossip = deps.gossip ?? NO_GOSSIP;
  const log = logger.child({ module: "consensus" });

  let state = initialState;
  /** Precommits of the last height: the next block's LastCommit (late ones are added). */
  let lastCommitVotes: Commit = lastCommit;
  let height = nextHeight(state);
  let validators = state.validators;
  let driver: ConsensusDriver<Signed> = createConsensusDriver<Signed>({ timeouts: opts.timeouts });
  /** Blocks known at this height by value id. */
  let blocks = new Map<ValueId, ProposalBlock>();
  /** The votes we signed at this height (for gossip). */
  let ownVotes: Vote[] = [];
  /** Proposals (with their arriving parts) at this height, by round. */
  let pending = new Map<number, PartCollector>();
  /** Blocks +2/3 precommitted that we have no proposal for, by round (consensus/state.go enterCommit). */
  let committedBlocks = new Map<number, PartCollector>();
  /** Messages for the next height, held until we get there (CometBFT keeps them in peers' state). */
  let future: HostInput[] = [];
  let replaying = false;
  /** App hash in the last committed block's header (the state before that block). */
  let lastHeaderAppHash: Uint8Array = deps.lastBlockAppHash ?? state.appHash;
  let stopped = false;
  let startedHeight = false;
  /** A start of the current height is scheduled (after timeout_commit, or waiting for txs). */
  let startScheduled = false;
  const timers = new Set<() => void>();
  const heightWaiters: { height: bigint; resolve: () => void; reject: (e: Error) => void }[] = [];

  const queue: HostInput[] = [];
  const changeListeners = new Set<() => void>();
  let draining: Promise<void> | null = null;

  function ownIndex(): number | null {
    if (signer === null) return null;
    return validators.getByAddress(signer.key.address)?.index ?? null;
  }

  function schedule(ms: number, fn: () => void): void {
    const cancel = clock.setTimer(ms, () => {
      timers.delete(cancel);
      fn();
    });
    timers.add(cancel);
  }

  function enqueue(input: HostInput): void {
    if (stopped) return;
    queue.push(input);
    if (draining === null) draining = drain();
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0 && !stopped) {
        const input = queue.shift() as HostInput;
        try {
          await handle(input);
          for (const l of changeListeners) l();
        } catch (e) {
          // A broken invariant (app failure, store failure, double-sign refusal of our own
          // core) must halt consensus loudly rather than continue in an unknown state.
          log.fatal({ err: e }, "consensus halted");
          stopped = true;
          for (const cancel of timers) cancel();
          for (const w of heightWaiters.splice(0)) w.reject(e as Error);
          throw e;
        }
      }
    } finally {
      draining = null;
    }
  }

  // ---- WAL --------------------------------------------------------------------------

  function walWrite(input: HostInput, sync: boolean): void {
    if (replaying) return;
    let sum: WALMessage["sum"];
    switch (input.kind) {
      case "proposal":
        sum = { case: "proposal", value: input.proposal };
        break;
      case "vote":
        sum = { case: "vote", value: input.vote };
        break;
      case "blockPart":
        sum = {
          case: "blockPart",
          value: create(BlockPartMessageSchema, {
            height: input.height,
            round: input.round,
            part: input.part,
          }),
        };
        break;
      case "timeout":
        sum = {
          case: "timeout",
          value: create(TimeoutMessageSchema, {
            height: input.height,
            round: input.round,
            step: STEP_NUMBER[input.step],
            durationMs: BigInt(input.durationMs),
          }),
        };
        break;
      case "startHeight":
        return;
    }
    const bytes = encodeWireMessage(
      WALMessageSchema,
      create(WALMessageSchema, {
        time: msToTimestamp(clock.nowMs()),
        peerId: "peer" in input ? input.peer : "",
        sum,
      }),
    );
    if (sync) wal.appendSync(bytes);
    else wal.append(bytes);
  }

  function walInputFromBytes(bytes: Uint8Array): HostInput | null {
    const msg = decodeWireMessage(WALMessageSchema, bytes);
    if (!msg.ok) {
      log.error({ err: msg.error.message }, "skipping undecodable WAL record");
      return null;
    }
    const m = msg.value;
    switch (m.sum.case) {
      case "proposal":
        return { kind: "proposal", proposal: m.sum.value, peer: m.peerId };
      case "vote":
        return { kind: "vote", vote: m.sum.value, peer: m.peerId };
      case "blockPart": {
        const bp = m.sum.value;
        if (bp.part === undefined) return null;
        return {
          kind: "blockPart",
          height: bp.height,
          round: bp.round,
          part: bp.part,
          peer: m.peerId,
        };
      }
      case "timeout": {
        const t = m.sum.value;
        const step = STEP_NAME[t.step];
        if (step === undefined) return null;
        return {
          kind: "timeout",
          step,
          height: t.height,
          round: t.round,
          durationMs: Number(t.durationMs),
        };
      }
      default:
        return null;
    }
  }

  // ---- handling inputs ----------------------------------------------------------------

  async function handle(input: HostInput): Promise<void> {
    switch (input.kind) {
      case "startHeight":
        if (input.height !== height) return;
        return await startHeight();
      case "timeout":
        if (input.height !== height) return;
        walWrite(input, false);
        return await step({
          type: "timeout",
          step: input.step,
          height: input.height,
          round: input.round,
        });
      case "proposal":
        return await onProposal(input);
      case "blockPart":
        return await onBlockPart(input);
      case "vote":
        return await onVote(input);
    }
  }

  /** Keeps a message for the next height; bounded, so a flooding peer cannot exhaust memory. */
  function holdForNextHeight(input: HostInput): void {
    if (future.length < MAX_HELD_MESSAGES) future.push(input);
  }

  async function startHeight(): Promise<void> {
    if (startedHeight) return;
    startedHeight = true;
    startScheduled = false;
    await step({
      type: "startHeight",
      height,
      validators: validatorPowers(validators),
      ownIndex: ownIndex(),
    });
    const held = future;
    future = [];
    for (const input of held) await handle(input);
  }

  /** Feeds one input to the core and carries out its outputs (own messages re-enter here). */
  async function step(input: CoreInput<Signed>): Promise<void> {
    const outputs = driver.process(input);
    for (const out of outputs) await carryOut(out);
  }

  async function carryOut(out: CoreOutput<Signed>): Promise<void> {
    switch (out.type) {
      case "newRound":
        log.debug({ height: String(out.height), round: out.round }, "new round");
        return;
      case "scheduleTimeout":
        schedule(out.durationMs, () =>
          enqueue({
            kind: "timeout",
            step: out.step,
            height: out.height,
            round: out.round,
            durationMs: out.durationMs,
          }),
        );
        return;
      case "getValue":
        if (replaying) return; // the WAL holds the proposal we made, if any
        return await makeProposalValue(out.round);
      case "propose":
        return await signAndSendProposal(out.round, out.value, out.polRound);
      case "vote":
        return await signAndSendVote(out.voteType, out.round, out.value);
      case "decide":
        return await decide(out.round, out.value, out.precommits);
      case "evidence":
        deps.onConflictingVotes?.(out.voteA.signed as Vote, out.voteB.signed as Vote);
        log.warn(
          {
            height: String(out.voteA.height),
            round: out.voteA.round,
            validator: toHex((out.voteA.signed as Vote).validatorAddress),
          },
          "conflicting votes from a validator (duplicate vote evidence)",
        );
        return;
    }
  }

  async function makeProposalValue(round: number): Promise<void> {
    if (signer === null) return;
    const sealed = await executor.createProposalBlock(state, lastCommitVotes, signer.key.address);
    const key = blockIdKey(sealed.blockId);
    blocks.set(key, sealed);
    await step({ type: "proposeValue", height, round, value: key });
  }

  /** Signs through the double-sign guard; a refusal comes back as an error, never a signature. */
  function sign(
    stepKind: SignStep,
    round: number,
    signBytes: Uint8Array,
  ): Result<SignOutcome, QosError> {
    if (signer === null)
      return err(new QosError("consensus/no-key", "signing without a validator key"));
    try {
      return ok(
        signer.guard.sign(
          { height, round, step: stepKind, signBytes },
          (bytes) => ed25519Sign(signer.key.privateKey, bytes),
          sameExceptTimestamp,
        ),
      );
    } catch (e) {
      if (isLastSignError(e)) return err(e);
      throw e;
    }
  }

  async function signAndSendProposal(
    round: number,
    value: ValueId,
    polRound: number,
  ): Promise<void> {
    const sealed = blocks.get(value);
    if (sealed === undefined || signer === null) {
      log.error({ round, value }, "asked to propose a block we do not have");
      return;
    }
    const unsigned = createProposal({
      type: SignedMsgType.PROPOSAL,
      height,
      round,
      polRound,
      blockId: sealed.blockId,
      timestamp: msToTimestamp(clock.nowMs()),
    });
    const result = sign(SIGN_STEP.propose, round, proposalSignBytes(state.chainId, unsigned));
    if (!result.ok) {
      // The guard refuses what could double-sign (e.g. a different block after a restart).
      // During WAL replay a refusal is expected (consensus/state.go logs it only outside
      // replayMode): the guard is past this step and the WAL holds what was signed.
      (replaying ? log.debug.bind(log) : log.error.bind(log))(
        { height: String(height), round, reason: result.error.message },
        "refused to sign proposal",
      );
      return;
    }
    const signed = result.value;
    const proposal =
      signed.reused === "timestamp" ? withTimestampOf(unsigned, signed.signBytes) : unsigned;
    proposal.signature = signed.signature;
    // Own messages are fsynced to the WAL before they leave the node (consensus/wal.go WriteSync).
    walWrite({ kind: "proposal", proposal, peer: "" }, false);
    for (const part of sealed.partSet.parts)
      walWrite({ kind: "blockPart", height, round, part, peer: "" }, false);
    if (!replaying) wal.sync();
    pending.set(round, {
      blockId: sealed.blockId,
      round,
      proposal,
      parts: new Map(sealed.partSet.parts.map((p) => [p.index, p])),
      done: true,
    });
    if (!replaying) gossip.proposal(proposal, sealed.partSet.parts);
    await step({
      type: "proposal",
      proposal: {
        height,
        round,
        polRound,
        value,
        validatorIndex: ownIndex() ?? -1,
        valid: true,
        signed: proposal,
      },
    });
  }

  function voteTime(value: ValueId | null): Timestamp {
    // consensus/state.go voteTime: never earlier than the voted block's time + 1ms, and
    // never earlier than the last block's time + 1ms (so the median time moves forward).
    const block = value === null ? undefined : blocks.get(value)?.block;
    const floor =
      Math.max(timestampToMs(state.lastBlockTime), block ? timestampToMs(block.header?.time) : 0) +
      1;
    return msToTimestamp(Math.max(clock.nowMs(), floor));
  }

  async function signAndSendVote(
    type: "prevote" | "precommit",
    round: number,
    value: ValueId | null,
  ): Promise<void> {
    const idx = ownIndex();
    if (signer === null || idx === null) return;
    const blockId = value === null ? createBlockID() : (blocks.get(value)?.blockId ?? null);
    if (blockId === null) {
      log.error({ round, value }, "asked to vote for a block we do not have");
      return;
    }
    const unsigned = createVote({
      type: type === "prevote" ? SignedMsgType.PREVOTE : SignedMsgType.PRECOMMIT,
      height,
      round,
      blockId,
      timestamp: voteTime(value),
      validatorAddress: signer.key.address,
      validatorIndex: idx,
    });
    const result = sign(
      type === "prevote" ? SIGN_STEP.prevote : SIGN_STEP.precommit,
      round,
      voteSignBytes(state.chainId, unsigned),
    );
    if (!result.ok) {
      (replaying ? log.debug.bind(log) : log.error.bind(log))(
        { height: String(height), round, type, reason: result.error.message },
        "refused to sign vote",
      );
      return;
    }
    const signed = result.value;
    const vote =
      signed.reused === "timestamp" ? withTimestampOf(unsigned, signed.signBytes) : unsigned;
    vote.signature = signed.signature;
    walWrite({ kind: "vote", vote, peer: "" }, true);
    ownVotes.push(vote);
    if (!replaying) gossip.vote(vote);
    await step({
      type: "vote",
      vote: { type, height, round, validatorIndex: idx, value, signed: vote },
    });
  }

  async function onProposal(input: { proposal: Proposal; peer: string }): Promise<void> {
    const p = input.proposal;
    if (p.height === height + 1n || (p.height === height && !startedHeight)) {
      holdForNextHeight({ kind: "proposal", ...input });
      return;
    }
    if (p.height !== height || p.round < 0 || pending.has(p.round)) return;
    if (
      p.type !== SignedMsgType.PROPOSAL ||
      p.polRound < -1 ||
      p.polRound >= p.round ||
      p.blockId === undefined
    )
      return;
    const powers = validatorPowers(validators);
    const proposerIdx = powers.proposer(p.round);
    const proposer = validators.getByIndex(proposerIdx);
    if (proposer === undefined) return;
    if (!verifySignature(proposer.pubKey, proposalSignBytes(state.chainId, p), p.signature)) {
      log.debug({ peer: input.peer, round: p.round }, "proposal with an invalid signature");
      if (input.peer !== "")
        deps.reportPeer?.(input.peer, "invalid", "proposal with an invalid signature");
      return;
    }
    walWrite({ kind: "proposal", ...input }, input.peer === "");
    pending.set(p.round, {
      blockId: p.blockId,
      round: p.round,
      proposal: p,
      parts: new Map(),
      done: false,
    });
  }

  async function onBlockPart(input: {
    height: bigint;
    round: number;
    part: Part;
    peer: string;
  }): Promise<void> {
    if (input.height !== height) return;
    const collector = [pending.get(input.round), committedBlocks.get(input.round)].find(
      (c) =>
        c !== undefined &&
        !c.done &&
        !c.parts.has(input.part.index) &&
        c.blockId.partSetHeader !== undefined &&
        verifyPart(input.part, c.blockId.partSetHeader).ok,
    );
    if (collector === undefined) return;
    walWrite({ kind: "blockPart", ...input }, false);
    collector.parts.set(input.part.index, input.part);
    if (collector.parts.size < (collector.blockId.partSetHeader?.total ?? 0)) return;
    collector.done = true;
    const ordered = [...collector.parts.values()].sort((a, b) => a.index - b.index);
    const decoded = decodeWireMessage(BlockSchema, joinParts(ordered));
    const value = blockIdKey(collector.blockId);
    let valid = false;
    if (decoded.ok) {
      const sealed = sealBlock(decoded.value);
      if (blockIdKey(sealed.blockId) === value) {
        blocks.set(value, sealed);
        const v = executor.validateBlock(state, decoded.value);
        if (!v.ok) {
          log.info(
            { height: String(height), round: collector.round, reason: v.error.message },
            "invalid proposal block",
          );
        } else if (collector.proposal === null) {
          // +2/3 precommitted it: the app's ProcessProposal verdict no longer matters.
          valid = true;
        } else {
          valid = await executor.processProposal(state, sealed);
        }
      }
    }
    if (!valid && input.peer !== "")
      deps.reportPeer?.(input.peer, "invalid", "invalid block in proposal");
    const proposer = validatorPowers(validators).proposer(collector.round);
    const signed =
      collector.proposal ??
      createProposal({
        type: SignedMsgType.PROPOSAL,
        height,
        round: collector.round,
        polRound: -1,
        blockId: collector.blockId,
      });
    await step({
      type: "proposal",
      proposal: {
        height,
        round: collector.round,
        polRound: signed.polRound,
        value,
        validatorIndex: proposer,
        valid,
        signed,
      },
    });
  }

  /** A +2/3 precommit for a block we lack: collect its parts from peers, like a proposal. */
  function expectCommittedBlock(round: number): void {
    const quorum = driver.state.votes.rounds.get(round)?.precommit.quorum;
    const value = quorum?.value;
    if (value === undefined || value === null || blocks.has(value) || committedBlocks.has(round))
      return;
    const vote = votesFor(driver.state.votes, round, "precommit", value)[0]?.signed as
      | Vote
      | undefined;
    if (vote?.blockId === undefined) return;
    committedBlocks.set(round, {
      blockId: vote.blockId,
      round,
      proposal: null,
      parts: new Map(),
      done: false,
    });
  }

  async function onVote(input: { vote: Vote; peer: string }): Promise<void> {
    const v = input.vote;
    if (v.height === height + 1n || (v.height === height && !startedHeight)) {
      holdForNextHeight({ kind: "vote", ...input });
      return;
    }
    if (v.height === height - 1n && v.type === SignedMsgType.PRECOMMIT) {
      addLateCommitVote(v);
      return;
    }
    if (v.height !== height) return;
    const basic = validateVote(v);
    const val = validators.getByIndex(v.validatorIndex);
    const verified = !basic.ok
      ? basic
      : val === undefined
        ? null
        : verifyVoteSignature(state.chainId, v, val);
    if (verified === null || !verified.ok) {
      const reason =
        verified === null ? `no validator at index ${v.validatorIndex}` : verified.error.message;
      log.debug({ peer: input.peer, index: v.validatorIndex, reason }, "dropped an invalid vote");
      if (input.peer !== "") deps.reportPeer?.(input.peer, "invalid", `vote: ${reason}`);
      return;
    }
    walWrite({ kind: "vote", ...input }, input.peer === "");
    const isNil = v.blockId === undefined || v.blockId.hash.length === 0;
    await step({
      type: "vote",
      vote: {
        type: v.type === SignedMsgType.PREVOTE ? "prevote" : "precommit",
        height: v.height,
        round: v.round,
        validatorIndex: v.validatorIndex,
        value: isNil ? null : blockIdKey(v.blockId),
        signed: v,
      },
    });
    if (v.type === SignedMsgType.PRECOMMIT) expectCommittedBlock(v.round);
  }

  /** A precommit for the last height that arrived after we decided: add it to the next LastCommit. */
  function addLateCommitVote(v: Vote): void {
    const lastVals = state.lastValidators;
    if (lastVals === null || v.round !== lastCommitVotes.round) return;
    const sig = lastCommitVotes.signatures[v.validatorIndex];
    if (sig === undefined || sig.blockIdFlag !== BlockIDFlag.BLOCK_ID_FLAG_ABSENT) return;
    const val = lastVals.getByIndex(v.validatorIndex);
    if (val === undefined || !validateVote(v).ok || !verifyVoteSignature(state.chainId, v, val).ok)
      return;
    const forBlock = v.blockId !== undefined && equalBytes(v.blockId.hash, state.lastBlockId.hash);
    const isNil = v.blockId === undefined || v.blockId.hash.length === 0;
    if (!forBlock && !isNil) return;
    const signatures = [...lastCommitVotes.signatures];
    signatures[v.validatorIndex] = createCommitSig({
      blockIdFlag: forBlock ? BlockIDFlag.BLOCK_ID_FLAG_COMMIT : BlockIDFlag.BLOCK_ID_FLAG_NIL,
      validatorAddress: v.validatorAddress,
      timestamp: v.timestamp,
      signature: v.signature,
    });
    lastCommitVotes = createCommit({ ...lastCommitVotes, signatures });
  }

  /** types/vote_set.go MakeCommit: one CommitSig per validator, absent where we have no vote. */
  function makeCommit(
    round: number,
    value: ValueId,
    precommits: readonly CoreVote<Signed>[],
  ): Commit {
    const sealed = blocks.get(value) as ProposalBlock;
    const byIndex = new Map(precommits.map((p) => [p.validatorIndex, p]));
    return createCommit({
      height,
      round,
      blockId: sealed.blockId,
      signatures: validators.validators.map((_, i) => {
        const pc = byIndex.get(i);
        if (pc === undefined)
          return createCommitSig({ blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_ABSENT });
        const vote = pc.signed as Vote;
        return createCommitSig({
          blockIdFlag:
            pc.value === value ? BlockIDFlag.BLOCK_ID_FLAG_COMMIT : BlockIDFlag.BLOCK_ID_FLAG_NIL,
          validatorAddress: vote.validatorAddress,
          timestamp: vote.timestamp,
          signature: vote.signature,
        });
      }),
    });
  }

  async function decide(
    round: number,
    value: ValueId,
    precommits: readonly CoreVote<Signed>[],
  ): Promise<void> {
    const sealed = blocks.get(value);
    if (sealed === undefined) throw new Error(`decided block ${value} is not held`);
    const seenCommit = makeCommit(round, value, precommits);
    const decidedHeight = height;
    // skip_timeout_commit: go on at once when every validator's precommit is in (consensus/state.go).
    const haveAllPrecommits = precommits.length === validators.size;
    // CommitTime (consensus/state.go enterCommit): +2/3 precommits are in, the block not yet applied.
    const started = clock.nowMs();
    const applied = await executor.applyBlock(state, sealed, seenCommit, () =>
      wal.writeEndHeight(decidedHeight),
    );
    lastHeaderAppHash = sealed.block.header?.appHash ?? new Uint8Array();
    state = applied.state;
    lastCommitVotes = seenCommit;
    log.info(
      {
        height: String(decidedHeight),
        round,
        hash: toHex(sealed.blockId.hash),
        txs: sealed.block.data?.txs.length ?? 0,
        appHash: toHex(applied.response.appHash),
        ms: clock.nowMs() - started,
      },
      "committed block",
    );
    deps.onCommitted({
      block: sealed.block,
      sealed,
      state,
      response: applied.response,
      results: applied.results,
    });
    for (let i = heightWaiters.length - 1; i >= 0; i--) {
      const w = heightWaiters[i] as (typeof heightWaiters)[number];
      if (w.height <= decidedHeight) {
        heightWaiters.splice(i, 1);
        w.resolve();
      }
    }
    // Move to the next height. Round 0 starts at CommitTime + timeout_commit (consensus/state.go
    // updateToState: StartTime = config.Commit(CommitTime); scheduleRound0 sleeps until then):
    // the time spent applying the block counts towards timeout_commit, it is not added to it.
    height = nextHeight(state);
    validators = state.validators;
    driver = createConsensusDriver<Signed>({ timeouts: opts.timeouts });
    blocks = new Map();
    ownVotes = [];
    pending = new Map();
    committedBlocks = new Map();
    startedHeight = false;
    if (replaying) return;
    const wait =
      opts.skipTimeoutCommit && haveAllPrecommits
        ? 0
        : Math.max(0, opts.timeoutCommitMs - (clock.nowMs() - started));
    startScheduled = true;
    schedule(wait, () => scheduleStart());
  }

  /**
   * Starts round 0 now, or when txs arrive if empty blocks are off and no proof block is
   * needed (consensus/state.go needProofBlock: the first height, or the last block changed
   * the app hash, which the next header must carry).
   */
  function scheduleStart(): void {
    startScheduled = true;
    const needProof =
      height === state.initialHeight || !equalBytes(state.appHash, lastHeaderAppHash);
    if (opts.createEmptyBlocks || needProof || deps.hasTxs === undefined || deps.hasTxs()) {
      enqueue({ kind: "startHeight", height });
      return;
    }
    const waitingFor = height;
    const unsubscribe = deps.onTxsAvailable?.(() => {
      unsubscribe?.();
      enqueue({ kind: "startHeight", height: waitingFor });
    });
  }

  return {
    async start() {
      // consensus/replay.go catchupReplay: re-handle the inputs logged after #ENDHEIGHT(h-1).
      // A new WAL starts with #ENDHEIGHT(0), as CometBFT's does, so the first height replays too.
      if (wal.lastEndHeight() === null) wal.writeEndHeight(0n);
      // A crash after block h is stored but before #ENDHEIGHT(h) is written (the store's
      // fsync is a window of milliseconds), or blocks stored by block sync, leave the WAL
      // without the marker this height's replay starts from: a second crash during this
      // height would then restart it without its WAL (CometBFT logs "WAL does not contain
      // #ENDHEIGHT" and goes on). The records after the last marker belong to stored
      // heights, so close them with the stored height's marker before logging anything new.
      const lastEnd = wal.lastEndHeight() ?? 0n;
      if (state.lastBlockHeight >= state.initialHeight && state.lastBlockHeight > lastEnd) {
        log.info(
          { height: String(state.lastBlockHeight), lastEndHeight: String(lastEnd) },
          "WAL: writing the missing #ENDHEIGHT of the last stored block",
        );
        wal.writeEndHeight(state.lastBlockHeight);
      }
      const after = wal.replayAfterEndHeight(height === state.initialHeight ? 0n : height - 1n);
      if (!after.found) log.info({ height: String(height) }, "no WAL records for this height");
      const records = after.found ? after.messages : [];
      replaying = true;
      try {
        await startHeight();
        for (const bytes of records) {
          const input = walInputFromBytes(bytes);
          if (input !== null) await handle(input);
        }
      } finally {
        replaying = false;
      }
      if (records.length > 0)
        log.info({ height: String(height), records: records.length }, "replayed WAL");
      const cs = driver.state;
      if (cs.flags.awaitingValue && signer !== null) await makeProposalValue(cs.round);
      if (!startedHeight && !startScheduled) scheduleStart();
    },
    async stop() {
      stopped = true;
      for (const cancel of timers) cancel();
      timers.clear();
      if (draining !== null) await draining.catch(() => undefined);
      for (const w of heightWaiters.splice(0)) w.reject(new Error("consensus stopped"));
    },
    receiveProposal(proposal, peer) {
      enqueue({ kind: "proposal", proposal, peer });
    },
    receiveBlockPart(h, round, part, peer) {
      enqueue({ kind: "blockPart", height: h, round, part, peer });
    },
    receiveVote(vote, peer) {
      enqueue({ kind: "vote", vote, peer });
    },
    state: () => state,
    roundState: () => ({ height, round: driver.state.round, step: driver.state.step }),
    gossipView() {
      const votes: Vote[] = [];
      for (const rv of driver.state.votes.rounds.values()) {
        for (const tally of [rv.prevote, rv.precommit]) {
          for (const byValue of tally.votesByValue.values()) {
            for (const v of byValue.values()) votes.push(v.signed as Vote);
          }
        }
      }
      const proposals = [...pending.values()]
        .filter((c): c is PartCollector & { proposal: Proposal } => c.proposal !== null)
        .map((c) => ({ proposal: c.proposal, parts: [...c.parts.values()] }));
      return {
        height,
        round: driver.state.round,
        step: STEP_OF_ROUND_STEP[driver.state.step] ?? 0,
        proposals,
        votes,
        ownVotes,
        lastCommit: lastCommitVotes,
      };
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    waitForHeight(h) {
      if (state.lastBlockHeight >= h) return Promise.resolve();
      return new Promise((resolve, reject) => heightWaiters.push({ height: h, resolve, reject }));
    },
  };
}

/** Copies the timestamp from previously signed canonical bytes into a vote or proposal. */
function withTimestampOf<T extends Vote | Proposal>(msg: T, signBytes: Uint8Array): T {
  const ts = extractCanonicalTimestamp(signBytes);
  return ts === null ? msg : ({ ...msg, timestamp: ts } as T);
}

/**
 * Reads the timestamp field out of length-delimited CanonicalVote/CanonicalProposal bytes
 * (field 5 of CanonicalVote, field 6 of CanonicalProposal).
 */
export function extractCanonicalTimestamp(signBytes: Uint8Array): Timestamp | null {
  const fields = scanCanonical(signBytes);
  if (fields === null) return null;
  const isProposal = fields.type === 32n;
  const raw = fields.messages.get(isProposal ? 6 : 5);
  if (raw === undefined) return null;
  const d = decodeWireMessage(TimestampSchema, raw);
  return d.ok ? d.value : null;
}

/** True when two canonical sign-bytes differ only in their timestamp field (privval/file.go checkVotesOnlyDifferByTimestamp). */
export function sameExceptTimestamp(a: Uint8Array, b: Uint8Array): boolean {
  const fa = scanCanonical(a);
  const fb = scanCanonical(b);
  if (fa === null || fb === null || fa.type !== fb.type) return false;
  const tsField = fa.type === 32n ? 6 : 5;
  const strip = (bytes: Uint8Array, f: NonNullable<ReturnType<typeof scanCanonical>>) =>
    f.spans
      .filter((s) => s.field !== tsField)
      .map((s) => toHex(bytes.subarray(s.start, s.end)))
      .join("|");
  return strip(a, fa) === strip(b, fb);
}

function readVarint(bytes: Uint8Array, pos: number): { value: bigint; next: number } | null {
  let value = 0n;
  let shift = 0n;
  for (let i = pos; i < bytes.length && i < pos + 10; i++) {
    const b = bytes[i] as number;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  return null;
}

/** Splits uvarint-length-prefixed canonical protobuf into its top-level fields. */
function scanCanonical(bytes: Uint8Array): {
  type: bigint;
  spans: { field: number; start: number; end: number }[];
  messages: Map<number, Uint8Array>;
} | null {
  const len = readVarint(bytes, 0);
  if (len === null || Number(len.value) !== bytes.length - len.next) return null;
  let pos = len.next;
  let type = 0n;
  const spans: { field: number; start: number; end: number }[] = [];
  const messages = new Map<number, Uint8Array>();
  while (pos < bytes.length) {
    const start = pos;
    const tag = readVarint(bytes, pos);
    if (tag === null) return null;
    const field = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n);
    pos = tag.next;
    if (wire === 0) {
      const v = readVarint(bytes, pos);
      if (v === null) return null;
      if (field === 1) type = v.value;
      pos = v.next;
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 2) {
      const l = readVarint(bytes, pos);
      if (l === null) return null;
      messages.set(field, bytes.subarray(l.next, l.next + Number(l.value)));
      pos = l.next + Number(l.value);
    } else if (wire === 5) {
      pos += 4;
    } else {
      return null;
    }
    if (pos > bytes.length) return null;
    spans.push({ field, start, end: pos });
  }
  return { type, spans, messages };
}
