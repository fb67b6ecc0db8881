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
  // A Map iterates in insertion order: the first key is the least recently used.
  const keys = new Map<string, true>();
  return {
    push(key) {
      if (capacity <= 0) return true;
      if (keys.has(key)) {
        keys.delete(key);
        keys.set(key, true);
        return false;
      }
      if (keys.size >= capacity) {
        const oldest = keys.keys().next();
        if (oldest.done !== true) keys.delete(oldest.value);
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
    },
    get size() {
      return keys.size;
    },
  };
}
