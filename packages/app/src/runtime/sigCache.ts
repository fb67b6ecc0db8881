// The verified-signature cache: each successful secp256k1 verification (CheckTx's, or the node's
// verifier ahead of CheckTx) is recorded, and a later check of the same tx skips re-verifying a
// hit. An entry holds copies of the public key, sign bytes and signature, compared byte for
// byte: a hit means exactly this (message, key, signature) verified before, so the outcome is
// the same on every node whether or not it cached it. Entries are filed by their signature in a
// bounded bytes cache (two generations; see bytesCache.ts). A signature cached with one (key,
// message) stays with it: the same signature bytes offered with another pair are a miss and
// are verified.

import { copyBytes, equalBytes } from "@qos/types";
import { createBytesCache } from "./bytesCache.ts";

export interface SigCache {
  readonly size: number;
  has(signBytes: Uint8Array, pubKey: Uint8Array, signature: Uint8Array): boolean;
  add(signBytes: Uint8Array, pubKey: Uint8Array, signature: Uint8Array): void;
  readonly hits: number;
}

interface Signed {
  readonly pubKey: Uint8Array;
  readonly signBytes: Uint8Array;
}

export function createSigCache(capacity = 20_000): SigCache {
  const bySignature = createBytesCache<Signed>(capacity);
  let hits = 0;
  return {
    get size() {
      return bySignature.size;
    },
    get hits() {
      return hits;
    },
    has(signBytes, pubKey, signature) {
      const e = bySignature.get(signature);
      const hit =
        e !== undefined && equalBytes(e.pubKey, pubKey) && equalBytes(e.signBytes, signBytes);
      if (hit) hits++;
      return hit;
    },
    add(signBytes, pubKey, signature) {
      if (bySignature.get(signature) !== undefined) return;
      bySignature.set(copyBytes(signature), {
        pubKey: copyBytes(pubKey),
        signBytes: copyBytes(signBytes),
      });
    },
  };
}
