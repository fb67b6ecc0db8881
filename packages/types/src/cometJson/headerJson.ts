// CometBFT JSON of BlockID and Header (types/block.go json tags): HexBytes as upper-case hex,
// int64 as strings, uint32 as numbers, version fields omitted when zero (proto omitempty).
import { toHex } from "../bytes.ts";
import type { Result } from "../errors.ts";
import type { BlockID, Header } from "../gen/tendermint/types/types_pb.ts";
import type { JsonDecodeError } from "../typesError.ts";
import { createBlockID, createHeader } from "../wireConstructors.ts";
import { zeroGoTime } from "../wireMessage.ts";
import {
  decodeJson,
  readHex,
  readInt64,
  readObject,
  readString,
  readUint32,
  readUint64,
} from "./jsonReader.ts";
import { readTimestamp, timestampToJson } from "./timeJson.ts";

/** Lengths a tmhash may have: empty (zero value, e.g. last_block_id at the initial height) or 32. */
export const HASH_LENGTHS: readonly number[] = [0, 32];
/** A validator address is SHA256(pubkey)[:20]. */
export const ADDRESS_LENGTHS: readonly number[] = [20];

export type PartSetHeaderJson = { total: number; hash: string };
export type BlockIDJson = { hash: string; parts: PartSetHeaderJson };

export type HeaderJson = {
  version: { block?: string; app?: string };
  chain_id: string;
  height: string;
  time: string;
  last_block_id: BlockIDJson;
  last_commit_hash: string;
  data_hash: string;
  validators_hash: string;
  next_validators_hash: string;
  consensus_hash: string;
  app_hash: string;
  last_results_hash: string;
  evidence_hash: string;
  proposer_address: string;
};

export function blockIdToJson(id: BlockID | undefined): BlockIDJson {
  return {
    hash: toHex(id?.hash ?? new Uint8Array(0)),
    parts: {
      total: id?.partSetHeader?.total ?? 0,
      hash: toHex(id?.partSetHeader?.hash ?? new Uint8Array(0)),
    },
  };
}

export function readBlockId(value: unknown, path: string): BlockID {
  const o = readObject(value, path);
  const parts = readObject(o.parts, `${path}.parts`);
  return createBlockID({
    hash: readHex(o.hash, `${path}.hash`, HASH_LENGTHS),
    partSetHeader: {
      total: readUint32(parts.total, `${path}.parts.total`),
      hash: readHex(parts.hash, `${path}.parts.hash`, HASH_LENGTHS),
    },
  });
}

export function blockIdFromJson(
  json: unknown,
  path = "block_id",
): Result<BlockID, JsonDecodeError> {
  return decodeJson(() => readBlockId(json, path));
}

export function headerToJson(h: Header): HeaderJson {
  const version: HeaderJson["version"] = {};
  if (h.version !== undefined && h.version.block !== 0n) version.block = String(h.version.block);
  if (h.version !== undefined && h.version.app !== 0n) version.app = String(h.version.app);
  return {
    version,
    chain_id: h.chainId,
    height: String(h.height),
    time: timestampToJson(h.time ?? zeroGoTime()),
    last_block_id: blockIdToJson(h.lastBlockId),
    last_commit_hash: toHex(h.lastCommitHash),
    data_hash: toHex(h.dataHash),
    validators_hash: toHex(h.validatorsHash),
    next_validators_hash: toHex(h.nextValidatorsHash),
    consensus_hash: toHex(h.consensusHash),
    app_hash: toHex(h.appHash),
    last_results_hash: toHex(h.lastResultsHash),
    evidence_hash: toHex(h.evidenceHash),
    proposer_address: toHex(h.proposerAddress),
  };
}

export function readHeader(value: unknown, path: string): Header {
  const o = readObject(value, path);
  const version = readObject(o.version, `${path}.version`);
  return createHeader({
    version: {
      block: version.block === undefined ? 0n : readUint64(version.block, `${path}.version.block`),
      app: version.app === undefined ? 0n : readUint64(version.app, `${path}.version.app`),
    },
    chainId: readString(o.chain_id, `${path}.chain_id`),
    height: readInt64(o.height, `${path}.height`),
    time: readTimestamp(o.time, `${path}.time`),
    lastBlockId: readBlockId(o.last_block_id, `${path}.last_block_id`),
    lastCommitHash: readHex(o.last_commit_hash, `${path}.last_commit_hash`, HASH_LENGTHS),
    dataHash: readHex(o.data_hash, `${path}.data_hash`, HASH_LENGTHS),
    validatorsHash: readHex(o.validators_hash, `${path}.validators_hash`, HASH_LENGTHS),
    nextValidatorsHash: readHex(
      o.next_validators_hash,
      `${path}.next_validators_hash`,
      HASH_LENGTHS,
    ),
    consensusHash: readHex(o.consensus_hash, `${path}.consensus_hash`, HASH_LENGTHS),
    appHash: readHex(o.app_hash, `${path}.app_hash`),
    lastResultsHash: readHex(o.last_results_hash, `${path}.last_results_hash`, HASH_LENGTHS),
    evidenceHash: readHex(o.evidence_hash, `${path}.evidence_hash`, HASH_LENGTHS),
    proposerAddress: readHex(o.proposer_address, `${path}.proposer_address`, ADDRESS_LENGTHS),
  });
}

export function headerFromJson(json: unknown, path = "header"): Result<Header, JsonDecodeError> {
  return decodeJson(() => readHeader(json, path));
}
