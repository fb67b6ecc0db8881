// The node key (p2p identity) and the validator key, in CometBFT's node_key.json and
// priv_validator_key.json formats so existing tooling reads them. Both files hold a
// private key and are written with mode 0600.

import { readFileSync } from "node:fs";
import { ed25519Address, ed25519KeyFromSeed, sha256 } from "@qos/crypto";
import { randomBytes } from "@qos/crypto/random";
import {
  err,
  fromBase64,
  fromHex,
  ok,
  QosError,
  type Result,
  toBase64,
  toHex,
  toHexLower,
} from "@qos/types";
import { saveFileAtomic } from "./fileUtil.ts";

export const KeyFileErrorCode = {
  Unreadable: "keyfile/unreadable",
  Malformed: "keyfile/malformed",
} as const;
export type KeyFileErrorCode = (typeof KeyFileErrorCode)[keyof typeof KeyFileErrorCode];

export interface Ed25519Key {
  readonly publicKey: Uint8Array;
  /** 64 bytes: seed ‖ public key (Go's ed25519.PrivateKey layout). */
  readonly privateKey: Uint8Array;
}

export interface ValidatorKey extends Ed25519Key {
  readonly address: Uint8Array;
}

export function generateEd25519Key(): Ed25519Key {
  return ed25519KeyFromSeed(randomBytes(32));
}

/** CometBFT node id: hex(SHA256(pubkey)[:20]), lower-case (p2p/key.go PubKeyToID). */
export function nodeIdFromPublicKey(publicKey: Uint8Array): string {
  return toHexLower(sha256(publicKey).subarray(0, 20));
}

const PRIV_TYPE = "tendermint/PrivKeyEd25519";
const PUB_TYPE = "tendermint/PubKeyEd25519";

export function saveNodeKey(path: string, key: Ed25519Key): void {
  const json = { priv_key: { type: PRIV_TYPE, value: toBase64(key.privateKey) } };
  saveFileAtomic(path, `${JSON.stringify(json, null, 2)}\n`, 0o600);
}

export function saveValidatorKey(path: string, key: Ed25519Key): void {
  const json = {
    address: toHex(ed25519Address(key.publicKey)),
    pub_key: { type: PUB_TYPE, value: toBase64(key.publicKey) },
    priv_key: { type: PRIV_TYPE, value: toBase64(key.privateKey) },
  };
  saveFileAtomic(path, `${JSON.stringify(json, null, 2)}\n`, 0o600);
}

function readJson(path: string): Result<unknown, QosError<KeyFileErrorCode>> {
  try {
    return ok(JSON.parse(readFileSync(path, "utf8")) as unknown);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return err(
      new QosError(
        code === undefined ? KeyFileErrorCode.Malformed : KeyFileErrorCode.Unreadable,
        `cannot load ${path}: ${(e as Error).message}`,
      ),
    );
  }
}

function privateKeyFrom(
  path: string,
  json: unknown,
): Result<Ed25519Key, QosError<KeyFileErrorCode>> {
  const priv = (json as { priv_key?: { type?: unknown; value?: unknown } } | null)?.priv_key;
  if (priv?.type !== PRIV_TYPE || typeof priv.value !== "string") {
    return err(
      new QosError(
        KeyFileErrorCode.Malformed,
        `${path}: priv_key must be {"type":"${PRIV_TYPE}","value":base64}`,
      ),
    );
  }
  const bytes = fromBase64(priv.value);
  if (bytes === null || bytes.length !== 64) {
    return err(
      new QosError(
        KeyFileErrorCode.Malformed,
        `${path}: priv_key.value must be 64 bytes of base64`,
      ),
    );
  }
  const key = ed25519KeyFromSeed(bytes.subarray(0, 32));
  if (toHex(key.publicKey) !== toHex(bytes.subarray(32))) {
    return err(
      new QosError(
        KeyFileErrorCode.Malformed,
        `${path}: priv_key's public half does not match its seed`,
      ),
    );
  }
  return ok(key);
}

export function loadNodeKey(path: string): Result<Ed25519Key, QosError<KeyFileErrorCode>> {
  const json = readJson(path);
  return json.ok ? privateKeyFrom(path, json.value) : json;
}

export function loadValidatorKey(path: string): Result<ValidatorKey, QosError<KeyFileErrorCode>> {
  const json = readJson(path);
  if (!json.ok) return json;
  const key = privateKeyFrom(path, json.value);
  if (!key.ok) return key;
  const address = ed25519Address(key.value.publicKey);
  const stated = (json.value as { address?: unknown }).address;
  if (
    typeof stated === "string" &&
    fromHex(stated) !== null &&
    stated.toUpperCase() !== toHex(address)
  ) {
    return err(
      new QosError(
        KeyFileErrorCode.Malformed,
        `${path}: address ${stated} does not match the key (${toHex(address)})`,
      ),
    );
  }
  return ok({ ...key.value, address });
}
