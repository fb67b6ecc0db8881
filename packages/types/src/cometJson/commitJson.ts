// CometBFT JSON of CommitSig, Commit and SignedHeader (types/block.go): the flag and round are
// numbers, an absent sig has address "", Go's zero time and signature null.
import { toBase64, toHex } from "../bytes.ts";
import type { Result } from "../errors.ts";
import type { Commit, CommitSig, SignedHeader } from "../gen/tendermint/types/types_pb.ts";
import {
  BlockIDFlag,
  type BlockIDFlag as BlockIDFlagValue,
} from "../gen/tendermint/types/validator_pb.ts";
import type { JsonDecodeError } from "../typesError.ts";
import { createCommit, createCommitSig, createSignedHeader } from "../wireConstructors.ts";
import { zeroGoTime } from "../wireMessage.ts";
import {
  type BlockIDJson,
  blockIdToJson,
  type HeaderJson,
  headerToJson,
  readBlockId,
  readHeader,
} from "./headerJson.ts";
import {
  decodeJson,
  readArray,
  readBase64,
  readCode,
  readHex,
  readInt32,
  readInt64,
  readObject,
} from "./jsonReader.ts";
import { readTimestamp, timestampToJson } from "./timeJson.ts";

export type CommitSigJson = {
  block_id_flag: number;
  validator_address: string;
  timestamp: string;
  signature: string | null;
};

export type CommitJson = {
  height: string;
  round: number;
  block_id: BlockIDJson;
  signatures: CommitSigJson[];
};

export type SignedHeaderJson = { header: HeaderJson | null; commit: CommitJson | null };

/** Go `[]byte`: nil (what proto decoding gives for an empty field) prints as null. */
export function bytesToJsonOrNull(bytes: Uint8Array): string | null {
  return bytes.length === 0 ? null : toBase64(bytes);
}

export function commitSigToJson(sig: CommitSig): CommitSigJson {
  return {
    block_id_flag: sig.blockIdFlag,
    validator_address: toHex(sig.validatorAddress),
    timestamp: timestampToJson(sig.timestamp ?? zeroGoTime()),
    signature: bytesToJsonOrNull(sig.signature),
  };
}

const FLAGS: readonly BlockIDFlagValue[] = [
  BlockIDFlag.BLOCK_ID_FLAG_ABSENT,
  BlockIDFlag.BLOCK_ID_FLAG_COMMIT,
  BlockIDFlag.BLOCK_ID_FLAG_NIL,
];

export function readCommitSig(value: unknown, path: string): CommitSig {
  const o = readObject(value, path);
  return createCommitSig({
    blockIdFlag: readCode(
      o.block_id_flag,
      `${path}.block_id_flag`,
      FLAGS,
      "a BlockIDFlag 1 (absent), 2 (commit) or 3 (nil)",
    ),
    // Absent sigs carry an empty address; the others a 20-byte one.
    validatorAddress: readHex(o.validator_address, `${path}.validator_address`, [0, 20]),
    timestamp: readTimestamp(o.timestamp, `${path}.timestamp`),
    signature: readBase64(o.signature, `${path}.signature`),
  });
}

export function commitSigFromJson(
  json: unknown,
  path = "commit_sig",
): Result<CommitSig, JsonDecodeError> {
  return decodeJson(() => readCommitSig(json, path));
}

export function commitToJson(c: Commit): CommitJson {
  return {
    height: String(c.height),
    round: c.round,
    block_id: blockIdToJson(c.blockId),
    signatures: c.signatures.map(commitSigToJson),
  };
}

export function readCommit(value: unknown, path: string): Commit {
  const o = readObject(value, path);
  return createCommit({
    height: readInt64(o.height, `${path}.height`),
    round: readInt32(o.round, `${path}.round`),
    blockId: readBlockId(o.block_id, `${path}.block_id`),
    signatures: readArray(o.signatures, `${path}.signatures`, true).map((s, i) =>
      readCommitSig(s, `${path}.signatures[${i}]`),
    ),
  });
}

export function commitFromJson(json: unknown, path = "commit"): Result<Commit, JsonDecodeError> {
  return decodeJson(() => readCommit(json, path));
}

export function signedHeaderToJson(sh: SignedHeader): SignedHeaderJson {
  return {
    header: sh.header === undefined ? null : headerToJson(sh.header),
    commit: sh.commit === undefined ? null : commitToJson(sh.commit),
  };
}

/** Both parts are required: a signed header without its header or commit verifies nothing. */
export function readSignedHeader(value: unknown, path: string): SignedHeader {
  const o = readObject(value, path);
  return createSignedHeader({
    header: readHeader(o.header, `${path}.header`),
    commit: readCommit(o.commit, `${path}.commit`),
  });
}

export function signedHeaderFromJson(
  json: unknown,
  path = "signed_header",
): Result<SignedHeader, JsonDecodeError> {
  return decodeJson(() => readSignedHeader(json, path));
}
