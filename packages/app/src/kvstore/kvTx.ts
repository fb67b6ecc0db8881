// Transaction formats of the key-value test application: `key=value`, `key`, and
// `val:<base64 ed25519 pubkey>!<power>`; parsing returns the operation or a {code, log} failure.

import { copyBytes, fromBase64, toBase64, utf8Decode, utf8Encode } from "@qos/types";

/**
 * Result codes, numbered like CometBFT's abci/example codes (`abci/example/code`,
 * `abci/example/kvstore/code.go`): 1 covers every malformed tx, as the persistent
 * kvstore did for bad validator txs.
 */
export const KV_CODE = {
  ok: 0,
  /** Malformed tx: empty, not UTF-8, bad `key=value` shape, bad validator encoding or power. */
  encoding: 1,
  /** Well-formed but not allowed by the current state (e.g. removing an unknown validator). */
  unauthorized: 3,
  /** Query errors: unknown path, height other than the latest. */
  unknown: 4,
} as const;

/** Keys are stored as LMDB keys (max 1978 bytes there), so the app caps them. */
export const KV_MAX_KEY_BYTES = 1024;

/**
 * CometBFT's `types.MaxTotalVotingPower` (MaxInt64 / 8): no single power, nor the set's
 * total, may exceed it, or the node could not apply the update.
 */
export const KV_MAX_TOTAL_VOTING_POWER = 1152921504606846975n;

const INT64_MAX = 9223372036854775807n;

export const KV_VALIDATOR_TX_PREFIX = "val:";

export type KvTx =
  | { readonly kind: "set"; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly kind: "validator"; readonly pubKey: Uint8Array; readonly power: bigint };

export type KvTxParse =
  | { readonly ok: true; readonly tx: KvTx }
  | { readonly ok: false; readonly code: number; readonly log: string };

const EQ = 0x3d; // '='
const PREFIX_BYTES = utf8Encode(KV_VALIDATOR_TX_PREFIX);

function fail(log: string): KvTxParse {
  return { ok: false, code: KV_CODE.encoding, log };
}

/** Shows at most 64 characters of user input in a log line. */
function excerpt(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

function hasPrefix(tx: Uint8Array, prefix: Uint8Array): boolean {
  if (tx.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (tx[i] !== prefix[i]) return false;
  return true;
}

/** Parses a tx statelessly; the checks CheckTx, PrepareProposal and ProcessProposal share. */
export function parseKvTx(tx: Uint8Array): KvTxParse {
  if (tx.length === 0) return fail("tx is empty");
  const text = utf8Decode(tx);
  if (text === null) return fail("tx is not valid UTF-8");
  if (hasPrefix(tx, PREFIX_BYTES))
    return parseValidatorTx(text.slice(KV_VALIDATOR_TX_PREFIX.length));

  let eqAt = -1;
  for (let i = 0; i < tx.length; i++) {
    if (tx[i] !== EQ) continue;
    if (eqAt >= 0) return fail(`invalid tx format: more than one '=' in ${excerpt(text)}`);
    eqAt = i;
  }
  const key = eqAt < 0 ? tx : tx.subarray(0, eqAt);
  const value = eqAt < 0 ? tx : tx.subarray(eqAt + 1);
  if (key.length === 0) return fail(`invalid tx format: key cannot be empty in ${excerpt(text)}`);
  if (value.length === 0)
    return fail(`invalid tx format: value cannot be empty in ${excerpt(text)}`);
  if (key.length > KV_MAX_KEY_BYTES) {
    return fail(`key too long: ${key.length} bytes (max ${KV_MAX_KEY_BYTES})`);
  }
  return { ok: true, tx: { kind: "set", key: copyBytes(key), value: copyBytes(value) } };
}

// Format of CometBFT's persistent kvstore (v0.34): "val:pubkey!power", pubkey a
// base64-encoded 32-byte ed25519 key, power a base-10 int64 >= 0 (0 removes).
function parseValidatorTx(body: string): KvTxParse {
  const parts = body.split("!");
  if (parts.length !== 2) {
    return fail(`expected 'val:pubkey!power', got ${excerpt(`${KV_VALIDATOR_TX_PREFIX}${body}`)}`);
  }
  const [pubKeyText, powerText] = parts as [string, string];
  const pubKey = fromBase64(pubKeyText);
  // Canonical padded standard base64 only, as Go's base64.StdEncoding accepts.
  if (pubKey === null || toBase64(pubKey) !== pubKeyText) {
    return fail(`pubkey (${excerpt(pubKeyText)}) is invalid base64`);
  }
  if (pubKey.length !== 32) {
    return fail(`pubkey must be a 32-byte ed25519 key, got ${pubKey.length} bytes`);
  }
  if (!/^[+-]?[0-9]{1,19}$/.test(powerText)) {
    return fail(`power (${excerpt(powerText)}) is not an int`);
  }
  const power = BigInt(powerText);
  if (power > INT64_MAX || power < -INT64_MAX - 1n) {
    return fail(`power (${excerpt(powerText)}) is not an int64`);
  }
  if (power < 0n) return fail(`power can not be less than 0, got ${power}`);
  if (power > KV_MAX_TOTAL_VOTING_POWER) {
    return fail(`power ${power} exceeds the maximum voting power ${KV_MAX_TOTAL_VOTING_POWER}`);
  }
  return { ok: true, tx: { kind: "validator", pubKey, power } };
}

/** Builds a validator-change tx `val:<base64 pubkey>!<power>` (power 0 removes). */
export function encodeKvValidatorTx(pubKey: Uint8Array, power: bigint): Uint8Array {
  return utf8Encode(`${KV_VALIDATOR_TX_PREFIX}${toBase64(pubKey)}!${power}`);
}
