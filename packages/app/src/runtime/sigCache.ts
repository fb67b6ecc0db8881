// The verified-signature cache: each successful secp256k1 verification (CheckTx's, or the node's
// verifier ahead of CheckTx) is recorded, and a later check of the same tx skips re-verifying a
// hit. An entry holds copies of the public key, sign bytes and signature, compared byte for
// byte: a hit means exactly this (message, key, signature) verified before, so the outcome is
// the same on every node whether or not it cached it. Entries are found by the signature's
// first 6 bytes (the top of r, a number: no string to build and hash); the few that share them
// sit in one bucket. Bounded: two generations of half the capacity, the older dropped when the
// newer fills.

import { equalBytes } from "@qos/types";

export interface SigCache {
  readonly size: number;
  has(signBytes: Uint8Array, pubKey: Uint8Array, signature: Uint8Array): boolean;
  add(signBytes: Uint8Array, pubKey: Uint8Array, signature: Uint8Array): void;
  readonly hits: number;
}

interface Entry {
  readonly pubKey: Uint8Array;
  readonly signBytes: Uint8Array;
  readonly signature: Uint8Array;
}

type Bucket = Entry | Entry[];

/** The lookup number of a signature: its first 6 bytes (48 bits, exact as a double). */
function slotOf(signature: Uint8Array): number {
  let n = 0;
  const end = Math.min(6, signature.length);
  for (let i = 0; i < end; i++) n = n * 256 + (signature[i] as number);
  return n * 8 + end; // the length (≤ 6) apart, so a short signature is not a longer one's prefix
}

function matches(e: Entry, signBytes: Uint8Array, pubKey: Uint8Array, sig: Uint8Array): boolean {
  return (
    equalBytes(e.signature, sig) &&
    equalBytes(e.pubKey, pubKey) &&
    equalBytes(e.signBytes, signBytes)
  );
}

function bucketHas(
  b: Bucket | undefined,
  signBytes: Uint8Array,
  pubKey: Uint8Array,
  sig: Uint8Array,
): boolean {
  if (b === undefined) return false;
  if (!Array.isArray(b)) return matches(b, signBytes, pubKey, sig);
  for (const e of b) if (matches(e, signBytes, pubKey, sig)) return true;
  return false;
}

export function createSigCache(capacity = 20_000): SigCache {
  const generation = Math.max(1, Math.ceil(capacity / 2));
  let current = new Map<number, Bucket>();
  let currentSize = 0;
  let older = new Map<number, Bucket>();
  let olderSize = 0;
  let hits = 0;
  return {
    get size() {
      return currentSize + olderSize;
    },
    get hits() {
      return hits;
    },
    has(signBytes, pubKey, signature) {
      const slot = slotOf(signature);
      const hit =
        bucketHas(current.get(slot), signBytes, pubKey, signature) ||
        bucketHas(older.get(slot), signBytes, pubKey, signature);
      if (hit) hits++;
      return hit;
    },
    add(signBytes, pubKey, signature) {
      const slot = slotOf(signature);
      if (bucketHas(current.get(slot), signBytes, pubKey, signature)) return;
      if (currentSize >= generation) {
        older = current;
        olderSize = currentSize;
        current = new Map();
        currentSize = 0;
      }
      const e: Entry = {
        pubKey: pubKey.slice(),
        signBytes: signBytes.slice(),
        signature: signature.slice(),
      };
      const b = current.get(slot);
      if (b === undefined) current.set(slot, e);
      else if (Array.isArray(b)) b.push(e);
      else current.set(slot, [b, e]);
      currentSize++;
    },
  };
}
