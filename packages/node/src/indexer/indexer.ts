// The tx and block indexer (CometBFT `state/txindex/kv`, `state/indexer/block/kv`) on two LMDB
// sub-databases: tx results by hash, positions by (height, index), event attributes for search.

import {
  concatBytes,
  equalBytes,
  err,
  fromHex,
  ok,
  QosError,
  type Result,
  toHex,
} from "@qos/types";
import type { Database, RootDatabase } from "lmdb";
import type { Logger } from "pino";
import { parseQuery, type Query } from "../events/query.ts";
import { type CompiledCondition, compileQuery } from "../events/queryMatch.ts";
import {
  allPositions,
  type BinaryDb,
  encodePosition,
  type IndexEvent,
  type IndexSpace,
  MAX_INT64,
  PREFIX_RECORD,
  primaryKey,
  putEvents,
  searchPositions,
  sortPositions,
} from "./eventIndex.ts";

export const TX_HEIGHT_KEY = "tx.height";
export const TX_HASH_KEY = "tx.hash";
export const BLOCK_HEIGHT_KEY = "block.height";

export interface TxIndexEntry {
  readonly height: bigint;
  /** Position of the tx in its block. */
  readonly index: number;
  /** sha256 of the tx bytes (CometBFT `Tx.Hash()`). */
  readonly hash: Uint8Array;
  readonly txBytes: Uint8Array;
  /** The encoded `ExecTxResult`. */
  readonly resultBytes: Uint8Array;
  /** The result's events; attributes with `index: true` become searchable. */
  readonly events: readonly IndexEvent[];
  /** The result code (0 = OK, the default). A failed tx never replaces an OK one. */
  readonly code?: number;
}

export interface IndexedTx {
  readonly height: bigint;
  readonly index: number;
  readonly hash: Uint8Array;
  readonly txBytes: Uint8Array;
  readonly resultBytes: Uint8Array;
  readonly code: number;
}

export interface BlockIndexEntry {
  readonly height: bigint;
  /** FinalizeBlock events (attributes with `index: true` become searchable). */
  readonly events: readonly IndexEvent[];
}

export interface SearchOptions {
  /** 1-based page (default 1); a page past the end gives no items. */
  readonly page?: number;
  /** Items per page (default 30). */
  readonly perPage?: number;
  /** By (height, index); default "asc". */
  readonly orderBy?: "asc" | "desc";
}

export interface TxSearchResult {
  readonly total: number;
  readonly items: readonly IndexedTx[];
}

export interface BlockSearchResult {
  readonly total: number;
  readonly heights: readonly bigint[];
}

export type IndexerErrorCode = "QUERY_SYNTAX" | "INVALID_ENTRY";

export interface IndexerOptions {
  /** Sub-database names (defaults "tx_index" and "block_index"). */
  readonly txDbName?: string;
  readonly blockDbName?: string;
}

export interface IndexerDeps {
  /** An open LMDB environment; the indexer opens its own two sub-databases in it. */
  readonly root: RootDatabase;
  readonly logger?: Logger;
}

export interface Indexer {
  /** Indexes the txs of one block in one LMDB transaction. */
  indexTxs(entries: readonly TxIndexEntry[]): Promise<void>;
  indexTx(entry: TxIndexEntry): Promise<void>;
  indexBlock(entry: BlockIndexEntry): Promise<void>;
  /** Indexes a block's FinalizeBlock events and its txs together, in one LMDB transaction. */
  indexFinalizedBlock(block: BlockIndexEntry, txs: readonly TxIndexEntry[]): Promise<void>;
  getTx(hash: Uint8Array): IndexedTx | undefined;
  hasBlock(height: bigint): boolean;
  /**
   * Makes the next read see everything committed to the index, also by another thread (the
   * index worker). lmdb-js keeps a read snapshot until a zero-delay timer after it was taken.
   */
  refresh(): void;
  /** `tx_search`: a bad query gives its parse error. */
  searchTxs(
    query: string | Query,
    opts?: SearchOptions,
  ): Result<TxSearchResult, QosError<IndexerErrorCode>>;
  /** `block_search`. */
  searchBlocks(
    query: string | Query,
    opts?: SearchOptions,
  ): Result<BlockSearchResult, QosError<IndexerErrorCode>>;
}

const TX_POS_WIDTH = 12;
const BLOCK_POS_WIDTH = 8;
const INDEX_LIMIT = 2 ** 32;

function txPosition(height: bigint, index: number): bigint {
  return (height << 32n) | BigInt(index);
}

function encodeRecord(e: TxIndexEntry): Uint8Array {
  const head = new Uint8Array(20);
  const view = new DataView(head.buffer);
  view.setBigUint64(0, e.height);
  view.setUint32(8, e.index);
  view.setUint32(12, e.code ?? 0);
  view.setUint32(16, e.txBytes.length);
  return concatBytes(head, e.txBytes, e.resultBytes);
}

function decodeRecord(hash: Uint8Array, bytes: Uint8Array): IndexedTx {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const txLen = view.getUint32(16);
  return {
    height: view.getBigUint64(0),
    index: view.getUint32(8),
    code: view.getUint32(12),
    hash: Uint8Array.from(hash),
    txBytes: new Uint8Array(bytes.subarray(20, 20 + txLen)),
    resultBytes: new Uint8Array(bytes.subarray(20 + txLen)),
  };
}

function validateTx(e: TxIndexEntry): string | undefined {
  if (e.height < 0n || e.height > MAX_INT64) return `height ${e.height} out of range`;
  if (!Number.isInteger(e.index) || e.index < 0 || e.index >= INDEX_LIMIT) {
    return `tx index ${e.index} out of range`;
  }
  if (e.hash.length === 0) return "empty tx hash";
  const code = e.code ?? 0;
  if (!Number.isInteger(code) || code < 0 || code >= INDEX_LIMIT)
    return `code ${code} out of range`;
  return undefined;
}

function resolve(query: string | Query): Result<Query, QosError<IndexerErrorCode>> {
  if (typeof query !== "string") return ok(query);
  const parsed = parseQuery(query);
  return parsed.ok
    ? parsed
    : err(new QosError("QUERY_SYNTAX", parsed.error.message, parsed.error.details));
}

function paginate<T>(list: readonly T[], opts: SearchOptions): readonly T[] {
  const page = opts.page ?? 1;
  const perPage = opts.perPage ?? 30;
  if (page < 1 || perPage < 1) return [];
  return list.slice((page - 1) * perPage, page * perPage);
}

export function createIndexer(opts: IndexerOptions, deps: IndexerDeps): Indexer {
  const txDb = deps.root.openDB({
    name: opts.txDbName ?? "tx_index",
    keyEncoding: "binary",
    encoding: "binary",
  }) as Database<Uint8Array, Uint8Array> as BinaryDb;
  const blockDb = deps.root.openDB({
    name: opts.blockDbName ?? "block_index",
    keyEncoding: "binary",
    encoding: "binary",
  }) as Database<Uint8Array, Uint8Array> as BinaryDb;
  const logger = deps.logger;

  const txSpace: IndexSpace = {
    db: txDb,
    posWidth: TX_POS_WIDTH,
    heightTag: TX_HEIGHT_KEY,
    ownType: "tx",
    heightOf: (pos) => pos >> 32n,
    positionsOfHeights: (lo, hi) => [lo << 32n, (hi << 32n) | 0xffffffffn],
  };
  const blockSpace: IndexSpace = {
    db: blockDb,
    posWidth: BLOCK_POS_WIDTH,
    heightTag: BLOCK_HEIGHT_KEY,
    ownType: "block",
    heightOf: (pos) => pos,
    positionsOfHeights: (lo, hi) => [lo, hi],
  };

  function recordKey(hash: Uint8Array): Uint8Array {
    return concatBytes(new Uint8Array([PREFIX_RECORD]), hash);
  }

  function loadTx(hash: Uint8Array): IndexedTx | undefined {
    const bytes = txDb.get(recordKey(hash));
    return bytes === undefined ? undefined : decodeRecord(hash, bytes);
  }

  /** The hash at a position if that position is still the tx's current one. */
  function currentTxAt(pos: bigint): IndexedTx | undefined {
    const hash = txDb.get(primaryKey(txSpace, pos));
    if (hash === undefined) return undefined;
    const tx = loadTx(hash);
    if (tx === undefined || txPosition(tx.height, tx.index) !== pos) return undefined;
    return tx;
  }

  function writeTx(e: TxIndexEntry): void {
    const existing = txDb.get(recordKey(e.hash));
    const code = e.code ?? 0;
    // CometBFT txindex/kv Index: a failed result never overwrites an earlier successful one.
    const previous = existing === undefined ? undefined : decodeRecord(e.hash, existing);
    if (code !== 0 && previous?.code === 0) return;
    const pos = txPosition(e.height, e.index);
    if (previous !== undefined) {
      // The tx moves: its old position no longer resolves (its old event entries are ignored).
      const old = txPosition(previous.height, previous.index);
      const holder = old === pos ? undefined : txDb.get(primaryKey(txSpace, old));
      if (holder !== undefined && equalBytes(holder, e.hash)) txDb.remove(primaryKey(txSpace, old));
    }
    txDb.put(recordKey(e.hash), encodeRecord(e));
    txDb.put(primaryKey(txSpace, pos), e.hash);
    putEvents(txSpace, pos, e.events, [TX_HEIGHT_KEY, TX_HASH_KEY]);
  }

  function writeBlock(b: BlockIndexEntry): void {
    blockDb.put(primaryKey(blockSpace, b.height), encodePosition(b.height, BLOCK_POS_WIDTH));
    putEvents(blockSpace, b.height, b.events, [BLOCK_HEIGHT_KEY]);
  }

  function checkAll(block: BlockIndexEntry | undefined, txs: readonly TxIndexEntry[]): void {
    if (block !== undefined && (block.height < 0n || block.height > MAX_INT64)) {
      throw new QosError("INVALID_ENTRY", `block height ${block.height} out of range`);
    }
    for (const e of txs) {
      const problem = validateTx(e);
      if (problem !== undefined) throw new QosError("INVALID_ENTRY", problem);
    }
  }

  async function write(
    block: BlockIndexEntry | undefined,
    txs: readonly TxIndexEntry[],
  ): Promise<void> {
    checkAll(block, txs);
    await deps.root.transaction(() => {
      if (block !== undefined) writeBlock(block);
      for (const e of txs) writeTx(e);
    });
    logger?.debug({ height: block?.height ?? txs[0]?.height, txs: txs.length }, "indexed");
  }

  /** `tx.hash`: an exact (hex, any case) lookup; other operators test the upper-case hex. */
  function txHashCondition(
    c: CompiledCondition,
    candidates: ReadonlySet<bigint> | undefined,
  ): Set<bigint> | undefined {
    if (c.tag !== TX_HASH_KEY) return undefined;
    const out = new Set<bigint>();
    const operand = c.condition.operand;
    if (c.condition.op === "=" && operand?.type === "string") {
      const hash = fromHex(operand.text);
      const tx = hash === null || hash.length === 0 ? undefined : loadTx(hash);
      if (tx !== undefined) {
        const pos = txPosition(tx.height, tx.index);
        if (candidates === undefined || candidates.has(pos)) out.add(pos);
      }
      return out;
    }
    for (const pos of candidates ?? allPositions(txSpace)) {
      const hash = txDb.get(primaryKey(txSpace, pos));
      if (hash !== undefined && c.match(toHex(hash))) out.add(pos);
    }
    return out;
  }

  return {
    indexTxs: (entries) => write(undefined, entries),
    indexTx: (entry) => write(undefined, [entry]),
    indexBlock: (entry) => write(entry, []),
    indexFinalizedBlock: (block, txs) => write(block, txs),

    getTx(hash) {
      return hash.length === 0 ? undefined : loadTx(hash);
    },

    refresh() {
      deps.root.resetReadTxn();
    },

    hasBlock(height) {
      if (height < 0n || height > MAX_INT64) return false;
      return blockDb.doesExist(primaryKey(blockSpace, height));
    },

    searchTxs(query, searchOpts = {}) {
      const q = resolve(query);
      if (!q.ok) return q;
      const compiled = compileQuery(q.value);
      const found = searchPositions(txSpace, compiled.conditions, txHashCondition);
      // Positions a moved tx left behind have no primary entry any more.
      const live = sortPositions(found, searchOpts.orderBy ?? "asc").filter((pos) =>
        txDb.doesExist(primaryKey(txSpace, pos)),
      );
      const items: IndexedTx[] = [];
      for (const pos of paginate(live, searchOpts)) {
        const tx = currentTxAt(pos);
        if (tx !== undefined) items.push(tx);
      }
      return ok({ total: live.length, items });
    },

    searchBlocks(query, searchOpts = {}) {
      const q = resolve(query);
      if (!q.ok) return q;
      const compiled = compileQuery(q.value);
      const found = searchPositions(blockSpace, compiled.conditions);
      const heights = sortPositions(found, searchOpts.orderBy ?? "asc").filter((h) =>
        blockDb.doesExist(primaryKey(blockSpace, h)),
      );
      return ok({ total: heights.length, heights: paginate(heights, searchOpts) });
    },
  };
}
