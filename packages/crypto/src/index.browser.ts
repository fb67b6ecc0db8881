// @qos/crypto in the browser: @noble backends, no node: imports, no I/O. Same API as index.ts;
// everything but the backend is shared (cryptoApi.ts, common.ts).
import { createCryptoApi } from "./cryptoApi.ts";
import { nobleBackend } from "./nobleBackend.ts";

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
} = createCryptoApi(nobleBackend);
