// What both entries re-export unchanged: constants, types, error codes and bech32 (no backend needed).
export type { CryptoBackend, CryptoBackendInfo } from "./backend.ts";
export { BECH32_MAX_LENGTH, bech32Decode, bech32Encode } from "./bech32.ts";
export type { CryptoApi } from "./cryptoApi.ts";
export {
  type Bech32DecodeError,
  CRYPTO_ERROR,
  type CryptoErrorCode,
  type InvalidKeyError,
} from "./cryptoError.ts";
export {
  ADDRESS_LENGTH,
  ED25519_PRIVKEY_LENGTH,
  ED25519_PUBKEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
} from "./ed25519.ts";
export type { HashOutcome } from "./ics23/ics23Ops.ts";
export { ICS23_REASON, type Ics23Reason, type Ics23Verdict } from "./ics23/ics23Verdict.ts";
export type { Ics23ProofInput, Ics23ProofSpec, Ics23Verifier } from "./ics23/ics23Verifier.ts";
export { iavlSpec, proofSpecEquals, tendermintSpec } from "./ics23/proofSpecs.ts";
export {
  PROOF_OP_IAVL,
  PROOF_OP_SIMPLE,
  type StoreProofOp,
  type StoreProofRequest,
  type StoreProofVerifier,
} from "./ics23/storeProof.ts";
export type {
  ProvenEntry,
  ProvenGap,
  ProvenStoreReads,
  StoreReadsProofRequest,
  StoreReadsVerdict,
  StoreReadsVerifier,
} from "./ics23/storeReadProof.ts";
export { MERKLE_MAX_AUNTS, type MerkleProof } from "./merkle.ts";
export {
  SECP256K1_PRIVKEY_LENGTH,
  SECP256K1_PUBKEY_LENGTH,
  SECP256K1_SIGNATURE_LENGTH,
  SECP256K1_UNCOMPRESSED_PUBKEY_LENGTH,
} from "./secp256k1.ts";
export * from "./wallet/index.ts";
