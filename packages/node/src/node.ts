// The composition root: opens the home directory's stores and keys, runs the handshake
// with the application, and wires consensus, mempool, indexer, event bus, RPC and
// metrics together. Only this file constructs subsystems.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { cryptoBackendInfo } from "@qos/crypto";
import {
  type BlockStore,
  createBlockStore,
  createStateStore,
  type NodeDb,
  openLastSignState,
  openNodeDb,
  openWAL,
  type StateStore,
} from "@qos/store";
import {
  BLOCK_PROTOCOL,
  type Block,
  type BlockID,
  BlockMetaSchema,
  CommitSchema,
  createCommit,
  decodeWireMessage,
  QosError,
  type Result,
  toHex,
} from "@qos/types";
import { open as openLmdb } from "lmdb";
import { Registry } from "prom-client";
import { createApplication } from "./appFactory.ts";
import { createBlockExecutor } from "./blockExecutor.ts";
import type { BlockResults } from "./blockResults.ts";
import { createBlockSync } from "./blocksync/blockSync.ts";
import { createBlockSyncMetrics } from "./blocksync/blockSyncMetrics.ts";
import type { ChainState } from "./chainState.ts";
import { loadConfig, type NodeConfig } from "./config.ts";
import {
  type Clock,
  type ConsensusHost,
  createConsensusHost,
  systemClock,
} from "./consensusHost.ts";
import { createConsensusReactor } from "./consensusReactor.ts";
import { lockDataDir } from "./dataDirLock.ts";
import { createEventBus } from "./events/eventBus.ts";
import { createEvidencePool } from "./evidence/evidencePool.ts";
import { type GenesisDoc, loadGenesis } from "./genesis.ts";
import { handshake } from "./handshake.ts";
import { configPaths } from "./home.ts";
import { catchUpIndexer } from "./indexer/blockIndexing.ts";
import { createIndexer, type Indexer } from "./indexer/indexer.ts";
import { createIndexingQueue, type IndexingQueue } from "./indexer/indexingQueue.ts";
import { loadNodeKey, loadValidatorKey, nodeIdFromPublicKey } from "./keyFiles.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMempool } from "./mempool/mempool.ts";
import { createMempoolMetrics } from "./mempool/mempoolMetrics.ts";
import { createMempoolReactor } from "./mempool/mempoolReactor.ts";
import { createNodeMetrics } from "./nodeMetrics.ts";
import { createP2PMetrics } from "./p2p/p2pMetrics.ts";
import { createP2PNetwork, DEFAULT_BAN_DURATION_MS } from "./p2p/p2pNetwork.ts";
import { collectProcessMetrics } from "./processMetrics.ts";
import { createMetricsServer, type MetricsServer } from "./rpc/metricsServer.ts";
import { createRpcServer, type RpcServer } from "./rpc/rpcServer.ts";
import { blockEventsForBus, createRpcRoutes } from "./rpcRoutes.ts";
import { QOS_VERSION } from "./version.ts";

/** The consensus step as CometBFT's `consensus_step` metric numbers it (1 propose … 4 commit). */
const ROUND_STEP_NUMBER: Record<string, number> = {
  propose: 1,
  prevote: 2,
  precommit: 3,
  commit: 4,
};

export interface NodeOptions {
  readonly home: string;
  /** `section.key` → value overrides of config.toml (command-line flags). */
  readonly overrides?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface RunningNode {
  readonly config: NodeConfig;
  readonly nodeId: string;
  readonly genesis: GenesisDoc;
  /** The bound RPC address, e.g. `http://127.0.0.1:26657`. */
  readonly rpcUrl: string;
  /** The running consensus host (null while block sync runs). */
  consensus(): ConsensusHost | null;
  readonly logger: Logger;
  chainState(): ChainState;
  /** Stops everything in reverse order and closes the stores. Idempotent. */
  close(): Promise<void>;
}

function unwrap<T>(r: Result<T, QosError>): T {
  if (!r.ok) throw r.error;
  return r.value;
}

export async function startNode(opts: NodeOptions): Promise<RunningNode> {
  const config = unwrap(loadConfig(opts.home, opts.overrides ?? {}));
  const logger =
    opts.logger ??
    createLogger({
      level: config.log_level === "trace" ? "trace" : config.log_level,
      format: config.log_format,
    });
  const paths = configPaths(opts.home, config);
  const genesis = unwrap(loadGenesis(paths.genesis));
  const nodeKey = unwrap(loadNodeKey(paths.nodeKey));
  const validatorKey = unwrap(loadValidatorKey(paths.validatorKey));
  const nodeId = nodeIdFromPublicKey(nodeKey.publicKey);
  const clock = opts.clock ?? systemClock;
  logger.info(
    {
      version: QOS_VERSION,
      chainId: genesis.chainId,
      nodeId,
      validator: toHex(validatorKey.address),
      crypto: cryptoBackendInfo,
    },
    "starting node",
  );

  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        logger.error({ err: e }, "error while shutting down");
      }
    }
  };

  try {
    mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
    closers.push(lockDataDir(paths.dataDir));
    const registry = new Registry();
    registry.setDefaultLabels({ chain_id: genesis.chainId });
    collectProcessMetrics(registry);
    const metrics = createNodeMetrics(registry, config.instrumentation.namespace);

    const db: NodeDb = openNodeDb({ path: join(paths.dataDir, "blockstore") });
    closers.push(() => db.close());
    const blockStore: BlockStore = createBlockStore(db);
    const stateStore: StateStore = createStateStore(db);

    const { app, close: closeApp } = createApplication(config, genesis, db, paths.dataDir, logger);
    closers.push(closeApp);

    const mempool = createMempool(
      {
        size: config.mempool.size,
        maxTxsBytes: config.mempool.max_txs_bytes,
        maxTxBytes: config.mempool.max_tx_bytes,
        cacheSize: config.mempool.cache_size,
        keepInvalidTxsInCache: config.mempool["keep-invalid-txs-in-cache"],
        recheck: config.mempool.recheck,
      },
      { app, logger: logger.child({ module: "mempool" }), metrics: createMempoolMetrics(registry) },
    );

    // The validator network: reactors register their channels before it starts.
    const network = createP2PNetwork(
      {
        chainId: genesis.chainId,
        nodeKey,
        moniker: config.moniker,
        listenAddr: config.p2p.laddr,
        externalAddress: config.p2p.external_address,
        persistentPeers: config.p2p.persistent_peers,
        seeds: config.p2p.seeds,
        pex: config.p2p.pex,
        maxInbound: config.p2p.max_num_inbound_peers,
        maxOutbound: config.p2p.max_num_outbound_peers,
        allowDuplicateIp: config.p2p.allow_duplicate_ip,
        banDurationMs: DEFAULT_BAN_DURATION_MS,
        addrBookPath: join(opts.home, "config", "addrbook.json"),
        rpcAddress: config.rpc.laddr,
        txIndex: config.tx_index.indexer === "kv" ? "on" : "off",
      },
      { logger, metrics: createP2PMetrics(registry) },
    );

    /** The latest committed chain state (set by the handshake, then by every applied block). */
    let chainState: ChainState | undefined;
    const currentState = (): ChainState => {
      if (chainState === undefined) throw new Error("chain state read before the handshake");
      return chainState;
    };
    const evidencePool = createEvidencePool(
      {},
      {
        db,
        blockStore,
        stateStore,
        chainState: currentState,
        network,
        logger: logger.child({ module: "evidence" }),
      },
    );

    const executor = createBlockExecutor({
      app,
      db,
      blockStore,
      stateStore,
      mempool,
      evidence: {
        pendingEvidence: (maxBytes) => evidencePool.pendingEvidence(maxBytes),
        checkEvidence: (list, state) => evidencePool.checkEvidence(list, state),
        toMisbehavior: (ev, state) => evidencePool.toMisbehavior(ev, state),
        update(state, committed) {
          // The block is durable and committed to the app: this is now the latest state, the
          // one the pool verifies the evidence it builds from buffered conflicting votes
          // against (evidence/pool.go Update: updateState before processConsensusBuffer).
          chainState = state;
          evidencePool.update(state, committed);
        },
      },
      logger: logger.child({ module: "executor" }),
    });
    const hs = await handshake({ app, genesis, db, blockStore, stateStore, executor, logger });
    logger.info(
      {
        height: String(hs.state.lastBlockHeight),
        appHash: toHex(hs.state.appHash),
        replayed: hs.replayed,
      },
      "handshake done",
    );
    chainState = hs.state;

    let indexer: Indexer | null = null;
    let indexQueue: IndexingQueue | null = null;
    if (config.tx_index.indexer === "kv") {
      const indexPath = join(paths.dataDir, "tx_index");
      const indexDb = openLmdb({ path: indexPath, maxDbs: 8 });
      closers.push(() => indexDb.close());
      indexer = createIndexer({}, { root: indexDb, logger: logger.child({ module: "indexer" }) });
      await catchUpIndexer(indexer, blockStore, hs.state.lastBlockHeight, logger);
      indexQueue = createIndexingQueue(
        { path: indexPath },
        { indexer, logger: logger.child({ module: "indexer" }) },
      );
    }

    const eventBus = createEventBus(
      {
        maxClients: config.rpc.max_subscription_clients,
        maxSubscriptionsPerClient: config.rpc.max_subscriptions_per_client,
      },
      { logger: logger.child({ module: "events" }) },
    );
    closers.push(() => eventBus.close());

    const wal = openWAL({ dir: paths.wal }, { logger: logger.child({ module: "wal" }) });
    closers.push(() => wal.close());
    if (wal.openReport.truncatedTail !== null) {
      logger.warn(
        { ...wal.openReport.truncatedTail },
        "cut a torn record off the end of the WAL (crash during a write)",
      );
    }
    const guard = openLastSignState(paths.signState);

    /** Index and publish a committed block (after the block is durable). */
    function publishCommitted(block: Block, blockId: BlockID, results: BlockResults): void {
      const height = block.header?.height ?? 0n;
      const { txResults, events } = results;
      metrics.onBlock(block, clock.nowMs());
      // The events are built now, only the kinds some subscription present at commit can take
      // (CometBFT publishes at commit). The block's own events (NewBlock, NewBlockHeader) go
      // out now; Tx events once the block is indexed, so a client told "committed" (a Tx
      // event, broadcast_tx_commit) finds the tx with `tx` at once (read-your-writes). Nothing
      // else of the block's results waits for the index.
      let busEvents: ReturnType<typeof blockEventsForBus> = [];
      try {
        busEvents = blockEventsForBus(
          block,
          blockId,
          { events, txResults, appHash: results.appHash },
          { txHashes: results.txHashes, wants: (t) => eventBus.mayMatchEventType(t) },
        );
      } catch (e) {
        logger.error({ err: e, height: String(height) }, "building block events failed");
      }
      const publish = (toSend: typeof busEvents) => {
        try {
          for (const ev of toSend) eventBus.publish(ev);
        } catch (e) {
          logger.error({ err: e, height: String(height) }, "publishing block events failed");
        }
      };
      if (indexQueue === null) {
        publish(busEvents);
        return;
      }
      const isTx = (ev: (typeof busEvents)[number]) => ev.data.type === "tendermint/event/Tx";
      publish(busEvents.filter((ev) => !isTx(ev)));
      const txEvents = busEvents.filter(isTx);
      void indexQueue.index(block, results).then(() => publish(txEvents));
    }

    const consensusOptions = {
      timeouts: {
        propose: {
          baseMs: config.consensus.timeout_propose,
          deltaMs: config.consensus.timeout_propose_delta,
        },
        prevote: {
          baseMs: config.consensus.timeout_prevote,
          deltaMs: config.consensus.timeout_prevote_delta,
        },
        precommit: {
          baseMs: config.consensus.timeout_precommit,
          deltaMs: config.consensus.timeout_precommit_delta,
        },
      },
      timeoutCommitMs: config.consensus.timeout_commit,
      skipTimeoutCommit: config.consensus.skip_timeout_commit,
      createEmptyBlocks: config.consensus.create_empty_blocks,
    };

    /** A consensus host for the current chain state (made anew after each block-sync run). */
    function createHost(): ConsensusHost {
      const state = currentState();
      let lastCommit = createCommit();
      let lastBlockAppHash: Uint8Array | undefined;
      if (state.lastBlockHeight > 0n) {
        const seen = blockStore.loadSeenCommit(state.lastBlockHeight);
        const decoded = seen === undefined ? undefined : decodeWireMessage(CommitSchema, seen);
        if (decoded?.ok) lastCommit = decoded.value;
        // The app hash in the last block's header: the next height needs a "proof block"
        // when the state changed since (consensus/state.go needProofBlock).
        const meta = blockStore.loadBlockMeta(state.lastBlockHeight);
        const decodedMeta =
          meta === undefined ? undefined : decodeWireMessage(BlockMetaSchema, meta);
        if (decodedMeta?.ok) lastBlockAppHash = decodedMeta.value.header?.appHash;
      }
      return createConsensusHost(state, lastCommit, consensusOptions, {
        executor,
        wal,
        signer: { key: validatorKey, guard },
        clock,
        logger,
        hasTxs: () => mempool.size() > 0,
        onTxsAvailable: (cb) => mempool.onTxsAvailable(cb),
        reportPeer: (peer, offence, reason) => network.reportPeer(peer, offence, reason),
        onConflictingVotes: (a, b) => evidencePool.reportConflictingVotes(a, b),
        ...(lastBlockAppHash !== undefined ? { lastBlockAppHash } : {}),
        onCommitted: ({ block, sealed, state: next, results }) => {
          chainState = next;
          metrics.setValidators(next.validators.size, next.validators.totalVotingPower);
          publishCommitted(block, sealed.blockId, results);
        },
      });
    }

    let consensus: ConsensusHost | null = null;
    let switching: Promise<void> = Promise.resolve();
    /** Runs consensus from the current state (after the handshake, or when block sync caught up). */
    async function startConsensus(): Promise<void> {
      if (consensus !== null) return;
      const host = createHost();
      consensus = host;
      host.onChange(() => {
        const rs = host.roundState();
        metrics.setRoundStep(rs.round, ROUND_STEP_NUMBER[rs.step] ?? 0);
      });
      await host.start();
      logger.info({ height: String(currentState().lastBlockHeight + 1n) }, "consensus started");
    }
    /** Stops consensus and fetches blocks instead (the node fell behind, e.g. after a partition). */
    async function switchToBlockSync(): Promise<void> {
      const host = consensus;
      if (host === null) return;
      consensus = null;
      await host.stop();
      chainState = host.state();
      logger.info(
        { height: String(currentState().lastBlockHeight) },
        "fell behind the network: switching to block sync",
      );
      blockSync.startSync();
    }

    const blockSync = createBlockSync(
      {},
      {
        chainState: currentState,
        blockStore,
        executor,
        network,
        logger,
        metrics: createBlockSyncMetrics(registry),
        applyBlock: async (sealed, commit) => {
          const applied = await executor.applyBlock(currentState(), sealed, commit, () => {});
          chainState = applied.state;
          publishCommitted(sealed.block, sealed.blockId, applied.results);
          return applied.state;
        },
        onCaughtUp: () => {
          switching = switching.then(startConsensus).catch((e: unknown) => {
            logger.fatal({ err: e }, "cannot start consensus after block sync");
          });
        },
        onFatal: (e: unknown) => logger.fatal({ err: e }, "block sync failed"),
      },
    );
    const mempoolReactor = createMempoolReactor({
      network,
      mempool,
      logger,
      maxTxBytes: config.mempool.max_tx_bytes,
      broadcast: config.mempool.broadcast,
    });
    const consensusReactor = createConsensusReactor(
      {},
      { network, host: () => consensus, blockStore, logger },
    );
    closers.push(async () => {
      await switching;
      await consensus?.stop();
      await blockSync.stop();
      await indexQueue?.close();
    });

    const rpc: RpcServer = await createRpcServer(
      {
        laddr: config.rpc.laddr,
        maxBodyBytes: config.rpc.max_body_bytes,
        maxOpenConnections: config.rpc.max_open_connections,
        maxSubscriptionClients: config.rpc.max_subscription_clients,
        maxSubscriptionsPerClient: config.rpc.max_subscriptions_per_client,
        corsAllowedOrigins: config.rpc.cors_allowed_origins,
        timeoutBroadcastTxCommitMs: config.rpc.timeout_broadcast_tx_commit,
      },
      {
        logger: logger.child({ module: "rpc" }),
        eventBus,
        registry: createRpcRoutes({
          identity: {
            nodeId,
            moniker: config.moniker,
            p2pListenAddr: config.p2p.laddr.replace(/^tcp:\/\//, ""),
            rpcListenAddr: config.rpc.laddr,
            validator: { address: validatorKey.address, publicKey: validatorKey.publicKey },
          },
          genesis,
          blockStore,
          stateStore,
          chainState: () => consensus?.state() ?? currentState(),
          mempool,
          indexer,
          app,
          eventBus,
          peers: () =>
            network.peers().map((p) => ({
              nodeId: p.nodeId,
              remoteIp: p.remoteAddr,
              moniker: p.moniker,
              outbound: p.outbound,
            })),
          catchingUp: () => blockSync.isSyncing(),
        }),
      },
    );
    closers.push(() => rpc.close());
    const bound = rpc.address();
    const rpcUrl = `http://${bound.host}:${bound.port}`;

    let metricsServer: MetricsServer | null = null;
    if (config.instrumentation.prometheus) {
      metricsServer = await createMetricsServer(
        { laddr: config.instrumentation.prometheus_listen_addr },
        { registry, logger: logger.child({ module: "metrics" }) },
      );
      closers.push(() => metricsServer?.close());
    }

    await network.start();
    closers.push(async () => {
      consensusReactor.stop();
      mempoolReactor.stop();
      evidencePool.stop();
      await network.stop();
    });
    evidencePool.start();
    blockSync.start();
    consensusReactor.start();
    // A lone validator has nobody to sync from; everyone else syncs first (blocksync/reactor.go).
    const state0 = currentState();
    const alone =
      state0.validators.size === 1 && state0.validators.hasAddress(validatorKey.address);
    if (alone) await startConsensus();
    else blockSync.startSync();
    // Fall back to block sync when the network has moved ≥ 2 heights ahead of us.
    let behindChecks = 0;
    const behindTimer = setInterval(() => {
      behindChecks = consensus !== null && blockSync.isBehind() ? behindChecks + 1 : 0;
      if (behindChecks >= 3) {
        behindChecks = 0;
        switching = switching
          .then(switchToBlockSync)
          .catch((e: unknown) => logger.error({ err: e }, "switching to block sync failed"));
      }
    }, 1000);
    closers.push(() => clearInterval(behindTimer));
    logger.info({ rpc: rpcUrl, blockProtocol: String(BLOCK_PROTOCOL) }, "node started");

    let closing: Promise<void> | null = null;
    return {
      config,
      nodeId,
      genesis,
      rpcUrl,
      consensus: () => consensus,
      logger,
      chainState: () => consensus?.state() ?? currentState(),
      close() {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (e) {
    await closeAll();
    throw e instanceof QosError || e instanceof Error ? e : new Error(String(e));
  }
}
