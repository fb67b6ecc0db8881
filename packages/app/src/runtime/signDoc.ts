// SIGN_MODE_DIRECT sign bytes assembled from the TxRaw's own body and auth-info bytes (never a
// re-encoded body): cosmos.tx.v1beta1.SignDoc {1 body_bytes, 2 auth_info_bytes, 3 chain_id,
// 4 account_number}, proto3 (empty and zero fields omitted), as `toBinary(SignDocSchema)`. Pure.

import { createWireWriter, lenFieldSize, varint64Size } from "@qos/types";

/** The canonical SignDoc bytes; `chainId` is the chain id's UTF-8. */
export function signDocBytes(
  bodyBytes: Uint8Array,
  authInfoBytes: Uint8Array,
  chainId: Uint8Array,
  accountNumber: bigint,
): Uint8Array {
  let size = 0;
  if (bodyBytes.length > 0) size += lenFieldSize(bodyBytes.length);
  if (authInfoBytes.length > 0) size += lenFieldSize(authInfoBytes.length);
  if (chainId.length > 0) size += lenFieldSize(chainId.length);
  if (accountNumber !== 0n) size += 1 + varint64Size(accountNumber);
  const w = createWireWriter(size);
  if (bodyBytes.length > 0) w.lenField(1, bodyBytes);
  if (authInfoBytes.length > 0) w.lenField(2, authInfoBytes);
  if (chainId.length > 0) w.lenField(3, chainId);
  if (accountNumber !== 0n) {
    w.varint(4 << 3);
    w.varint64(accountNumber);
  }
  return w.finish();
}
