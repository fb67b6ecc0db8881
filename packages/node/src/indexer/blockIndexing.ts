// Indexing committed blocks: one block's FinalizeBlock events and tx results into the tx and
// block index (one indexer transaction), and the catch-up of blocks a crash left unindexed.
// Used on the main thread and by the index worker (indexWorker.ts) alike.

import { sha256 } from "@qos/crypto";
import type { BlockStore } from "@qos/store";
import {
  BlockSchema,
  decodeBlockRecordEvents,
  decodeWireMessage,
  type ExecTxResult,
  encodeExecTxResult,
  FinalizeBlockRecordSchema,
  QosError,
} from "@qos/types";
import type { BlockResults } from "../blockResults.ts";
import type { Logger } from "../logger.ts";
import { unpackBytes } from "../workerThreads.ts";
import type { IndexEvent } from "./eventIndex.ts";
import type { BlockIndexEntry, Indexer } from "./indexer.ts";
import type { ToIndexWorker } from "./indexMessages.ts";

/** Indexes one block's FinalizeBlock events and tx results (one indexer transaction). */
export function indexBlockResults(
  indexer: Indexer,
  height: bigint,
  txs: readonly Uint8Array[],
  txResults: readonly ExecTxResult[],
  events: BlockIndexEntry["events"],
  encoded?: Partial<Pick<BlockResults, "txHashes" | "txResultBytes">>,
): Promise<void> {
  return indexTxs(indexer, height, txs, txResults, events, {
    txHashes: encoded?.txHashes,
    resultBytes: (i) =>
      encoded?.txResultBytes?.[i] ?? encodeExecTxResult(txResults[i] as ExecTxResult),
  });
}

function indexTxs(
  indexer: Indexer,
  height: bigint,
  txs: readonly Uint8Array[],
  txResults: readonly { readonly code: number; readonly events: readonly IndexEvent[] }[],
  events: BlockIndexEntry["events"],
  encoded: {
    readonly txHashes: readonly Uint8Array[] | undefined;
    readonly resultBytes: (index: number) => Uint8Array;
  },
): Promise<void> {
  if (txResults.length !== txs.length) {
    throw new QosError(
      "INVALID_ENTRY",
      `block ${height}: ${txs.length} txs but ${txResults.length} results`,
    );
  }
  return indexer.indexFinalizedBlock(
    { height, events },
    txs.map((tx, index) => {
      const r = txResults[index] as (typeof txResults)[number];
      return {
        height,
        index,
        hash: encoded.txHashes?.[index] ?? sha256(tx),
        txBytes: tx,
        resultBytes: encoded.resultBytes(index),
        events: r.events,
        code: r.code,
      };
    }),
  );
}

/** Indexes a block sent as the index worker's message (packed bytes; see indexMessages.ts). */
export async function indexPackedBlock(
  indexer: Indexer,
  m: Extract<ToIndexWorker, { kind: "index" }>,
): Promise<void> {
  // Only the events and codes are read from the record (by hand: the generated decoder builds
  // every field of thousands of results); the encoded results come separately.
  const record = decodeBlockRecordEvents(m.record);
  if (!record.ok) throw record.error;
  const { txResults, events } = record.value;
  const txs = unpackBytes(m.txs);
  const resultBytes = unpackBytes(m.txResultBytes);
  if (resultBytes.length !== txs.length) {
    throw new QosError(
      "INVALID_ENTRY",
      `block ${m.height}: ${txs.length} txs but ${resultBytes.length} encoded results`,
    );
  }
  await indexTxs(indexer, m.height, txs, txResults, events, {
    txHashes: unpackBytes(m.txHashes),
    resultBytes: (i) => resultBytes[i] as Uint8Array,
  });
}

/**
 * Blocks are indexed after they are committed, so a crash can leave the newest stored blocks
 * unindexed (a tx reported committed that `tx` no longer finds). Indexes them again from the
 * stored blocks and FinalizeBlock results, walking down from the last block to the newest one
 * the index holds (blocks are indexed in height order, one transaction each).
 */
export async function catchUpIndexer(
  indexer: Indexer,
  blockStore: BlockStore,
  lastHeight: bigint,
  logger: Logger,
): Promise<void> {
  const base = blockStore.base();
  let from = lastHeight + 1n;
  while (from - 1n >= base && from - 1n > 0n && !indexer.hasBlock(from - 1n)) from--;
  if (from > lastHeight) return;
  for (let h = from; h <= lastHeight; h++) {
    const blockBytes = blockStore.loadBlock(h);
    const resultBytes = blockStore.loadResults(h);
    const block = blockBytes === undefined ? undefined : decodeWireMessage(BlockSchema, blockBytes);
    const record =
      resultBytes === undefined
        ? undefined
        : decodeWireMessage(FinalizeBlockRecordSchema, resultBytes);
    if (block === undefined || !block.ok || record === undefined || !record.ok) {
      throw new QosError(
        "handshake/corrupt",
        `block ${h} or its FinalizeBlock results are missing or undecodable; cannot index it`,
      );
    }
    await indexBlockResults(
      indexer,
      h,
      block.value.data?.txs ?? [],
      record.value.txResults,
      record.value.events,
    );
  }
  logger.info(
    { from: String(from), to: String(lastHeight) },
    "indexed stored blocks the tx index lacked (crash after commit)",
  );
}
