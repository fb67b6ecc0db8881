// Ed25519 as CometBFT uses it (crypto/ed25519): 64-byte seed||pub private keys, ZIP-215
// verification, addresses sha256(pk)[:20]. Length checks live here; the math is the backend's.
import { equalBytes, QosError } from "@qos/types";
import type { CryptoBackend } from "./backend.ts";
import { CRYPTO_ERROR } from "./cryptoError.ts";

export const ED25519_PUBKEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;
export const ED25519_SEED_LENGTH = 32;
/** CometBFT's priv_key layout: seed (32) || public key (32). */
export const ED25519_PRIVKEY_LENGTH = 64;
/** tmhash.TruncatedSize. */
export const ADDRESS_LENGTH = 20;

export interface Ed25519 {
  ed25519KeyFromSeed(seed: Uint8Array): { publicKey: Uint8Array; privateKey: Uint8Array };
  ed25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  ed25519Address(publicKey: Uint8Array): Uint8Array;
}

function invalidKey(message: string): QosError<typeof CRYPTO_ERROR.invalidKey> {
  return new QosError(CRYPTO_ERROR.invalidKey, message);
}

export function createEd25519(backend: CryptoBackend): Ed25519 {
  function ed25519KeyFromSeed(seed: Uint8Array): { publicKey: Uint8Array; privateKey: Uint8Array } {
    if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SEED_LENGTH) {
      throw invalidKey(`ed25519 seed must be ${ED25519_SEED_LENGTH} bytes`);
    }
    const publicKey = backend.ed25519PublicKey(seed);
    const privateKey = new Uint8Array(ED25519_PRIVKEY_LENGTH);
    privateKey.set(seed, 0);
    privateKey.set(publicKey, ED25519_SEED_LENGTH);
    return { publicKey, privateKey };
  }

  /**
   * Signs with a 64-byte seed||pub key. The public half is re-derived from the seed and must
   * match: signing one message under two different public keys would leak the private scalar.
   */
  function ed25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
    if (!(privateKey instanceof Uint8Array) || privateKey.length !== ED25519_PRIVKEY_LENGTH) {
      throw invalidKey(`ed25519 private key must be ${ED25519_PRIVKEY_LENGTH} bytes (seed||pub)`);
    }
    const derived = backend.ed25519PublicKey(privateKey.subarray(0, ED25519_SEED_LENGTH));
    if (!equalBytes(derived, privateKey.subarray(ED25519_SEED_LENGTH))) {
      throw invalidKey("ed25519 private key: public half does not match the seed");
    }
    return backend.ed25519Sign(privateKey, message);
  }

  /** ZIP-215 verification (see README). Wrong lengths or any internal error give false. */
  function ed25519Verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): boolean {
    if (
      !(publicKey instanceof Uint8Array) ||
      !(message instanceof Uint8Array) ||
      !(signature instanceof Uint8Array) ||
      publicKey.length !== ED25519_PUBKEY_LENGTH ||
      signature.length !== ED25519_SIGNATURE_LENGTH
    ) {
      return false;
    }
    try {
      return backend.ed25519Verify(publicKey, message, signature);
    } catch {
      return false;
    }
  }

  /** tmhash.SumTruncated(pk): the first 20 bytes of sha256(pk). */
  function ed25519Address(publicKey: Uint8Array): Uint8Array {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBKEY_LENGTH) {
      throw invalidKey(`ed25519 public key must be ${ED25519_PUBKEY_LENGTH} bytes`);
    }
    return backend.sha256(publicKey).slice(0, ADDRESS_LENGTH);
  }

  return { ed25519KeyFromSeed, ed25519Sign, ed25519Verify, ed25519Address };
}
