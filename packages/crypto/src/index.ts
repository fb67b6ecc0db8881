// @qos/crypto on Node: native backends (sodium-native, libsecp256k1, OpenSSL). Same API as
// index.browser.ts; everything but the backend is shared (cryptoApi.ts, common.ts).
import { createCryptoApi } from "./cryptoApi.ts";
import { nodeBackend } from "./nodeBackend.ts";

export * from "./common.ts";

export const {
  cryptoBackendInfo,
  sha256,
  sha256Into,
  ripemd160,
  merkleLeafHash,
  merkleInnerHash,
  merkleRoot,
  merkleProofs,
  merkleProofRoot,
  verifyMerkleProof,
  verifyMembership,
  verifyNonMembership,
  calculateCommitmentRoot,
  verifyStoreProof,
  verifyStoreReads,
  ed25519KeyFromSeed,
  ed25519Sign,
  ed25519Verify,
  ed25519Address,
  secp256k1PublicKey,
  secp256k1Sign,
  secp256k1Verify,
  secp256k1Address,
  accountAddress,
  deriveAccount,
  deriveKeyPair,
  createMnemonicSigner,
  createPrivateKeySigner,
  createKeystoreSigner,
} = createCryptoApi(nodeBackend);
