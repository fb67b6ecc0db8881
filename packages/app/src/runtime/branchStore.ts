// A cache-wrap of any key-value store: writes and deletes are buffered, reads and iteration
// merge the buffer over the parent in key order, `write()` flushes into the parent; a checkpoint
// lets the buffer roll back to an earlier point (a tx's messages over its ante changes, in one
// layer). Per-tx revert, the CheckTx state and genesis all run on branches. Pure (no I/O of its own).

import type { KeyRange, KVEntry, KVReader, KVStore } from "@qos/store";
import { copyBytes } from "@qos/types";

export interface BranchStore extends KVStore {
  /** Number of buffered writes and deletes. */
  readonly pendingCount: number;
  /** Applies the buffered writes and deletes to the parent (which must be writable), in key order, and empties the buffer. */
  write(): void;
  /** Drops the buffered changes. */
  discard(): void;
  /** Remembers the buffer as it is now (replacing an earlier checkpoint) so `revert()` can return to it. */
  checkpoint(): void;
  /** Undoes every buffered change since `checkpoint()` and ends the checkpoint. Nothing to undo without one. */
  revert(): void;
  /** Ends the checkpoint keeping the changes made since it (no-op without one). */
  keep(): void;
}

interface Slot {
  readonly key: Uint8Array;
  /** undefined marks a delete. */
  readonly value: Uint8Array | undefined;
}

/** Bytes as a string of char codes 0–255: string order is byte order. */
export function bytesKey(b: Uint8Array): string {
  // One call for the usual short key (no subarray view to allocate); chunks keep the argument count bounded.
  if (b.length <= 4096) return String.fromCharCode.apply(null, b as unknown as number[]);
  let s = "";
  for (let i = 0; i < b.length; i += 4096) {
    s += String.fromCharCode.apply(null, b.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}

function inRange(k: string, start: string | undefined, end: string | undefined): boolean {
  return (start === undefined || k >= start) && (end === undefined || k < end);
}

function isWritable(s: KVReader): s is KVStore {
  return typeof (s as Partial<KVStore>).set === "function";
}

/** Branches `parent`. The parent must not change while the branch holds buffered writes it reads through. */
export function createBranchStore(parent: KVReader): BranchStore {
  let buffer = new Map<string, Slot>();
  // Sorted keys of the buffer, rebuilt lazily after a new key is added.
  let sorted: string[] | null = [];
  // Since the checkpoint: each changed key's slot before its first change (undefined: absent).
  // One map, reused: a tx checkpoints twice and the map would otherwise be garbage each time.
  const journal = new Map<string, Slot | undefined>();
  let journaling = false;

  function sortedKeys(): string[] {
    if (sorted === null) sorted = [...buffer.keys()].sort();
    return sorted;
  }

  function put(key: Uint8Array, value: Uint8Array | undefined): void {
    const k = bytesKey(key);
    const prev = buffer.get(k);
    if (prev === undefined) sorted = null;
    if (journaling && !journal.has(k)) journal.set(k, prev);
    buffer.set(k, {
      key: copyBytes(key),
      value: value === undefined ? undefined : copyBytes(value),
    });
  }

  function* merged(range: KeyRange | undefined): Generator<KVEntry> {
    const start = range?.start === undefined ? undefined : bytesKey(range.start);
    const end = range?.end === undefined ? undefined : bytesKey(range.end);
    const reverse = range?.reverse === true;
    // A snapshot of the buffer's slots in range, in iteration order.
    const slots: Slot[] = [];
    const keys = sortedKeys();
    for (const k of keys) if (inRange(k, start, end)) slots.push(buffer.get(k) as Slot);
    if (reverse) slots.reverse();
    const slotKeys = slots.map((s) => bytesKey(s.key));
    let i = 0;
    const before = (a: string, b: string): boolean => (reverse ? a > b : a < b);
    for (const entry of parent.iterate(range)) {
      const pk = bytesKey(entry.key);
      while (i < slots.length && before(slotKeys[i] as string, pk)) {
        const s = slots[i++] as Slot;
        if (s.value !== undefined) yield { key: s.key, value: s.value };
      }
      if (i < slots.length && slotKeys[i] === pk) {
        const s = slots[i++] as Slot;
        if (s.value !== undefined) yield { key: s.key, value: s.value };
        continue;
      }
      yield entry;
    }
    while (i < slots.length) {
      const s = slots[i++] as Slot;
      if (s.value !== undefined) yield { key: s.key, value: s.value };
    }
  }

  return {
    get pendingCount() {
      return buffer.size;
    },
    get(key) {
      const slot = buffer.get(bytesKey(key));
      if (slot !== undefined) return slot.value;
      return parent.get(key);
    },
    has(key) {
      const slot = buffer.get(bytesKey(key));
      if (slot !== undefined) return slot.value !== undefined;
      return parent.has(key);
    },
    set(key, value) {
      if (value.length === 0) throw new Error("branch store: values must be non-empty");
      put(key, value);
    },
    delete(key) {
      put(key, undefined);
    },
    iterate(range) {
      return merged(range);
    },
    write() {
      journal.clear();
      journaling = false;
      if (buffer.size === 0) return;
      if (!isWritable(parent)) throw new Error("branch store: the parent is read-only");
      for (const k of sortedKeys()) {
        const s = buffer.get(k) as Slot;
        if (s.value === undefined) parent.delete(s.key);
        else parent.set(s.key, s.value);
      }
      buffer = new Map();
      sorted = [];
    },
    discard() {
      buffer = new Map();
      sorted = [];
      journal.clear();
      journaling = false;
    },
    checkpoint() {
      journal.clear();
      journaling = true;
    },
    revert() {
      if (!journaling) return;
      for (const [k, slot] of journal) {
        if (slot === undefined) {
          buffer.delete(k);
          sorted = null;
        } else buffer.set(k, slot);
      }
      journal.clear();
      journaling = false;
    },
    keep() {
      journal.clear();
      journaling = false;
    },
  };
}

/** One branch per store name over the parent's store of that name, made on first use. */
export interface BranchSet {
  /** The branch of `name` (made now if this is its first use). */
  store(name: string): BranchStore;
  /** Writes every branch into its parent (see `BranchStore.write`). */
  write(): void;
}

export function createBranchSet(parent: (name: string) => KVReader): BranchSet {
  const made = new Map<string, BranchStore>();
  return {
    store(name) {
      let b = made.get(name);
      if (b === undefined) {
        b = createBranchStore(parent(name));
        made.set(name, b);
      }
      return b;
    },
    write() {
      for (const b of made.values()) b.write();
    },
  };
}

/** An empty in-memory sorted store (a branch over nothing): genesis dry-runs and tests. */
export function createMemoryStore(): BranchStore {
  return createBranchStore({
    get: () => undefined,
    has: () => false,
    iterate: () => [],
  });
}
