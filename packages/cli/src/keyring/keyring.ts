// The keyring behind `qos keys` and `qos tx`: named secp256k1 keys kept as v3 keystores (file,
// test and memory backends), created from a mnemonic or imported, and signers over them.
import { join } from "node:path";
import {
  accountAddress,
  bech32Decode,
  createKeystoreSigner,
  decryptKeystore,
  deriveKeyPair,
  encryptKeystore,
  KEYSTORE_RANDOM_BYTES,
  type KeystoreV3,
  keystoreFromJson,
  keystoreToJson,
  mnemonicToSecret,
  QOS_ACCOUNT_PREFIX,
  SCRYPT_STANDARD,
  SCRYPT_TEST,
  type ScryptParams,
  type Secp256k1Signer,
  secp256k1PublicKey,
  wipeBytes,
} from "@qos/crypto";
import { randomBytes } from "@qos/crypto/random";
import { fromBase64 } from "@qos/types";
import { KEYRING_ERROR, keyringError } from "./keyringError.ts";
import {
  checkKeyName,
  createFileKeyStorage,
  createMemoryKeyStorage,
  type KeyStorage,
} from "./keyStorage.ts";

export type KeyringBackend = "file" | "test" | "memory";
export const KEYRING_BACKENDS: readonly KeyringBackend[] = ["file", "test", "memory"];
/** The well-known password of the test and memory backends (Cosmos's test keyring uses "test"). */
export const KEYRING_TEST_PASSWORD = "test";
/** Shortest password the file backend accepts for a new key (as the Cosmos SDK). */
export const KEYRING_MIN_PASSWORD_LENGTH = 8;

export interface KeyringOptions {
  backend: KeyringBackend;
  /** Node home: the file backend keeps keys in <home>/keyring-file/, test in <home>/keyring-test/. */
  home?: string;
  /** File backend: needed to add, import and sign (not to list, show, export or delete). */
  password?: string;
  /** Default: SCRYPT_STANDARD (n = 2^18) for file, SCRYPT_TEST (n = 2^12) for test and memory. */
  scrypt?: ScryptParams;
  /** Storage to use instead of the backend's own (e.g. one memory storage shared by keyrings). */
  storage?: KeyStorage;
}

/** What the keyring says about a key without any password. */
export interface KeyRecord {
  name: string;
  type: "local";
  address: string;
  pubKey: Uint8Array;
  /** The BIP-44 path, or null for an imported raw key. */
  hdPath: string | null;
  /** Whether the encrypted mnemonic (and BIP-39 passphrase) is stored beside the key. */
  hasMnemonic: boolean;
}

export interface NewKeyOptions {
  name: string;
  mnemonic: string;
  /** BIP-39 passphrase (the wallet's second secret), default none. */
  passphrase?: string;
  account?: number;
  index?: number;
  /** bech32 prefix, default "qosacc" (a business chain passes its own). */
  prefix?: string;
  overwrite?: boolean;
}

export interface ImportOptions {
  /** Address prefix; default the file's own (x-qos address) or "qosacc". */
  prefix?: string;
  overwrite?: boolean;
}

export interface Keyring {
  readonly backend: KeyringBackend;
  /** Directory of the key files; null for the memory backend. */
  readonly dir: string | null;
  list(): KeyRecord[];
  has(name: string): boolean;
  /** Throws keyring_key_not_found. */
  get(name: string): KeyRecord;
  /** Derives the key from the mnemonic and stores it (with the mnemonic) encrypted. */
  add(opts: NewKeyOptions): KeyRecord;
  /** Stores a v3 keystore (ours, geth's, ethers') re-encrypted under this keyring's password. */
  importKeystore(name: string, json: string, filePassword: string, opts?: ImportOptions): KeyRecord;
  /** The stored keystore JSON, still encrypted under this keyring's password. */
  exportKeystore(name: string): string;
  delete(name: string): boolean;
  /** A signer that decrypts the key for each signature and wipes it after. */
  signer(name: string): Secp256k1Signer;
}

/** Where a backend keeps its files under a node home (null for memory). */
export function keyringDir(home: string, backend: KeyringBackend): string | null {
  return backend === "memory" ? null : join(home, `keyring-${backend}`);
}

export function isKeyringBackend(value: string): value is KeyringBackend {
  return (KEYRING_BACKENDS as readonly string[]).includes(value);
}

function notFound(name: string): never {
  throw keyringError(KEYRING_ERROR.keyNotFound, `no key named '${name}' in this keyring`);
}

function recordOf(name: string, ks: KeystoreV3): KeyRecord {
  const ext = ks["x-qos"];
  const pubKey = ext?.pubkey !== undefined ? fromBase64(ext.pubkey) : null;
  if (ext?.address === undefined || pubKey === null) {
    throw keyringError(KEYRING_ERROR.io, `key file of '${name}' has no address or public key`);
  }
  return {
    name,
    type: "local",
    address: ext.address,
    pubKey,
    hdPath: ext.hdPath ?? null,
    hasMnemonic: ext.secret !== undefined,
  };
}

export function createKeyring(opts: KeyringOptions): Keyring {
  const { backend } = opts;
  if (!isKeyringBackend(backend)) {
    throw keyringError(
      KEYRING_ERROR.invalidBackend,
      `unknown keyring backend "${String(backend)}" (file, test or memory)`,
    );
  }
  let storage = opts.storage;
  if (storage === undefined) {
    if (backend === "memory") {
      storage = createMemoryKeyStorage();
    } else {
      if (opts.home === undefined) {
        throw keyringError(KEYRING_ERROR.io, `the ${backend} keyring needs a home directory`);
      }
      storage = createFileKeyStorage(keyringDir(opts.home, backend) as string);
    }
  }
  const store = storage;
  const scrypt = opts.scrypt ?? (backend === "file" ? SCRYPT_STANDARD : SCRYPT_TEST);

  function password(): string {
    if (backend !== "file") return KEYRING_TEST_PASSWORD;
    if (opts.password === undefined) {
      throw keyringError(
        KEYRING_ERROR.noPassword,
        "the file keyring needs a password: --keyring-password-file, QOS_KEYRING_PASSWORD or a terminal",
      );
    }
    return opts.password;
  }

  /** The password that encrypts a new key file: the file backend wants 8 characters or more. */
  function newKeyPassword(): string {
    const pw = password();
    if (backend === "file" && [...pw].length < KEYRING_MIN_PASSWORD_LENGTH) {
      throw keyringError(
        KEYRING_ERROR.weakPassword,
        `the keyring password must have at least ${KEYRING_MIN_PASSWORD_LENGTH} characters`,
      );
    }
    return pw;
  }

  function load(name: string): KeystoreV3 {
    const text = store.load(name) ?? notFound(name);
    const ks = keystoreFromJson(text);
    if (!ks.ok) {
      throw keyringError(KEYRING_ERROR.io, `key file of '${name}': ${ks.error.message}`);
    }
    return ks.value;
  }

  function save(name: string, ks: KeystoreV3, overwrite: boolean): KeyRecord {
    store.save(name, keystoreToJson(ks), overwrite);
    return recordOf(name, ks);
  }

  function checkFree(name: string, overwrite: boolean | undefined): void {
    checkKeyName(name);
    if (overwrite !== true && store.load(name) !== null) {
      throw keyringError(KEYRING_ERROR.keyExists, `a key named '${name}' already exists`);
    }
  }

  return {
    backend,
    dir: store.dir,
    list: () => store.names().map((n) => recordOf(n, load(n))),
    has: (name) => store.load(name) !== null,
    get: (name) => recordOf(name, load(name)),

    add(o) {
      checkFree(o.name, o.overwrite);
      const pw = newKeyPassword();
      const secret = mnemonicToSecret(o.mnemonic, o.passphrase);
      if (!secret.ok) throw secret.error;
      const pair = deriveKeyPair({
        secret: secret.value,
        ...(o.account !== undefined ? { account: o.account } : {}),
        ...(o.index !== undefined ? { index: o.index } : {}),
        ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
      });
      try {
        const ks = encryptKeystore({
          privateKey: pair.privateKey,
          password: pw,
          random: randomBytes(KEYSTORE_RANDOM_BYTES),
          scrypt,
          secret: secret.value,
          meta: { name: o.name, address: pair.address, pubKey: pair.pubKey, hdPath: pair.hdPath },
        });
        return save(o.name, ks, o.overwrite === true);
      } finally {
        wipeBytes(pair.privateKey, secret.value.entropy, secret.value.passphrase);
      }
    },

    importKeystore(name, json, filePassword, o = {}) {
      checkFree(name, o.overwrite);
      const pw = newKeyPassword();
      const parsed = keystoreFromJson(json);
      if (!parsed.ok) throw parsed.error;
      const opened = decryptKeystore(parsed.value, filePassword, name);
      if (!opened.ok) throw opened.error;
      const { privateKey, secret } = opened.value;
      try {
        const ext = parsed.value["x-qos"];
        const fileAddress = ext?.address !== undefined ? bech32Decode(ext.address) : null;
        const prefix =
          o.prefix ?? (fileAddress?.ok ? fileAddress.value.prefix : QOS_ACCOUNT_PREFIX);
        const pubKey = secp256k1PublicKey(privateKey);
        const address = accountAddress(pubKey, prefix);
        const ks = encryptKeystore({
          privateKey,
          password: pw,
          random: randomBytes(KEYSTORE_RANDOM_BYTES),
          scrypt,
          ...(secret !== null ? { secret } : {}),
          meta: {
            name,
            address,
            pubKey,
            ...(ext?.hdPath !== undefined && secret !== null ? { hdPath: ext.hdPath } : {}),
          },
        });
        return save(name, ks, o.overwrite === true);
      } finally {
        wipeBytes(privateKey, secret?.entropy, secret?.passphrase);
      }
    },

    exportKeystore: (name) => keystoreToJson(load(name)),

    delete(name) {
      checkKeyName(name);
      return store.remove(name);
    },

    signer(name) {
      const ks = load(name);
      const record = recordOf(name, ks);
      const prefix = bech32Decode(record.address);
      const s = createKeystoreSigner(ks, password(), {
        name,
        ...(prefix.ok ? { prefix: prefix.value.prefix } : {}),
      });
      if (!s.ok) throw s.error;
      return s.value;
    },
  };
}
