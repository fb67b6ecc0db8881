// Consensus write-ahead log (CometBFT consensus/wal.go semantics) on plain files: segments
// wal.0000000000, wal.0000000001, ... of checksummed records; #ENDHEIGHT markers, replay after
// a marker, size-based rotation, retention by height, torn-tail repair on open.

import {
  closeSync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { join } from "node:path";
import { copyBytes } from "@qos/types";
import { fsyncDirSync, writeAllSync } from "./durableFile.ts";
import { assertHeight } from "./heightKey.ts";
import { storeError } from "./storeErrors.ts";
import { SILENT_LOGGER, type StoreLogger } from "./storeLogger.ts";
import {
  encodeWalEndHeight,
  encodeWalMessage,
  scanWalSegment,
  WAL_HEADER_BYTES,
  type WalScanRecord,
} from "./walRecord.ts";

export const WAL_DEFAULTS = {
  maxSegmentBytes: 10 * 1024 * 1024,
  /** CometBFT caps a WAL message at 1 MB (maxMsgSizeBytes); we allow a bit more. */
  maxRecordBytes: 4 * 1024 * 1024,
  retainHeights: 100n,
} as const;

export interface WalOptions {
  /** Directory of the segments (created if missing), e.g. `<home>/data/cs.wal`. */
  readonly dir: string;
  /** A segment is closed and a new one started when the next record would pass this size. */
  readonly maxSegmentBytes?: number;
  /** Largest payload append/appendSync accept. */
  readonly maxRecordBytes?: number;
  /**
   * Closed segments are removed once every height they hold is at or below
   * (last end height - retainHeights), i.e. replayAfterEndHeight(h) keeps working for those h.
   */
  readonly retainHeights?: bigint;
}

export interface WalDeps {
  readonly logger?: StoreLogger;
}

export interface WalTruncation {
  readonly file: string;
  /** The file now ends here (the end of its last complete record). */
  readonly offset: number;
  readonly droppedBytes: number;
  readonly reason: string;
}

export interface WalOpenReport {
  readonly dir: string;
  readonly segments: number;
  /** Complete records found across all segments. */
  readonly records: number;
  /** The log held no record, so open() wrote #ENDHEIGHT(0) (CometBFT does the same). */
  readonly created: boolean;
  readonly lastEndHeight: bigint | null;
  /** The torn tail cut off the head segment, if there was one. */
  readonly truncatedTail: WalTruncation | null;
}

export type WalReplay =
  | { readonly found: false }
  | {
      readonly found: true;
      /** Message payloads written after the marker, in order. */
      readonly messages: Uint8Array[];
      /** The next #ENDHEIGHT after the marker when there is one (replay stops there). */
      readonly nextEndHeight: bigint | null;
    };

export interface Wal {
  readonly openReport: WalOpenReport;
  /** Writes a message record to the OS (survives a process crash, not a power loss, until sync). */
  append(payload: Uint8Array): void;
  /** Writes a message record and fdatasyncs it before returning (the node's own messages). */
  appendSync(payload: Uint8Array): void;
  /** Writes #ENDHEIGHT(height), fdatasynced, then removes segments past retention. */
  writeEndHeight(height: bigint): void;
  /** Makes everything appended so far durable. */
  sync(): void;
  /**
   * The messages written after the latest #ENDHEIGHT(height), up to the next marker or the end
   * of the log; `{ found: false }` when the log holds no such marker.
   */
  replayAfterEndHeight(height: bigint): WalReplay;
  lastEndHeight(): bigint | null;
  /** Segment file paths, oldest first. */
  segmentFiles(): string[];
  /** Syncs and closes the head segment. Further use throws store_closed. */
  close(): void;
}

interface Segment {
  readonly index: number;
  readonly path: string;
  /** Bytes of complete records (the file's size once open() has cut any torn tail). */
  size: number;
  records: number;
  /** Lowest, highest and last #ENDHEIGHT in the segment (null when it has none). */
  minEnd: bigint | null;
  maxEnd: bigint | null;
  lastEnd: bigint | null;
}

function emptySegment(index: number, path: string): Segment {
  return { index, path, size: 0, records: 0, minEnd: null, maxEnd: null, lastEnd: null };
}

function noteRecord(segment: Segment, endHeight: bigint | null): void {
  segment.records++;
  if (endHeight === null) return;
  if (segment.minEnd === null || endHeight < segment.minEnd) segment.minEnd = endHeight;
  if (segment.maxEnd === null || endHeight > segment.maxEnd) segment.maxEnd = endHeight;
  segment.lastEnd = endHeight;
}

const SEGMENT_NAME = /^wal\.(\d{10})$/;

function segmentName(index: number): string {
  return `wal.${String(index).padStart(10, "0")}`;
}

/**
 * Opens the WAL in `opts.dir`. Every segment is checked record by record: a torn tail of the
 * head segment (a write cut short by a crash) is truncated away, logged and returned in
 * `openReport.truncatedTail`; any other bad record throws wal_corrupt naming file and offset.
 * An empty log gets #ENDHEIGHT(0) written (fsynced), so replay at the initial height finds it.
 */
export function openWAL(opts: WalOptions, deps: WalDeps = {}): Wal {
  const dir = opts.dir;
  const maxSegmentBytes = opts.maxSegmentBytes ?? WAL_DEFAULTS.maxSegmentBytes;
  const maxRecordBytes = opts.maxRecordBytes ?? WAL_DEFAULTS.maxRecordBytes;
  const retainHeights = opts.retainHeights ?? WAL_DEFAULTS.retainHeights;
  const logger = deps.logger ?? SILENT_LOGGER;
  if (!Number.isInteger(maxSegmentBytes) || maxSegmentBytes < 64) {
    throw storeError("store_invalid_argument", `maxSegmentBytes must be an integer >= 64`);
  }
  if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 1 || maxRecordBytes > 0xfffffffe) {
    throw storeError("store_invalid_argument", `maxRecordBytes must be in 1..2^32-2`);
  }
  assertHeight(retainHeights, "retainHeights");

  mkdirSync(dir, { recursive: true });
  const indices = readdirSync(dir)
    .map((name) => SEGMENT_NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  for (let i = 1; i < indices.length; i++) {
    if (indices[i] !== (indices[i - 1] as number) + 1) {
      throw storeError(
        "wal_corrupt",
        `WAL ${dir}: segment ${segmentName((indices[i - 1] as number) + 1)} is missing`,
        { dir },
      );
    }
  }

  const segments: Segment[] = [];
  let truncatedTail: WalTruncation | null = null;
  let records = 0;
  indices.forEach((index, i) => {
    const path = join(dir, segmentName(index));
    const isHead = i === indices.length - 1;
    const bytes = readFileSync(path);
    const scan = scanWalSegment(bytes, maxRecordBytes);
    const segment = emptySegment(index, path);
    segment.size = scan.validBytes;
    for (const r of scan.records) {
      noteRecord(segment, r.entry.kind === "endHeight" ? r.entry.height : null);
    }
    records += scan.records.length;
    if (scan.problem) {
      if (!isHead || !scan.problem.tornTail) {
        throw storeError(
          "wal_corrupt",
          `WAL record at ${path} offset ${scan.problem.offset} is corrupt (${scan.problem.reason})` +
            (isHead ? "; valid records follow it" : " in a closed segment"),
          { file: path, offset: scan.problem.offset, reason: scan.problem.reason },
        );
      }
      const fd = openSync(path, "r+");
      try {
        ftruncateSync(fd, scan.validBytes);
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      truncatedTail = {
        file: path,
        offset: scan.validBytes,
        droppedBytes: bytes.length - scan.validBytes,
        reason: scan.problem.reason,
      };
      logger.warn({ ...truncatedTail }, "WAL: cut a torn record off the end of the head segment");
    }
    segments.push(segment);
  });

  if (segments.length === 0) {
    const path = join(dir, segmentName(0));
    closeSync(openSync(path, "ax"));
    fsyncDirSync(dir);
    segments.push(emptySegment(0, path));
  }

  let head = segments[segments.length - 1] as Segment;
  let fd: number | null = openSync(head.path, "a");
  let broken: unknown = null;

  // A log without records gets #ENDHEIGHT(0), as CometBFT's WAL does on start: catchup replay at
  // the initial height looks for marker 0 (consensus/replay.go).
  const created = records === 0;
  if (created) {
    write(encodeWalEndHeight(0n), 0n);
    sync();
  }
  const openReport: WalOpenReport = {
    dir,
    segments: segments.length,
    records,
    created,
    lastEndHeight: lastEnd(),
    truncatedTail,
  };
  if (truncatedTail === null) {
    logger.info({ dir, segments: segments.length, records, created }, "WAL opened");
  }

  function lastEnd(): bigint | null {
    for (let i = segments.length - 1; i >= 0; i--) {
      const end = (segments[i] as Segment).lastEnd;
      if (end !== null) return end;
    }
    return null;
  }

  function liveFd(): number {
    if (broken !== null) {
      throw storeError("wal_corrupt", `WAL ${dir} failed an earlier write and must be reopened`, {
        cause: String(broken),
      });
    }
    if (fd === null) throw storeError("store_closed", `WAL ${dir} is closed`);
    return fd;
  }

  function rotate(): void {
    const current = liveFd();
    fdatasyncSync(current);
    closeSync(current);
    fd = null;
    const index = head.index + 1;
    const path = join(dir, segmentName(index));
    fd = openSync(path, "ax");
    fsyncDirSync(dir);
    head = emptySegment(index, path);
    segments.push(head);
  }

  function write(record: Uint8Array, endHeight: bigint | null): void {
    liveFd();
    if (head.size > 0 && head.size + record.length > maxSegmentBytes) rotate();
    try {
      writeAllSync(liveFd(), record);
    } catch (error) {
      broken = error;
      throw error;
    }
    head.size += record.length;
    noteRecord(head, endHeight);
  }

  function sync(): void {
    try {
      fdatasyncSync(liveFd());
    } catch (error) {
      broken = error;
      throw error;
    }
  }

  function checkPayload(payload: Uint8Array): void {
    if (!(payload instanceof Uint8Array)) {
      throw storeError("store_invalid_argument", "WAL payloads are Uint8Array");
    }
    if (payload.length > maxRecordBytes) {
      throw storeError(
        "wal_record_too_large",
        `WAL payload of ${payload.length} bytes exceeds maxRecordBytes ${maxRecordBytes}`,
      );
    }
  }

  function removeOldSegments(): void {
    const last = lastEnd();
    if (last === null || last < retainHeights) return;
    const keepFrom = last - retainHeights;
    // The first segment holding a marker >= keepFrom holds the marker replay would start at
    // (markers only grow); every segment before it is no longer needed.
    const first = segments.findIndex((s) => s.maxEnd !== null && s.maxEnd >= keepFrom);
    if (first <= 0) return;
    const removed = segments.splice(0, first);
    for (const s of removed) unlinkSync(s.path);
    fsyncDirSync(dir);
    logger.info(
      { dir, removed: removed.map((s) => s.path), keepFrom: String(keepFrom) },
      "WAL: removed old segments",
    );
  }

  function readRecords(segment: Segment): WalScanRecord[] {
    const bytes = readFileSync(segment.path).subarray(0, segment.size);
    const scan = scanWalSegment(bytes, maxRecordBytes);
    if (scan.problem || scan.validBytes !== segment.size) {
      const offset = scan.problem?.offset ?? scan.validBytes;
      throw storeError(
        "wal_corrupt",
        `WAL record at ${segment.path} offset ${offset} is corrupt (${scan.problem?.reason ?? "short file"})`,
        { file: segment.path, offset },
      );
    }
    return scan.records;
  }

  return {
    openReport,
    append(payload) {
      checkPayload(payload);
      write(encodeWalMessage(payload), null);
    },
    appendSync(payload) {
      checkPayload(payload);
      write(encodeWalMessage(payload), null);
      sync();
    },
    writeEndHeight(height) {
      assertHeight(height);
      write(encodeWalEndHeight(height), height);
      sync();
      removeOldSegments();
    },
    sync,
    replayAfterEndHeight(height) {
      assertHeight(height);
      liveFd();
      // Latest marker first, as CometBFT's SearchForEndHeight walks from the newest file.
      for (let i = segments.length - 1; i >= 0; i--) {
        const s = segments[i] as Segment;
        if (s.minEnd === null || s.maxEnd === null || height < s.minEnd || height > s.maxEnd) {
          continue;
        }
        const recs = readRecords(s);
        let at = -1;
        recs.forEach((r, k) => {
          if (r.entry.kind === "endHeight" && r.entry.height === height) at = k;
        });
        if (at < 0) continue;
        const messages: Uint8Array[] = [];
        let tail = recs.slice(at + 1);
        for (let j = i; ; ) {
          for (const r of tail) {
            if (r.entry.kind === "endHeight") {
              return { found: true, messages, nextEndHeight: r.entry.height };
            }
            messages.push(copyBytes(r.entry.payload));
          }
          j++;
          if (j >= segments.length) break;
          tail = readRecords(segments[j] as Segment);
        }
        return { found: true, messages, nextEndHeight: null };
      }
      return { found: false };
    },
    lastEndHeight: lastEnd,
    segmentFiles: () => segments.map((s) => s.path),
    close() {
      if (fd === null) return;
      const current = fd;
      try {
        if (broken === null) fdatasyncSync(current);
      } finally {
        closeSync(current);
        fd = null;
      }
    },
  };
}

/** Size of a message record holding `payloadBytes` (header + kind byte + payload). */
export function walMessageRecordBytes(payloadBytes: number): number {
  return WAL_HEADER_BYTES + 1 + payloadBytes;
}

/** Total bytes of the WAL segments in `dir` (for metrics and tests). */
export function walDiskBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    if (SEGMENT_NAME.test(name)) total += statSync(join(dir, name)).size;
  }
  return total;
}
