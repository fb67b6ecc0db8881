// Node-only backend: libsodium (sodium-native) for ed25519 and short sha256, libsecp256k1 (the
// `secp256k1` addon) for ECDSA, OpenSSL (node:crypto) for long sha256 and ripemd160.
import { createHash, hash as opensslHash } from "node:crypto";
import { createRequire } from "node:module";
import { ripemd160 as nobleRipemd160 } from "@noble/hashes/legacy.js";
import type { CryptoBackend } from "./backend.ts";
import { nobleBackend, nobleEd25519VerifyZip215 } from "./nobleBackend.ts";

// The addons' published typings predate Uint8Array support (they say Buffer); these are the
// calls we make, typed as the addons accept them since sodium-native 4 / secp256k1 4.
interface SodiumNative {
  crypto_hash_sha256(out: Uint8Array, data: Uint8Array): void;
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  crypto_sign_verify_detached(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ): boolean;
  crypto_core_ed25519_is_valid_point(point: Uint8Array): boolean;
}

interface Secp256k1Native {
  publicKeyCreate(privateKey: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaSign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaVerify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean;
}

const require = createRequire(import.meta.url);
const sodium = require("sodium-native") as SodiumNative;

/**
 * `secp256k1`'s index.js silently falls back to the pure-JS `elliptic` when the addon fails to
 * load; loading `bindings.js` directly gets libsecp256k1 or an error, and on error we use @noble
 * (audited) instead, and say so in `info.secp256k1`.
 */
function loadSecp256k1(): Secp256k1Native | null {
  try {
    return require("secp256k1/bindings.js") as Secp256k1Native;
  } catch {
    return null;
  }
}
const secp = loadSecp256k1();

/**
 * Up to two SHA-256 blocks (119 bytes: merkle leaves of hashes, inner nodes) libsodium's sha256
 * wins or ties (one addon call, no hash object); above, OpenSSL's SHA-NI code wins. Measured in
 * bench/crypto.bench.ts ("sha256 by input length").
 */
const SODIUM_SHA256_MAX = 119;

const opensslSha256: (data: Uint8Array) => Uint8Array =
  typeof opensslHash === "function"
    ? (data) => new Uint8Array(opensslHash("sha256", data, "buffer"))
    : (data) => new Uint8Array(createHash("sha256").update(data).digest());

/**
 * Into a caller's buffer: libsodium writes it directly (no 32-byte array per call; reuse one
 * `out`, since handing a new small array to the addon costs more than the hash).
 */
function sha256Into(out: Uint8Array, data: Uint8Array): void {
  if (data.length <= SODIUM_SHA256_MAX) sodium.crypto_hash_sha256(out, data);
  else out.set(opensslSha256(data));
}

function sha256(data: Uint8Array): Uint8Array {
  if (data.length <= SODIUM_SHA256_MAX) {
    const out = new Uint8Array(32);
    sodium.crypto_hash_sha256(out, data);
    return out;
  }
  return opensslSha256(data);
}

/** OpenSSL 3 keeps ripemd160 in its legacy provider; a Node built without it gets @noble. */
function pickRipemd160(): { fn: (data: Uint8Array) => Uint8Array; name: string } {
  const node = (data: Uint8Array): Uint8Array =>
    new Uint8Array(createHash("ripemd160").update(data).digest());
  try {
    const probe = node(new Uint8Array(0));
    const expected = nobleRipemd160(new Uint8Array(0));
    if (probe.length === expected.length && probe.every((b, i) => b === expected[i])) {
      return { fn: node, name: "node:crypto (OpenSSL)" };
    }
  } catch {
    // fall through to @noble
  }
  return { fn: (data) => nobleRipemd160(data), name: "@noble/hashes" };
}
const ripemd160 = pickRipemd160();

export const nodeBackend: CryptoBackend = {
  info: {
    sha256: `sodium-native (<= ${SODIUM_SHA256_MAX} bytes), node:crypto (longer)`,
    ripemd160: ripemd160.name,
    ed25519: "sodium-native, @noble/curves zip215 for rejected keys/R with a torsion component",
    secp256k1: secp === null ? "@noble/curves (libsecp256k1 failed to load)" : "libsecp256k1",
  },
  sha256,
  sha256Into,
  ripemd160: ripemd160.fn,
  ed25519PublicKey(seed) {
    const publicKey = new Uint8Array(32);
    const secretKey = new Uint8Array(64);
    sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed);
    secretKey.fill(0);
    return publicKey;
  },
  ed25519Sign(privateKey, message) {
    const signature = new Uint8Array(64);
    sodium.crypto_sign_detached(signature, message, privateKey);
    return signature;
  },
  /**
   * ZIP-215 with native speed on every honest input. libsodium accepts a strict subset of ZIP-215
   * (canonical A and R, neither of small order, cofactorless equation), so its "yes" is final.
   * Its "no" is final too when A and R are canonical points of the prime-order subgroup
   * (crypto_core_ed25519_is_valid_point): then X = [S]B - R - [k]A lies in that subgroup, whose
   * order is odd, so [8]X = 0 (ZIP-215) holds only if X = 0 (libsodium). Only a "no" on keys or
   * R values with a small-order component or a non-canonical encoding goes to @noble's ZIP-215.
   */
  ed25519Verify(publicKey, message, signature) {
    if (sodium.crypto_sign_verify_detached(signature, message, publicKey)) return true;
    if (
      sodium.crypto_core_ed25519_is_valid_point(publicKey) &&
      sodium.crypto_core_ed25519_is_valid_point(signature.subarray(0, 32))
    ) {
      return false;
    }
    return nobleEd25519VerifyZip215(publicKey, message, signature);
  },
  secp256k1PublicKey:
    secp === null
      ? nobleBackend.secp256k1PublicKey
      : (privateKey, compressed) => secp.publicKeyCreate(privateKey, compressed),
  secp256k1SignDigest:
    secp === null
      ? nobleBackend.secp256k1SignDigest
      : (privateKey, digest) => secp.ecdsaSign(digest, privateKey).signature,
  secp256k1VerifyDigest:
    secp === null
      ? nobleBackend.secp256k1VerifyDigest
      : (publicKey, digest, signature) => {
          try {
            return secp.ecdsaVerify(signature, digest, publicKey);
          } catch {
            return false;
          }
        },
};
