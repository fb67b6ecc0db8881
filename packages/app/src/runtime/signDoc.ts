// SIGN_MODE_DIRECT sign bytes assembled from the TxRaw's own body and auth-info bytes (never a
// re-encoded body): cosmos.tx.v1beta1.SignDoc {1 body_bytes, 2 auth_info_bytes, 3 chain_id,
// 4 account_number}, proto3 (empty and zero fields omitted), as `toBinary(SignDocSchema)`. Pure.

import { lenFieldSize, putVarint, putVarint64, varint64Size } from "@qos/types";

function signDocSize(
  bodyBytes: Uint8Array,
  authInfoBytes: Uint8Array,
  chainId: Uint8Array,
  accountNumber: bigint,
): number {
  let size = 0;
  if (bodyBytes.length > 0) size += lenFieldSize(bodyBytes.length);
  if (authInfoBytes.length > 0) size += lenFieldSize(authInfoBytes.length);
  if (chainId.length > 0) size += lenFieldSize(chainId.length);
  if (accountNumber !== 0n) size += 1 + varint64Size(accountNumber);
  return size;
}

function putLenField(buf: Uint8Array, pos: number, field: number, b: Uint8Array): number {
  let p = putVarint(buf, pos, (field << 3) | 2);
  p = putVarint(buf, p, b.length);
  buf.set(b, p);
  return p + b.length;
}

/** Writes the SignDoc at the start of `buf` (at least `signDocSize` long); returns its length. */
function writeSignDoc(
  buf: Uint8Array,
  bodyBytes: Uint8Array,
  authInfoBytes: Uint8Array,
  chainId: Uint8Array,
  accountNumber: bigint,
): number {
  let p = 0;
  if (bodyBytes.length > 0) p = putLenField(buf, p, 1, bodyBytes);
  if (authInfoBytes.length > 0) p = putLenField(buf, p, 2, authInfoBytes);
  if (chainId.length > 0) p = putLenField(buf, p, 3, chainId);
  if (accountNumber !== 0n) {
    p = putVarint(buf, p, 4 << 3);
    p = putVarint64(buf, p, accountNumber);
  }
  return p;
}

/** The canonical SignDoc bytes; `chainId` is the chain id's UTF-8. A new array. */
export function signDocBytes(
  bodyBytes: Uint8Array,
  authInfoBytes: Uint8Array,
  chainId: Uint8Array,
  accountNumber: bigint,
): Uint8Array {
  const out = new Uint8Array(signDocSize(bodyBytes, authInfoBytes, chainId, accountNumber));
  writeSignDoc(out, bodyBytes, authInfoBytes, chainId, accountNumber);
  return out;
}

let scratch = new Uint8Array(4096);

/**
 * The same bytes in a buffer reused by every call: valid until the next call, for a caller that
 * only reads them before then (ante verifies or looks them up at once; the cache keeps copies).
 * Saves allocating a few hundred bytes per signature check.
 */
export function signDocBytesTransient(
  bodyBytes: Uint8Array,
  authInfoBytes: Uint8Array,
  chainId: Uint8Array,
  accountNumber: bigint,
): Uint8Array {
  const size = signDocSize(bodyBytes, authInfoBytes, chainId, accountNumber);
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, 2 * scratch.length));
  return scratch.subarray(
    0,
    writeSignDoc(scratch, bodyBytes, authInfoBytes, chainId, accountNumber),
  );
}
