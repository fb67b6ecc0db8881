// Heights as LMDB keys: 8-byte big-endian unsigned, so byte order (LMDB's key order) is
// numeric order for every int64 height >= 0, including those beyond 2^32.

import { storeError } from "./storeErrors.ts";

/** Largest int64, the highest height CometBFT can express. */
export const MAX_HEIGHT = (1n << 63n) - 1n;

/** Throws store_invalid_argument unless `height` is an int64 >= `min` (default 0). */
export function assertHeight(height: bigint, what = "height", min = 0n): void {
  if (typeof height !== "bigint" || height < min || height > MAX_HEIGHT) {
    throw storeError(
      "store_invalid_argument",
      `${what} must be a bigint in [${min}, 2^63-1], got ${String(height)}`,
      { [what]: String(height) },
    );
  }
}

export function encodeHeightKey(height: bigint): Uint8Array {
  assertHeight(height);
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, height, false);
  return key;
}

export function decodeHeightKey(key: Uint8Array, offset = 0): bigint {
  if (key.length < offset + 8) {
    throw storeError("store_corrupt", `height key too short: ${key.length} bytes`);
  }
  return new DataView(key.buffer, key.byteOffset + offset, 8).getBigUint64(0, false);
}

/** Key of block part `index` at `height`: height (8 bytes BE) ‖ index (4 bytes BE). */
export function encodePartKey(height: bigint, index: number): Uint8Array {
  assertHeight(height);
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) {
    throw storeError("store_invalid_argument", `part index must be a uint32, got ${index}`);
  }
  const key = new Uint8Array(12);
  const view = new DataView(key.buffer);
  view.setBigUint64(0, height, false);
  view.setUint32(8, index, false);
  return key;
}
