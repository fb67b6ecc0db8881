// CometBFT JSON of public keys, Validator, ValidatorSet (types/validator.go, amino-style
// `{type,value}` keys) and ABCI ValidatorUpdate (gogoproto struct: `{"Sum":{type,value}}`).
import { create } from "@bufbuild/protobuf";
import { toBase64, toHex } from "../bytes.ts";
import type { Result } from "../errors.ts";
import type { ValidatorUpdate } from "../gen/tendermint/abci/types_pb.ts";
import { type PublicKey, PublicKeySchema } from "../gen/tendermint/crypto/keys_pb.ts";
import type { Validator, ValidatorSet } from "../gen/tendermint/types/validator_pb.ts";
import { ValidatorSetSchema } from "../gen/tendermint/types/validator_pb.ts";
import type { JsonDecodeError } from "../typesError.ts";
import { createValidator, createValidatorUpdate } from "../wireConstructors.ts";
import { ADDRESS_LENGTHS } from "./headerJson.ts";
import {
  decodeJson,
  failJson,
  readArray,
  readBase64,
  readHex,
  readInt64,
  readObject,
  readString,
} from "./jsonReader.ts";

export const PUBKEY_TYPE_ED25519 = "tendermint/PubKeyEd25519";
export const PUBKEY_TYPE_SECP256K1 = "tendermint/PubKeySecp256k1";
export const ED25519_PUBKEY_LENGTH = 32;
export const SECP256K1_PUBKEY_LENGTH = 33;

export type PubKeyJson = {
  type: typeof PUBKEY_TYPE_ED25519 | typeof PUBKEY_TYPE_SECP256K1;
  value: string;
};

export type ValidatorJson = {
  address: string;
  pub_key: PubKeyJson;
  voting_power: string;
  proposer_priority: string;
};

export type ValidatorSetJson = { validators: ValidatorJson[]; proposer: ValidatorJson | null };

export type ValidatorUpdateJson = {
  pub_key: {
    Sum:
      | { type: "tendermint.crypto.PublicKey_Ed25519"; value: { ed25519: string } }
      | { type: "tendermint.crypto.PublicKey_Secp256K1"; value: { secp256k1: string } };
  };
  power?: string;
};

function missingKey(what: string): never {
  throw new RangeError(`${what} has no public key; CometBFT cannot encode it`);
}

/** Amino-style key JSON. Throws on an unset key: a validator without one is a bug upstream. */
export function pubKeyToJson(pk: PublicKey | undefined): PubKeyJson {
  switch (pk?.sum.case) {
    case "ed25519":
      return { type: PUBKEY_TYPE_ED25519, value: toBase64(pk.sum.value) };
    case "secp256k1":
      return { type: PUBKEY_TYPE_SECP256K1, value: toBase64(pk.sum.value) };
    default:
      return missingKey("public key");
  }
}

export function readPubKey(value: unknown, path: string): PublicKey {
  const o = readObject(value, path);
  const type = readString(o.type, `${path}.type`);
  if (type === PUBKEY_TYPE_ED25519) {
    const key = readBase64(o.value, `${path}.value`, [ED25519_PUBKEY_LENGTH]);
    return create(PublicKeySchema, { sum: { case: "ed25519", value: key } });
  }
  if (type === PUBKEY_TYPE_SECP256K1) {
    const key = readBase64(o.value, `${path}.value`, [SECP256K1_PUBKEY_LENGTH]);
    return create(PublicKeySchema, { sum: { case: "secp256k1", value: key } });
  }
  return failJson(`${path}.type`, `"${PUBKEY_TYPE_ED25519}" or "${PUBKEY_TYPE_SECP256K1}"`, type);
}

export function pubKeyFromJson(
  json: unknown,
  path = "pub_key",
): Result<PublicKey, JsonDecodeError> {
  return decodeJson(() => readPubKey(json, path));
}

export function validatorToJson(v: Validator): ValidatorJson {
  return {
    address: toHex(v.address),
    pub_key: pubKeyToJson(v.pubKey),
    voting_power: String(v.votingPower),
    proposer_priority: String(v.proposerPriority),
  };
}

export function readValidator(value: unknown, path: string): Validator {
  const o = readObject(value, path);
  return createValidator({
    address: readHex(o.address, `${path}.address`, ADDRESS_LENGTHS),
    pubKey: readPubKey(o.pub_key, `${path}.pub_key`),
    votingPower: readInt64(o.voting_power, `${path}.voting_power`),
    proposerPriority:
      o.proposer_priority === undefined
        ? 0n
        : readInt64(o.proposer_priority, `${path}.proposer_priority`),
  });
}

export function validatorFromJson(
  json: unknown,
  path = "validator",
): Result<Validator, JsonDecodeError> {
  return decodeJson(() => readValidator(json, path));
}

/** Go's ValidatorSet JSON has no total (an unexported field); decoding recomputes it. */
export function validatorSetToJson(set: ValidatorSet): ValidatorSetJson {
  return {
    validators: set.validators.map(validatorToJson),
    proposer: set.proposer === undefined ? null : validatorToJson(set.proposer),
  };
}

export function readValidatorSet(value: unknown, path: string): ValidatorSet {
  const o = readObject(value, path);
  const validators = readArray(o.validators, `${path}.validators`, true).map((v, i) =>
    readValidator(v, `${path}.validators[${i}]`),
  );
  const proposer =
    o.proposer === null || o.proposer === undefined
      ? undefined
      : readValidator(o.proposer, `${path}.proposer`);
  let total = 0n;
  for (const v of validators) total += v.votingPower;
  return create(ValidatorSetSchema, {
    validators,
    ...(proposer === undefined ? {} : { proposer }),
    totalVotingPower: total,
  });
}

export function validatorSetFromJson(
  json: unknown,
  path = "validator_set",
): Result<ValidatorSet, JsonDecodeError> {
  return decodeJson(() => readValidatorSet(json, path));
}

const SUM_ED25519 = "tendermint.crypto.PublicKey_Ed25519";
const SUM_SECP256K1 = "tendermint.crypto.PublicKey_Secp256K1";

/** `/block_results` shape; `power` disappears when 0 (a removal), as gogoproto's omitempty does. */
export function validatorUpdateToJson(u: ValidatorUpdate): ValidatorUpdateJson {
  const sum = u.pubKey?.sum;
  let pubKey: ValidatorUpdateJson["pub_key"];
  if (sum?.case === "ed25519") {
    pubKey = { Sum: { type: SUM_ED25519, value: { ed25519: toBase64(sum.value) } } };
  } else if (sum?.case === "secp256k1") {
    pubKey = { Sum: { type: SUM_SECP256K1, value: { secp256k1: toBase64(sum.value) } } };
  } else {
    return missingKey("validator update");
  }
  return u.power === 0n ? { pub_key: pubKey } : { pub_key: pubKey, power: String(u.power) };
}

export function readValidatorUpdate(value: unknown, path: string): ValidatorUpdate {
  const o = readObject(value, path);
  const sum = readObject(readObject(o.pub_key, `${path}.pub_key`).Sum, `${path}.pub_key.Sum`);
  const type = readString(sum.type, `${path}.pub_key.Sum.type`);
  const inner = readObject(sum.value, `${path}.pub_key.Sum.value`);
  let pubKey: PublicKey;
  if (type === SUM_ED25519) {
    const key = readBase64(inner.ed25519, `${path}.pub_key.Sum.value.ed25519`, [
      ED25519_PUBKEY_LENGTH,
    ]);
    pubKey = create(PublicKeySchema, { sum: { case: "ed25519", value: key } });
  } else if (type === SUM_SECP256K1) {
    const key = readBase64(inner.secp256k1, `${path}.pub_key.Sum.value.secp256k1`, [
      SECP256K1_PUBKEY_LENGTH,
    ]);
    pubKey = create(PublicKeySchema, { sum: { case: "secp256k1", value: key } });
  } else {
    return failJson(`${path}.pub_key.Sum.type`, `"${SUM_ED25519}" or "${SUM_SECP256K1}"`, type);
  }
  return createValidatorUpdate({
    pubKey,
    power: o.power === undefined ? 0n : readInt64(o.power, `${path}.power`),
  });
}

export function validatorUpdateFromJson(
  json: unknown,
  path = "validator_update",
): Result<ValidatorUpdate, JsonDecodeError> {
  return decodeJson(() => readValidatorUpdate(json, path));
}
