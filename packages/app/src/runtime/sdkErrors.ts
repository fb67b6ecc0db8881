// The runtime's error codes: the Cosmos SDK `sdk` codespace (types/errors/errors.go), so
// clients and tools that know Cosmos results read ours unchanged. Pure.

import { AppError } from "./module.ts";

export const SDK_CODESPACE = "sdk";

/** Cosmos SDK root codespace codes the QOS runtime returns. */
export const SDK_CODE = {
  txDecode: 2,
  invalidSequence: 3,
  unauthorized: 4,
  insufficientFunds: 5,
  unknownRequest: 6,
  invalidAddress: 7,
  invalidPubKey: 8,
  unknownAddress: 9,
  invalidCoins: 10,
  outOfGas: 11,
  memoTooLarge: 12,
  insufficientFee: 13,
  tooManySignatures: 14,
  noSignatures: 15,
  invalidRequest: 18,
  txInMempoolCache: 19,
  mempoolIsFull: 20,
  txTooLarge: 21,
  keyNotFound: 22,
  /** Also what a store failure during a query is answered with (a pruned or unknown version). */
  invalidHeight: 26,
  invalidChainId: 28,
  invalidType: 29,
  txTimeoutHeight: 30,
  unknownExtensionOptions: 31,
  wrongSequence: 32,
  invalidGasLimit: 41,
} as const;

export type SdkCode = (typeof SDK_CODE)[keyof typeof SDK_CODE];

/** An AppError in the `sdk` codespace. */
export function sdkError(code: SdkCode, message: string): AppError {
  return new AppError(SDK_CODESPACE, code, message);
}
