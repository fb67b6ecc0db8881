// Error codes of @qos/store. Everything here is a bug, a broken invariant or a damaged
// file on disk: callers get a QosError with one of these codes, never a raw crash.

import { QosError } from "@qos/types";

export const STORE_ERROR = {
  /** The LMDB environment could not be opened (missing permissions, not a directory, ...). */
  openFailed: "store_open_failed",
  /** A file on disk is not what we wrote (bad LMDB header, truncated data file, bad JSON). */
  corrupt: "store_corrupt",
  /** The data dir was written by another layout version of this package. */
  schemaMismatch: "store_schema_mismatch",
  /** The environment or WAL was used after close(). */
  closed: "store_closed",
  /** A WriteBatch was used outside its writeBlock callback, or writeBlock was nested. */
  batchMisuse: "store_batch_misuse",
  /** Bad argument from the caller: negative height, wrong part index, empty payload, ... */
  invalidArgument: "store_invalid_argument",
  /** saveBlock at a height that is not height()+1. */
  nonContiguousHeight: "store_non_contiguous_height",
  /** prune asked to remove the latest block or a height above it. */
  pruneRange: "store_prune_range",
  /** saveValidators/saveConsensusParams would rewrite history other heights point to. */
  historyRewrite: "store_history_rewrite",
  /** A read of a state-tree version that pruning removed (or removes while the read runs). */
  versionPruned: "store_version_pruned",
  /** A WAL record in the middle of a segment, or in a closed segment, fails its checks. */
  walCorrupt: "wal_corrupt",
  /** A WAL payload is larger than maxRecordBytes. */
  walRecordTooLarge: "wal_record_too_large",
  /** The last-sign-state file is missing and createIfMissing was not set. */
  lastSignStateMissing: "last_sign_state_missing",
} as const;

export type StoreErrorCode = (typeof STORE_ERROR)[keyof typeof STORE_ERROR];

export type StoreError = QosError<StoreErrorCode>;

export function storeError(
  code: StoreErrorCode,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): StoreError {
  return new QosError(code, message, details);
}
