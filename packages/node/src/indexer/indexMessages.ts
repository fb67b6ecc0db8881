// The messages between the node's main thread and the index worker (indexWorker.ts), and the
// packing of byte lists into one transferable buffer. A Uint8Array that views part of a larger
// buffer (a block's txs) would be cloned with its whole buffer; packed lists copy each byte once
// and move to the worker without a second copy.

/** A list of byte strings in one buffer: item i is `data[ends[i-1] .. ends[i])`. */
export interface PackedBytes {
  readonly data: Uint8Array;
  readonly ends: Uint32Array;
}

export function packBytes(list: readonly Uint8Array[]): PackedBytes {
  let total = 0;
  for (const b of list) total += b.length;
  const data = new Uint8Array(total);
  const ends = new Uint32Array(list.length);
  let at = 0;
  for (let i = 0; i < list.length; i++) {
    const b = list[i] as Uint8Array;
    data.set(b, at);
    at += b.length;
    ends[i] = at;
  }
  return { data, ends };
}

export function unpackBytes(packed: PackedBytes): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const end of packed.ends) {
    out.push(packed.data.subarray(from, end));
    from = end;
  }
  return out;
}

/** The buffers a packed list hands over with postMessage. */
export function packedTransfer(packed: PackedBytes): ArrayBuffer[] {
  return [packed.data.buffer as ArrayBuffer, packed.ends.buffer as ArrayBuffer];
}

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
