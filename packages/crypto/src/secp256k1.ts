// secp256k1 the Cosmos way (cosmos-sdk crypto/keys/secp256k1): 33-byte compressed keys, 64-byte
// r||s low-S signatures over sha256(msg), addresses ripemd160(sha256(pk)). Shape checks live here.
import { compareBytes, QosError } from "@qos/types";
import type { CryptoBackend } from "./backend.ts";
import { CRYPTO_ERROR } from "./cryptoError.ts";

export const SECP256K1_PRIVKEY_LENGTH = 32;
export const SECP256K1_PUBKEY_LENGTH = 33;
export const SECP256K1_UNCOMPRESSED_PUBKEY_LENGTH = 65;
export const SECP256K1_SIGNATURE_LENGTH = 64;

// Group order n and floor(n/2), big-endian: a scalar or s-value is compared as 32 bytes.
const ORDER = Uint8Array.from([
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
  0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
]);
const HALF_ORDER = Uint8Array.from([
  0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

export interface Secp256k1 {
  secp256k1PublicKey(privateKey: Uint8Array, compressed?: boolean): Uint8Array;
  secp256k1Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  secp256k1Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  secp256k1Address(publicKey: Uint8Array): Uint8Array;
}

function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/** 0 < x < n for a 32-byte big-endian x. */
function isScalar(x: Uint8Array): boolean {
  return !isZero(x) && compareBytes(x, ORDER) < 0;
}

function checkPrivateKey(privateKey: Uint8Array): void {
  if (
    !(privateKey instanceof Uint8Array) ||
    privateKey.length !== SECP256K1_PRIVKEY_LENGTH ||
    !isScalar(privateKey)
  ) {
    throw new QosError(
      CRYPTO_ERROR.invalidKey,
      "secp256k1 private key must be 32 bytes, big-endian, in [1, n-1]",
    );
  }
}

/** A 33-byte compressed (02/03) or 65-byte uncompressed (04) SEC1 encoding; hybrid 06/07 is refused. */
function isPublicKeyShape(publicKey: Uint8Array): boolean {
  if (publicKey.length === SECP256K1_PUBKEY_LENGTH) {
    return publicKey[0] === 0x02 || publicKey[0] === 0x03;
  }
  return publicKey.length === SECP256K1_UNCOMPRESSED_PUBKEY_LENGTH && publicKey[0] === 0x04;
}

export function createSecp256k1(backend: CryptoBackend): Secp256k1 {
  function secp256k1PublicKey(privateKey: Uint8Array, compressed = true): Uint8Array {
    checkPrivateKey(privateKey);
    return backend.secp256k1PublicKey(privateKey, compressed);
  }

  /** Signs sha256(message): RFC 6979 nonce, low-S, 64 bytes r||s (cosmos-sdk PrivKey.Sign). */
  function secp256k1Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
    checkPrivateKey(privateKey);
    return backend.secp256k1SignDigest(privateKey, backend.sha256(message));
  }

  /**
   * cosmos-sdk PubKey.VerifySignature: 64-byte r||s, s <= n/2 (high-S is malleable and refused),
   * over sha256(message). Also refuses r or s outside [1, n-1] (the Go code reduces r mod n; an
   * honest r never needs that). Never throws.
   */
  function secp256k1Verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): boolean {
    if (
      !(publicKey instanceof Uint8Array) ||
      !(message instanceof Uint8Array) ||
      !(signature instanceof Uint8Array) ||
      signature.length !== SECP256K1_SIGNATURE_LENGTH ||
      !isPublicKeyShape(publicKey)
    ) {
      return false;
    }
    const r = signature.subarray(0, 32);
    const s = signature.subarray(32, 64);
    if (!isScalar(r) || isZero(s) || compareBytes(s, HALF_ORDER) > 0) return false;
    try {
      return backend.secp256k1VerifyDigest(publicKey, backend.sha256(message), signature);
    } catch {
      return false;
    }
  }

  /**
   * ripemd160(sha256(compressed pk)). A 65-byte key is compressed first (prefix 02|parity(y));
   * the point itself is not validated, as cosmos-sdk's Address() does not validate it either.
   */
  function secp256k1Address(publicKey: Uint8Array): Uint8Array {
    if (!(publicKey instanceof Uint8Array) || !isPublicKeyShape(publicKey)) {
      throw new QosError(
        CRYPTO_ERROR.invalidKey,
        "secp256k1 public key must be 33 bytes (02/03) or 65 bytes (04)",
      );
    }
    let compressed = publicKey;
    if (publicKey.length === SECP256K1_UNCOMPRESSED_PUBKEY_LENGTH) {
      compressed = new Uint8Array(SECP256K1_PUBKEY_LENGTH);
      compressed[0] = 0x02 | ((publicKey[64] as number) & 1);
      compressed.set(publicKey.subarray(1, 33), 1);
    }
    return backend.ripemd160(backend.sha256(compressed));
  }

  return { secp256k1PublicKey, secp256k1Sign, secp256k1Verify, secp256k1Address };
}
