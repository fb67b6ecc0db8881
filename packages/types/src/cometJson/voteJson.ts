// CometBFT JSON of Vote (types/vote.go): type/round/validator_index are numbers, the three
// []byte fields are base64 or null.
import { toHex } from "../bytes.ts";
import type { Result } from "../errors.ts";
import {
  SignedMsgType,
  type SignedMsgType as SignedMsgTypeValue,
  type Vote,
} from "../gen/tendermint/types/types_pb.ts";
import type { JsonDecodeError } from "../typesError.ts";
import { createVote } from "../wireConstructors.ts";
import { zeroGoTime } from "../wireMessage.ts";
import { bytesToJsonOrNull } from "./commitJson.ts";
import { ADDRESS_LENGTHS, type BlockIDJson, blockIdToJson, readBlockId } from "./headerJson.ts";
import {
  decodeJson,
  readBase64,
  readCode,
  readHex,
  readInt32,
  readInt64,
  readObject,
} from "./jsonReader.ts";
import { readTimestamp, timestampToJson } from "./timeJson.ts";

export type VoteJson = {
  type: number;
  height: string;
  round: number;
  block_id: BlockIDJson;
  timestamp: string;
  validator_address: string;
  validator_index: number;
  signature: string | null;
  extension: string | null;
  extension_signature: string | null;
};

export function voteToJson(v: Vote): VoteJson {
  return {
    type: v.type,
    height: String(v.height),
    round: v.round,
    block_id: blockIdToJson(v.blockId),
    timestamp: timestampToJson(v.timestamp ?? zeroGoTime()),
    validator_address: toHex(v.validatorAddress),
    validator_index: v.validatorIndex,
    signature: bytesToJsonOrNull(v.signature),
    extension: bytesToJsonOrNull(v.extension),
    extension_signature: bytesToJsonOrNull(v.extensionSignature),
  };
}

const VOTE_TYPES: readonly SignedMsgTypeValue[] = [SignedMsgType.PREVOTE, SignedMsgType.PRECOMMIT];

export function readVote(value: unknown, path: string): Vote {
  const o = readObject(value, path);
  return createVote({
    type: readCode(o.type, `${path}.type`, VOTE_TYPES, "a vote type 1 (prevote) or 2 (precommit)"),
    height: readInt64(o.height, `${path}.height`),
    round: readInt32(o.round, `${path}.round`),
    blockId: readBlockId(o.block_id, `${path}.block_id`),
    timestamp: readTimestamp(o.timestamp, `${path}.timestamp`),
    validatorAddress: readHex(o.validator_address, `${path}.validator_address`, ADDRESS_LENGTHS),
    validatorIndex: readInt32(o.validator_index, `${path}.validator_index`),
    signature: readBase64(o.signature, `${path}.signature`),
    extension: readBase64(o.extension, `${path}.extension`),
    extensionSignature: readBase64(o.extension_signature, `${path}.extension_signature`),
  });
}

export function voteFromJson(json: unknown, path = "vote"): Result<Vote, JsonDecodeError> {
  return decodeJson(() => readVote(json, path));
}
