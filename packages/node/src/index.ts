export const PACKAGE = "@qos/node";
export * from "./mempool/computeProtoSizeForTxs.ts";
export * from "./mempool/mempool.ts";
export * from "./mempool/mempoolMetrics.ts";
export * from "./mempool/txCache.ts";
