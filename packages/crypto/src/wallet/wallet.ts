// The wallet API bound to a secp256k1 backend: accounts from a mnemonic (BIP-39/32/44), bech32
// addresses, and signers that derive or decrypt the key for each signature and wipe it after.
import { equalBytes, err, fromBase64, ok, type Result } from "@qos/types";
import { bech32Decode, bech32Encode } from "../bech32.ts";
import type { Secp256k1 } from "../secp256k1.ts";
import { deriveHdKey, qosHdPath } from "./hdPath.ts";
import { decryptKeystore, type KeystoreV3, passwordToBytes } from "./keystore.ts";
import { type MnemonicSecret, mnemonicToSecret, mnemonicToSeed, secretToSeed } from "./mnemonic.ts";
import { type KeystoreError, WALLET_ERROR, walletError } from "./walletError.ts";
import { wipeBytes } from "./wipeBytes.ts";

/** bech32 prefix of QOS public-chain accounts. */
export const QOS_ACCOUNT_PREFIX = "qosacc";

/**
 * What the tx builder signs with. `sign(bytes)` returns the 64-byte compact r‖s, low-S, RFC 6979
 * secp256k1 signature over sha256(bytes) (cosmos-sdk PrivKey.Sign: pass the SignDoc bytes). The
 * private key exists only during the call and is wiped before it returns.
 */
export interface Secp256k1Signer {
  /** 33-byte compressed public key. */
  readonly pubKey: Uint8Array;
  /** bech32(prefix, ripemd160(sha256(pubKey))). */
  readonly address: string;
  sign(bytes: Uint8Array): Uint8Array;
  /** Zeroes the secrets the signer holds; sign() then throws wallet_signer_wiped. */
  wipe(): void;
}

/** Where a key sits: m/44'/389'/account'/0/index, and the bech32 prefix of its chain. */
export interface AccountPosition {
  account?: number;
  index?: number;
  /** Default "qosacc"; a business chain passes its own. */
  prefix?: string;
}

export type DeriveAccountOptions = AccountPosition &
  ({ mnemonic: string; passphrase?: string } | { secret: MnemonicSecret });

export interface WalletAccount {
  address: string;
  pubKey: Uint8Array;
  hdPath: string;
  prefix: string;
  account: number;
  index: number;
}

/** A derived account with its private key: the caller wipes `privateKey`. */
export interface WalletKeyPair extends WalletAccount {
  privateKey: Uint8Array;
}

export interface KeystoreSignerOptions {
  /** Names the key in error messages (default: the file's x-qos name). */
  name?: string;
  /** Address prefix (default: the prefix of the file's x-qos address, else "qosacc"). */
  prefix?: string;
}

export interface Wallet {
  accountAddress(pubKey: Uint8Array, prefix?: string): string;
  deriveAccount(opts: DeriveAccountOptions): WalletAccount;
  deriveKeyPair(opts: DeriveAccountOptions): WalletKeyPair;
  createMnemonicSigner(opts: DeriveAccountOptions): Secp256k1Signer;
  createPrivateKeySigner(privateKey: Uint8Array, prefix?: string): Secp256k1Signer;
  createKeystoreSigner(
    keystore: KeystoreV3,
    password: string | Uint8Array,
    opts?: KeystoreSignerOptions,
  ): Result<Secp256k1Signer, KeystoreError>;
}

function checkPrefix(prefix: string): void {
  if (typeof prefix !== "string" || !/^[a-z][a-z0-9]{0,39}$/.test(prefix)) {
    throw walletError(
      WALLET_ERROR.invalidPrefix,
      `an address prefix is 1–40 lower-case letters and digits starting with a letter: "${prefix}"`,
    );
  }
}

function wiped(): never {
  throw walletError(WALLET_ERROR.signerWiped, "this signer was wiped");
}

export function createWallet(secp: Secp256k1): Wallet {
  function accountAddress(pubKey: Uint8Array, prefix = QOS_ACCOUNT_PREFIX): string {
    checkPrefix(prefix);
    return bech32Encode(prefix, secp.secp256k1Address(pubKey));
  }

  function deriveKeyPair(opts: DeriveAccountOptions): WalletKeyPair {
    const account = opts.account ?? 0;
    const index = opts.index ?? 0;
    const prefix = opts.prefix ?? QOS_ACCOUNT_PREFIX;
    checkPrefix(prefix);
    const hdPath = qosHdPath(account, index);
    const seed =
      "secret" in opts ? secretToSeed(opts.secret) : mnemonicToSeed(opts.mnemonic, opts.passphrase);
    const node = deriveHdKey(seed, hdPath);
    wipeBytes(seed);
    const privateKey = node.privateKey as Uint8Array;
    const pubKey = node.publicKey as Uint8Array;
    node.wipePrivateData();
    const address = bech32Encode(prefix, secp.secp256k1Address(pubKey));
    return { address, pubKey, hdPath, prefix, account, index, privateKey };
  }

  function deriveAccount(opts: DeriveAccountOptions): WalletAccount {
    const { privateKey, ...account } = deriveKeyPair(opts);
    wipeBytes(privateKey);
    return account;
  }

  function createMnemonicSigner(opts: DeriveAccountOptions): Secp256k1Signer {
    // Hold the two secrets as bytes (a copy): the caller's strings cannot be wiped, ours can.
    let secret: MnemonicSecret | null;
    if ("secret" in opts) {
      secret = { entropy: opts.secret.entropy.slice(), passphrase: opts.secret.passphrase.slice() };
    } else {
      const parsed = mnemonicToSecret(opts.mnemonic, opts.passphrase);
      if (!parsed.ok) throw parsed.error;
      secret = parsed.value;
    }
    const position: AccountPosition = {};
    if (opts.account !== undefined) position.account = opts.account;
    if (opts.index !== undefined) position.index = opts.index;
    if (opts.prefix !== undefined) position.prefix = opts.prefix;
    const first = deriveAccount({ ...position, secret });
    return {
      pubKey: first.pubKey,
      address: first.address,
      sign(bytes) {
        const { privateKey } = deriveKeyPair({ ...position, secret: secret ?? wiped() });
        try {
          return secp.secp256k1Sign(privateKey, bytes);
        } finally {
          wipeBytes(privateKey);
        }
      },
      wipe() {
        wipeBytes(secret?.entropy, secret?.passphrase);
        secret = null;
      },
    };
  }

  function createPrivateKeySigner(
    privateKey: Uint8Array,
    prefix = QOS_ACCOUNT_PREFIX,
  ): Secp256k1Signer {
    const pubKey = secp.secp256k1PublicKey(privateKey);
    const address = accountAddress(pubKey, prefix);
    let key: Uint8Array | null = privateKey.slice();
    return {
      pubKey,
      address,
      sign: (bytes) => secp.secp256k1Sign(key ?? wiped(), bytes),
      wipe() {
        wipeBytes(key);
        key = null;
      },
    };
  }

  function createKeystoreSigner(
    keystore: KeystoreV3,
    password: string | Uint8Array,
    opts: KeystoreSignerOptions = {},
  ): Result<Secp256k1Signer, KeystoreError> {
    const ext = keystore["x-qos"];
    const name = opts.name ?? ext?.name;
    const label = name !== undefined ? `keystore '${name}'` : "the keystore";
    const given = passwordToBytes(password);
    let pw: Uint8Array | null = given === password ? given.slice() : given;
    const first = decryptKeystore(keystore, pw, name);
    if (!first.ok) {
      wipeBytes(pw);
      return first;
    }
    const pubKey = secp.secp256k1PublicKey(first.value.privateKey);
    wipeBytes(first.value.privateKey, first.value.secret?.entropy, first.value.secret?.passphrase);
    let prefix = opts.prefix;
    if (ext?.address !== undefined) {
      const decoded = bech32Decode(ext.address);
      if (!decoded.ok || !equalBytes(decoded.value.data, secp.secp256k1Address(pubKey))) {
        wipeBytes(pw);
        return err(
          walletError(
            WALLET_ERROR.invalidKeystore,
            `the address written in ${label} does not match its encrypted key`,
          ),
        );
      }
      prefix ??= decoded.value.prefix;
    }
    if (
      ext?.pubkey !== undefined &&
      !equalBytes(fromBase64(ext.pubkey) ?? new Uint8Array(), pubKey)
    ) {
      wipeBytes(pw);
      return err(
        walletError(
          WALLET_ERROR.invalidKeystore,
          `the public key written in ${label} does not match its encrypted key`,
        ),
      );
    }
    const address = accountAddress(pubKey, prefix ?? QOS_ACCOUNT_PREFIX);
    return ok({
      pubKey,
      address,
      sign(bytes) {
        const opened = decryptKeystore(keystore, pw ?? wiped(), name);
        if (!opened.ok) throw opened.error;
        const { privateKey, secret } = opened.value;
        wipeBytes(secret?.entropy, secret?.passphrase);
        try {
          return secp.secp256k1Sign(privateKey, bytes);
        } finally {
          wipeBytes(privateKey);
        }
      },
      wipe() {
        wipeBytes(pw);
        pw = null;
      },
    });
  }

  return {
    accountAddress,
    deriveAccount,
    deriveKeyPair,
    createMnemonicSigner,
    createPrivateKeySigner,
    createKeystoreSigner,
  };
}
