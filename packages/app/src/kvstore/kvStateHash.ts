// The kvstore's state layout in LMDB and its app hash: SHA-256 over the length-prefixed
// (key, value) entries of the hashed namespaces, in ascending byte order of the key.

import { sha256 } from "@qos/crypto";
import { compareBytes } from "@qos/types";

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

/**
 * The app hash of a state given as its hashed entries (namespaces kv and validator)
 * in strictly ascending key order:
 *   SHA-256( ‖ over entries: uvarint(len K) ‖ K ‖ uvarint(len V) ‖ V )
 * where K is the full LMDB key (namespace byte first) and uvarint is protobuf's varint.
 * The empty state hashes to SHA-256("") = E3B0C442…B855. Entries are read once and not
 * kept, so the iterable may hand out buffers it reuses.
 */
export function computeKvAppHash(sortedEntries: Iterable<KvEntry>): Uint8Array {
  // One growing buffer: a large state has too many parts to spread into concatBytes.
  let buf = new Uint8Array(1 << 16);
  let len = 0;
  const reserve = (n: number): void => {
    if (len + n <= buf.length) return;
    let size = buf.length * 2;
    while (size < len + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(buf.subarray(0, len));
    buf = grown;
  };
  const putUvarint = (n: number): void => {
    let v = n;
    while (v >= 0x80) {
      buf[len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[len++] = v;
  };
  let prevStart = -1;
  let prevLen = 0;
  for (const { key, value } of sortedEntries) {
    reserve(key.length + value.length + 20);
    putUvarint(key.length);
    // Strictly ascending: compare with the previous key, already copied into buf.
    if (prevStart >= 0 && compareBytes(buf.subarray(prevStart, prevStart + prevLen), key) >= 0) {
      throw new Error("computeKvAppHash: entries are not in strictly ascending key order");
    }
    prevStart = len;
    prevLen = key.length;
    buf.set(key, len);
    len += key.length;
    putUvarint(value.length);
    buf.set(value, len);
    len += value.length;
  }
  return sha256(buf.subarray(0, len));
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
