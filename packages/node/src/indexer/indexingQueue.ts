// Indexing of committed blocks, in height order, off the main thread when it can be: blocks go
// to the index worker (indexWorker.ts) and each `index()` resolves once its block is in the
// index, which the main thread's indexer then reads (`tx`, `tx_search`). Without the built
// worker file (running from the TypeScript sources) or after the worker died, blocks are
// indexed on the main thread instead. Indexing never fails a block: a failure is logged, as
// CometBFT's indexer service does, and the block is indexed again by the catch-up at start.

import type { Worker } from "node:worker_threads";
import type { Block } from "@qos/types";
import type { BlockResults } from "../blockResults.ts";
import type { Logger } from "../logger.ts";
import { packBytes, startBuiltWorker } from "../workerThreads.ts";
import { indexBlockResults, indexPackedBlock } from "./blockIndexing.ts";
import type { Indexer } from "./indexer.ts";
import type { FromIndexWorker, IndexWorkerData, ToIndexWorker } from "./indexMessages.ts";

export interface IndexingQueue {
  /** Indexes a committed block after the ones before it; resolves once it is indexed (or failed). */
  index(block: Block, results: BlockResults): Promise<void>;
  /** Whether blocks are indexed by the worker thread (false: on the main thread). */
  usesWorker(): boolean;
  /** Waits for the queued blocks, then stops the worker. */
  close(): Promise<void>;
}

export interface IndexingQueueOptions {
  /** The tx index's LMDB directory (the one `indexer` was opened on). */
  readonly path: string;
  /** Index on the main thread even when the worker file exists. */
  readonly inThread?: boolean;
  /** The worker's module (default: the built indexWorker.js beside this file). */
  readonly workerFile?: URL;
}

/**
 * A block sent to the worker and not yet answered: its message (packed bytes, copied to the
 * worker, not transferred) is kept to index it here if the worker dies, rather than the block's
 * decoded results: a few large buffers for the garbage collector instead of an object per event.
 */
interface SentBlock {
  readonly message: Extract<ToIndexWorker, { kind: "index" }>;
  readonly done: () => void;
}

const WORKER_FILE = new URL("./indexWorker.js", import.meta.url);

export function createIndexingQueue(
  opts: IndexingQueueOptions,
  deps: { readonly indexer: Indexer; readonly logger: Logger },
): IndexingQueue {
  const { indexer, logger } = deps;
  /** Blocks sent to the worker and not yet answered, oldest first. */
  const inFlight: SentBlock[] = [];
  /** Main-thread indexing, one block after another. */
  let chain: Promise<void> = Promise.resolve();
  let closing = false;
  let worker: Worker | null = null;
  let exited: Promise<void> = Promise.resolve();
  let drained: (() => void) | null = null;

  /** Indexes a block on the main thread, after the ones queued here before it. */
  function indexHere(height: bigint, work: () => Promise<void>, done: () => void): void {
    chain = chain
      .then(work)
      .catch((e: unknown) => logger.error({ err: e, height: String(height) }, "indexing failed"))
      .then(done);
  }

  /** The worker is gone: what it had not answered is indexed here, in order. */
  function workerLost(reason: string): void {
    if (worker === null) return;
    worker = null;
    if (!closing) logger.error({ reason }, "index worker stopped; indexing on the main thread");
    for (const q of inFlight.splice(0)) {
      indexHere(q.message.height, () => indexPackedBlock(indexer, q.message), q.done);
    }
    drained?.();
  }

  /** Starts the worker unless told not to or its file is missing; without it, blocks are indexed here. */
  function startWorker(): void {
    if (opts.inThread === true) return;
    const data: IndexWorkerData = { path: opts.path };
    const w = startBuiltWorker(opts.workerFile ?? WORKER_FILE, data, "qos-index", logger);
    if (w === null) return;
    worker = w;
    exited = new Promise((resolve) => w.once("exit", () => resolve()));
    w.on("message", (m: FromIndexWorker) => {
      if (m.kind === "closed") return;
      const q = inFlight.shift();
      if (q === undefined || q.message.height !== m.height) {
        if (q !== undefined) inFlight.unshift(q);
        workerLost(`answer for height ${m.height}, expected ${q?.message.height ?? "none"}`);
        void w.terminate();
        return;
      }
      if (m.kind === "failed") {
        logger.error({ height: String(m.height), reason: m.message }, "indexing failed");
      }
      // Read-your-writes: the worker committed; the main thread's next read must see it.
      indexer.refresh();
      q.done();
      if (inFlight.length === 0) drained?.();
    });
    w.on("error", (e: unknown) => workerLost(e instanceof Error ? e.message : String(e)));
    w.on("exit", (code) => workerLost(`exit code ${code}`));
  }
  startWorker();

  return {
    index(block, results) {
      return new Promise<void>((done) => {
        const height = block.header?.height ?? 0n;
        if (worker === null) {
          const txs = block.data?.txs ?? [];
          indexHere(
            height,
            () =>
              indexBlockResults(indexer, height, txs, results.txResults, results.events, results),
            done,
          );
          return;
        }
        const message = {
          kind: "index",
          height,
          txs: packBytes(block.data?.txs ?? []),
          txHashes: packBytes(results.txHashes),
          txResultBytes: packBytes(results.txResultBytes),
          record: results.recordBytes,
        } as const;
        inFlight.push({ message, done });
        worker.postMessage(message);
      });
    },

    usesWorker: () => worker !== null,

    async close() {
      closing = true;
      const w = worker;
      if (w !== null && inFlight.length > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
        });
      }
      if (w !== null && worker !== null) {
        w.postMessage({ kind: "close" } satisfies ToIndexWorker);
        await exited;
      }
      await chain;
    },
  };
}
