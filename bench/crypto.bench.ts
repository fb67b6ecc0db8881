// @qos/crypto throughput beside the raw native calls it wraps (the machine's limit for that work).
// Run: npx vitest bench --run bench/crypto.bench.ts
import { createHash, hash as opensslHash } from "node:crypto";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 as nobleSecp } from "@noble/curves/secp256k1.js";
import { ripemd160 as nobleRipemd160 } from "@noble/hashes/legacy.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import * as qos from "@qos/crypto";
import { bench, describe } from "vitest";
import * as browser from "../packages/crypto/src/index.browser.ts";

const require = createRequire(import.meta.url);
const sodium = require("sodium-native") as {
  crypto_sign_verify_detached(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean;
  crypto_hash_sha256(out: Uint8Array, data: Uint8Array): void;
};
const libsecp = require("secp256k1/bindings.js") as {
  ecdsaVerify(sig: Uint8Array, digest: Uint8Array, pk: Uint8Array): boolean;
};

const cpu = cpus();
console.log(
  `machine: ${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}; single-threaded figures, ` +
    `the "raw" rows are the native library with no wrapper (the ceiling for that row's work)`,
);
console.log("backends:", qos.cryptoBackendInfo);

// 64 distinct keys and ~120-byte messages (about a CometBFT precommit's sign bytes), rotated.
const COUNT = 64;
const messages = Array.from({ length: COUNT }, (_, i) =>
  Uint8Array.from({ length: 120 }, (_, j) => (i * 31 + j * 7) & 255),
);
const edKeys = messages.map((_, i) => qos.ed25519KeyFromSeed(new Uint8Array(32).fill(i + 1)));
const edSigs = messages.map((m, i) =>
  qos.ed25519Sign((edKeys[i] as (typeof edKeys)[0]).privateKey, m),
);
const edBadSigs = edSigs.map((s) => {
  const t = s.slice();
  t[0] = (t[0] as number) ^ 1; // R changes, S stays canonical: the full ZIP-215 re-check runs
  return t;
});
const secpPriv = messages.map((_, i) => {
  const k = new Uint8Array(32);
  k[31] = i + 1;
  k[0] = 0x11;
  return k;
});
const secpPubs = secpPriv.map((k) => qos.secp256k1PublicKey(k));
const secpSigs = messages.map((m, i) => qos.secp256k1Sign(secpPriv[i] as Uint8Array, m));
const secpDigests = messages.map((m) => qos.sha256(m));

let i = 0;
const next = () => {
  i = (i + 1) % COUNT;
  return i;
};
const at = <T>(xs: readonly T[], k: number) => xs[k] as T;

describe("ed25519 verify, valid signature", () => {
  bench("raw sodium.crypto_sign_verify_detached", () => {
    const k = next();
    sodium.crypto_sign_verify_detached(at(edSigs, k), at(messages, k), at(edKeys, k).publicKey);
  });
  bench("@qos/crypto ed25519Verify (Node)", () => {
    const k = next();
    qos.ed25519Verify(at(edKeys, k).publicKey, at(messages, k), at(edSigs, k));
  });
  bench("@noble/curves ed25519.verify (zip215)", () => {
    const k = next();
    ed25519.verify(at(edSigs, k), at(messages, k), at(edKeys, k).publicKey);
  });
  bench("@qos/crypto ed25519Verify (browser entry)", () => {
    const k = next();
    browser.ed25519Verify(at(edKeys, k).publicKey, at(messages, k), at(edSigs, k));
  });
});

describe("ed25519 verify, invalid signature (sodium says no, ZIP-215 re-check runs)", () => {
  bench("raw sodium.crypto_sign_verify_detached", () => {
    const k = next();
    sodium.crypto_sign_verify_detached(at(edBadSigs, k), at(messages, k), at(edKeys, k).publicKey);
  });
  bench("@qos/crypto ed25519Verify (Node)", () => {
    const k = next();
    qos.ed25519Verify(at(edKeys, k).publicKey, at(messages, k), at(edBadSigs, k));
  });
});

describe("secp256k1 verify (message 120 bytes)", () => {
  bench("raw libsecp256k1 ecdsaVerify (digest precomputed)", () => {
    const k = next();
    libsecp.ecdsaVerify(at(secpSigs, k), at(secpDigests, k), at(secpPubs, k));
  });
  bench("raw libsecp256k1 ecdsaVerify + sha256", () => {
    const k = next();
    libsecp.ecdsaVerify(at(secpSigs, k), qos.sha256(at(messages, k)), at(secpPubs, k));
  });
  bench("@qos/crypto secp256k1Verify (Node)", () => {
    const k = next();
    qos.secp256k1Verify(at(secpPubs, k), at(messages, k), at(secpSigs, k));
  });
  bench("@noble/curves secp256k1.verify", () => {
    const k = next();
    nobleSecp.verify(at(secpSigs, k), at(secpDigests, k), at(secpPubs, k), { prehash: false });
  });
});

const b64 = Uint8Array.from({ length: 64 }, (_, j) => j);
describe("sha256 of 64 bytes", () => {
  bench("@qos/crypto sha256 (Node)", () => {
    qos.sha256(b64);
  });
  bench("raw sodium crypto_hash_sha256", () => {
    sodium.crypto_hash_sha256(new Uint8Array(32), b64);
  });
  bench("node:crypto hash() one-shot", () => {
    opensslHash("sha256", b64, "buffer");
  });
  bench("node:crypto createHash", () => {
    createHash("sha256").update(b64).digest();
  });
  bench("@noble/hashes sha256", () => {
    nobleSha256(b64);
  });
});

// Where the Node backend switches from libsodium to OpenSSL (SODIUM_SHA256_MAX in nodeBackend.ts).
for (const size of [33, 65, 119, 183, 512, 1024]) {
  const data = Uint8Array.from({ length: size }, (_, j) => j & 255);
  describe(`sha256 by input length: ${size} bytes`, () => {
    bench("libsodium", () => {
      sodium.crypto_hash_sha256(new Uint8Array(32), data);
    });
    bench("node:crypto hash()", () => {
      opensslHash("sha256", data, "buffer");
    });
    bench("@noble/hashes", () => {
      nobleSha256(data);
    });
  });
}

const d32 = qos.sha256(b64);
describe("ripemd160 of 32 bytes (addresses)", () => {
  bench("node:crypto createHash", () => {
    createHash("ripemd160").update(d32).digest();
  });
  bench("@noble/hashes ripemd160", () => {
    nobleRipemd160(d32);
  });
});

const items1000 = Array.from({ length: 1000 }, (_, k) =>
  qos.sha256(Uint8Array.of(k >> 8, k & 255)),
);
describe("merkleRoot of 1000 32-byte items", () => {
  bench("@qos/crypto merkleRoot (Node)", () => {
    qos.merkleRoot(items1000);
  });
  bench("@qos/crypto merkleRoot (browser entry)", () => {
    browser.merkleRoot(items1000);
  });
  bench("@qos/crypto merkleProofs (Node)", () => {
    qos.merkleProofs(items1000);
  });
});
