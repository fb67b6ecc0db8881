// WAL record format (after CometBFT consensus/wal.go): crc32c(payload) (4 bytes BE) ‖
// length(payload) (4 bytes BE) ‖ payload, where payload = kind (1 byte) ‖ body. Encoding and
// the scan that tells complete records from a torn tail and from corruption.

import { crc32c } from "./crc32c.ts";
import { decodeHeightKey, encodeHeightKey } from "./heightKey.ts";

export const WAL_HEADER_BYTES = 8;

/** Payload kinds: an opaque message of the caller, or the #ENDHEIGHT marker of a height. */
export const WAL_KIND = { message: 1, endHeight: 2 } as const;

export type WalEntry =
  | { readonly kind: "message"; readonly payload: Uint8Array }
  | { readonly kind: "endHeight"; readonly height: bigint };

export interface WalScanRecord {
  /** Byte offset of the record's header in the segment. */
  readonly offset: number;
  readonly entry: WalEntry;
}

export interface WalScanProblem {
  /** Offset of the first record that fails; everything before it is good. */
  readonly offset: number;
  readonly reason: string;
  /**
   * True when the failure looks like a write cut short at the end of the file (a partial
   * header or payload, a bad checksum on the very last record, or only zero bytes from here
   * on); false when good-looking data follows the bad record.
   */
  readonly tornTail: boolean;
}

export interface WalScan {
  readonly records: WalScanRecord[];
  /** Bytes of complete, valid records from the start (the offset of `problem` if any). */
  readonly validBytes: number;
  readonly problem: WalScanProblem | null;
}

export function encodeWalMessage(payload: Uint8Array): Uint8Array {
  return encodeRecord(WAL_KIND.message, payload);
}

export function encodeWalEndHeight(height: bigint): Uint8Array {
  return encodeRecord(WAL_KIND.endHeight, encodeHeightKey(height));
}

function encodeRecord(kind: number, body: Uint8Array): Uint8Array {
  const length = 1 + body.length;
  const record = new Uint8Array(WAL_HEADER_BYTES + length);
  record[WAL_HEADER_BYTES] = kind;
  record.set(body, WAL_HEADER_BYTES + 1);
  const view = new DataView(record.buffer);
  view.setUint32(0, crc32c(record.subarray(WAL_HEADER_BYTES)), false);
  view.setUint32(4, length, false);
  return record;
}

/**
 * Decodes the records of one segment. Stops at the first record that fails and says whether
 * it looks like a torn tail. Payloads are views into `bytes`.
 */
export function scanWalSegment(bytes: Uint8Array, maxRecordBytes: number): WalScan {
  const records: WalScanRecord[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  let offset = 0;
  const stop = (reason: string, tornTail: boolean): WalScan => ({
    records,
    validBytes: offset,
    problem: { offset, reason, tornTail },
  });
  while (offset < size) {
    if (offset + WAL_HEADER_BYTES > size) {
      return stop(`partial header (${size - offset} of ${WAL_HEADER_BYTES} bytes)`, true);
    }
    const crc = view.getUint32(offset, false);
    const length = view.getUint32(offset + 4, false);
    if (length === 0 || length > maxRecordBytes + 1) {
      return stop(`invalid length ${length}`, allZero(bytes, offset));
    }
    const end = offset + WAL_HEADER_BYTES + length;
    if (end > size) {
      return stop(`partial payload (${size - offset - WAL_HEADER_BYTES} of ${length} bytes)`, true);
    }
    const payload = bytes.subarray(offset + WAL_HEADER_BYTES, end);
    if (crc32c(payload) !== crc) {
      return stop("checksum mismatch", end === size || allZero(bytes, end));
    }
    const kind = payload[0];
    if (kind === WAL_KIND.message) {
      records.push({ offset, entry: { kind: "message", payload: payload.subarray(1) } });
    } else if (kind === WAL_KIND.endHeight && length === 9) {
      records.push({ offset, entry: { kind: "endHeight", height: decodeHeightKey(payload, 1) } });
    } else {
      // A checksummed record we cannot read was written on purpose: never a torn write.
      return stop(`unknown record kind ${kind} (length ${length})`, false);
    }
    offset = end;
  }
  return { records, validBytes: offset, problem: null };
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
