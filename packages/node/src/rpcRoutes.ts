// The CometBFT v0.38 JSON-RPC methods (rpc/core/*.go) over the node's stores, consensus
// host, mempool, indexer and application, with CometBFT's result shapes and error texts.

import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import type { Application } from "@qos/app";
import { type ValidatorSet, validatorSetFromProto } from "@qos/consensus";
import { merkleProofs, sha256 } from "@qos/crypto";
import type { BlockStore, StateStore } from "@qos/store";
import {
  type Block,
  type BlockID,
  type BlockMeta,
  BlockMetaSchema,
  BlockSchema,
  blockIdToJson,
  blockMetaToJson,
  blockToJson,
  type Commit,
  CommitSchema,
  ConsensusParamsSchema,
  commitToJson,
  consensusParamsToJson,
  decodeWireMessage,
  type Event,
  type ExecTxResult,
  ExecTxResultSchema,
  eventToJson,
  execTxResultToJson,
  FinalizeBlockRecordSchema,
  HeaderSchema,
  headerToJson,
  timestampToJson,
  toBase64,
  toHex,
  ValidatorSetSchema,
  validatorToJson,
  validatorUpdateToJson,
} from "@qos/types";
import { execTxResultToProto } from "./abciConvert.ts";
import type { ChainState } from "./chainState.ts";
import type { BusEvent, EventBus } from "./events/eventBus.ts";
import { type GenesisDoc, genesisToJson } from "./genesis.ts";
import type { IndexedTx, Indexer } from "./indexer/indexer.ts";
import type { Mempool } from "./mempool/mempool.ts";
import { validatePage, validatePerPage } from "./rpc/pagination.ts";
import { param } from "./rpc/params.ts";
import {
  type AnyRpcMethod,
  createMethodRegistry,
  defineMethod,
  type MethodRegistry,
} from "./rpc/registry.ts";
import { RPC_INTERNAL_ERROR, RPC_INVALID_PARAMS, RpcError } from "./rpc/rpcError.ts";
import { ABCI_VERSION, COMETBFT_COMPAT_VERSION, P2P_PROTOCOL } from "./version.ts";

export interface NodeIdentity {
  readonly nodeId: string;
  readonly moniker: string;
  readonly p2pListenAddr: string;
  readonly rpcListenAddr: string;
  /** Our validator key, or null for a full node. */
  readonly validator: { readonly address: Uint8Array; readonly publicKey: Uint8Array } | null;
}

export interface RpcRoutesDeps {
  readonly identity: NodeIdentity;
  readonly genesis: GenesisDoc;
  readonly blockStore: BlockStore;
  readonly stateStore: StateStore;
  readonly chainState: () => ChainState;
  readonly mempool: Mempool;
  readonly indexer: Indexer | null;
  readonly app: Application;
  readonly eventBus: EventBus;
  /** Connected peers, for /net_info. */
  readonly peers: () => readonly {
    readonly nodeId: string;
    readonly remoteIp: string;
    readonly moniker: string;
    readonly outbound: boolean;
  }[];
  readonly catchingUp: () => boolean;
}

function invalidParams(message: string): RpcError {
  return new RpcError(RPC_INVALID_PARAMS, message);
}

function internal(message: string): RpcError {
  return new RpcError(RPC_INTERNAL_ERROR, message);
}

const MAX_BLOCKCHAIN_METAS = 20n;

export function createRpcRoutes(deps: RpcRoutesDeps): MethodRegistry {
  const { blockStore, stateStore, mempool, indexer, app, eventBus, identity, genesis } = deps;

  /** rpc/core/env.go getHeight: absent → latest; must lie in [base, latest]. */
  function resolveHeight(height: bigint | undefined, latest = blockStore.height()): bigint {
    if (height === undefined) return latest;
    if (height <= 0n) throw invalidParams(`height must be greater than 0, but got ${height}`);
    if (height > latest) {
      throw invalidParams(
        `height ${height} must be less than or equal to the current blockchain height ${latest}`,
      );
    }
    const base = blockStore.base();
    if (height < base)
      throw invalidParams(`height ${height} is not available, lowest height is ${base}`);
    return height;
  }

  /**
   * rpc/core/env.go latestUncommittedHeight: /validators and /consensus_params also serve the
   * next height (its validators and params are known once the latest block is committed).
   */
  function latestUncommittedHeight(): bigint {
    const latest = blockStore.height();
    if (latest === 0n) return 1n;
    return deps.catchingUp() ? latest : latest + 1n;
  }

  function loadDecoded<T>(
    what: string,
    bytes: Uint8Array | undefined,
    decode: (b: Uint8Array) => { ok: true; value: T } | { ok: false; error: { message: string } },
  ): T {
    if (bytes === undefined) throw internal(`${what} not found`);
    const d = decode(bytes);
    if (!d.ok) throw internal(`stored ${what} is unreadable: ${d.error.message}`);
    return d.value;
  }

  const block = (h: bigint): Block =>
    loadDecoded(`block ${h}`, blockStore.loadBlock(h), (b) => decodeWireMessage(BlockSchema, b));
  const blockMeta = (h: bigint): BlockMeta =>
    loadDecoded(`block meta ${h}`, blockStore.loadBlockMeta(h), (b) =>
      decodeWireMessage(BlockMetaSchema, b),
    );
  const validatorsAt = (h: bigint): ValidatorSet => {
    const proto = loadDecoded(`validators at ${h}`, stateStore.loadValidators(h), (b) =>
      decodeWireMessage(ValidatorSetSchema, b),
    );
    const set = validatorSetFromProto(proto);
    if (!set.ok) throw internal(`stored validators at ${h}: ${set.error.message}`);
    return set.value;
  };

  function commitFor(h: bigint): { commit: Commit; canonical: boolean } {
    // The canonical commit comes with block h+1; for the latest block we only have the seen commit.
    const canonical = blockStore.loadBlockCommit(h);
    if (canonical !== undefined) {
      return {
        commit: loadDecoded(`commit ${h}`, canonical, (b) => decodeWireMessage(CommitSchema, b)),
        canonical: true,
      };
    }
    return {
      commit: loadDecoded(`seen commit ${h}`, blockStore.loadSeenCommit(h), (b) =>
        decodeWireMessage(CommitSchema, b),
      ),
      canonical: false,
    };
  }

  function resultCheckTxJson(r: ExecTxResult) {
    return { ...execTxResultToJson(r), code: r.code, codespace: r.codespace };
  }

  function txJson(t: IndexedTx, prove: boolean) {
    const result = decodeWireMessage(ExecTxResultSchema, t.resultBytes);
    const out: Record<string, unknown> = {
      hash: toHex(t.hash),
      height: String(t.height),
      index: t.index,
      tx_result: result.ok ? execTxResultToJson(result.value) : {},
      tx: toBase64(t.txBytes),
    };
    if (prove) {
      const txs = block(t.height).data?.txs ?? [];
      const { root, proofs } = merkleProofs(txs.map((tx) => sha256(tx)));
      const p = proofs[t.index];
      if (p !== undefined) {
        out.proof = {
          root_hash: toHex(root),
          data: toBase64(t.txBytes),
          proof: {
            total: String(p.total),
            index: String(p.index),
            leaf_hash: toBase64(p.leafHash),
            aunts: p.aunts.map(toBase64),
          },
        };
      }
    }
    return out;
  }

  function requireIndexer(): Indexer {
    if (indexer === null) throw internal("transaction indexing is disabled");
    return indexer;
  }

  const methods: Record<string, AnyRpcMethod> = {
    health: defineMethod({ params: {}, handler: () => ({}), description: "node liveness" }),

    status: defineMethod({
      params: {},
      description: "node info, sync info and validator info",
      handler: () => {
        const state = deps.chainState();
        const latest = blockStore.height();
        const base = blockStore.base();
        const latestMeta = latest > 0n ? blockMeta(latest) : undefined;
        const earliestMeta = base > 0n ? blockMeta(base) : undefined;
        const zeroTime = timestampToJson(
          create(TimestampSchema, { seconds: -62135596800n, nanos: 0 }),
        );
        const own =
          identity.validator === null
            ? undefined
            : state.validators.getByAddress(identity.validator.address);
        return {
          node_info: {
            protocol_version: {
              p2p: String(P2P_PROTOCOL),
              block: "11",
              app: String(state.appVersion),
            },
            id: identity.nodeId,
            listen_addr: identity.p2pListenAddr,
            network: state.chainId,
            version: COMETBFT_COMPAT_VERSION,
            channels: "40202122233038606100",
            moniker: identity.moniker,
            other: {
              tx_index: indexer === null ? "off" : "on",
              rpc_address: identity.rpcListenAddr,
            },
          },
          sync_info: {
            latest_block_hash: latestMeta
              ? toHex(latestMeta.blockId?.hash ?? new Uint8Array())
              : "",
            latest_app_hash: toHex(state.appHash),
            latest_block_height: String(latest),
            latest_block_time: latestMeta?.header?.time
              ? timestampToJson(latestMeta.header.time)
              : zeroTime,
            earliest_block_hash: earliestMeta
              ? toHex(earliestMeta.blockId?.hash ?? new Uint8Array())
              : "",
            earliest_app_hash: earliestMeta
              ? toHex(earliestMeta.header?.appHash ?? new Uint8Array())
              : "",
            earliest_block_height: String(base),
            earliest_block_time: earliestMeta?.header?.time
              ? timestampToJson(earliestMeta.header.time)
              : zeroTime,
            catching_up: deps.catchingUp(),
          },
          validator_info: {
            address: identity.validator ? toHex(identity.validator.address) : "",
            pub_key: identity.validator
              ? { type: "tendermint/PubKeyEd25519", value: toBase64(identity.validator.publicKey) }
              : null,
            voting_power: String(own?.validator.votingPower ?? 0n),
          },
        };
      },
    }),

    net_info: defineMethod({
      params: {},
      description: "network listeners and peers",
      handler: () => {
        const peers = deps.peers();
        return {
          listening: true,
          listeners: [`Listener(@${identity.p2pListenAddr})`],
          n_peers: String(peers.length),
          peers: peers.map((p) => ({
            node_info: {
              id: p.nodeId,
              moniker: p.moniker,
              network: deps.chainState().chainId,
              version: COMETBFT_COMPAT_VERSION,
            },
            is_outbound: p.outbound,
            remote_ip: p.remoteIp,
          })),
        };
      },
    }),

    genesis: defineMethod({
      params: {},
      description: "the genesis document",
      handler: () => ({ genesis: genesisToJson(genesis) }),
    }),

    block: defineMethod({
      params: { height: param.int64().optional() },
      description: "block at a height (latest when omitted)",
      handler: ({ height }) => {
        const h = resolveHeight(height);
        const meta = blockMeta(h);
        return { block_id: blockIdToJson(meta.blockId), block: blockToJson(block(h)) };
      },
    }),

    block_by_hash: defineMethod({
      params: { hash: param.bytesBase64() },
      description: "block with the given hash",
      handler: ({ hash }) => {
        const h = blockStore.loadHeightByHash(hash);
        if (h === undefined) return { block_id: blockIdToJson(undefined), block: null };
        return { block_id: blockIdToJson(blockMeta(h).blockId), block: blockToJson(block(h)) };
      },
    }),

    block_results: defineMethod({
      params: { height: param.int64().optional() },
      description: "FinalizeBlock results of a block",
      handler: ({ height }) => {
        const h = resolveHeight(height);
        const rec = loadDecoded(`results of block ${h}`, blockStore.loadResults(h), (b) =>
          decodeWireMessage(FinalizeBlockRecordSchema, b),
        );
        return {
          height: String(h),
          txs_results: rec.txResults.length === 0 ? null : rec.txResults.map(execTxResultToJson),
          finalize_block_events: rec.events.map(eventToJson),
          validator_updates:
            rec.validatorUpdates.length === 0
              ? null
              : rec.validatorUpdates.map(validatorUpdateToJson),
          consensus_param_updates:
            rec.consensusParamUpdates === undefined
              ? null
              : consensusParamsToJson(rec.consensusParamUpdates),
          app_hash: toBase64(rec.appHash),
        };
      },
    }),

    blockchain: defineMethod({
      params: { minHeight: param.int64().optional(), maxHeight: param.int64().optional() },
      description: "block metas for a height range (at most 20, newest first)",
      handler: ({ minHeight, maxHeight }) => {
        // rpc/core/blocks.go filterMinMax
        const base = blockStore.base();
        const latest = blockStore.height();
        let min = minHeight ?? 1n;
        let max = maxHeight ?? latest;
        if (min < 0n || max < 0n) throw invalidParams("heights must be non-negative");
        if (min === 0n) min = 1n;
        if (max === 0n) max = latest;
        if (max > latest) max = latest;
        if (min < base) min = base;
        if (min > max)
          throw invalidParams(`min height ${min} can't be greater than max height ${max}`);
        if (max - min + 1n > MAX_BLOCKCHAIN_METAS) min = max - MAX_BLOCKCHAIN_METAS + 1n;
        const metas = [];
        for (let h = max; h >= min && h > 0n; h--) metas.push(blockMetaToJson(blockMeta(h)));
        return { last_height: String(latest), block_metas: metas };
      },
    }),

    commit: defineMethod({
      params: { height: param.int64().optional() },
      description: "signed header of a block",
      handler: ({ height }) => {
        const h = resolveHeight(height);
        const { commit, canonical } = commitFor(h);
        return {
          signed_header: {
            header: headerToJson(blockMeta(h).header ?? create(HeaderSchema)),
            commit: commitToJson(commit),
          },
          canonical,
        };
      },
    }),

    validators: defineMethod({
      params: {
        height: param.int64().optional(),
        page: param.int().optional(),
        per_page: param.int().optional(),
      },
      description: "validator set at a height (paginated)",
      handler: ({ height, page, per_page }) => {
        const h = resolveHeight(height, latestUncommittedHeight());
        const set = validatorsAt(h);
        const perPage = validatePerPage(per_page);
        const p = validatePage(page, perPage, set.size);
        if (!p.ok) throw invalidParams(p.error);
        const start = (p.value - 1) * perPage;
        const vals = set.validators.slice(start, start + perPage);
        return {
          block_height: String(h),
          validators: vals.map((v) =>
            validatorToJson({
              $typeName: "tendermint.types.Validator",
              address: v.address,
              pubKey: {
                $typeName: "tendermint.crypto.PublicKey",
                sum: { case: v.pubKey.type, value: v.pubKey.key },
              },
              votingPower: v.votingPower,
              proposerPriority: v.proposerPriority,
            }),
          ),
          count: String(vals.length),
          total: String(set.size),
        };
      },
    }),

    consensus_params: defineMethod({
      params: { height: param.int64().optional() },
      description: "consensus params at a height",
      handler: ({ height }) => {
        const h = resolveHeight(height, latestUncommittedHeight());
        const params = loadDecoded(
          `consensus params at ${h}`,
          stateStore.loadConsensusParams(h),
          (b) => decodeWireMessage(ConsensusParamsSchema, b),
        );
        return { block_height: String(h), consensus_params: consensusParamsToJson(params) };
      },
    }),

    abci_info: defineMethod({
      params: {},
      description: "application info",
      handler: async () => {
        const info = await app.info({
          version: ABCI_VERSION,
          blockVersion: 11n,
          p2pVersion: P2P_PROTOCOL,
        });
        return {
          response: {
            ...(info.data !== "" ? { data: info.data } : {}),
            ...(info.version !== "" ? { version: info.version } : {}),
            ...(info.appVersion !== 0n ? { app_version: String(info.appVersion) } : {}),
            last_block_height: String(info.lastBlockHeight),
            last_block_app_hash: toBase64(info.lastBlockAppHash),
          },
        };
      },
    }),

    abci_query: defineMethod({
      params: {
        path: param.string().optional(),
        data: param.bytesHex().optional(),
        height: param.int64().optional(),
        prove: param.bool().optional(),
      },
      description: "query the application",
      handler: async ({ path, data, height, prove }) => {
        if (height !== undefined && height < 0n)
          throw invalidParams(`height must be non-negative, but got ${height}`);
        const r = await app.query({
          path: path ?? "",
          data: data ?? new Uint8Array(),
          height: height ?? 0n,
          prove: prove ?? false,
        });
        return {
          response: {
            ...(r.code !== 0 ? { code: r.code } : {}),
            ...(r.log !== "" ? { log: r.log } : {}),
            ...(r.info !== "" ? { info: r.info } : {}),
            index: String(r.index),
            ...(r.key.length > 0 ? { key: toBase64(r.key) } : {}),
            ...(r.value.length > 0 ? { value: toBase64(r.value) } : {}),
            proof_ops:
              r.proofOps === null
                ? null
                : {
                    ops: r.proofOps.map((o) => ({
                      type: o.type,
                      key: toBase64(o.key),
                      data: toBase64(o.data),
                    })),
                  },
            height: String(r.height),
            ...(r.codespace !== "" ? { codespace: r.codespace } : {}),
          },
        };
      },
    }),

    broadcast_tx_async: defineMethod({
      params: { tx: param.bytesBase64() },
      description: "submit a tx without returning its CheckTx result",
      handler: async ({ tx }) => {
        // rpc/core/mempool.go BroadcastTxAsync: the mempool's own refusals (too large, in the
        // cache, mempool full) are errors; the app's verdict is not returned.
        const hash = sha256(tx);
        const r = await mempool.checkTx(tx, { hash });
        if (!r.ok) throw invalidParams(r.error.message);
        return { code: 0, data: "", log: "", codespace: "", hash: toHex(hash) };
      },
    }),

    broadcast_tx_sync: defineMethod({
      params: { tx: param.bytesBase64() },
      description: "submit a tx and return its CheckTx result",
      handler: async ({ tx }) => {
        const hash = sha256(tx);
        const r = await mempool.checkTx(tx, { hash });
        if (!r.ok) throw invalidParams(r.error.message);
        return {
          code: r.value.code,
          data: toHex(r.value.data),
          log: r.value.log,
          codespace: r.value.codespace,
          hash: toHex(hash),
        };
      },
    }),

    broadcast_tx_commit: defineMethod({
      params: { tx: param.bytesBase64() },
      description: "submit a tx and wait until it is committed",
      handler: async ({ tx }, ctx) => {
        const hash = toHex(sha256(tx));
        const subscriber = `broadcast_tx_commit:${hash}:${ctx.remoteAddr}:${Math.random()}`;
        const sub = eventBus.subscribe(subscriber, `tm.event = 'Tx' AND tx.hash = '${hash}'`, 1);
        if (!sub.ok) throw internal(`failed to subscribe to tx: ${sub.error.message}`);
        try {
          const r = await mempool.checkTx(tx);
          if (!r.ok) throw invalidParams(r.error.message);
          const check = resultCheckTxJson(execTxResultToProto(r.value));
          if (r.value.code !== 0) return { check_tx: check, tx_result: {}, hash, height: "0" };
          const committed = await new Promise<unknown>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(internal("timed out waiting for tx to be included in a block")),
              ctx.timeoutBroadcastTxCommitMs,
            );
            const done = () => {
              const ev = sub.value.take();
              if (ev !== undefined) {
                clearTimeout(timer);
                resolve(ev.data.value);
              } else if (sub.value.endReason !== undefined) {
                clearTimeout(timer);
                reject(internal(`subscription ended: ${sub.value.endReason.message}`));
              }
            };
            sub.value.onChange(done);
            ctx.signal.addEventListener("abort", () => {
              clearTimeout(timer);
              reject(internal("client went away"));
            });
          });
          const txr = (committed as { TxResult: { height: string; result: unknown } }).TxResult;
          return { check_tx: check, tx_result: txr.result, hash, height: txr.height };
        } finally {
          eventBus.unsubscribeAll(subscriber);
        }
      },
    }),

    check_tx: defineMethod({
      params: { tx: param.bytesBase64() },
      description: "run CheckTx without adding the tx to the mempool",
      handler: async ({ tx }) => {
        const r = await app.checkTx({ tx, type: "new" });
        return resultCheckTxJson(execTxResultToProto(r));
      },
    }),

    tx: defineMethod({
      params: { hash: param.bytesBase64(), prove: param.bool().optional() },
      description: "a committed tx by hash",
      handler: ({ hash, prove }) => {
        const t = requireIndexer().getTx(hash);
        if (t === undefined) throw internal(`tx (${toHex(hash)}) not found`);
        return txJson(t, prove ?? false);
      },
    }),

    tx_search: defineMethod({
      params: {
        query: param.string(),
        prove: param.bool().optional(),
        page: param.int().optional(),
        per_page: param.int().optional(),
        order_by: param.string().optional(),
      },
      description: "search committed txs by event query",
      handler: ({ query, prove, page, per_page, order_by }) => {
        const order = orderBy(order_by);
        const perPage = validatePerPage(per_page);
        const all = requireIndexer().searchTxs(query, { page: 1, perPage: 1, orderBy: order });
        if (!all.ok) throw invalidParams(all.error.message);
        const p = validatePage(page, perPage, all.value.total);
        if (!p.ok) throw invalidParams(p.error);
        const res = requireIndexer().searchTxs(query, { page: p.value, perPage, orderBy: order });
        if (!res.ok) throw invalidParams(res.error.message);
        return {
          txs: res.value.items.map((t) => txJson(t, prove ?? false)),
          total_count: String(res.value.total),
        };
      },
    }),

    block_search: defineMethod({
      params: {
        query: param.string(),
        page: param.int().optional(),
        per_page: param.int().optional(),
        order_by: param.string().optional(),
      },
      description: "search blocks by FinalizeBlock event query",
      handler: ({ query, page, per_page, order_by }) => {
        const order = orderBy(order_by);
        const perPage = validatePerPage(per_page);
        const all = requireIndexer().searchBlocks(query, { page: 1, perPage: 1, orderBy: order });
        if (!all.ok) throw invalidParams(all.error.message);
        const p = validatePage(page, perPage, all.value.total);
        if (!p.ok) throw invalidParams(p.error);
        const res = requireIndexer().searchBlocks(query, {
          page: p.value,
          perPage,
          orderBy: order,
        });
        if (!res.ok) throw invalidParams(res.error.message);
        return {
          blocks: res.value.heights.map((h) => ({
            block_id: blockIdToJson(blockMeta(h).blockId),
            block: blockToJson(block(h)),
          })),
          total_count: String(res.value.total),
        };
      },
    }),

    unconfirmed_txs: defineMethod({
      params: { limit: param.int().optional() },
      description: "txs waiting in the mempool",
      handler: ({ limit }) => {
        const txs = mempool.reapMaxTxs(validatePerPage(limit));
        return {
          n_txs: String(txs.length),
          total: String(mempool.size()),
          total_bytes: String(mempool.sizeBytes()),
          txs: txs.map(toBase64),
        };
      },
    }),

    num_unconfirmed_txs: defineMethod({
      params: {},
      description: "number of txs waiting in the mempool",
      handler: () => ({
        n_txs: String(mempool.size()),
        total: String(mempool.size()),
        total_bytes: String(mempool.sizeBytes()),
        txs: null,
      }),
    }),
  };
  return createMethodRegistry(methods);
}

function orderBy(text: string | undefined): "asc" | "desc" {
  if (text === undefined || text === "" || text === "asc") return "asc";
  if (text === "desc") return "desc";
  throw invalidParams(`expected order_by to be either "asc" or "desc", got ${text}`);
}

/**
 * The events a committed block publishes on the bus (types/event_bus.go PublishEventNewBlock /
 * NewBlockHeader / Tx). `txHashes` (sha256 of each tx) saves hashing again. `wants(tmEvent)`
 * false (no subscription can take events of that `tm.event`) leaves those events out, except
 * when the app's events add a `tm.event` value of their own (an event of type `tm`): then any
 * query might match, and the event is built.
 */
export function blockEventsForBus(
  block: Block,
  blockId: BlockID,
  record: { events: readonly Event[]; txResults: readonly ExecTxResult[]; appHash: Uint8Array },
  opts: {
    readonly txHashes?: readonly Uint8Array[];
    readonly wants?: (tmEvent: string) => boolean;
  } = {},
): BusEvent[] {
  const header = block.header;
  const height = String(header?.height ?? 0n);
  const flatten = (events: readonly Event[], into: Record<string, string[]>) => {
    for (const e of events) {
      for (const a of e.attributes) {
        if (e.type === "" || a.key === "") continue;
        const k = `${e.type}.${a.key}`;
        const list = into[k] ?? [];
        list.push(a.value);
        into[k] = list;
      }
    }
  };
  const wants = opts.wants ?? (() => true);
  const hasTmType = (events: readonly Event[]) => events.some((e) => e.type === "tm");
  const out: BusEvent[] = [];
  if (wants("NewBlock") || hasTmType(record.events)) {
    const blockEvents: Record<string, string[]> = {
      "tm.event": ["NewBlock"],
      "block.height": [height],
    };
    flatten(record.events, blockEvents);
    out.push({
      data: {
        type: "tendermint/event/NewBlock",
        value: {
          block: blockToJson(block),
          block_id: blockIdToJson(blockId),
          result_finalize_block: {
            events: record.events.map(eventToJson),
            tx_results: record.txResults.map(execTxResultToJson),
            app_hash: toBase64(record.appHash),
          },
        },
      },
      events: blockEvents,
    });
  }
  if (wants("NewBlockHeader")) {
    out.push({
      data: {
        type: "tendermint/event/NewBlockHeader",
        value: { header: header ? headerToJson(header) : null },
      },
      events: { "tm.event": ["NewBlockHeader"] },
    });
  }
  const txs = block.data?.txs ?? [];
  const wantsTx = wants("Tx");
  txs.forEach((tx, index) => {
    const result = record.txResults[index] ?? create(ExecTxResultSchema);
    if (!wantsTx && !hasTmType(result.events)) return;
    const hash = toHex(opts.txHashes?.[index] ?? sha256(tx));
    const events: Record<string, string[]> = {
      "tm.event": ["Tx"],
      "tx.hash": [hash],
      "tx.height": [height],
    };
    flatten(result.events, events);
    out.push({
      data: {
        type: "tendermint/event/Tx",
        value: {
          TxResult: { height, index, tx: toBase64(tx), result: execTxResultToJson(result) },
        },
      },
      events,
    });
  });
  return out;
}
