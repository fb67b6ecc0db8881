// The verified-signature cache: CheckTx records each successful secp256k1 verification and
// FinalizeBlock skips re-verifying a hit. The key covers sign bytes, public key AND signature,
// so a hit means exactly this (message, key, signature) verified before: the outcome is the same
// on every node whether or not it cached it. Bounded (oldest entries evicted first).

import { sha256 } from "@qos/crypto";
import { concatBytes } from "@qos/types";
import { bytesKey } from "./branchStore.ts";

export interface SigCache {
  readonly size: number;
  has(signBytes: Uint8Array, pubKey: Uint8Array, signature: Uint8Array): boolean;
  add(signBytes: Uint8Array, pubKey: Uint8Array, signature: Uint8Array): void;
  readonly hits: number;
}

function cacheKey(signBytes: Uint8Array, pubKey: Uint8Array, signature: Uint8Array): string {
  // Lengths first: the concatenation is unambiguous.
  const lens = Uint8Array.of(pubKey.length, signature.length);
  return bytesKey(sha256(concatBytes(lens, pubKey, signature, signBytes)));
}

export function createSigCache(capacity = 20_000): SigCache {
  const entries = new Set<string>();
  let hits = 0;
  return {
    get size() {
      return entries.size;
    },
    get hits() {
      return hits;
    },
    has(signBytes, pubKey, signature) {
      const hit = entries.has(cacheKey(signBytes, pubKey, signature));
      if (hit) hits++;
      return hit;
    },
    add(signBytes, pubKey, signature) {
      const k = cacheKey(signBytes, pubKey, signature);
      if (entries.has(k)) return;
      entries.add(k);
      if (entries.size > capacity) {
        const oldest = entries.values().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
    },
  };
}
