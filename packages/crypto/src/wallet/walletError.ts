// Error codes of the HD wallet and the keystore: bad user input (mnemonic, path, file, password)
// comes back in a Result or as a QosError with one of these codes; never a raw crash.
import { QosError } from "@qos/types";

export const WALLET_ERROR = {
  /** Not a BIP-39 english mnemonic: unknown word, wrong word count or bad checksum. */
  invalidMnemonic: "wallet_invalid_mnemonic",
  /** BIP-39 entropy must be 16, 20, 24, 28 or 32 bytes. */
  invalidEntropy: "wallet_invalid_entropy",
  /** An HD path or an account/index number out of range. */
  invalidPath: "wallet_invalid_path",
  /** A bech32 prefix we cannot encode under. */
  invalidPrefix: "wallet_invalid_prefix",
  /** A signer was used after wipe(). */
  signerWiped: "wallet_signer_wiped",
  /** The keystore MAC does not match: wrong password (or a file altered after it was written). */
  wrongPassword: "keystore_wrong_password",
  /** The keystore is not well-formed JSON of the v3 shape, or its parts disagree. */
  invalidKeystore: "keystore_invalid",
  /** A well-formed keystore we do not read: another cipher, KDF, payload size or KDF cost. */
  unsupportedKeystore: "keystore_unsupported",
} as const;

export type WalletErrorCode = (typeof WALLET_ERROR)[keyof typeof WALLET_ERROR];
export type WalletError = QosError<WalletErrorCode>;
export type KeystoreError = QosError<
  | typeof WALLET_ERROR.wrongPassword
  | typeof WALLET_ERROR.invalidKeystore
  | typeof WALLET_ERROR.unsupportedKeystore
>;

export function walletError<C extends WalletErrorCode>(
  code: C,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): QosError<C> {
  return new QosError(code, message, details);
}
