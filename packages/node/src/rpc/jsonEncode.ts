// JSON text for RPC results: bigint → decimal string (CometBFT encodes int64 as strings),
// Uint8Array → base64 (Go `[]byte`); HexBytes must already be hex strings.

import { toBase64 } from "@qos/types";

function replacer(this: unknown, key: string, value: unknown): unknown {
  // `this[key]` is the value before any toJSON (Buffer has one); check it first.
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return toBase64(original);
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** Deeper than this, the walk below gives up and the replacer path decides (and finds cycles). */
const WALK_DEPTH_LIMIT = 64;

/**
 * Whether `value` holds anything the replacer would change: a bigint, a Uint8Array, or an
 * object with `toJSON` (whose result might). Without any, the replacer returns every value
 * unchanged, so JSON.stringify without it (V8's fast path, several times quicker on large
 * event payloads) gives the same text.
 */
function needsReplacer(value: unknown, depth: number): boolean {
  if (typeof value === "bigint") return true;
  if (typeof value !== "object" || value === null) return false;
  if (depth > WALK_DEPTH_LIMIT || value instanceof Uint8Array) return true;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return true;
  if (Array.isArray(value)) {
    for (const item of value) if (needsReplacer(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (
      Object.hasOwn(value, key) &&
      needsReplacer((value as Record<string, unknown>)[key], depth + 1)
    )
      return true;
  }
  return false;
}

/** Serialises a JSON-ready value; throws on cycles like `JSON.stringify`. */
export function encodeJson(value: unknown): string {
  const text = needsReplacer(value, 0) ? JSON.stringify(value, replacer) : JSON.stringify(value);
  return text === undefined ? "null" : text;
}
