// The LMDB layout and query evaluation shared by the tx and block indexers: event attribute
// entries keyed by (tag, value, position), an event-type index, and per-condition scans.

import { createHash } from "node:crypto";
import { concatBytes, utf8Decode, utf8Encode } from "@qos/types";
import type { Database } from "lmdb";
import {
  type CompiledCondition,
  compareDecimal,
  type Decimal,
  eventTypeOfKey,
  parseNumberOperand,
} from "../events/queryMatch.ts";

export interface IndexEventAttribute {
  readonly key: string;
  readonly value: string;
  /** Only attributes with `index: true` are indexed (ABCI `EventAttribute.index`). */
  readonly index?: boolean;
}

/** An ABCI event (structurally compatible with the protobuf `Event`). */
export interface IndexEvent {
  readonly type: string;
  readonly attributes: readonly IndexEventAttribute[];
}

export type BinaryDb = Database<Uint8Array, Uint8Array>;

/** Key prefixes inside one sub-database. */
export const PREFIX_RECORD = 0x01;
export const PREFIX_PRIMARY = 0x02;
export const PREFIX_EVENT = 0x03;
export const PREFIX_TYPE = 0x04;

const INLINE_LIMIT = 256;
const POINT_LOOKUP_LIMIT = 4096;
const MARK = new Uint8Array([0]);

/**
 * An order-free, unambiguous key part for a tag or value: `0x01 ‖ utf8` for short text,
 * `0x02 ‖ sha256(utf8)` for long text (LMDB keys are bounded); escaped so it contains no 0x00
 * (0x00 → 0x01 0x01, 0x01 → 0x01 0x02) and terminated by 0x00.
 */
export function keyPart(text: string): Uint8Array {
  return keyPartOf(utf8Encode(text));
}

/** `keyPart` of text already encoded as UTF-8. */
function keyPartOf(bytes: Uint8Array): Uint8Array {
  const long = bytes.length > INLINE_LIMIT;
  const content = long ? new Uint8Array(createHash("sha256").update(bytes).digest()) : bytes;
  let escapes = 0;
  for (const b of content) if (b <= 1) escapes++;
  const out = new Uint8Array(content.length + escapes + 2);
  out[0] = long ? 2 : 1;
  let o = 1;
  for (const b of content) {
    if (b <= 1) {
      out[o++] = 1;
      out[o++] = b + 1;
    } else {
      out[o++] = b;
    }
  }
  out[o] = 0;
  return out;
}

/** Big-endian unsigned encoding of a position in `width` bytes. */
export function encodePosition(pos: bigint, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let v = pos;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function decodePosition(bytes: Uint8Array, offset: number, width: number): bigint {
  let v = 0n;
  for (let i = 0; i < width; i++) v = (v << 8n) | BigInt(bytes[offset + i] as number);
  return v;
}

/** The first key after every key starting with `prefix` (prefixes here never end in 0xff). */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.slice(0, i + 1);
    }
  }
  return concatBytes(prefix, new Uint8Array([0xff]));
}

export function* scanPrefix(
  db: BinaryDb,
  prefix: Uint8Array,
): Generator<{ key: Uint8Array; value: Uint8Array }> {
  for (const entry of db.getRange({ start: prefix, end: prefixEnd(prefix) })) {
    yield { key: entry.key, value: entry.value };
  }
}

/** One index space: the tx index (position = height·2³² + index) or the block index (height). */
export interface IndexSpace {
  readonly db: BinaryDb;
  readonly posWidth: number;
  /** `tx.height` or `block.height`. */
  readonly heightTag: string;
  /** `tx` or `block`: the event type every indexed item carries (via its height key). */
  readonly ownType: string;
  heightOf(pos: bigint): bigint;
  /** The position range [first, last] holding heights lo..hi. */
  positionsOfHeights(lo: bigint, hi: bigint): readonly [bigint, bigint];
}

export const MAX_INT64 = 2n ** 63n - 1n;

export function primaryKey(space: IndexSpace, pos: bigint): Uint8Array {
  return concatBytes(new Uint8Array([PREFIX_PRIMARY]), encodePosition(pos, space.posWidth));
}

/** A text's key part and its UTF-8 bytes (the stored value of an event entry). */
interface KeyText {
  readonly part: Uint8Array;
  readonly utf8: Uint8Array;
}

/** A `type.key` composite tag with its key part and event type, looked up once per pair. */
interface CompositeTag {
  readonly text: string;
  readonly part: Uint8Array;
  readonly eventType: string;
}

const TEXT_CACHE_LIMIT = 16_384;
const SLAB_BYTES = 64 * 1024;

/**
 * Key parts of the tags and values seen recently: a block's txs repeat the same tags, addresses
 * and amounts, so most attributes cost a map lookup instead of a UTF-8 encode and an escape.
 * The UTF-8 bytes live in shared 64 KiB slabs that are never overwritten (a value handed to
 * LMDB stays valid), and a slab's address is looked up once by lmdb-js, not once per value.
 */
function createTextCache(): {
  text(s: string): KeyText;
  tag(type: string, key: string): CompositeTag;
} {
  const texts = new Map<string, KeyText>();
  const tags = new Map<string, Map<string, CompositeTag>>();
  let tagCount = 0;
  let slab = new Uint8Array(SLAB_BYTES);
  let used = 0;
  const encoder = new TextEncoder();

  function encodeToSlab(s: string): Uint8Array {
    // At most 3 bytes per UTF-16 unit; longer texts get their own array.
    const max = s.length * 3;
    if (max > SLAB_BYTES / 4) return utf8Encode(s);
    if (used + max > SLAB_BYTES) {
      slab = new Uint8Array(SLAB_BYTES);
      used = 0;
    }
    const { written } = encoder.encodeInto(s, slab.subarray(used));
    const out = slab.subarray(used, used + written);
    used += written;
    return out;
  }

  return {
    text(s) {
      const hit = texts.get(s);
      if (hit !== undefined) return hit;
      const utf8 = encodeToSlab(s);
      const entry = { part: keyPartOf(utf8), utf8 };
      if (texts.size >= TEXT_CACHE_LIMIT) texts.clear();
      texts.set(s, entry);
      return entry;
    },
    tag(type, key) {
      let byKey = tags.get(type);
      if (byKey === undefined) {
        if (tagCount >= TEXT_CACHE_LIMIT) {
          tags.clear();
          tagCount = 0;
        }
        byKey = new Map();
        tags.set(type, byKey);
      }
      let entry = byKey.get(key);
      if (entry === undefined) {
        const text = `${type}.${key}`;
        entry = { text, part: keyPart(text), eventType: eventTypeOfKey(text) };
        byKey.set(key, entry);
        tagCount++;
      }
      return entry;
    },
  };
}

const textCache = createTextCache();

/** A reused key buffer: LMDB copies the key inside `put`, so one buffer serves every entry. */
let keyScratch = new Uint8Array(2048);

function scratchKey(length: number): Uint8Array {
  if (keyScratch.length < length) keyScratch = new Uint8Array(length * 2);
  return keyScratch;
}

/**
 * Writes the event entries of one item. Call inside an LMDB write transaction (lmdb-js
 * `transaction`/`transactionSync` callback): the key is built in a reused buffer.
 * An attribute repeated with the same tag and value within the item is written once (the
 * same key and value twice leave the same database).
 */
export function putEvents(
  space: IndexSpace,
  pos: bigint,
  events: readonly IndexEvent[],
  reserved: readonly string[],
): void {
  const posBytes = encodePosition(pos, space.posWidth);
  const types = new Set<string>();
  const written = new Map<CompositeTag, Set<KeyText>>();
  for (const event of events) {
    if (event.type === "") continue;
    for (const attr of event.attributes) {
      if (attr.key === "" || attr.index !== true) continue;
      const tag = textCache.tag(event.type, attr.key);
      if (reserved.includes(tag.text)) continue;
      const value = textCache.text(attr.value);
      let values = written.get(tag);
      if (values === undefined) {
        values = new Set();
        written.set(tag, values);
      } else if (values.has(value)) {
        continue;
      }
      values.add(value);
      const length = 1 + tag.part.length + value.part.length + posBytes.length;
      const key = scratchKey(length);
      key[0] = PREFIX_EVENT;
      key.set(tag.part, 1);
      key.set(value.part, 1 + tag.part.length);
      key.set(posBytes, 1 + tag.part.length + value.part.length);
      space.db.put(key.subarray(0, length), value.utf8);
      types.add(tag.eventType);
    }
  }
  for (const type of types) {
    const part = textCache.text(type).part;
    const length = 1 + part.length + posBytes.length;
    const key = scratchKey(length);
    key[0] = PREFIX_TYPE;
    key.set(part, 1);
    key.set(posBytes, 1 + part.length);
    space.db.put(key.subarray(0, length), MARK);
  }
}

function positionAtEnd(key: Uint8Array, width: number): bigint {
  return decodePosition(key, key.length - width, width);
}

/** Every stored position (the primary entries). */
export function allPositions(space: IndexSpace): Set<bigint> {
  const out = new Set<bigint>();
  for (const { key } of scanPrefix(space.db, new Uint8Array([PREFIX_PRIMARY]))) {
    out.add(positionAtEnd(key, space.posWidth));
  }
  return out;
}

function ceilDecimal(d: Decimal): bigint {
  const p = 10n ** BigInt(d.scale);
  return (d.mantissa + p - 1n) / p;
}

function floorDecimal(d: Decimal): bigint {
  return d.mantissa / 10n ** BigInt(d.scale);
}

/** Heights [lo, hi] a numeric comparison on the height tag admits, or undefined if not numeric. */
function heightBounds(c: CompiledCondition): readonly [bigint, bigint] | undefined {
  const operand = c.condition.operand;
  if (operand === undefined || operand.type !== "number") return undefined;
  const d = parseNumberOperand(operand.text);
  if (d === undefined) return undefined;
  switch (c.condition.op) {
    case "=":
      return compareDecimal(d, { mantissa: floorDecimal(d), scale: 0 }) === 0
        ? [floorDecimal(d), floorDecimal(d)]
        : [1n, 0n];
    case ">":
      return [floorDecimal(d) + 1n, MAX_INT64];
    case ">=":
      return [ceilDecimal(d), MAX_INT64];
    case "<":
      return [0n, ceilDecimal(d) - 1n];
    case "<=":
      return [0n, floorDecimal(d)];
    default:
      return undefined;
  }
}

/** Every stored position whose height lies in [lo, hi], by an ordered range scan. */
function positionsInHeights(space: IndexSpace, lo: bigint, hi: bigint): Set<bigint> {
  const out = new Set<bigint>();
  if (lo > hi) return out;
  const [first, last] = space.positionsOfHeights(lo, hi);
  const start = primaryKey(space, first);
  const end =
    last >= (1n << BigInt(8 * space.posWidth)) - 1n
      ? prefixEnd(new Uint8Array([PREFIX_PRIMARY]))
      : primaryKey(space, last + 1n);
  for (const key of space.db.getKeys({ start, end })) {
    out.add(positionAtEnd(key, space.posWidth));
  }
  return out;
}

function heightCondition(
  space: IndexSpace,
  c: CompiledCondition,
  candidates: ReadonlySet<bigint> | undefined,
): Set<bigint> {
  const out = new Set<bigint>();
  const bounds = heightBounds(c);
  if (candidates !== undefined) {
    for (const pos of candidates) {
      const h = space.heightOf(pos);
      const hit = bounds !== undefined ? h >= bounds[0] && h <= bounds[1] : c.match(h.toString());
      if (hit) out.add(pos);
    }
    return out;
  }
  if (bounds !== undefined) return positionsInHeights(space, bounds[0], bounds[1]);
  for (const pos of allPositions(space)) {
    if (c.match(space.heightOf(pos).toString())) out.add(pos);
  }
  return out;
}

/**
 * Positions satisfying one condition, with CometBFT's pubsub semantics: ANY value of the tag
 * matches, or the tag names an event type present on the item and the condition accepts "".
 * `candidates`, when given, bounds the work for conditions that can test items one by one.
 * `special` lets the tx index answer `tx.hash` from its records.
 */
export function positionsMatching(
  space: IndexSpace,
  c: CompiledCondition,
  candidates: ReadonlySet<bigint> | undefined,
  special?: (
    c: CompiledCondition,
    candidates: ReadonlySet<bigint> | undefined,
  ) => Set<bigint> | undefined,
): Set<bigint> {
  const fromSpecial = special?.(c, candidates);
  let out: Set<bigint>;
  if (fromSpecial !== undefined) {
    out = fromSpecial;
  } else if (c.tag === space.heightTag) {
    out = heightCondition(space, c, candidates);
  } else {
    out = new Set<bigint>();
    const operand = c.condition.operand;
    const tagPrefix = concatBytes(new Uint8Array([PREFIX_EVENT]), keyPart(c.tag));
    const exactText =
      c.condition.op === "=" && operand?.type === "string" ? operand.text : undefined;
    const prefix = exactText === undefined ? tagPrefix : concatBytes(tagPrefix, keyPart(exactText));
    if (
      exactText !== undefined &&
      candidates !== undefined &&
      candidates.size <= POINT_LOOKUP_LIMIT
    ) {
      // Few candidates: probe their exact keys instead of scanning every entry of the value.
      for (const pos of candidates) {
        if (space.db.doesExist(concatBytes(prefix, encodePosition(pos, space.posWidth))))
          out.add(pos);
      }
    } else {
      for (const { key, value } of scanPrefix(space.db, prefix)) {
        const pos = positionAtEnd(key, space.posWidth);
        if (out.has(pos) || (candidates !== undefined && !candidates.has(pos))) continue;
        const text = utf8Decode(value);
        if (text !== null && c.match(text)) out.add(pos);
      }
    }
  }
  if (c.matchesEmpty) {
    if (c.tag === space.ownType) {
      for (const pos of candidates ?? allPositions(space)) out.add(pos);
    } else {
      const prefix = concatBytes(new Uint8Array([PREFIX_TYPE]), keyPart(c.tag));
      for (const { key } of scanPrefix(space.db, prefix)) {
        const pos = positionAtEnd(key, space.posWidth);
        if (candidates === undefined || candidates.has(pos)) out.add(pos);
      }
    }
  }
  return out;
}

/** Cheap conditions first: exact string matches, then height comparisons, then scans. */
export function conditionCost(c: CompiledCondition, space: IndexSpace): number {
  if (c.condition.op === "=" && c.condition.operand?.type === "string") return 0;
  if (c.tag === space.heightTag) return 1;
  return 2;
}

/** Entries under an exact-match prefix, counted up to `limit` (to order conditions by selectivity). */
function boundedCount(space: IndexSpace, c: CompiledCondition, limit: number): number {
  const operand = c.condition.operand;
  if (c.condition.op !== "=" || operand?.type !== "string" || c.tag === space.heightTag)
    return limit;
  const prefix = concatBytes(new Uint8Array([PREFIX_EVENT]), keyPart(c.tag), keyPart(operand.text));
  let n = 0;
  for (const _ of space.db.getKeys({ start: prefix, end: prefixEnd(prefix), limit })) n++;
  return n;
}

/** Intersects the positions of every condition (AND). */
export function searchPositions(
  space: IndexSpace,
  conditions: readonly CompiledCondition[],
  special?: (
    c: CompiledCondition,
    candidates: ReadonlySet<bigint> | undefined,
  ) => Set<bigint> | undefined,
): Set<bigint> {
  // All numeric bounds on the height tag collapse into one ordered range scan, done first.
  let lo = 0n;
  let hi = MAX_INT64;
  let ranged = false;
  const rest: CompiledCondition[] = [];
  for (const c of conditions) {
    const bounds = c.tag === space.heightTag ? heightBounds(c) : undefined;
    if (bounds === undefined) {
      rest.push(c);
      continue;
    }
    ranged = true;
    if (bounds[0] > lo) lo = bounds[0];
    if (bounds[1] < hi) hi = bounds[1];
  }
  let current: Set<bigint> | undefined;
  if (ranged) {
    current = positionsInHeights(space, lo, hi);
    if (current.size === 0) return current;
  }
  const counts = new Map(rest.map((c) => [c, boundedCount(space, c, 1000)]));
  const ordered = rest.sort(
    (a, b) =>
      conditionCost(a, space) - conditionCost(b, space) ||
      (counts.get(a) as number) - (counts.get(b) as number),
  );
  for (const c of ordered) {
    const found = positionsMatching(space, c, current, special);
    current = current === undefined ? found : new Set([...current].filter((p) => found.has(p)));
    if (current.size === 0) break;
  }
  return current ?? new Set();
}

export function sortPositions(positions: Iterable<bigint>, orderBy: "asc" | "desc"): bigint[] {
  const list = [...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return orderBy === "desc" ? list.reverse() : list;
}
