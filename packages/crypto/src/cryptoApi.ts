// Binds every environment-independent algorithm (merkle, ICS-23 proofs, key and signature rules,
// addresses) to one backend. Both entries (index.ts for Node, index.browser.ts) export what this returns.
import type { CryptoBackend, CryptoBackendInfo } from "./backend.ts";
import { createEd25519, type Ed25519 } from "./ed25519.ts";
import { createIcs23Verifier, type Ics23Verifier } from "./ics23/ics23Verifier.ts";
import { createStoreProofVerifier, type StoreProofVerifier } from "./ics23/storeProof.ts";
import { createStoreReadsVerifier, type StoreReadsVerifier } from "./ics23/storeReadProof.ts";
import { createMerkle, type Merkle } from "./merkle.ts";
import { createSecp256k1, type Secp256k1 } from "./secp256k1.ts";
import { createWallet, type Wallet } from "./wallet/wallet.ts";

export interface CryptoApi
  extends Merkle,
    Ed25519,
    Secp256k1,
    Ics23Verifier,
    StoreProofVerifier,
    StoreReadsVerifier,
    Wallet {
  /** Which implementation serves each primitive in this entry (worth a line in the node's log). */
  cryptoBackendInfo: CryptoBackendInfo;
  sha256(data: Uint8Array): Uint8Array;
  /** sha256 into a 32-byte `out` (reuse one buffer in hot loops); `out` must not overlap `data`. */
  sha256Into(out: Uint8Array, data: Uint8Array): void;
  ripemd160(data: Uint8Array): Uint8Array;
}

export function createCryptoApi(backend: CryptoBackend): CryptoApi {
  const ics23 = createIcs23Verifier(backend);
  const secp256k1 = createSecp256k1(backend);
  return {
    cryptoBackendInfo: backend.info,
    sha256: backend.sha256,
    sha256Into: backend.sha256Into,
    ripemd160: backend.ripemd160,
    ...createMerkle(backend.sha256),
    ...createEd25519(backend),
    ...secp256k1,
    ...createWallet(secp256k1),
    ...ics23,
    ...createStoreProofVerifier(ics23),
    ...createStoreReadsVerifier(ics23),
  };
}
