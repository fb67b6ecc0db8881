// The key-value contract every state store speaks: the versioned tree's working and
// historical views, the multi-store's per-module stores and the app's branches and gas meters.
// Keys and values are bytes; keys compare bytewise. Plain data, no I/O in the interface.

import { copyBytes } from "@qos/types";

export interface KVEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** A half-open key range [start, end) in byte order; either bound may be omitted. */
export interface KeyRange {
  /** Lowest key included. */
  readonly start?: Uint8Array;
  /** First key excluded. */
  readonly end?: Uint8Array;
  /** Descending order when true. */
  readonly reverse?: boolean;
}

/** Read access to one version of a store. */
export interface KVReader {
  get(key: Uint8Array): Uint8Array | undefined;
  has(key: Uint8Array): boolean;
  /**
   * The entries of `range` in key order (or reversed). Lazy; the caller must not write to the
   * same store while iterating.
   */
  iterate(range?: KeyRange): Iterable<KVEntry>;
}

/** Read-write access. Values must be non-empty (an empty value is indistinguishable from absent in proofs). */
export interface KVStore extends KVReader {
  set(key: Uint8Array, value: Uint8Array): void;
  /** Removing a missing key is a no-op. */
  delete(key: Uint8Array): void;
}

/** The range covering every key that starts with `prefix`. */
export function prefixRange(prefix: Uint8Array, reverse = false): KeyRange {
  const end = prefixEnd(prefix);
  return {
    start: prefix,
    ...(end !== undefined ? { end } : {}),
    ...(reverse ? { reverse } : {}),
  };
}

/** The smallest key greater than every key with `prefix`; undefined when there is none (all 0xff). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = copyBytes(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}
