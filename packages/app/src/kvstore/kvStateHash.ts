// The kvstore's state layout in LMDB and its app hash: SHA-256 over the length-prefixed
// (key, value) entries of the hashed namespaces, in ascending byte order of the key.

import { sha256 } from "@qos/crypto";
import { compareBytes, concatBytes } from "@qos/types";

/** First byte of every LMDB key: which namespace it belongs to. */
export const KV_NS = {
  /** 0x00 ‖ name: height, app hash, tx count. Not part of the app hash. */
  meta: 0x00,
  /** 0x01 ‖ key → value: the key-value pairs. */
  kv: 0x01,
  /** 0x02 ‖ pubkey → key type (1 ed25519, 2 secp256k1) ‖ power (int64 big-endian). */
  validator: 0x02,
} as const;

export interface KvEntry {
  /** The full LMDB key, namespace byte included. */
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

function uvarint(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/**
 * The app hash of a state given as its hashed entries (namespaces kv and validator)
 * in strictly ascending key order:
 *   SHA-256( ‖ over entries: uvarint(len K) ‖ K ‖ uvarint(len V) ‖ V )
 * where K is the full LMDB key (namespace byte first) and uvarint is protobuf's varint.
 * The empty state hashes to SHA-256("") = E3B0C442…B855.
 */
export function computeKvAppHash(sortedEntries: Iterable<KvEntry>): Uint8Array {
  const parts: Uint8Array[] = [];
  let prev: Uint8Array | null = null;
  for (const { key, value } of sortedEntries) {
    if (prev !== null && compareBytes(prev, key) >= 0) {
      throw new Error("computeKvAppHash: entries are not in strictly ascending key order");
    }
    prev = key;
    parts.push(uvarint(key.length), key, uvarint(value.length), value);
  }
  return sha256(concatBytes(...parts));
}

/**
 * Merges two key-sorted streams: the committed entries and a sorted overlay of pending
 * writes (value null = delete). The overlay wins on equal keys.
 */
export function* mergeKvEntries(
  committed: Iterable<KvEntry>,
  overlay: readonly { readonly key: Uint8Array; readonly value: Uint8Array | null }[],
): Generator<KvEntry> {
  let i = 0;
  for (const entry of committed) {
    let replaced = false;
    while (i < overlay.length) {
      const o = overlay[i] as { key: Uint8Array; value: Uint8Array | null };
      const c = compareBytes(o.key, entry.key);
      if (c > 0) break;
      i++;
      if (o.value !== null) yield { key: o.key, value: o.value };
      if (c === 0) {
        replaced = true;
        break;
      }
    }
    if (!replaced) yield entry;
  }
  for (; i < overlay.length; i++) {
    const o = overlay[i] as { key: Uint8Array; value: Uint8Array | null };
    if (o.value !== null) yield { key: o.key, value: o.value };
  }
}
