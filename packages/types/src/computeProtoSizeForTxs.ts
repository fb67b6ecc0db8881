// Encoded size of txs inside a block's `Data` message, as CometBFT's
// `types.ComputeProtoSizeForTxs` computes it for reaping and proposal limits.

import { varintSize } from "./protoWire.ts";

/**
 * Size of `tendermint.types.Data{txs}` in protobuf: each tx is field 1 (`repeated bytes`),
 * so it costs one tag byte, a varint of its length, and its bytes.
 */
export function computeProtoSizeForTxs(txs: readonly Uint8Array[]): number {
  let size = 0;
  for (const tx of txs) size += 1 + varintSize(tx.length) + tx.length;
  return size;
}
