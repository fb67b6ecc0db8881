// Error codes of @qos/crypto: malformed keys (a caller bug, thrown) and malformed bech32 text
// (user input, returned in a Result).
import type { QosError } from "@qos/types";

export const CRYPTO_ERROR = {
  invalidKey: "INVALID_KEY",
  invalidBech32: "INVALID_BECH32",
} as const;

export type CryptoErrorCode = (typeof CRYPTO_ERROR)[keyof typeof CRYPTO_ERROR];
export type InvalidKeyError = QosError<typeof CRYPTO_ERROR.invalidKey>;
export type Bech32DecodeError = QosError<typeof CRYPTO_ERROR.invalidBech32>;
