// Tx decoding: TxRaw bytes → body and auth info, with the Cosmos SDK's unknown-field rule
// (unknown fields are refused, except non-critical ones — field number with bit 0x400 set — in
// the body) and the stateless envelope checks. Malformed protobuf is sdk 2 tx decode. Pure.

import { fromBinary } from "@bufbuild/protobuf";
import { cosmosTx } from "@qos/types";
import { SDK_CODE, sdkError } from "./sdkErrors.ts";

export interface DecodedTx {
  /** The exact TxRaw bytes (hashed for the tx hash). */
  readonly bytes: Uint8Array;
  readonly bodyBytes: Uint8Array;
  readonly authInfoBytes: Uint8Array;
  readonly signatures: readonly Uint8Array[];
  readonly body: cosmosTx.TxBody;
  readonly authInfo: cosmosTx.AuthInfo;
}

const NON_CRITICAL_BIT = 0x400;

interface WithUnknown {
  readonly $unknown?: readonly { readonly no: number }[] | undefined;
}

function refuseUnknown(msg: WithUnknown, where: string, allowNonCritical = false): void {
  for (const f of msg.$unknown ?? []) {
    if (allowNonCritical && (f.no & NON_CRITICAL_BIT) !== 0) continue;
    throw sdkError(SDK_CODE.txDecode, `${where}: unknown field number ${f.no}: tx parse error`);
  }
}

function parse<T>(fn: () => T, where: string): T {
  try {
    return fn();
  } catch (e) {
    throw sdkError(SDK_CODE.txDecode, `${where}: ${(e as Error).message}: tx parse error`);
  }
}

/** Decodes TxRaw bytes; throws AppError sdk 2 on anything malformed. */
export function decodeTx(bytes: Uint8Array): DecodedTx {
  if (bytes.length === 0) throw sdkError(SDK_CODE.txDecode, "empty tx: tx parse error");
  const raw = parse(() => fromBinary(cosmosTx.TxRawSchema, bytes), "TxRaw");
  refuseUnknown(raw, "TxRaw");
  const body = parse(() => fromBinary(cosmosTx.TxBodySchema, raw.bodyBytes), "TxBody");
  refuseUnknown(body, "TxBody", true);
  for (const any of body.messages) refuseUnknown(any, "TxBody.messages");
  const authInfo = parse(() => fromBinary(cosmosTx.AuthInfoSchema, raw.authInfoBytes), "AuthInfo");
  refuseUnknown(authInfo, "AuthInfo");
  if (authInfo.fee !== undefined) {
    refuseUnknown(authInfo.fee, "Fee");
    for (const c of authInfo.fee.amount) refuseUnknown(c, "Fee.amount");
  }
  for (const si of authInfo.signerInfos) {
    refuseUnknown(si, "SignerInfo");
    if (si.publicKey !== undefined) refuseUnknown(si.publicKey, "SignerInfo.public_key");
    if (si.modeInfo !== undefined) refuseUnknown(si.modeInfo, "ModeInfo");
  }
  return {
    bytes,
    bodyBytes: raw.bodyBytes,
    authInfoBytes: raw.authInfoBytes,
    signatures: raw.signatures,
    body,
    authInfo,
  };
}
