// Prometheus metrics of the mempool, named as CometBFT v0.38 names them
// (namespace `cometbft`, subsystem `mempool`; `mempool/metrics.go`).

import { Counter, exponentialBuckets, Gauge, Histogram, type Registry } from "prom-client";

export interface MempoolMetrics {
  /** cometbft_mempool_size: number of uncommitted txs in the mempool. */
  readonly size: { set(value: number): void };
  /** cometbft_mempool_size_bytes: total size of the mempool's txs in bytes. */
  readonly sizeBytes: { set(value: number): void };
  /** cometbft_mempool_tx_size_bytes: histogram of the sizes of txs added. */
  readonly txSizeBytes: { observe(value: number): void };
  /** cometbft_mempool_failed_txs: txs the application rejected in CheckTx. */
  readonly failedTxs: { inc(value?: number): void };
  /** cometbft_mempool_rejected_txs: txs turned away for resource limits (mempool full). */
  readonly rejectedTxs: { inc(value?: number): void };
  /** cometbft_mempool_evicted_txs: txs that were valid but failed a recheck. */
  readonly evictedTxs: { inc(value?: number): void };
  /** cometbft_mempool_recheck_times: number of times the mempool was rechecked. */
  readonly recheckTimes: { inc(value?: number): void };
}

/** Registers the mempool metrics in `register` (labels such as chain_id: registry defaults). */
export function createMempoolMetrics(register: Registry): MempoolMetrics {
  const registers = [register];
  return {
    size: new Gauge({
      name: "cometbft_mempool_size",
      help: "Number of uncommitted transactions in the mempool.",
      registers,
    }),
    sizeBytes: new Gauge({
      name: "cometbft_mempool_size_bytes",
      help: "Total size of the mempool in bytes.",
      registers,
    }),
    txSizeBytes: new Histogram({
      name: "cometbft_mempool_tx_size_bytes",
      help: "Histogram of transaction sizes in bytes.",
      buckets: exponentialBuckets(1, 3, 7),
      registers,
    }),
    failedTxs: new Counter({
      name: "cometbft_mempool_failed_txs",
      help: "Number of failed transactions.",
      registers,
    }),
    rejectedTxs: new Counter({
      name: "cometbft_mempool_rejected_txs",
      help: "Number of rejected transactions.",
      registers,
    }),
    evictedTxs: new Counter({
      name: "cometbft_mempool_evicted_txs",
      help: "Number of evicted transactions.",
      registers,
    }),
    recheckTimes: new Counter({
      name: "cometbft_mempool_recheck_times",
      help: "Number of times transactions are rechecked in the mempool.",
      registers,
    }),
  };
}
