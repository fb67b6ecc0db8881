// Consensus and chain metrics in CometBFT's names (consensus/metrics.go), so existing
// dashboards work: height, block interval, txs per block, validators and their power.

import type { Block } from "@qos/types";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface NodeMetrics {
  /** Records a committed block. */
  onBlock(block: Block, nowMs: number): void;
  /** The current round and step (1 propose, 2 prevote, 3 precommit, 4 commit). */
  setRoundStep(round: number, step: number): void;
  setValidators(count: number, power: bigint): void;
}

export function createNodeMetrics(register: Registry, namespace: string): NodeMetrics {
  const name = (n: string) => `${namespace}_consensus_${n}`;
  const height = new Gauge({
    name: name("height"),
    help: "Height of the chain.",
    registers: [register],
  });
  const rounds = new Gauge({
    name: name("rounds"),
    help: "Round of the current height.",
    registers: [register],
  });
  const step = new Gauge({
    name: name("step"),
    help: "Step of the current round (1 propose, 2 prevote, 3 precommit, 4 commit).",
    registers: [register],
  });
  const validators = new Gauge({
    name: name("validators"),
    help: "Number of validators.",
    registers: [register],
  });
  const validatorsPower = new Gauge({
    name: name("validators_power"),
    help: "Total voting power of the validators.",
    registers: [register],
  });
  const numTxs = new Gauge({
    name: name("num_txs"),
    help: "Number of txs in the latest block.",
    registers: [register],
  });
  const totalTxs = new Counter({
    name: name("total_txs"),
    help: "Total number of committed txs.",
    registers: [register],
  });
  const blockSize = new Gauge({
    name: name("block_size_bytes"),
    help: "Size of the latest block's txs.",
    registers: [register],
  });
  const interval = new Histogram({
    name: name("block_interval_seconds"),
    help: "Time between this and the last block.",
    buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    registers: [register],
  });
  let lastBlockMs: number | null = null;
  return {
    onBlock(block, nowMs) {
      const txs = block.data?.txs ?? [];
      height.set(Number(block.header?.height ?? 0n));
      numTxs.set(txs.length);
      totalTxs.inc(txs.length);
      blockSize.set(txs.reduce((n, tx) => n + tx.length, 0));
      if (lastBlockMs !== null) interval.observe((nowMs - lastBlockMs) / 1000);
      lastBlockMs = nowMs;
    },
    setRoundStep(round, s) {
      rounds.set(round);
      step.set(s);
    },
    setValidators(count, power) {
      validators.set(count);
      validatorsPower.set(Number(power));
    },
  };
}
