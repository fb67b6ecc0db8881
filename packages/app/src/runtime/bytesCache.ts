// A bounded cache keyed by byte strings, without building a string per lookup: a key is filed
// under a 32-bit FNV-1a hash of its bytes (of a long key, its ends) and found by comparing the
// bytes themselves, so a hit is always the exact key. A key given to `set` becomes the cache's:
// the caller must not change it afterwards (give it a copy it owns). Two generations of half the
// capacity: the older is dropped when the newer fills. A bucket holds at most a few keys (a
// caller cannot make lookups slow by sending keys crafted to share a hash: past the bound a key
// is simply not cached). Pure.

import { equalBytes } from "@qos/types";

const BUCKET_MAX = 4;

interface Entry<V> {
  readonly key: Uint8Array;
  readonly value: V;
}

export interface BytesCache<V> {
  get(key: Uint8Array): V | undefined;
  /** Caches `value` under `key`, which the cache keeps (a key already cached keeps its first value). */
  set(key: Uint8Array, value: V): void;
  readonly size: number;
}

/** Keys longer than this are filed by their first 16 and last 48 bytes only. */
const HASHED_WHOLE = 64;

/**
 * FNV-1a over the bytes, mixed with the length; of a long key only the ends (a signed tx ends
 * with its signatures, so its ends tell it apart). The comparison decides a hit either way.
 */
function hashOf(b: Uint8Array): number {
  let h = 0x811c9dc5 ^ b.length;
  const n = b.length;
  if (n <= HASHED_WHOLE) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  } else {
    for (let i = 0; i < 16; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
    for (let i = n - 48; i < n; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  }
  return h >>> 0;
}

function find<V>(bucket: Entry<V>[] | undefined, key: Uint8Array): Entry<V> | undefined {
  if (bucket === undefined) return undefined;
  for (const e of bucket) if (equalBytes(e.key, key)) return e;
  return undefined;
}

export function createBytesCache<V>(capacity: number): BytesCache<V> {
  const generation = Math.max(1, Math.ceil(capacity / 2));
  let current = new Map<number, Entry<V>[]>();
  let currentSize = 0;
  let older = new Map<number, Entry<V>[]>();
  let olderSize = 0;
  return {
    get size() {
      return currentSize + olderSize;
    },
    get(key) {
      const h = hashOf(key);
      return (find(current.get(h), key) ?? find(older.get(h), key))?.value;
    },
    set(key, value) {
      const h = hashOf(key);
      if (find(current.get(h), key) !== undefined) return;
      if (currentSize >= generation) {
        older = current;
        olderSize = currentSize;
        current = new Map();
        currentSize = 0;
      }
      const bucket = current.get(h);
      const entry = { key, value };
      if (bucket === undefined) current.set(h, [entry]);
      else if (bucket.length < BUCKET_MAX) bucket.push(entry);
      else return;
      currentSize++;
    },
  };
}
