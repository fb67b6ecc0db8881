// Error codes of the keyring: key names, missing keys, passwords and key files. Wallet and
// keystore failures (wrong password, damaged file) keep their @qos/crypto codes.
import { QosError } from "@qos/types";

export const KEYRING_ERROR = {
  /** A key name outside [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
  invalidName: "keyring_invalid_name",
  /** `add`/`import` under a name that is taken. */
  keyExists: "keyring_key_exists",
  /** No key of that name in this keyring. */
  keyNotFound: "keyring_key_not_found",
  /** The file backend needs a password and none was given. */
  noPassword: "keyring_no_password",
  /** A new file-keyring password shorter than 8 characters, or two entries that differ. */
  weakPassword: "keyring_weak_password",
  /** Not one of file, test, memory. */
  invalidBackend: "keyring_invalid_backend",
  /** A key file we cannot read or write, or one that is not a keystore of ours. */
  io: "keyring_io",
} as const;

export type KeyringErrorCode = (typeof KEYRING_ERROR)[keyof typeof KEYRING_ERROR];
export type KeyringError = QosError<KeyringErrorCode>;

export function keyringError(
  code: KeyringErrorCode,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): KeyringError {
  return new QosError(code, message, details);
}
