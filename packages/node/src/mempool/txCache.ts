// The mempool's LRU cache of tx keys seen recently (CometBFT `mempool/cache.go`
// LRUTxCache): it rejects duplicates before they reach the application.

export interface TxCache {
  /** Adds the key; false if it was already present (it then becomes most recent). */
  push(key: string): boolean;
  remove(key: string): void;
  has(key: string): boolean;
  reset(): void;
  readonly size: number;
}

/** An LRU cache of at most `capacity` keys; capacity 0 caches nothing (CometBFT's NopTxCache). */
export function createTxCache(capacity: number): TxCache {
  // A Map iterates in insertion order: the first key is the least recently used. One live
  // iterator walks from the oldest key: a fresh `keys.keys()` per eviction would step over
  // every deleted slot at the head each time (O(capacity) per push in V8).
  const keys = new Map<string, true>();
  let oldest: Iterator<string> = keys.keys();
  return {
    push(key) {
      if (capacity <= 0) return true;
      if (keys.has(key)) {
        keys.delete(key);
        keys.set(key, true);
        return false;
      }
      if (keys.size >= capacity) {
        let next = oldest.next();
        if (next.done === true) {
          // A finished Map iterator stays finished: start a new walk.
          oldest = keys.keys();
          next = oldest.next();
        }
        if (next.done !== true) keys.delete(next.value);
      }
      keys.set(key, true);
      return true;
    },
    remove(key) {
      keys.delete(key);
    },
    has(key) {
      return keys.has(key);
    },
    reset() {
      keys.clear();
      oldest = keys.keys();
    },
    get size() {
      return keys.size;
    },
  };
}
