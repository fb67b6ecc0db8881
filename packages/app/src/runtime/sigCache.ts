// The verified-signature cache: CheckTx records each successful secp256k1 verification and
// FinalizeBlock skips re-verifying a hit. An entry is found by its signature and holds copies
// of the public key and sign bytes, compared byte for byte: a hit means exactly this (message,
// key, signature) verified before, so the outcome is the same on every node whether or not it
// cached it. Bounded: two generations of half the capacity, the older dropped when the newer fills.

import { equalBytes } from "@qos/types";
import { bytesKey } from "./branchStore.ts";

export interface SigCache {
  readonly size: number;
  has(signBytes: Uint8Array, pubKey: Uint8Array, signature: Uint8Array): boolean;
  add(signBytes: Uint8Array, pubKey: Uint8Array, signature: Uint8Array): void;
  readonly hits: number;
}

interface Entry {
  readonly pubKey: Uint8Array;
  readonly signBytes: Uint8Array;
}

export function createSigCache(capacity = 20_000): SigCache {
  const generation = Math.max(1, Math.ceil(capacity / 2));
  let current = new Map<string, Entry>();
  let older = new Map<string, Entry>();
  let hits = 0;
  const matches = (e: Entry | undefined, signBytes: Uint8Array, pubKey: Uint8Array): boolean =>
    e !== undefined && equalBytes(e.pubKey, pubKey) && equalBytes(e.signBytes, signBytes);
  return {
    get size() {
      return current.size + older.size;
    },
    get hits() {
      return hits;
    },
    has(signBytes, pubKey, signature) {
      const k = bytesKey(signature);
      const hit =
        matches(current.get(k), signBytes, pubKey) || matches(older.get(k), signBytes, pubKey);
      if (hit) hits++;
      return hit;
    },
    add(signBytes, pubKey, signature) {
      const k = bytesKey(signature);
      if (matches(current.get(k), signBytes, pubKey)) return;
      if (current.size >= generation) {
        older = current;
        current = new Map();
      }
      current.set(k, { pubKey: pubKey.slice(), signBytes: signBytes.slice() });
    },
  };
}
