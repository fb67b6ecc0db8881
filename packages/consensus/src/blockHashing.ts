// CometBFT v0.38 block hashes, byte-identical to Go: Header.Hash (14 cdc-encoded leaves),
// Commit.Hash, Txs.Hash, ABCIResults.Hash, HashedParams, EvidenceList.Hash, BlockID keys.

import { create, toBinary } from "@bufbuild/protobuf";
import {
  BytesValueSchema,
  Int64ValueSchema,
  StringValueSchema,
  TimestampSchema,
} from "@bufbuild/protobuf/wkt";
import { merkleRoot, sha256 } from "@qos/crypto";
import {
  type BlockID,
  BlockIDSchema,
  type Commit,
  CommitSigSchema,
  ConsensusSchema,
  DuplicateVoteEvidenceSchema,
  type Evidence,
  encodeExecTxResult,
  encodeWireMessage,
  equalBytes,
  HashedParamsSchema,
  type Header,
  LightClientAttackEvidenceSchema,
  PartSetHeaderSchema,
  QosError,
  toHex,
  zeroGoTime,
} from "@qos/types";

/** tmhash.Size */
export const HASH_SIZE = 32;
/** crypto.AddressSize */
export const ADDRESS_SIZE = 20;

/** cdcEncode(string) (types/encoding_helper.go): StringValue, empty for "". */
export function cdcEncodeString(value: string): Uint8Array {
  return toBinary(StringValueSchema, create(StringValueSchema, { value }));
}

/** cdcEncode(int64): Int64Value, empty for 0. */
export function cdcEncodeInt64(value: bigint): Uint8Array {
  return toBinary(Int64ValueSchema, create(Int64ValueSchema, { value }));
}

/** cdcEncode(HexBytes): BytesValue, empty for empty bytes. */
export function cdcEncodeBytes(value: Uint8Array): Uint8Array {
  return toBinary(BytesValueSchema, create(BytesValueSchema, { value }));
}

/** The proto BlockID bytes as Go marshals them (part_set_header always present: `12 00` when empty). */
export function encodeBlockId(blockId: BlockID | undefined): Uint8Array {
  return encodeWireMessage(BlockIDSchema, blockId ?? create(BlockIDSchema));
}

/**
 * The 14 Merkle leaves of Header.Hash, in order (types/block.go Header.Hash): raw Version,
 * cdc ChainID, cdc Height, raw Timestamp, raw LastBlockID, then the nine cdc-encoded byte fields.
 */
export function headerLeaves(header: Header): Uint8Array[] {
  return [
    encodeWireMessage(ConsensusSchema, header.version ?? create(ConsensusSchema)),
    cdcEncodeString(header.chainId),
    cdcEncodeInt64(header.height),
    toBinary(TimestampSchema, header.time ?? zeroGoTime()),
    encodeBlockId(header.lastBlockId),
    cdcEncodeBytes(header.lastCommitHash),
    cdcEncodeBytes(header.dataHash),
    cdcEncodeBytes(header.validatorsHash),
    cdcEncodeBytes(header.nextValidatorsHash),
    cdcEncodeBytes(header.consensusHash),
    cdcEncodeBytes(header.appHash),
    cdcEncodeBytes(header.lastResultsHash),
    cdcEncodeBytes(header.evidenceHash),
    cdcEncodeBytes(header.proposerAddress),
  ];
}

/** Header.Hash: null when ValidatorsHash is empty (an incomplete header has no hash). */
export function headerHash(header: Header): Uint8Array | null {
  if (header.validatorsHash.length === 0) return null;
  return merkleRoot(headerLeaves(header));
}

/** Commit.Hash: Merkle root of the proto CommitSigs (timestamp always present); null for no commit. */
export function commitHash(commit: Commit | undefined): Uint8Array | null {
  if (commit === undefined) return null;
  return merkleRoot(commit.signatures.map((sig) => encodeWireMessage(CommitSigSchema, sig)));
}

/** Tx.Hash: SHA-256 of the raw transaction bytes. */
export function txHash(tx: Uint8Array): Uint8Array {
  return sha256(tx);
}

/** Txs.Hash / Data.Hash: Merkle root whose leaves are the tx hashes. */
export function dataHash(txs: readonly Uint8Array[]): Uint8Array {
  return merkleRoot(txs.map(txHash));
}

/** The fields of an ExecTxResult that enter LastResultsHash (types/results.go deterministicExecTxResult). */
export interface DeterministicTxResult {
  readonly code: number;
  readonly data: Uint8Array;
  readonly gasWanted: bigint;
  readonly gasUsed: bigint;
}

/** ABCIResults.Hash: Merkle root of proto ExecTxResult{code, data, gas_wanted, gas_used}. */
export function resultsHash(results: readonly DeterministicTxResult[]): Uint8Array {
  return merkleRoot(
    results.map((r) =>
      encodeExecTxResult({
        code: r.code,
        data: r.data,
        log: "",
        info: "",
        gasWanted: r.gasWanted,
        gasUsed: r.gasUsed,
        events: [],
        codespace: "",
      }),
    ),
  );
}

/** The consensus params read by ConsensusParams.Hash. */
export interface HashedConsensusParams {
  readonly block?: { readonly maxBytes: bigint; readonly maxGas: bigint } | undefined;
}

/** ConsensusParams.Hash (types/params.go): SHA-256 of proto HashedParams{block_max_bytes, block_max_gas}. */
export function consensusParamsHash(params: HashedConsensusParams): Uint8Array {
  const hp = create(HashedParamsSchema, {
    blockMaxBytes: params.block?.maxBytes ?? 0n,
    blockMaxGas: params.block?.maxGas ?? 0n,
  });
  return sha256(toBinary(HashedParamsSchema, hp));
}

/** Evidence.Bytes(): the proto bytes of the concrete evidence (not of the Evidence oneof wrapper). */
export function evidenceBytes(evidence: Evidence): Uint8Array {
  switch (evidence.sum.case) {
    case "duplicateVoteEvidence":
      return encodeWireMessage(DuplicateVoteEvidenceSchema, evidence.sum.value);
    case "lightClientAttackEvidence":
      return encodeWireMessage(LightClientAttackEvidenceSchema, evidence.sum.value);
    default:
      throw new QosError("invalid_evidence", "evidence has no concrete type");
  }
}

/** Evidence.Hash: SHA-256 of its bytes (types/evidence.go). */
export function evidenceHashOne(evidence: Evidence): Uint8Array {
  return sha256(evidenceBytes(evidence));
}

/** EvidenceList.Hash: Merkle root of each evidence's proto bytes; E3B0… when empty. */
export function evidenceHash(list: readonly Evidence[]): Uint8Array {
  return merkleRoot(list.map(evidenceBytes));
}

function partSetHeaderBytes(blockId: BlockID | undefined): Uint8Array {
  return encodeWireMessage(
    PartSetHeaderSchema,
    blockId?.partSetHeader ?? create(PartSetHeaderSchema),
  );
}

/**
 * BlockID.Key(): hash ‖ proto(PartSetHeader), as upper-case hex. Hex keeps Go's byte order, so
 * `a < b` on keys is `strings.Compare(a.Key(), b.Key()) < 0` in Go.
 */
export function blockIdKey(blockId: BlockID | undefined): string {
  return toHex(blockId?.hash ?? new Uint8Array()) + toHex(partSetHeaderBytes(blockId));
}

/** BlockID.IsZero: empty hash and zero part-set header (the BlockID of a nil vote). */
export function isBlockIdZero(blockId: BlockID | undefined): boolean {
  if (blockId === undefined) return true;
  const psh = blockId.partSetHeader;
  return (
    blockId.hash.length === 0 && (psh === undefined || (psh.total === 0 && psh.hash.length === 0))
  );
}

/** BlockID.IsComplete: 32-byte hash, total > 0, 32-byte part-set hash. */
export function isBlockIdComplete(blockId: BlockID | undefined): boolean {
  if (blockId === undefined) return false;
  const psh = blockId.partSetHeader;
  return (
    blockId.hash.length === HASH_SIZE &&
    psh !== undefined &&
    psh.total > 0 &&
    psh.hash.length === HASH_SIZE
  );
}

/** BlockID.Equals. */
export function blockIdEquals(a: BlockID | undefined, b: BlockID | undefined): boolean {
  const empty = new Uint8Array();
  return (
    equalBytes(a?.hash ?? empty, b?.hash ?? empty) &&
    (a?.partSetHeader?.total ?? 0) === (b?.partSetHeader?.total ?? 0) &&
    equalBytes(a?.partSetHeader?.hash ?? empty, b?.partSetHeader?.hash ?? empty)
  );
}

/** ValidateHash: empty or exactly 32 bytes. */
export function isValidHash(hash: Uint8Array): boolean {
  return hash.length === 0 || hash.length === HASH_SIZE;
}

/** BlockID.ValidateBasic: hash and part-set hash are empty or 32 bytes. Returns a reason or null. */
export function blockIdBasicError(blockId: BlockID | undefined): string | null {
  if (blockId === undefined) return null;
  if (!isValidHash(blockId.hash)) return "wrong Hash";
  const psh = blockId.partSetHeader;
  if (psh !== undefined && !isValidHash(psh.hash)) return "wrong PartSetHeader: wrong Hash";
  return null;
}
