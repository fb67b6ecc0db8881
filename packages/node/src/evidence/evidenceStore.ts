// The evidence pool's LMDB tables (CometBFT evidence/pool.go keyPending/keyCommitted): pending
// evidence by (height, hash) with its proto bytes, and committed evidence by (height, hash)
// with the height of the block that included it and the evidence time (for pruning).

import {
  decodeHeightKey,
  encodeHeightKey,
  type NodeDb,
  type Table,
  type WriteBatch,
} from "@qos/store";
import {
  concatBytes,
  decodeWireMessage,
  type Evidence,
  EvidenceSchema,
  encodeWireMessage,
} from "@qos/types";

export const EVIDENCE_TABLES = {
  pending: "evidence/pending",
  committed: "evidence/committed",
} as const;

/** Height, time and identity of one piece of evidence. */
export interface EvidenceInfo {
  readonly height: bigint;
  /** Unix nanoseconds of the evidence time (the block time at its height). */
  readonly timeNanos: bigint;
  readonly hash: Uint8Array;
  /** height (8 bytes BE) ‖ hash: key order is height order. */
  readonly key: Uint8Array;
}

export interface PendingEntry {
  readonly info: EvidenceInfo;
  readonly evidence: Evidence;
}

export interface CommittedEntry {
  readonly key: Uint8Array;
  readonly height: bigint;
  /** Height of the block that included it. */
  readonly includedAt: bigint;
  readonly timeNanos: bigint;
}

export interface EvidenceStore {
  hasPending(key: Uint8Array): boolean;
  hasCommitted(key: Uint8Array): boolean;
  /** Pending evidence in key (height) order. */
  pending(): Iterable<PendingEntry>;
  /** Committed evidence in key (height) order. */
  committed(): Iterable<CommittedEntry>;
  putPending(batch: WriteBatch, entry: PendingEntry): void;
  removePending(batch: WriteBatch, key: Uint8Array): void;
  putCommitted(batch: WriteBatch, info: EvidenceInfo, includedAt: bigint): void;
  removeCommitted(batch: WriteBatch, key: Uint8Array): void;
}

export function evidenceKey(height: bigint, hash: Uint8Array): Uint8Array {
  return concatBytes(encodeHeightKey(height), hash);
}

/** Opens (creating) the tables; call at startup, outside writeBlock. */
export function createEvidenceStore(db: NodeDb): EvidenceStore {
  const pendingTable: Table = db.table(EVIDENCE_TABLES.pending);
  const committedTable: Table = db.table(EVIDENCE_TABLES.committed);

  return {
    hasPending: (key) => pendingTable.has(key),
    hasCommitted: (key) => committedTable.has(key),
    *pending() {
      for (const { key, value } of pendingTable.entries()) {
        const decoded = decodeWireMessage(EvidenceSchema, value.subarray(8));
        // Only this module writes the table; an undecodable record is skipped, not fatal.
        if (!decoded.ok) continue;
        const timeNanos = new DataView(value.buffer, value.byteOffset, 8).getBigInt64(0, false);
        yield {
          info: { height: decodeHeightKey(key), timeNanos, hash: key.subarray(8), key },
          evidence: decoded.value,
        };
      }
    },
    *committed() {
      for (const { key, value } of committedTable.entries()) {
        if (value.length < 16) continue;
        const view = new DataView(value.buffer, value.byteOffset, 16);
        yield {
          key,
          height: decodeHeightKey(key),
          includedAt: view.getBigUint64(0, false),
          timeNanos: view.getBigInt64(8, false),
        };
      }
    },
    putPending(batch, entry) {
      const time = new Uint8Array(8);
      new DataView(time.buffer).setBigInt64(0, entry.info.timeNanos, false);
      pendingTable.put(
        batch,
        entry.info.key,
        concatBytes(time, encodeWireMessage(EvidenceSchema, entry.evidence)),
      );
    },
    removePending(batch, key) {
      pendingTable.remove(batch, key);
    },
    putCommitted(batch, info, includedAt) {
      const value = new Uint8Array(16);
      const view = new DataView(value.buffer);
      view.setBigUint64(0, includedAt, false);
      view.setBigInt64(8, info.timeNanos, false);
      committedTable.put(batch, info.key, value);
    },
    removeCommitted(batch, key) {
      committedTable.remove(batch, key);
    },
  };
}
