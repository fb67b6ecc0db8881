// Pure-JS backend on audited @noble libraries: the browser's backend, and the Node backend's
// ZIP-215 fallback. No I/O, no randomness (RFC 6979 and RFC 8032 signing are deterministic).
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { ripemd160 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { CryptoBackend } from "./backend.ts";

/**
 * ZIP-215 ed25519 verification (noble's `zip215: true`): S must be < L; A and R may be
 * non-canonical or small-order encodings; the cofactored equation [8][S]B = [8]R + [8][k]A decides.
 */
export function nobleEd25519VerifyZip215(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: true });
  } catch {
    return false;
  }
}

export const nobleBackend: CryptoBackend = {
  info: {
    sha256: "@noble/hashes",
    ripemd160: "@noble/hashes",
    ed25519: "@noble/curves (zip215)",
    secp256k1: "@noble/curves",
  },
  sha256: (data) => sha256(data),
  sha256Into: (out, data) => out.set(sha256(data)),
  ripemd160: (data) => ripemd160(data),
  ed25519PublicKey: (seed) => ed25519.getPublicKey(seed),
  ed25519Sign: (privateKey, message) => ed25519.sign(message, privateKey.subarray(0, 32)),
  ed25519Verify: nobleEd25519VerifyZip215,
  secp256k1PublicKey: (privateKey, compressed) => secp256k1.getPublicKey(privateKey, compressed),
  secp256k1SignDigest: (privateKey, digest) =>
    secp256k1.sign(digest, privateKey, { prehash: false, lowS: true, format: "compact" }),
  secp256k1VerifyDigest: (publicKey, digest, signature) => {
    try {
      return secp256k1.verify(signature, digest, publicKey, {
        prehash: false,
        lowS: true,
        format: "compact",
      });
    } catch {
      return false;
    }
  },
};
