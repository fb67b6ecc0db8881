// BIP-32 derivation (@scure/bip32) on BIP-44 paths: m/44'/389'/account'/0/index for QOS and the
// business chains. Intermediate nodes' private keys are wiped as the walk goes down.
import { err, ok, type Result } from "@qos/types";
import { HDKey } from "@scure/bip32";
import { WALLET_ERROR, type WalletError, walletError } from "./walletError.ts";

/** BIP-44 purpose. */
export const BIP44_PURPOSE = 44;
/** The QOS coin type in m/44'/389'/account'/0/index. */
export const QOS_COIN_TYPE = 389;
/** Offset of a hardened child index (i' = i + 2^31). */
export const HARDENED_OFFSET = 0x80000000;

function isChildNumber(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n < HARDENED_OFFSET;
}

/** m/44'/389'/account'/0/index, the path of key `index` of account `account` (BIP-44 external chain). */
export function qosHdPath(account = 0, index = 0): string {
  if (!isChildNumber(account) || !isChildNumber(index)) {
    throw walletError(
      WALLET_ERROR.invalidPath,
      `account and index must be integers in [0, 2^31-1], got ${account} and ${index}`,
    );
  }
  return `m/${BIP44_PURPOSE}'/${QOS_COIN_TYPE}'/${account}'/0/${index}`;
}

/** Child indices of a BIP-32 path "m/a/b'/…" ('/h/H mark hardened children). */
export function parseHdPath(path: string): Result<number[], WalletError> {
  const parts = path.split("/");
  if (parts[0] !== "m") {
    return err(walletError(WALLET_ERROR.invalidPath, `an HD path starts with "m/": ${path}`));
  }
  const out: number[] = [];
  for (const part of parts.slice(1)) {
    const m = /^(0|[1-9][0-9]{0,9})(['hH]?)$/.exec(part);
    const n = m === null ? Number.NaN : Number(m[1]);
    if (m === null || !isChildNumber(n)) {
      return err(walletError(WALLET_ERROR.invalidPath, `bad HD path component "${part}"`));
    }
    out.push(m[2] === "" ? n : n + HARDENED_OFFSET);
  }
  return ok(out);
}

/**
 * The BIP-32 node at `path` below the master key of `seed` (16–64 bytes). Every node above it has
 * its private key wiped; the caller wipes the result (`wipePrivateData()`). Throws
 * QosError(wallet_invalid_path) on a malformed path.
 */
export function deriveHdKey(seed: Uint8Array, path: string): HDKey {
  const indices = parseHdPath(path);
  if (!indices.ok) throw indices.error;
  let node = HDKey.fromMasterSeed(seed);
  for (const i of indices.value) {
    const child = node.deriveChild(i);
    node.wipePrivateData();
    node = child;
  }
  return node;
}
