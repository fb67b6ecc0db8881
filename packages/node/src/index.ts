export const PACKAGE = "@qos/node";
export * from "./abciConvert.ts";
export * from "./appFactory.ts";
export * from "./blockExecutor.ts";
export * from "./blocksync/blockSync.ts";
export * from "./blocksync/blockSyncMetrics.ts";
export * from "./blocksync/blocksyncMessages.ts";
export * from "./chainState.ts";
export * from "./config.ts";
export * from "./consensusHost.ts";
export * from "./consensusReactor.ts";
export * from "./dataDirLock.ts";
export * from "./events/eventBus.ts";
export * from "./events/query.ts";
export {
  type CompiledQuery,
  compileQuery,
  type EventMap,
  matchesQuery,
} from "./events/queryMatch.ts";
export * from "./evidence/evidencePool.ts";
export * from "./evidence/evidenceStore.ts";
export * from "./genesis.ts";
export * from "./handshake.ts";
export * from "./home.ts";
export type { IndexEvent, IndexEventAttribute } from "./indexer/eventIndex.ts";
export * from "./indexer/indexer.ts";
export * from "./keyFiles.ts";
export * from "./logger.ts";
export * from "./mempool/mempool.ts";
export * from "./mempool/mempoolMetrics.ts";
export * from "./mempool/mempoolReactor.ts";
export * from "./mempool/txCache.ts";
export * from "./node.ts";
export * from "./nodeMetrics.ts";
export type { P2PNodeInfo } from "./p2p/nodeInfo.ts";
export * from "./p2p/p2pMetrics.ts";
export * from "./p2p/p2pNetwork.ts";
export {
  type PeerAddress,
  parsePeerAddress,
  parsePeerList,
  peerAddressToString,
} from "./p2p/peerAddress.ts";
export * from "./rpc/jsonEncode.ts";
export * from "./rpc/listenAddress.ts";
export * from "./rpc/metricsServer.ts";
export * from "./rpc/pagination.ts";
export * from "./rpc/params.ts";
export * from "./rpc/registry.ts";
export * from "./rpc/rpcError.ts";
export * from "./rpc/rpcServer.ts";
export { MAX_QUERY_LENGTH } from "./rpc/wsConnection.ts";
export * from "./rpcRoutes.ts";
export * from "./version.ts";
