// The keyring as the client commands use it: key names or addresses wherever an address is
// expected, the key behind a signer address, and the file backend's password (a file, the
// environment, or a prompt).

import { bech32Decode } from "@qos/crypto";
import { QosError } from "@qos/types";
import {
  createKeyring,
  isKeyringBackend,
  type KeyRecord,
  type Keyring,
} from "../keyring/keyring.ts";
import { KEYRING_ERROR, keyringError } from "../keyring/keyringError.ts";
import { readPasswordFile, type TerminalInput } from "../keyring/terminalInput.ts";

/** Environment variable with the file keyring's password (as `qos keys`). */
export const KEYRING_PASSWORD_ENV = "QOS_KEYRING_PASSWORD";

export interface ClientKeyringFlags {
  readonly keyringBackend: string;
  readonly keyringPasswordFile?: string;
}

export function openClientKeyring(
  flags: ClientKeyringFlags,
  home: string,
  password?: string,
): Keyring {
  if (!isKeyringBackend(flags.keyringBackend))
    throw keyringError(
      KEYRING_ERROR.invalidBackend,
      `unknown keyring backend "${flags.keyringBackend}" (file, test or memory)`,
    );
  return createKeyring({
    backend: flags.keyringBackend,
    home,
    ...(password !== undefined ? { password } : {}),
  });
}

/** Whether `text` is a bech32 account address (any prefix, 20 bytes). */
export function isAccountAddress(text: string): boolean {
  const r = bech32Decode(text);
  return r.ok && r.value.data.length === 20;
}

/** The key holding `nameOrAddress` (a key name, or the address of a key), or undefined. */
export function findKey(keyring: Keyring, nameOrAddress: string): KeyRecord | undefined {
  if (isAccountAddress(nameOrAddress))
    return keyring.list().find((r) => r.address === nameOrAddress);
  return keyring.has(nameOrAddress) ? keyring.get(nameOrAddress) : undefined;
}

/** An address as typed (bech32), or the address of the key with that name. */
export function resolveAddress(keyring: Keyring, nameOrAddress: string, what: string): string {
  if (isAccountAddress(nameOrAddress)) return nameOrAddress;
  const key = findKey(keyring, nameOrAddress);
  if (key === undefined)
    throw new QosError(
      "cli_usage",
      `${what} "${nameOrAddress}" is neither an address nor a key in the ${keyring.backend} keyring`,
    );
  return key.address;
}

/** The file backend's password: --keyring-password-file, then $QOS_KEYRING_PASSWORD, then a prompt. */
export async function keyringPasswordFor(
  flags: ClientKeyringFlags,
  input: TerminalInput,
): Promise<string | undefined> {
  if (flags.keyringBackend !== "file") return undefined;
  if (flags.keyringPasswordFile !== undefined) return readPasswordFile(flags.keyringPasswordFile);
  const env = process.env[KEYRING_PASSWORD_ENV];
  if (env !== undefined && env !== "") return env;
  if (!input.interactive) return undefined;
  return await input.secret("Enter keyring passphrase: ");
}
