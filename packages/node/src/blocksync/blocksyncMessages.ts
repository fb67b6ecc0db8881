// The Blocksync channel's wire messages (CometBFT blocksync/msgs.go, tendermint.blocksync.Message):
// encoding, decoding with basic validation, and a zero-copy BlockResponse from stored block bytes.

import { create } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  type Block,
  blocksyncWire,
  decodeWireMessage,
  encodeWireMessage,
  err,
  ok,
  QosError,
  type Result,
} from "@qos/types";

export const BlocksyncErrorCode = {
  Malformed: "blocksync/malformed",
} as const;
export type BlocksyncErrorCode = (typeof BlocksyncErrorCode)[keyof typeof BlocksyncErrorCode];

/** A decoded Blocksync message. */
export type BlocksyncMessage =
  | { readonly kind: "blockRequest"; readonly height: bigint }
  | { readonly kind: "noBlockResponse"; readonly height: bigint }
  | { readonly kind: "blockResponse"; readonly block: Block }
  | { readonly kind: "statusRequest" }
  | { readonly kind: "statusResponse"; readonly base: bigint; readonly height: bigint };

/** Message oneof field numbers (tendermint/blocksync/types.proto). */
const FIELD_BLOCK_RESPONSE = 3;
const FIELD_BLOCK = 1;

export function encodeBlocksyncMessage(msg: BlocksyncMessage): Uint8Array {
  const W = blocksyncWire;
  let sum: blocksyncWire.Message["sum"];
  switch (msg.kind) {
    case "blockRequest":
      sum = { case: "blockRequest", value: create(W.BlockRequestSchema, { height: msg.height }) };
      break;
    case "noBlockResponse":
      sum = {
        case: "noBlockResponse",
        value: create(W.NoBlockResponseSchema, { height: msg.height }),
      };
      break;
    case "blockResponse":
      sum = { case: "blockResponse", value: create(W.BlockResponseSchema, { block: msg.block }) };
      break;
    case "statusRequest":
      sum = { case: "statusRequest", value: create(W.StatusRequestSchema) };
      break;
    case "statusResponse":
      sum = {
        case: "statusResponse",
        value: create(W.StatusResponseSchema, { base: msg.base, height: msg.height }),
      };
      break;
  }
  return encodeWireMessage(W.MessageSchema, create(W.MessageSchema, { sum }));
}

/**
 * `Message{block_response: BlockResponse{block}}` around already-encoded block bytes (as the
 * block store holds them), without decoding and re-encoding the block.
 */
export function encodeBlockResponseFromBytes(blockBytes: Uint8Array): Uint8Array {
  const inner = new BinaryWriter()
    .tag(FIELD_BLOCK, WireType.LengthDelimited)
    .bytes(blockBytes)
    .finish();
  return new BinaryWriter()
    .tag(FIELD_BLOCK_RESPONSE, WireType.LengthDelimited)
    .bytes(inner)
    .finish();
}

function malformed(message: string): { ok: false; error: QosError<BlocksyncErrorCode> } {
  return err(new QosError(BlocksyncErrorCode.Malformed, message));
}

/** Decodes and checks a peer's message (blocksync/msgs.go ValidateMsg). */
export function decodeBlocksyncMessage(
  bytes: Uint8Array,
): Result<BlocksyncMessage, QosError<BlocksyncErrorCode>> {
  const decoded = decodeWireMessage(blocksyncWire.MessageSchema, bytes);
  if (!decoded.ok) return malformed(decoded.error.message);
  const sum = decoded.value.sum;
  switch (sum.case) {
    case "blockRequest":
      if (sum.value.height < 0n) return malformed("negative height in BlockRequest");
      return ok({ kind: "blockRequest", height: sum.value.height });
    case "noBlockResponse":
      if (sum.value.height < 0n) return malformed("negative height in NoBlockResponse");
      return ok({ kind: "noBlockResponse", height: sum.value.height });
    case "blockResponse": {
      const block = sum.value.block;
      if (block === undefined || block.header === undefined)
        return malformed("BlockResponse without a block");
      return ok({ kind: "blockResponse", block });
    }
    case "statusRequest":
      return ok({ kind: "statusRequest" });
    case "statusResponse": {
      const { base, height } = sum.value;
      if (base < 0n) return malformed("negative base in StatusResponse");
      if (height < 0n) return malformed("negative height in StatusResponse");
      if (base > height)
        return malformed(`base ${base} is above height ${height} in StatusResponse`);
      return ok({ kind: "statusResponse", base, height });
    }
    default:
      return malformed("empty or unknown blocksync message");
  }
}
