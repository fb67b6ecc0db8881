// CometBFT JSON of Block, BlockMeta and TxProof (types/block.go, types/tx.go): txs and the
// evidence list print as arrays (CometBFT's store gives empty slices, never nil).
import { create } from "@bufbuild/protobuf";
import { toBase64, toHex } from "../bytes.ts";
import type { Result } from "../errors.ts";
import { ProofSchema } from "../gen/tendermint/crypto/proof_pb.ts";
import type { Block } from "../gen/tendermint/types/block_pb.ts";
import { type BlockMeta, type TxProof, TxProofSchema } from "../gen/tendermint/types/types_pb.ts";
import type { JsonDecodeError } from "../typesError.ts";
import { createBlock, createBlockMeta, createHeader } from "../wireConstructors.ts";
import { type CommitJson, commitToJson, readCommit } from "./commitJson.ts";
import { type EvidenceJson, evidenceToJson, readEvidence } from "./evidenceJson.ts";
import {
  type BlockIDJson,
  blockIdToJson,
  type HeaderJson,
  headerToJson,
  readBlockId,
  readHeader,
} from "./headerJson.ts";
import { decodeJson, readArray, readBase64, readHex, readInt64, readObject } from "./jsonReader.ts";

export type BlockJson = {
  header: HeaderJson;
  data: { txs: string[] };
  evidence: { evidence: EvidenceJson[] };
  last_commit: CommitJson | null;
};

export type BlockMetaJson = {
  block_id: BlockIDJson;
  block_size: string;
  header: HeaderJson;
  num_txs: string;
};

export type ProofJson = { total: string; index: string; leaf_hash: string; aunts: string[] };
export type TxProofJson = { root_hash: string; data: string; proof: ProofJson };

export function blockToJson(b: Block): BlockJson {
  return {
    header: headerToJson(b.header ?? createHeader()),
    data: { txs: (b.data?.txs ?? []).map(toBase64) },
    evidence: { evidence: (b.evidence?.evidence ?? []).map(evidenceToJson) },
    last_commit: b.lastCommit === undefined ? null : commitToJson(b.lastCommit),
  };
}

/** `data.txs` may be an array or null (Go's nil slice); `last_commit` may be null. */
export function readBlock(value: unknown, path: string): Block {
  const o = readObject(value, path);
  const data = readObject(o.data, `${path}.data`);
  const evidence = readObject(o.evidence, `${path}.evidence`);
  return createBlock({
    header: readHeader(o.header, `${path}.header`),
    data: {
      txs: readArray(data.txs, `${path}.data.txs`, true).map((tx, i) =>
        readBase64(tx, `${path}.data.txs[${i}]`),
      ),
    },
    evidence: {
      evidence: readArray(evidence.evidence, `${path}.evidence.evidence`, true).map((e, i) =>
        readEvidence(e, `${path}.evidence.evidence[${i}]`),
      ),
    },
    ...(o.last_commit === null || o.last_commit === undefined
      ? {}
      : { lastCommit: readCommit(o.last_commit, `${path}.last_commit`) }),
  });
}

export function blockFromJson(json: unknown, path = "block"): Result<Block, JsonDecodeError> {
  return decodeJson(() => readBlock(json, path));
}

export function blockMetaToJson(m: BlockMeta): BlockMetaJson {
  return {
    block_id: blockIdToJson(m.blockId),
    block_size: String(m.blockSize),
    header: headerToJson(m.header ?? createHeader()),
    num_txs: String(m.numTxs),
  };
}

export function readBlockMeta(value: unknown, path: string): BlockMeta {
  const o = readObject(value, path);
  return createBlockMeta({
    blockId: readBlockId(o.block_id, `${path}.block_id`),
    blockSize: readInt64(o.block_size, `${path}.block_size`),
    header: readHeader(o.header, `${path}.header`),
    numTxs: readInt64(o.num_txs, `${path}.num_txs`),
  });
}

export function blockMetaFromJson(
  json: unknown,
  path = "block_meta",
): Result<BlockMeta, JsonDecodeError> {
  return decodeJson(() => readBlockMeta(json, path));
}

export function txProofToJson(p: TxProof): TxProofJson {
  return {
    root_hash: toHex(p.rootHash),
    data: toBase64(p.data),
    proof: {
      total: String(p.proof?.total ?? 0n),
      index: String(p.proof?.index ?? 0n),
      leaf_hash: toBase64(p.proof?.leafHash ?? new Uint8Array(0)),
      aunts: (p.proof?.aunts ?? []).map(toBase64),
    },
  };
}

export function readTxProof(value: unknown, path: string): TxProof {
  const o = readObject(value, path);
  const proof = readObject(o.proof, `${path}.proof`);
  return create(TxProofSchema, {
    rootHash: readHex(o.root_hash, `${path}.root_hash`),
    data: readBase64(o.data, `${path}.data`),
    proof: create(ProofSchema, {
      total: readInt64(proof.total, `${path}.proof.total`),
      index: readInt64(proof.index, `${path}.proof.index`),
      leafHash: readBase64(proof.leaf_hash, `${path}.proof.leaf_hash`),
      aunts: readArray(proof.aunts, `${path}.proof.aunts`, true).map((a, i) =>
        readBase64(a, `${path}.proof.aunts[${i}]`),
      ),
    }),
  });
}

export function txProofFromJson(json: unknown, path = "proof"): Result<TxProof, JsonDecodeError> {
  return decodeJson(() => readTxProof(json, path));
}
