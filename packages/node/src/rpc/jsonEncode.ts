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

/** Serialises a JSON-ready value; throws on cycles like `JSON.stringify`. */
export function encodeJson(value: unknown): string {
  const text = JSON.stringify(value, replacer);
  return text === undefined ? "null" : text;
}
