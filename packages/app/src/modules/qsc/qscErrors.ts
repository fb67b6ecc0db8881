// The qsc module's tx and query failures: codespace "qsc", one stable code per failure.
// Insufficient balance or allowance is bank's (codespace "sdk" code 5 / "bank").

import { AppError } from "../../runtime/module.ts";

export const QSC_CODESPACE = "qsc";

export const QSC_ERROR = {
  tokenNotFound: 2,
  duplicateSymbol: 3,
  notIssuer: 4,
  overMaxSupply: 5,
  paused: 6,
  frozenFunds: 7,
  invalidAmount: 8,
  invalidAddress: 9,
  invalidSymbol: 10,
  invalidName: 11,
  invalidDecimals: 12,
  certificateInvalid: 13,
  creationFeeUnpaid: 14,
  freezeExceedsBalance: 15,
  unfreezeExceedsFrozen: 16,
  alreadyPaused: 17,
  notPaused: 18,
  invalidRequest: 19,
  invalidGenesis: 20,
} as const;

export type QscErrorName = keyof typeof QSC_ERROR;

export function qscError(name: QscErrorName, message: string): AppError {
  return new AppError(QSC_CODESPACE, QSC_ERROR[name], message);
}
