// The backend-free part of the HD wallet and keystore, re-exported by both entries through
// common.ts. The backend-bound part (deriveAccount, signers) comes from createWallet in cryptoApi.
export {
  BIP44_PURPOSE,
  deriveHdKey,
  HARDENED_OFFSET,
  parseHdPath,
  QOS_COIN_TYPE,
  qosHdPath,
} from "./hdPath.ts";
export {
  type DecryptedKeystore,
  decryptKeystore,
  type EncryptKeystoreOptions,
  encryptKeystore,
  KEYSTORE_MAX_SCRYPT_N,
  KEYSTORE_RANDOM_BYTES,
  type KeystoreCipherJson,
  type KeystoreCryptoJson,
  type KeystoreMeta,
  type KeystoreV3,
  keystoreFromJson,
  keystoreToJson,
  type Pbkdf2KdfJson,
  passwordToBytes,
  type QosKeystoreExtension,
  SCRYPT_STANDARD,
  SCRYPT_TEST,
  type ScryptKdfJson,
  type ScryptParams,
} from "./keystore.ts";
export {
  entropyToMnemonic,
  isValidMnemonic,
  MNEMONIC_DEFAULT_WORDS,
  MNEMONIC_ENTROPY_LENGTHS,
  type MnemonicSecret,
  mnemonicToEntropy,
  mnemonicToSecret,
  mnemonicToSeed,
  normalizeMnemonic,
  RANDOM_PASSPHRASE_BYTES,
  randomSecretToPassphrase,
  secretToMnemonic,
  secretToSeed,
} from "./mnemonic.ts";
export {
  type AccountPosition,
  type DeriveAccountOptions,
  type KeystoreSignerOptions,
  QOS_ACCOUNT_PREFIX,
  type Secp256k1Signer,
  type Wallet,
  type WalletAccount,
  type WalletKeyPair,
} from "./wallet.ts";
export {
  type KeystoreError,
  WALLET_ERROR,
  type WalletError,
  type WalletErrorCode,
} from "./walletError.ts";
export { constantTimeEqual, wipeBytes } from "./wipeBytes.ts";
