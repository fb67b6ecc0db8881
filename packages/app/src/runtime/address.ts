// Account addresses: 20 raw bytes (ripemd160(sha256(secp256k1 pubkey)), Cosmos style), bech32
// `qosacc…` on the wire; module account addresses are sha256(name)[0:20] like Cosmos'.
// Conversions are memoised: a tx converts the same few addresses many times.

import { bech32Decode, bech32Encode, sha256 } from "@qos/crypto";
import { copyBytes } from "@qos/types";
import { createBytesCache } from "./bytesCache.ts";
import { SDK_CODE, sdkError } from "./sdkErrors.ts";

export const ACCOUNT_PREFIX = "qosacc";
export const ADDRESS_BYTES = 20;

// Both directions are pure functions of their input, so a cached answer is the computed one.
// Bounded (the working set of a block is far smaller).
const MEMO_ENTRIES = 50_000;
const toBech32Memo = createBytesCache<string>(MEMO_ENTRIES);
const toBytesMemo = new Map<string, Uint8Array>();

export function addressToBech32(addr: Uint8Array): string {
  const hit = toBech32Memo.get(addr);
  if (hit !== undefined) return hit;
  const text = bech32Encode(ACCOUNT_PREFIX, addr);
  toBech32Memo.set(copyBytes(addr), text);
  return text;
}

/** Decodes a `qosacc…` address; sdk 7 invalid address (naming `what`) otherwise. A fresh copy each call. */
export function bech32ToAddress(text: string, what = "address"): Uint8Array {
  const hit = toBytesMemo.get(text);
  if (hit !== undefined) return copyBytes(hit);
  const addr = decodeAddress(text, what);
  if (toBytesMemo.size >= MEMO_ENTRIES) toBytesMemo.clear();
  toBytesMemo.set(text, copyBytes(addr));
  return addr;
}

function decodeAddress(text: string, what: string): Uint8Array {
  if (text.length === 0) throw sdkError(SDK_CODE.invalidAddress, `empty ${what}`);
  const r = bech32Decode(text);
  if (!r.ok) throw sdkError(SDK_CODE.invalidAddress, `invalid ${what} ${text}: ${r.error.message}`);
  if (r.value.prefix !== ACCOUNT_PREFIX) {
    throw sdkError(
      SDK_CODE.invalidAddress,
      `invalid ${what} ${text}: prefix ${r.value.prefix}, want ${ACCOUNT_PREFIX}`,
    );
  }
  if (r.value.data.length !== ADDRESS_BYTES) {
    throw sdkError(
      SDK_CODE.invalidAddress,
      `invalid ${what} ${text}: ${r.value.data.length} bytes, want ${ADDRESS_BYTES}`,
    );
  }
  return r.value.data;
}

/** The address of a module account (e.g. "fee_collector"): sha256(name)[0:20]. */
export function moduleAddress(name: string): Uint8Array {
  return sha256(new TextEncoder().encode(name)).slice(0, ADDRESS_BYTES);
}
