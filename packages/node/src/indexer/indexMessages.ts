// The messages between the node's main thread and the index worker (indexWorker.ts).

import type { PackedBytes } from "../workerThreads.ts";

/** What the worker is started with. */
export interface IndexWorkerData {
  /** The tx index's LMDB directory (`data/tx_index`). */
  readonly path: string;
}

export type ToIndexWorker =
  | {
      readonly kind: "index";
      readonly height: bigint;
      readonly txs: PackedBytes;
      readonly txHashes: PackedBytes;
      /** Each tx's encoded ExecTxResult (stored as is: the worker does not encode them again). */
      readonly txResultBytes: PackedBytes;
      /** The block's encoded FinalizeBlockRecord (its tx results' events and the block events). */
      readonly record: Uint8Array;
    }
  | { readonly kind: "close" };

export type FromIndexWorker =
  | { readonly kind: "indexed"; readonly height: bigint }
  | { readonly kind: "failed"; readonly height: bigint; readonly message: string }
  | { readonly kind: "closed" };
