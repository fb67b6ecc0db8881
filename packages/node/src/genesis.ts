// genesis.json: CometBFT's GenesisDoc (types/genesis.go) with an `app_state` passed
// through to the application. Loading validates it as CometBFT's ValidateAndComplete does.

import { readFileSync } from "node:fs";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { ed25519Address } from "@qos/crypto";
import {
  type ConsensusParams,
  type ConsensusParamsJson,
  consensusParamsToJson,
  decodeJson,
  equalBytes,
  err,
  failJson,
  type PubKeyJson,
  type PublicKey,
  pubKeyToJson,
  QosError,
  type Result,
  readArray,
  readConsensusParams,
  readHex,
  readInt64,
  readObject,
  readOptionalString,
  readPubKey,
  readString,
  readTimestamp,
  timestampToJson,
  toHex,
  utf8Encode,
} from "@qos/types";
import { saveFileAtomic } from "./fileUtil.ts";

export const GenesisErrorCode = {
  Unreadable: "genesis/unreadable",
  Invalid: "genesis/invalid",
} as const;
export type GenesisErrorCode = (typeof GenesisErrorCode)[keyof typeof GenesisErrorCode];

/** types/genesis.go MaxChainIDLen. */
export const MAX_CHAIN_ID_LENGTH = 50;

export interface GenesisValidator {
  readonly address: Uint8Array;
  readonly pubKey: PublicKey;
  readonly power: bigint;
  readonly name: string;
}

export interface GenesisDoc {
  readonly genesisTime: Timestamp;
  readonly chainId: string;
  readonly initialHeight: bigint;
  readonly consensusParams: ConsensusParams;
  readonly validators: readonly GenesisValidator[];
  readonly appHash: Uint8Array;
  /** The `app_state` value, as parsed JSON. */
  readonly appState: unknown;
}

export interface GenesisJson {
  genesis_time: string;
  chain_id: string;
  initial_height: string;
  consensus_params: ConsensusParamsJson;
  validators: { address: string; pub_key: PubKeyJson; power: string; name: string }[];
  app_hash: string;
  app_state: unknown;
}

export function genesisToJson(doc: GenesisDoc): GenesisJson {
  return {
    genesis_time: timestampToJson(doc.genesisTime),
    chain_id: doc.chainId,
    initial_height: String(doc.initialHeight),
    consensus_params: consensusParamsToJson(doc.consensusParams),
    validators: doc.validators.map((v) => ({
      address: toHex(v.address),
      pub_key: pubKeyToJson(v.pubKey),
      power: String(v.power),
      name: v.name,
    })),
    app_hash: toHex(doc.appHash),
    app_state: doc.appState,
  };
}

/** The bytes handed to the application's InitChain: the app_state JSON text. */
export function appStateBytes(doc: GenesisDoc): Uint8Array {
  return utf8Encode(JSON.stringify(doc.appState ?? {}));
}

function checkNumbersAreExact(value: unknown, path: string): void {
  if (typeof value === "number" && !Number.isSafeInteger(value) && Number.isInteger(value)) {
    failJson(path, "an exact number (write integers above 2^53 as strings)", value);
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) checkNumbersAreExact(v, `${path}[${i}]`);
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) checkNumbersAreExact(v, `${path}.${k}`);
  }
}

function readGenesis(json: unknown): GenesisDoc {
  const o = readObject(json, "genesis");
  const chainId = readString(o.chain_id, "chain_id");
  if (chainId === "") failJson("chain_id", "a non-empty chain id", chainId);
  if (chainId.length > MAX_CHAIN_ID_LENGTH) {
    failJson("chain_id", `at most ${MAX_CHAIN_ID_LENGTH} characters`, chainId);
  }
  let initialHeight =
    o.initial_height === undefined ? 1n : readInt64(o.initial_height, "initial_height");
  if (initialHeight < 0n) failJson("initial_height", "a height ≥ 0", String(initialHeight));
  if (initialHeight === 0n) initialHeight = 1n;
  const genesisTime = readTimestamp(o.genesis_time, "genesis_time");
  const consensusParams = readConsensusParams(o.consensus_params, "consensus_params");
  const validators = readArray(o.validators ?? [], "validators", true).map((v, i) => {
    const path = `validators[${i}]`;
    const vo = readObject(v, path);
    const pubKey = readPubKey(vo.pub_key, `${path}.pub_key`);
    if (pubKey.sum.case !== "ed25519")
      failJson(`${path}.pub_key.type`, "an ed25519 key", pubKey.sum.case);
    const derived = ed25519Address(pubKey.sum.value);
    const stated = readOptionalString(vo.address, `${path}.address`);
    const address = stated === "" ? derived : readHex(stated, `${path}.address`, [20]);
    if (!equalBytes(address, derived)) {
      failJson(`${path}.address`, `the key's address ${toHex(derived)}`, stated);
    }
    const power = readInt64(vo.power, `${path}.power`);
    if (power <= 0n) failJson(`${path}.power`, "a voting power > 0", String(power));
    return { address, pubKey, power, name: readOptionalString(vo.name, `${path}.name`) };
  });
  const appHashText = readOptionalString(o.app_hash, "app_hash");
  const appHash = appHashText === "" ? new Uint8Array() : readHex(appHashText, "app_hash");
  checkNumbersAreExact(o.app_state, "app_state");
  return {
    genesisTime,
    chainId,
    initialHeight,
    consensusParams,
    validators,
    appHash,
    appState: o.app_state ?? {},
  };
}

export function genesisFromJson(json: unknown): Result<GenesisDoc, QosError> {
  const doc = decodeJson(() => readGenesis(json));
  if (!doc.ok)
    return err(new QosError(GenesisErrorCode.Invalid, `invalid genesis: ${doc.error.message}`));
  return doc;
}

export function loadGenesis(path: string): Result<GenesisDoc, QosError> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return err(
      new QosError(GenesisErrorCode.Unreadable, `cannot load ${path}: ${(e as Error).message}`),
    );
  }
  const doc = genesisFromJson(json);
  if (!doc.ok) return err(new QosError(GenesisErrorCode.Invalid, `${path}: ${doc.error.message}`));
  return doc;
}

export function saveGenesis(path: string, doc: GenesisDoc): void {
  saveFileAtomic(path, `${JSON.stringify(genesisToJson(doc), null, 2)}\n`);
}
