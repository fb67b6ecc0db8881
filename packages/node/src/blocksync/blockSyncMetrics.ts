// Prometheus metrics of block sync, named as CometBFT v0.38 names them (namespace `cometbft`,
// subsystem `blocksync`; blocksync/metrics.go).

import { Counter, Gauge, type Registry } from "prom-client";

export interface BlockSyncMetrics {
  /** cometbft_blocksync_syncing: 1 while block syncing, 0 otherwise. */
  readonly syncing: { set(value: number): void };
  /** cometbft_blocksync_num_txs: txs in the latest synced block. */
  readonly numTxs: { set(value: number): void };
  /** cometbft_blocksync_total_txs: txs in all synced blocks. */
  readonly totalTxs: { inc(value?: number): void };
  /** cometbft_blocksync_block_size_bytes: size of the latest synced block. */
  readonly blockSizeBytes: { set(value: number): void };
  /** cometbft_blocksync_latest_block_height: height of the latest synced block. */
  readonly latestBlockHeight: { set(value: number): void };
}

/** Registers the block sync metrics in `register` (labels such as chain_id: registry defaults). */
export function createBlockSyncMetrics(register: Registry): BlockSyncMetrics {
  const registers = [register];
  return {
    syncing: new Gauge({
      name: "cometbft_blocksync_syncing",
      help: "Whether or not a node is block syncing. 1 if yes, 0 if no.",
      registers,
    }),
    numTxs: new Gauge({
      name: "cometbft_blocksync_num_txs",
      help: "Number of transactions in the latest block.",
      registers,
    }),
    totalTxs: new Counter({
      name: "cometbft_blocksync_total_txs",
      help: "Total number of transactions.",
      registers,
    }),
    blockSizeBytes: new Gauge({
      name: "cometbft_blocksync_block_size_bytes",
      help: "Size of the latest block.",
      registers,
    }),
    latestBlockHeight: new Gauge({
      name: "cometbft_blocksync_latest_block_height",
      help: "The latest block height.",
      registers,
    }),
  };
}
