// Test helpers for the state tree: a plain sorted-Map model, range filtering, and small keys
// that collide often so random sequences overwrite and delete existing entries.

import { compareBytes, toHex } from "@qos/types";
import fc from "fast-check";
import type { KeyRange, KVEntry } from "../../src/kvStore.ts";

export type Model = Map<string, { key: Uint8Array; value: Uint8Array }>;

export function modelSet(model: Model, key: Uint8Array, value: Uint8Array): void {
  model.set(toHex(key), { key: key.slice(), value: value.slice() });
}

export function modelRange(model: Model, range: KeyRange): KVEntry[] {
  const out = Array.from(model.values())
    .filter(
      (e) =>
        (range.start === undefined || compareBytes(e.key, range.start) >= 0) &&
        (range.end === undefined || compareBytes(e.key, range.end) < 0),
    )
    .sort((a, b) => compareBytes(a.key, b.key));
  return range.reverse ? out.reverse() : out;
}

export function hexEntries(entries: Iterable<KVEntry>): string[] {
  return Array.from(entries, (e) => `${toHex(e.key)}=${toHex(e.value)}`);
}

/** Keys of 1..3 bytes from a 6-letter alphabet: 258 possible keys. */
export const smallKey = fc
  .array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 })
  .map((a) => Uint8Array.from(a));

export const smallValue = fc.uint8Array({ minLength: 1, maxLength: 6 });

export const keyRange: fc.Arbitrary<KeyRange> = fc
  .record({
    start: fc.option(smallKey, { nil: undefined }),
    end: fc.option(smallKey, { nil: undefined }),
    reverse: fc.boolean(),
  })
  .map(({ start, end, reverse }) => ({
    ...(start !== undefined ? { start } : {}),
    ...(end !== undefined ? { end } : {}),
    reverse,
  }));

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
