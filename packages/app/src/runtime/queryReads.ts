// What a query read, as the keys whose proofs prove it (the node's side of proven queries).
// A recorder wraps each store a query handler opens and notes, per store:
//   - every key it gets (its existence or non-existence proof);
//   - for every range it iterates: the range's start (proves that no key lies between the start
//     and the first key, or, iterating down, below the last one) and the successor key‖0x00 of
//     every entry the handler was given (absent, its non-existence proof shows the entry and the
//     next key are adjacent leaves; present, it is the next key itself).
// The client re-runs the same handler over the proven facts (provenQuery.ts); these keys are
// exactly what that run needs, for ranges read to their end and ranges the handler stopped early.
// Pure.

import type { KeyRange, KVEntry, KVReader } from "@qos/store";
import { copyBytes } from "@qos/types";
import { bytesKey } from "./branchStore.ts";

/** Where an iteration with no start begins: store keys are never empty, so [0x00] is the least. */
export const LEAST_STORE_KEY: Uint8Array = Uint8Array.of(0);

/** `key`‖0x00: the least key greater than `key`. */
export function successorKey(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}

export interface ReadRecorder {
  /** A reader of store `name` that records what it is asked. */
  reader(name: string): KVReader;
  /** The keys to prove, per store read (in the order of their first read). */
  keysToProve(): ReadonlyMap<string, readonly Uint8Array[]>;
}

export function createReadRecorder(open: (name: string) => KVReader): ReadRecorder {
  const keys = new Map<string, Map<string, Uint8Array>>();
  const readers = new Map<string, KVReader>();

  function note(name: string, key: Uint8Array): void {
    let set = keys.get(name);
    if (set === undefined) {
      set = new Map();
      keys.set(name, set);
    }
    const k = bytesKey(key);
    if (!set.has(k)) set.set(k, copyBytes(key));
  }

  function* recorded(name: string, inner: KVReader, range: KeyRange): Generator<KVEntry> {
    note(name, range.start?.length ? range.start : LEAST_STORE_KEY);
    for (const entry of inner.iterate(range)) {
      note(name, successorKey(entry.key));
      yield entry;
    }
  }

  return {
    reader(name) {
      let r = readers.get(name);
      if (r === undefined) {
        const inner = open(name);
        r = {
          get(key) {
            note(name, key);
            return inner.get(key);
          },
          has(key) {
            note(name, key);
            return inner.has(key);
          },
          iterate(range) {
            return recorded(name, inner, range ?? {});
          },
        };
        readers.set(name, r);
      }
      return r;
    },
    keysToProve() {
      return new Map([...keys].map(([name, set]) => [name, [...set.values()]]));
    },
  };
}
