// The chain state after each committed block (CometBFT state.State): validator sets for
// the next heights, consensus params, last block id/time and the hashes the next header
// carries. Pure functions: genesis state, the per-block update, and its encoding.

import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  genesisValidatorSets,
  nextValidatorSet,
  type ValidatorSet,
  type ValidatorUpdate,
  validatorSetFromProto,
} from "@qos/consensus";
import {
  BLOCK_PROTOCOL,
  type BlockID,
  type ChainState as ChainStateProto,
  ChainStateSchema,
  type ConsensusParams,
  ConsensusSchema,
  createBlockID,
  createConsensusParams,
  decodeWireMessage,
  encodeWireMessage,
  err,
  ok,
  QosError,
  type Result,
  zeroGoTime,
} from "@qos/types";

export const ChainStateErrorCode = {
  InvalidValidatorUpdate: "state/invalid-validator-update",
  InvalidParamsUpdate: "state/invalid-params-update",
  Corrupt: "state/corrupt",
} as const;
export type ChainStateErrorCode = (typeof ChainStateErrorCode)[keyof typeof ChainStateErrorCode];

export interface ChainState {
  readonly appVersion: bigint;
  readonly chainId: string;
  readonly initialHeight: bigint;
  /** 0 before the first block. */
  readonly lastBlockHeight: bigint;
  readonly lastBlockId: BlockID;
  readonly lastBlockTime: Timestamp;
  /** Validators of height lastBlockHeight+2. */
  readonly nextValidators: ValidatorSet;
  /** Validators of height lastBlockHeight+1. */
  readonly validators: ValidatorSet;
  /** Validators of lastBlockHeight (who signed the last commit); null at genesis. */
  readonly lastValidators: ValidatorSet | null;
  readonly lastHeightValidatorsChanged: bigint;
  readonly consensusParams: ConsensusParams;
  readonly lastHeightConsensusParamsChanged: bigint;
  /** Results hash of the last block; empty at genesis (state.MakeGenesisState). */
  readonly lastResultsHash: Uint8Array;
  readonly appHash: Uint8Array;
}

export interface GenesisStateInput {
  readonly chainId: string;
  readonly initialHeight: bigint;
  readonly genesisTime: Timestamp;
  readonly consensusParams: ConsensusParams;
  readonly validators: readonly ValidatorUpdate[];
  readonly appHash: Uint8Array;
}

/** state.MakeGenesisState: Validators = NewValidatorSet(vals), NextValidators = it incremented once more. */
export function genesisChainState(g: GenesisStateInput): Result<ChainState, QosError> {
  const sets = genesisValidatorSets(g.validators);
  if (!sets.ok) {
    return err(
      new QosError(
        ChainStateErrorCode.InvalidValidatorUpdate,
        `genesis validators: ${sets.error.message}`,
      ),
    );
  }
  return ok({
    appVersion: g.consensusParams.version?.app ?? 0n,
    chainId: g.chainId,
    initialHeight: g.initialHeight,
    lastBlockHeight: 0n,
    lastBlockId: createBlockID(),
    lastBlockTime: g.genesisTime,
    nextValidators: sets.value.nextValidators,
    validators: sets.value.validators,
    lastValidators: null,
    lastHeightValidatorsChanged: g.initialHeight,
    consensusParams: g.consensusParams,
    lastHeightConsensusParamsChanged: g.initialHeight,
    lastResultsHash: new Uint8Array(),
    appHash: g.appHash,
  });
}

/** The height the next block will have. */
export function nextHeight(state: ChainState): bigint {
  return state.lastBlockHeight === 0n ? state.initialHeight : state.lastBlockHeight + 1n;
}

/** What updateState needs from a finalized block. */
export interface BlockOutcome {
  readonly height: bigint;
  readonly blockId: BlockID;
  readonly time: Timestamp;
  readonly validatorUpdates: readonly ValidatorUpdate[];
  readonly consensusParamUpdates: ConsensusParams | undefined;
  readonly resultsHash: Uint8Array;
  readonly appHash: Uint8Array;
}

/**
 * validateValidatorUpdates (state/execution.go): power ≥ 0 and a key type the consensus
 * params allow.
 */
export function validateValidatorUpdates(
  updates: readonly ValidatorUpdate[],
  params: ConsensusParams,
): QosError | null {
  const allowed = params.validator?.pubKeyTypes ?? ["ed25519"];
  for (const u of updates) {
    if (u.votingPower < 0n) {
      return new QosError(
        ChainStateErrorCode.InvalidValidatorUpdate,
        `voting power can't be negative: ${u.votingPower}`,
      );
    }
    if (!allowed.includes(u.pubKey.type)) {
      return new QosError(
        ChainStateErrorCode.InvalidValidatorUpdate,
        `validator uses pubkey type ${u.pubKey.type}, which is unsupported for consensus (allowed: ${allowed.join(", ")})`,
      );
    }
  }
  return null;
}

/**
 * ConsensusParams.Update + ValidateBasic (types/params.go): the app's updates replace whole
 * sections; the result must stay valid.
 */
export function updateConsensusParams(
  current: ConsensusParams,
  update: ConsensusParams,
): Result<ConsensusParams, QosError> {
  const next = createConsensusParams({
    block: update.block ?? current.block,
    evidence: update.evidence ?? current.evidence,
    validator: update.validator ?? current.validator,
    version: update.version ?? current.version,
    abci: update.abci ?? current.abci,
  });
  const why = consensusParamsError(next);
  return why === null ? ok(next) : err(new QosError(ChainStateErrorCode.InvalidParamsUpdate, why));
}

/** MaxBlockSizeBytes (types/params.go). */
export const MAX_BLOCK_SIZE_BYTES = 104_857_600n;

/** ConsensusParams.ValidateBasic (types/params.go). */
export function consensusParamsError(p: ConsensusParams): string | null {
  const maxBytes = p.block?.maxBytes ?? 0n;
  if (maxBytes === 0n || maxBytes < -1n)
    return `block.MaxBytes must be -1 or greater than 0. Got ${maxBytes}`;
  if (maxBytes > MAX_BLOCK_SIZE_BYTES)
    return `block.MaxBytes is too big. ${maxBytes} > ${MAX_BLOCK_SIZE_BYTES}`;
  const maxGas = p.block?.maxGas ?? 0n;
  if (maxGas < -1n) return `block.MaxGas must be greater or equal to -1. Got ${maxGas}`;
  const ageBlocks = p.evidence?.maxAgeNumBlocks ?? 0n;
  if (ageBlocks <= 0n) return `evidence.MaxAgeNumBlocks must be greater than 0. Got ${ageBlocks}`;
  const age = p.evidence?.maxAgeDuration;
  if (age === undefined || age.seconds < 0n || (age.seconds === 0n && age.nanos <= 0)) {
    return "evidence.MaxAgeDuration must be greater than 0";
  }
  const evBytes = p.evidence?.maxBytes ?? 0n;
  const effMax = maxBytes === -1n ? MAX_BLOCK_SIZE_BYTES : maxBytes;
  if (evBytes > effMax)
    return `evidence.MaxBytesEvidence is greater than upper bound, ${evBytes} > ${effMax}`;
  if (evBytes < 0n) return `evidence.MaxBytes must be non negative. Got: ${evBytes}`;
  const keyTypes = p.validator?.pubKeyTypes ?? [];
  if (keyTypes.length === 0) return "len(Validator.PubKeyTypes) must be greater than 0";
  for (const t of keyTypes) {
    if (t !== "ed25519" && t !== "secp256k1")
      return `params.Validator.PubKeyTypes contains an unknown pubkey type: ${t}`;
  }
  const veh = p.abci?.voteExtensionsEnableHeight ?? 0n;
  if (veh < 0n) return `ABCI.VoteExtensionsEnableHeight cannot be negative. Got: ${veh}`;
  return null;
}

/**
 * updateState (state/execution.go): a validator change decided at height H takes effect at
 * H+2 (it enters NextValidators now; NextValidators becomes Validators next block). A
 * params change takes effect at H+1.
 */
export function updateChainState(state: ChainState, b: BlockOutcome): Result<ChainState, QosError> {
  const badUpdate = validateValidatorUpdates(b.validatorUpdates, state.consensusParams);
  if (badUpdate !== null) return err(badUpdate);
  const nValSet = nextValidatorSet(state.nextValidators, b.validatorUpdates);
  if (!nValSet.ok) {
    return err(
      new QosError(
        ChainStateErrorCode.InvalidValidatorUpdate,
        `changing validator set: ${nValSet.error.message}`,
      ),
    );
  }
  let params = state.consensusParams;
  let paramsChanged = state.lastHeightConsensusParamsChanged;
  let appVersion = state.appVersion;
  if (b.consensusParamUpdates !== undefined) {
    const next = updateConsensusParams(state.consensusParams, b.consensusParamUpdates);
    if (!next.ok) return next;
    params = next.value;
    paramsChanged = b.height + 1n;
    appVersion = params.version?.app ?? appVersion;
  }
  return ok({
    appVersion,
    chainId: state.chainId,
    initialHeight: state.initialHeight,
    lastBlockHeight: b.height,
    lastBlockId: b.blockId,
    lastBlockTime: b.time,
    nextValidators: nValSet.value,
    validators: state.nextValidators,
    lastValidators: state.validators,
    lastHeightValidatorsChanged:
      b.validatorUpdates.length > 0 ? b.height + 2n : state.lastHeightValidatorsChanged,
    consensusParams: params,
    lastHeightConsensusParamsChanged: paramsChanged,
    lastResultsHash: b.resultsHash,
    appHash: b.appHash,
  });
}

export function encodeChainState(s: ChainState): Uint8Array {
  const proto: ChainStateProto = create(ChainStateSchema, {
    version: create(ConsensusSchema, { block: BLOCK_PROTOCOL, app: s.appVersion }),
    chainId: s.chainId,
    initialHeight: s.initialHeight,
    lastBlockHeight: s.lastBlockHeight,
    lastBlockId: s.lastBlockId,
    lastBlockTime: s.lastBlockTime,
    nextValidators: s.nextValidators.toProto(),
    validators: s.validators.toProto(),
    ...(s.lastValidators !== null ? { lastValidators: s.lastValidators.toProto() } : {}),
    lastHeightValidatorsChanged: s.lastHeightValidatorsChanged,
    consensusParams: s.consensusParams,
    lastHeightConsensusParamsChanged: s.lastHeightConsensusParamsChanged,
    lastResultsHash: s.lastResultsHash,
    appHash: s.appHash,
  });
  return encodeWireMessage(ChainStateSchema, proto);
}

export function decodeChainState(bytes: Uint8Array): Result<ChainState, QosError> {
  const decoded = decodeWireMessage(ChainStateSchema, bytes);
  if (!decoded.ok)
    return err(
      new QosError(ChainStateErrorCode.Corrupt, `stored chain state: ${decoded.error.message}`),
    );
  const p = decoded.value;
  const sets: ValidatorSet[] = [];
  for (const [name, vs] of [
    ["next_validators", p.nextValidators],
    ["validators", p.validators],
  ] as const) {
    if (vs === undefined)
      return err(new QosError(ChainStateErrorCode.Corrupt, `stored chain state: ${name} missing`));
    const set = validatorSetFromProto(vs);
    if (!set.ok)
      return err(
        new QosError(
          ChainStateErrorCode.Corrupt,
          `stored chain state: ${name}: ${set.error.message}`,
        ),
      );
    sets.push(set.value);
  }
  let lastValidators: ValidatorSet | null = null;
  if (p.lastValidators !== undefined && p.lastValidators.validators.length > 0) {
    const set = validatorSetFromProto(p.lastValidators);
    if (!set.ok)
      return err(
        new QosError(
          ChainStateErrorCode.Corrupt,
          `stored chain state: last_validators: ${set.error.message}`,
        ),
      );
    lastValidators = set.value;
  }
  return ok({
    appVersion: p.version?.app ?? 0n,
    chainId: p.chainId,
    initialHeight: p.initialHeight,
    lastBlockHeight: p.lastBlockHeight,
    lastBlockId: p.lastBlockId ?? createBlockID(),
    lastBlockTime: p.lastBlockTime ?? zeroGoTime(),
    nextValidators: sets[0] as ValidatorSet,
    validators: sets[1] as ValidatorSet,
    lastValidators,
    lastHeightValidatorsChanged: p.lastHeightValidatorsChanged,
    consensusParams: createConsensusParams(p.consensusParams),
    lastHeightConsensusParamsChanged: p.lastHeightConsensusParamsChanged,
    lastResultsHash: p.lastResultsHash,
    appHash: p.appHash,
  });
}
