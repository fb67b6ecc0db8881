// The node's mempool (CometBFT v0.38 CListMempool semantics): admits txs through the
// app's CheckTx, keeps them in arrival order for reaping, and rechecks them after each block.

import type { Application, CheckTxResponse, ExecTxResult } from "@qos/app";
import { sha256 } from "@qos/crypto";
import { computeProtoSizeForTxs, err, ok, QosError, type Result, toHex } from "@qos/types";
import type { MempoolMetrics } from "./mempoolMetrics.ts";
import { createTxCache } from "./txCache.ts";

/** The `[mempool]` section of config.toml, with CometBFT's defaults in DEFAULT_MEMPOOL_OPTIONS. */
export interface MempoolOptions {
  /** Maximum number of txs held (`size`). */
  readonly size: number;
  /** Maximum total bytes of the txs held (`max_txs_bytes`). */
  readonly maxTxsBytes: number;
  /** Maximum size of one tx (`max_tx_bytes`). */
  readonly maxTxBytes: number;
  /** How many tx hashes the duplicate cache remembers; 0 disables it (`cache_size`). */
  readonly cacheSize: number;
  /** Keep txs the app rejected in the cache, so they are never checked again. */
  readonly keepInvalidTxsInCache: boolean;
  /** Recheck the remaining txs against the app after each block. */
  readonly recheck: boolean;
}

/** CometBFT v0.38 `DefaultMempoolConfig` (config/config.go). */
export const DEFAULT_MEMPOOL_OPTIONS: MempoolOptions = {
  size: 5000,
  maxTxsBytes: 1024 * 1024 * 1024,
  maxTxBytes: 1024 * 1024,
  cacheSize: 10000,
  keepInvalidTxsInCache: false,
  recheck: true,
};

export type MempoolErrorCode =
  | "tx_empty"
  | "tx_too_large"
  | "mempool_full"
  | "tx_in_cache"
  | "tx_in_mempool"
  | "app_error";

export type MempoolError = QosError<MempoolErrorCode>;

/** The subset of a pino logger the mempool uses (pass `logger.child({ module: "mempool" })`). */
export interface MempoolLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MempoolDeps {
  readonly app: Pick<Application, "checkTx" | "preCheckTx">;
  readonly logger: MempoolLogger;
  readonly metrics: MempoolMetrics | null;
}

/** A tx held by the mempool. */
export interface MempoolTx {
  readonly tx: Uint8Array;
  /** SHA-256 of the tx: its key (CometBFT `types.Tx.Key`). */
  readonly hash: Uint8Array;
  /** The mempool's height (last `update`) when the tx entered. */
  readonly height: bigint;
  /** From the tx's CheckTx response; counted against the block gas limit when reaping. */
  readonly gasWanted: bigint;
  /** From the tx's CheckTx response (0 if the app gave none); kept, not used to order. */
  readonly priority: bigint;
  /** Peers (or "rpc" callers) that sent the tx, so gossip skips them. */
  readonly senders: ReadonlySet<string>;
}

export interface Mempool {
  /**
   * Runs a new tx through the checks and the app's CheckTx. Returns the app's response
   * (code 0: added; non-zero: not added) or a MempoolError when the tx never reached
   * the app. Calls are serialised in arrival order, and wait while the mempool is locked.
   * `opts.hash`, when given, must be sha256(tx) (a caller that needs it too computes it once).
   */
  checkTx(
    tx: Uint8Array,
    opts?: { readonly sender?: string; readonly hash?: Uint8Array },
  ): Promise<Result<CheckTxResponse, MempoolError>>;
  /**
   * Txs in arrival order while they fit: their proto size in `Data` (see
   * computeProtoSizeForTxs) within maxBytes and their gasWanted within maxGas; −1 = no limit.
   * Stops at the first tx that does not fit, like CometBFT.
   */
  reapMaxBytesMaxGas(maxBytes: bigint, maxGas: bigint): Uint8Array[];
  /** The first `max` txs in arrival order; a negative max returns all. */
  reapMaxTxs(max: number): Uint8Array[];
  /**
   * Takes the mempool lock: waits for checkTx calls already queued, then holds later
   * ones back until `unlock()`. The node holds it from before the app's Commit until
   * `update` returns, as CometBFT's BlockExecutor.Commit does.
   */
  lock(): Promise<void>;
  unlock(): void;
  /**
   * After a block is committed (call while holding `lock()`): drops the block's txs and
   * keeps the successful ones in the cache so they cannot enter again, then, if
   * `recheck`, runs CheckTx (type recheck) on every remaining tx in order and evicts
   * those that fail. `txHashes`, when given, are the sha256 of `committedTxs` (computed once
   * by the block executor).
   */
  update(
    height: bigint,
    committedTxs: readonly Uint8Array[],
    txResults: readonly Pick<ExecTxResult, "code">[],
    txHashes?: readonly Uint8Array[],
  ): Promise<void>;
  /** Number of txs held. */
  size(): number;
  /** Total bytes of the txs held. */
  sizeBytes(): number;
  /** Txs in arrival order. */
  txs(): Uint8Array[];
  /** Txs with their metadata, in arrival order. */
  entries(): MempoolTx[];
  /** The height of the last `update` (0 before the first). */
  height(): bigint;
  /** Drops every tx and empties the cache. */
  flush(): void;
  has(hash: Uint8Array): boolean;
  get(hash: Uint8Array): MempoolTx | undefined;
  /** Removes a tx (not from the cache); false if it was not held. */
  removeTxByKey(hash: Uint8Array): boolean;
  /**
   * `cb` fires at most once per height: when the first tx arrives after an update, or
   * right after an update that leaves txs behind (CometBFT `TxsAvailable`). Returns an
   * unsubscribe function.
   */
  onTxsAvailable(cb: () => void): () => void;
  /** `cb` fires for every tx added (the gossip reactor's feed). Returns an unsubscribe function. */
  onTxAdded(cb: (tx: MempoolTx) => void): () => void;
}

interface Entry {
  readonly tx: Uint8Array;
  readonly hash: Uint8Array;
  readonly height: bigint;
  readonly gasWanted: bigint;
  readonly priority: bigint;
  readonly senders: Set<string>;
}

function mempoolError(
  code: MempoolErrorCode,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): { ok: false; error: MempoolError } {
  return err(new QosError(code, message, details));
}

/** A FIFO async mutex: holders run one at a time, in the order they asked. */
function createMutex(): () => Promise<() => void> {
  let tail: Promise<void> = Promise.resolve();
  return () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const prev = tail;
    tail = prev.then(() => held);
    return prev.then(() => release);
  };
}

export function createMempool(opts: Partial<MempoolOptions>, deps: MempoolDeps): Mempool {
  const o: MempoolOptions = { ...DEFAULT_MEMPOOL_OPTIONS, ...opts };
  const { app, logger, metrics } = deps;
  const cache = createTxCache(o.cacheSize);
  const txs = new Map<string, Entry>(); // insertion order = arrival order
  const acquire = createMutex();
  const availableListeners = new Set<() => void>();
  const addedListeners = new Set<(tx: MempoolTx) => void>();

  let txsBytes = 0;
  let height = 0n;
  let notifiedTxsAvailable = false;
  let lockRelease: (() => void) | null = null;

  const keyOf = (hash: Uint8Array): string => toHex(hash);

  function updateGauges(): void {
    metrics?.size.set(txs.size);
    metrics?.sizeBytes.set(txsBytes);
  }

  function removeEntry(key: string): boolean {
    const e = txs.get(key);
    if (e === undefined) return false;
    txs.delete(key);
    txsBytes -= e.tx.length;
    return true;
  }

  function notifyTxsAvailable(): void {
    if (notifiedTxsAvailable || txs.size === 0) return;
    notifiedTxsAvailable = true;
    for (const cb of availableListeners) {
      try {
        cb();
      } catch (e) {
        logger.error({ err: e }, "txs-available listener threw");
      }
    }
  }

  function fullError(txSize: number): { ok: false; error: MempoolError } | null {
    if (txs.size >= o.size || txSize + txsBytes > o.maxTxsBytes) {
      return mempoolError(
        "mempool_full",
        `mempool is full: number of txs ${txs.size} (max: ${o.size}), total txs bytes ${txsBytes} (max: ${o.maxTxsBytes})`,
        { numTxs: txs.size, maxTxs: o.size, txsBytes, maxTxsBytes: o.maxTxsBytes },
      );
    }
    return null;
  }

  async function admit(
    tx: Uint8Array,
    hash: Uint8Array,
    key: string,
    sender: string | undefined,
  ): Promise<Result<CheckTxResponse, MempoolError>> {
    // Under the lock, as CometBFT pushes to the cache under its update lock: a tx that
    // a block committed while this call waited is refused here, not admitted again.
    if (!cache.push(key)) {
      const cached = txs.get(key);
      if (cached !== undefined && sender !== undefined) cached.senders.add(sender);
      return mempoolError("tx_in_cache", "tx already exists in cache");
    }
    const held = txs.get(key);
    if (held !== undefined) {
      // The cache forgot it (evicted or disabled) but the mempool still holds it.
      if (sender !== undefined) held.senders.add(sender);
      return mempoolError("tx_in_mempool", "tx already exists in mempool");
    }
    const full = fullError(tx.length);
    if (full !== null) {
      cache.remove(key); // it may fit later
      metrics?.rejectedTxs.inc();
      return full;
    }
    let res: CheckTxResponse;
    try {
      res = await app.checkTx({ tx, type: "new" });
    } catch (e) {
      cache.remove(key);
      logger.error({ err: e, tx: key }, "application CheckTx failed");
      return mempoolError("app_error", `application CheckTx failed: ${(e as Error).message}`);
    }
    if (res.code !== 0) {
      metrics?.failedTxs.inc();
      if (!o.keepInvalidTxsInCache) cache.remove(key);
      logger.debug({ tx: key, code: res.code, log: res.log }, "rejected invalid tx");
      return ok(res);
    }
    const entry: Entry = {
      tx,
      hash,
      height,
      gasWanted: res.gasWanted,
      priority: res.priority ?? 0n,
      senders: new Set(sender === undefined ? [] : [sender]),
    };
    txs.set(key, entry);
    txsBytes += tx.length;
    metrics?.txSizeBytes.observe(tx.length);
    updateGauges();
    logger.debug({ tx: key, height, total: txs.size }, "added tx");
    for (const cb of addedListeners) {
      try {
        cb(entry);
      } catch (e) {
        logger.error({ err: e }, "tx-added listener threw");
      }
    }
    notifyTxsAvailable();
    return ok(res);
  }

  async function recheckTxs(): Promise<void> {
    metrics?.recheckTimes.inc();
    let evicted = 0;
    for (const [key, e] of [...txs]) {
      let res: CheckTxResponse;
      try {
        res = await app.checkTx({ tx: e.tx, type: "recheck" });
      } catch (cause) {
        logger.error({ err: cause, tx: key }, "application recheck failed; keeping the tx");
        continue;
      }
      if (res.code === 0) continue;
      removeEntry(key);
      if (!o.keepInvalidTxsInCache) cache.remove(key);
      metrics?.evictedTxs.inc();
      evicted++;
      logger.debug({ tx: key, code: res.code, log: res.log }, "tx is no longer valid");
    }
    if (evicted > 0) logger.debug({ evicted, remaining: txs.size }, "recheck evicted txs");
  }

  const mempool: Mempool = {
    async checkTx(tx, callOpts = {}) {
      if (tx.length === 0) return mempoolError("tx_empty", "tx is empty");
      if (tx.length > o.maxTxBytes) {
        return mempoolError(
          "tx_too_large",
          `tx too large. Max size is ${o.maxTxBytes}, but got ${tx.length}`,
          { max: o.maxTxBytes, actual: tx.length },
        );
      }
      const hash = callOpts.hash ?? sha256(tx);
      const key = keyOf(hash);
      // The place in line is taken on arrival; the app's pre-check (signatures on a worker
      // thread) runs meanwhile, concurrently with other txs' admission. CheckTx decides.
      const turn = acquire();
      if (app.preCheckTx !== undefined && !cache.has(key)) {
        try {
          await app.preCheckTx(tx);
        } catch (e) {
          logger.debug({ err: e, tx: key }, "application pre-check failed");
        }
      }
      const release = await turn;
      try {
        return await admit(tx, hash, key, callOpts.sender);
      } finally {
        release();
      }
    },

    reapMaxBytesMaxGas(maxBytes, maxGas) {
      const out: Uint8Array[] = [];
      let bytes = 0n;
      let gas = 0n;
      for (const e of txs.values()) {
        const size = BigInt(computeProtoSizeForTxs([e.tx]));
        if (maxBytes > -1n && bytes + size > maxBytes) break;
        if (maxGas > -1n && gas + e.gasWanted > maxGas) break;
        bytes += size;
        gas += e.gasWanted;
        out.push(e.tx);
      }
      return out;
    },

    reapMaxTxs(max) {
      const n = max < 0 ? txs.size : Math.min(max, txs.size);
      const out: Uint8Array[] = [];
      for (const e of txs.values()) {
        if (out.length >= n) break;
        out.push(e.tx);
      }
      return out;
    },

    async lock() {
      const release = await acquire();
      lockRelease = release;
    },

    unlock() {
      const release = lockRelease;
      if (release === null) throw new Error("mempool.unlock: the mempool is not locked");
      lockRelease = null;
      release();
    },

    async update(newHeight, committedTxs, txResults, txHashes) {
      if (lockRelease === null) throw new Error("mempool.update: call lock() first");
      if (committedTxs.length !== txResults.length) {
        throw new Error(
          `mempool.update: ${committedTxs.length} txs but ${txResults.length} results`,
        );
      }
      height = newHeight;
      notifiedTxsAvailable = false;
      for (let i = 0; i < committedTxs.length; i++) {
        const tx = committedTxs[i] as Uint8Array;
        const key = keyOf(txHashes?.[i] ?? sha256(tx));
        if ((txResults[i] as Pick<ExecTxResult, "code">).code === 0) {
          // Committed: remembered, so the same tx cannot enter again.
          cache.push(key);
        } else if (!o.keepInvalidTxsInCache) {
          // Invalid in the block: it may be sent again.
          cache.remove(key);
        }
        removeEntry(key);
      }
      if (txs.size > 0) {
        if (o.recheck) await recheckTxs();
        notifyTxsAvailable();
      }
      updateGauges();
    },

    size: () => txs.size,
    sizeBytes: () => txsBytes,
    txs: () => Array.from(txs.values(), (e) => e.tx),
    entries: () => [...txs.values()],
    height: () => height,

    flush() {
      txs.clear();
      txsBytes = 0;
      cache.reset();
      updateGauges();
    },

    has: (hash) => txs.has(keyOf(hash)),
    get: (hash) => txs.get(keyOf(hash)),

    removeTxByKey(hash) {
      const removed = removeEntry(keyOf(hash));
      if (removed) updateGauges();
      return removed;
    },

    onTxsAvailable(cb) {
      availableListeners.add(cb);
      return () => availableListeners.delete(cb);
    },

    onTxAdded(cb) {
      addedListeners.add(cb);
      return () => addedListeners.delete(cb);
    },
  };
  return mempool;
}
