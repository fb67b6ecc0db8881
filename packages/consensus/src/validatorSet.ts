// The validator set as an immutable value (types/validator_set.go): sorted by power desc then
// address asc, hashes, lookups, proposer selection and the genesis / per-height / per-round rules.

import { create } from "@bufbuild/protobuf";
import { ed25519Address, merkleRoot, secp256k1Address, sha256 } from "@qos/crypto";
import {
  encodeWireMessage,
  equalBytes,
  err,
  ok,
  type PublicKey,
  PublicKeySchema,
  QosError,
  type Result,
  SimpleValidatorSchema,
  toHex,
  type Validator as ValidatorProto,
  ValidatorSchema,
  type ValidatorSet as ValidatorSetProto,
  ValidatorSetSchema,
} from "@qos/types";
import { ADDRESS_SIZE } from "./blockHashing.ts";
import {
  applyChangeSet,
  compareByVotingPower,
  incrementPriorities,
  indexOfLeastPriority,
  indexOfMostPriority,
  type PrioritizedValidator,
  totalVotingPowerOf,
  type ValidatorSetError,
} from "./proposerPriority.ts";

export type PubKeyType = "ed25519" | "secp256k1";

export interface PubKey {
  readonly type: PubKeyType;
  readonly key: Uint8Array;
}

export interface Validator extends PrioritizedValidator {
  readonly address: Uint8Array;
  readonly pubKey: PubKey;
  readonly votingPower: bigint;
  readonly proposerPriority: bigint;
}

/** A validator update as the app returns it: the key and the new power (0 removes). */
export interface ValidatorUpdate {
  readonly pubKey: PubKey;
  readonly votingPower: bigint;
}

const PUB_KEY_SIZE: Readonly<Record<PubKeyType, number>> = { ed25519: 32, secp256k1: 33 };

/** Why a public key cannot be used, or null (crypto/ed25519 PubKeySize, secp256k1 compressed). */
export function pubKeyError(pubKey: PubKey): string | null {
  const size = PUB_KEY_SIZE[pubKey.type];
  if (size === undefined) return `unsupported key type ${String(pubKey.type)}`;
  if (pubKey.key.length !== size) {
    return `${pubKey.type} public key must be ${size} bytes, got ${pubKey.key.length}`;
  }
  if (pubKey.type === "secp256k1" && pubKey.key[0] !== 0x02 && pubKey.key[0] !== 0x03) {
    return "secp256k1 public key must be compressed (prefix 02 or 03)";
  }
  return null;
}

/** PubKey.Address(): SHA-256[:20] for ed25519, RIPEMD-160(SHA-256) for secp256k1. */
export function pubKeyAddress(pubKey: PubKey): Uint8Array {
  return pubKey.type === "ed25519" ? ed25519Address(pubKey.key) : secp256k1Address(pubKey.key);
}

/** NewValidator: derives the address from the key; priority starts at 0. Throws on a malformed key. */
export function createValidator(pubKey: PubKey, votingPower: bigint): Validator {
  const why = pubKeyError(pubKey);
  if (why !== null) throw new QosError("invalid_pub_key", why);
  return { address: pubKeyAddress(pubKey), pubKey, votingPower, proposerPriority: 0n };
}

/** Validator.ValidateBasic: a usable key, non-negative power, address derived from the key. */
export function validatorBasicError(v: Validator): ValidatorSetError | null {
  const why = pubKeyError(v.pubKey);
  if (why !== null) return new QosError("invalid_pub_key", why);
  if (v.votingPower < 0n)
    return new QosError("negative_power", "validator has negative voting power");
  if (v.address.length !== ADDRESS_SIZE || !equalBytes(v.address, pubKeyAddress(v.pubKey))) {
    return new QosError(
      "invalid_address",
      `validator address ${toHex(v.address)} is incorrectly derived from pubkey`,
    );
  }
  return null;
}

/** The proto PublicKey oneof (crypto/encoding PubKeyToProto). */
export function pubKeyToProto(pubKey: PubKey): PublicKey {
  return create(PublicKeySchema, { sum: { case: pubKey.type, value: pubKey.key } });
}

/** PubKeyFromProto; null for an empty or unknown oneof. */
export function pubKeyFromProto(pk: PublicKey | undefined): PubKey | null {
  if (pk === undefined) return null;
  switch (pk.sum.case) {
    case "ed25519":
      return { type: "ed25519", key: pk.sum.value };
    case "secp256k1":
      return { type: "secp256k1", key: pk.sum.value };
    default:
      return null;
  }
}

/** Validator.Bytes(): proto SimpleValidator{pub_key, voting_power}, the validators-hash leaf. */
export function validatorHashBytes(v: Validator): Uint8Array {
  return encodeWireMessage(
    SimpleValidatorSchema,
    create(SimpleValidatorSchema, { pubKey: pubKeyToProto(v.pubKey), votingPower: v.votingPower }),
  );
}

/** Validator.ToProto. */
export function validatorToProto(v: Validator): ValidatorProto {
  return create(ValidatorSchema, {
    address: v.address,
    pubKey: pubKeyToProto(v.pubKey),
    votingPower: v.votingPower,
    proposerPriority: v.proposerPriority,
  });
}

/** ValidatorFromProto + ValidateBasic. */
export function validatorFromProto(vp: ValidatorProto): Result<Validator, ValidatorSetError> {
  const pubKey = pubKeyFromProto(vp.pubKey);
  if (pubKey === null) {
    return err(new QosError("invalid_pub_key", "validator does not have a public key"));
  }
  const v: Validator = {
    address: vp.address,
    pubKey,
    votingPower: vp.votingPower,
    proposerPriority: vp.proposerPriority,
  };
  const why = validatorBasicError(v);
  return why === null ? ok(v) : err(why);
}

/** Go's binary.PutVarint: zig-zag, then unsigned LEB128. */
function putVarint(x: bigint): Uint8Array {
  let u = x >= 0n ? x << 1n : (-x << 1n) - 1n;
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return new Uint8Array(out);
}

/**
 * An immutable CometBFT validator set. Build it with createValidatorSet (genesis rule),
 * validatorSetFromValidators (existing priorities) or validatorSetFromProto.
 */
export class ValidatorSet {
  /** Sorted by voting power descending, then address ascending. */
  readonly validators: readonly Validator[];
  readonly totalVotingPower: bigint;
  readonly #proposerIndex: number;
  readonly #byAddress: ReadonlyMap<string, number>;
  #hash: Uint8Array | undefined;

  /** Internal: callers use the create/from functions, which validate. */
  constructor(
    sortedValidators: readonly Validator[],
    totalVotingPower: bigint,
    proposer?: Uint8Array,
  ) {
    this.validators = Object.freeze([...sortedValidators]);
    this.totalVotingPower = totalVotingPower;
    const byAddress = new Map<string, number>();
    for (const [i, v] of this.validators.entries()) byAddress.set(toHex(v.address), i);
    this.#byAddress = byAddress;
    const given = proposer === undefined ? undefined : byAddress.get(toHex(proposer));
    this.#proposerIndex = given ?? indexOfMostPriority(this.validators);
  }

  get size(): number {
    return this.validators.length;
  }

  /** GetByAddress: the validator and its index, or undefined. */
  getByAddress(address: Uint8Array): { index: number; validator: Validator } | undefined {
    const index = this.#byAddress.get(toHex(address));
    if (index === undefined) return undefined;
    return { index, validator: this.validators[index] as Validator };
  }

  /** GetByIndex, or undefined when out of range. */
  getByIndex(index: number): Validator | undefined {
    return this.validators[index];
  }

  hasAddress(address: Uint8Array): boolean {
    return this.#byAddress.has(toHex(address));
  }

  /** GetProposer: the proposer chosen by the last increment (or the max-priority validator). */
  getProposer(): Validator {
    return this.validators[this.#proposerIndex] as Validator;
  }

  /** ValidatorSet.Hash: Merkle root of SimpleValidator bytes in set order. */
  hash(): Uint8Array {
    if (this.#hash === undefined) this.#hash = merkleRoot(this.validators.map(validatorHashBytes));
    return this.#hash.slice();
  }

  /**
   * ProposerPriorityHash (light/detector.go cross-check): tmhash of the priorities as signed
   * varints. Reproduces v0.38 exactly, including that every varint is written at the start of the
   * buffer (`binary.PutVarint(buf, …)`), so later ones overwrite earlier ones and the hashed
   * length is the sum of their lengths.
   */
  proposerPriorityHash(): Uint8Array {
    const buf = new Uint8Array(10 * this.validators.length);
    let total = 0;
    for (const v of this.validators) {
      const bz = putVarint(v.proposerPriority);
      buf.set(bz, 0);
      total += bz.length;
    }
    return sha256(buf.subarray(0, total));
  }

  /**
   * IncrementProposerPriority(times) on a copy: rescale, re-centre, then `times` weighted
   * round-robin steps; the last one picked becomes the proposer. Throws if times <= 0 (a bug).
   */
  incrementProposerPriority(times: number): ValidatorSet {
    const r = incrementPriorities(this.validators, this.totalVotingPower, times);
    const proposer = r.validators[r.proposerIndex] as Validator;
    return new ValidatorSet(r.validators, this.totalVotingPower, proposer.address);
  }

  /**
   * UpdateWithChangeSet on a copy: power 0 removes, new validators get -(T + T>>3). Errors for
   * duplicates, negative or too-high power, removing an unknown validator, an empty result or a
   * total above MaxTotalVotingPower. The proposer is recomputed from the new priorities (Go keeps
   * the stale pointer, which Increment(1) replaces before anyone reads it).
   */
  updateWithChangeSet(
    updates: readonly ValidatorUpdate[],
  ): Result<ValidatorSet, ValidatorSetError> {
    const changes: Validator[] = [];
    for (const u of updates) {
      const why = pubKeyError(u.pubKey);
      if (why !== null) return err(new QosError("invalid_pub_key", why));
      changes.push({
        address: pubKeyAddress(u.pubKey),
        pubKey: u.pubKey,
        votingPower: u.votingPower,
        proposerPriority: 0n,
      });
    }
    return setFromChangeSet(this.validators, changes, true);
  }

  /** ValidatorSet.ToProto (total_voting_power is written as 0, as CometBFT does). */
  toProto(): ValidatorSetProto {
    return create(ValidatorSetSchema, {
      validators: this.validators.map(validatorToProto),
      proposer: validatorToProto(this.getProposer()),
      totalVotingPower: 0n,
    });
  }
}

function setFromChangeSet(
  current: readonly Validator[],
  changes: readonly Validator[],
  allowDeletes: boolean,
): Result<ValidatorSet, ValidatorSetError> {
  const merged = applyChangeSet(current, changes, allowDeletes);
  if (!merged.ok) return merged;
  const total = totalVotingPowerOf(merged.value);
  if (!total.ok) return total;
  return ok(new ValidatorSet(merged.value, total.value));
}

/**
 * NewValidatorSet: validates, sorts, and runs IncrementProposerPriority(1). Power 0, duplicates,
 * an empty list or a total above MaxTotalVotingPower are errors.
 */
export function createValidatorSet(
  updates: readonly ValidatorUpdate[],
): Result<ValidatorSet, ValidatorSetError> {
  if (updates.length === 0) {
    return err(new QosError("empty_set", "validator set is nil or empty"));
  }
  const changes: Validator[] = [];
  for (const u of updates) {
    const why = pubKeyError(u.pubKey);
    if (why !== null) return err(new QosError("invalid_pub_key", why));
    changes.push({
      address: pubKeyAddress(u.pubKey),
      pubKey: u.pubKey,
      votingPower: u.votingPower,
      proposerPriority: 0n,
    });
  }
  const set = setFromChangeSet([], changes, false);
  return set.ok ? ok(set.value.incrementProposerPriority(1)) : set;
}

/**
 * ValidatorSetFromExistingValidators: keeps the given priorities (e.g. from /validators),
 * re-sorts, and takes the previous proposer as the lowest-priority validator unless `proposer`
 * names one. Every validator must pass ValidateBasic; addresses must be unique.
 */
export function validatorSetFromValidators(
  validators: readonly Validator[],
  proposer?: Uint8Array,
): Result<ValidatorSet, ValidatorSetError> {
  if (validators.length === 0) {
    return err(new QosError("empty_set", "validator set is empty"));
  }
  const seen = new Set<string>();
  for (const [i, v] of validators.entries()) {
    const why = validatorBasicError(v);
    if (why !== null) return err(new QosError(why.code, `invalid validator #${i}: ${why.message}`));
    const key = toHex(v.address);
    if (seen.has(key)) {
      return err(new QosError("duplicate_validator", `duplicate validator ${key}`));
    }
    seen.add(key);
  }
  const total = totalVotingPowerOf(validators);
  if (!total.ok) return total;
  if (proposer !== undefined && !seen.has(toHex(proposer))) {
    return err(new QosError("unknown_validator", "proposer not in validator set"));
  }
  const prev = validators[indexOfLeastPriority(validators)] as Validator;
  const sorted = [...validators].sort(compareByVotingPower);
  return ok(new ValidatorSet(sorted, total.value, proposer ?? prev.address));
}

/** ValidatorSetFromProto: validators and proposer must be valid; the sent total is ignored. */
export function validatorSetFromProto(
  proto: ValidatorSetProto,
): Result<ValidatorSet, ValidatorSetError> {
  const vals: Validator[] = [];
  for (const vp of proto.validators) {
    const v = validatorFromProto(vp);
    if (!v.ok) return v;
    vals.push(v.value);
  }
  if (proto.proposer === undefined) {
    return err(new QosError("unknown_validator", "proposer failed validate basic: nil validator"));
  }
  const p = validatorFromProto(proto.proposer);
  if (!p.ok) return p;
  return validatorSetFromValidators(vals, p.value.address);
}

/**
 * Genesis (state/state.go MakeGenesisState, and InitChain's validators): Validators =
 * NewValidatorSet(vals), NextValidators = the same set incremented once more.
 */
export function genesisValidatorSets(
  updates: readonly ValidatorUpdate[],
): Result<{ validators: ValidatorSet; nextValidators: ValidatorSet }, ValidatorSetError> {
  const set = createValidatorSet(updates);
  if (!set.ok) return set;
  return ok({ validators: set.value, nextValidators: set.value.incrementProposerPriority(1) });
}

/**
 * Per height (state/execution.go updateState): the new NextValidators = NextValidators
 * .UpdateWithChangeSet(updates).IncrementProposerPriority(1). The new Validators is the old
 * NextValidators, unchanged.
 */
export function nextValidatorSet(
  nextValidators: ValidatorSet,
  updates: readonly ValidatorUpdate[],
): Result<ValidatorSet, ValidatorSetError> {
  const updated =
    updates.length > 0 ? nextValidators.updateWithChangeSet(updates) : ok(nextValidators);
  return updated.ok ? ok(updated.value.incrementProposerPriority(1)) : updated;
}

/**
 * Per round (consensus/state.go enterNewRound L1066-1070): moving from `currentRound` to a later
 * `round` increments a copy of the current round's set by (round - currentRound) in one call.
 */
export function validatorSetForRound(
  current: ValidatorSet,
  currentRound: number,
  round: number,
): ValidatorSet {
  return round > currentRound ? current.incrementProposerPriority(round - currentRound) : current;
}
