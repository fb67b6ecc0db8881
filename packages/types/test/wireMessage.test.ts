import { create, toBinary } from "@bufbuild/protobuf";
import { sizeDelimitedEncode } from "@bufbuild/protobuf/wire";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  BlockIDFlag,
  BlockIDSchema,
  BlockSchema,
  CanonicalProposalSchema,
  CanonicalVoteSchema,
  CommitSchema,
  CommitSigSchema,
  createBlock,
  createBlockID,
  createCanonicalProposal,
  createCanonicalVote,
  createCommit,
  createCommitSig,
  createHeader,
  createValidator,
  createValidatorUpdate,
  createVote,
  decodeWireMessage,
  defaultConsensusParams,
  encodeWireMessage,
  fromHex,
  HashedParamsSchema,
  HeaderSchema,
  isZeroGoTime,
  SignedMsgType,
  toHexLower,
  ValidatorSchema,
  ValidatorUpdateSchema,
  VoteSchema,
  zeroGoTime,
} from "../src/index.ts";

const hex = (bytes: Uint8Array) => toHexLower(bytes);
const bytes = (h: string) => fromHex(h) as Uint8Array;

describe("non-nullable fields (gogoproto nullable=false)", () => {
  it("an empty BlockID still carries its part set header: 12 00", () => {
    expect(hex(toBinary(BlockIDSchema, createBlockID()))).toBe("1200");
  });

  it("a height-1 header emits version, time and last_block_id even when empty", () => {
    const h = createHeader({ chainId: "c", height: 1n });
    const enc = hex(toBinary(HeaderSchema, h));
    // version {} | chain_id "c" | height 1 | time = Go zero time | last_block_id = 12 00
    expect(enc).toBe("0a00" + "120163" + "1801" + "220b088092b8c398feffffff01" + "2a021200");
  });

  it("an absent CommitSig carries Go's zero time", () => {
    const sig = createCommitSig({ blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_ABSENT });
    expect(isZeroGoTime(sig.timestamp)).toBe(true);
    expect(hex(toBinary(CommitSigSchema, sig))).toBe("08011a0b088092b8c398feffffff01");
  });

  it("normalises nested messages: commit signatures, block header and last commit", () => {
    const commit = createCommit({ signatures: [{ blockIdFlag: 1 }] });
    expect(hex(toBinary(CommitSchema, commit))).toBe(
      "1a021200" + "220f08011a0b088092b8c398feffffff01",
    );
    const block = createBlock({ lastCommit: {} });
    expect(block.header?.lastBlockId?.partSetHeader).toBeDefined();
    expect(block.data).toBeDefined();
    expect(block.evidence).toBeDefined();
    expect(block.lastCommit?.blockId?.partSetHeader).toBeDefined();
    // header | data | evidence | last_commit, all present
    expect(hex(toBinary(BlockSchema, createBlock()))).toBe(
      "0a13" + "0a00220b088092b8c398feffffff012a021200" + "1200" + "1a00",
    );
  });

  it("a validator always emits its pub_key; a validator update too", () => {
    expect(hex(toBinary(ValidatorSchema, createValidator({ votingPower: 1n })))).toBe("12001801");
    expect(hex(toBinary(ValidatorUpdateSchema, createValidatorUpdate()))).toBe("0a00");
  });

  it("a nil vote has an empty block_id but a nil canonical vote omits it", () => {
    const vote = createVote({ type: SignedMsgType.PREVOTE, height: 5n });
    expect(hex(toBinary(VoteSchema, vote))).toBe(
      "0801" + "1005" + "22021200" + "2a0b088092b8c398feffffff01",
    );
    const cv = createCanonicalVote({ type: SignedMsgType.PREVOTE, height: 5n, chainId: "c" });
    expect(cv.blockId).toBeUndefined();
    expect(hex(toBinary(CanonicalVoteSchema, cv))).toBe(
      "0801" + "110500000000000000" + "2a0b088092b8c398feffffff01" + "320163",
    );
  });

  it("never mutates its input", () => {
    const sig = create(CommitSigSchema, { blockIdFlag: 1 });
    const commit = create(CommitSchema, { signatures: [sig] });
    const filled = createCommit(commit);
    expect(commit.blockId).toBeUndefined();
    expect(sig.timestamp).toBeUndefined();
    expect(filled.signatures[0]?.timestamp).toBeDefined();
    expect(filled).not.toBe(commit);
  });

  it("encodeWireMessage fills defaults of a message built with plain create()", () => {
    const sig = create(CommitSigSchema, { blockIdFlag: 1 });
    expect(hex(encodeWireMessage(CommitSigSchema, sig))).toBe("08011a0b088092b8c398feffffff01");
    expect(sig.timestamp).toBeUndefined();
  });

  it("decodeWireMessage gives Go's zero values for absent non-nullable fields", () => {
    // A CommitSig on the wire without its timestamp: Go reads the zero time, and so do we.
    const r = decodeWireMessage(CommitSigSchema, bytes("0801"));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(isZeroGoTime(r.value.timestamp)).toBe(true);
    expect(hex(toBinary(CommitSigSchema, r.value))).toBe("08011a0b088092b8c398feffffff01");
  });

  it("decodeWireMessage drops unknown fields and rejects malformed bytes", () => {
    // field 15 (varint 1) is unknown to CommitSig
    const r = decodeWireMessage(CommitSigSchema, bytes("08017801"));
    expect(r.ok && hex(toBinary(CommitSigSchema, r.value))).toBe("08011a0b088092b8c398feffffff01");
    const bad = decodeWireMessage(CommitSigSchema, bytes("0a05ff"));
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe("INVALID_PROTO");
      expect(bad.error.message).toMatch(/^tendermint\.types\.CommitSig: malformed protobuf/);
    }
  });
});

describe("integer encodings", () => {
  it("negative int64 is a 10-byte varint: HashedParams defaults", () => {
    const p = defaultConsensusParams();
    const hashed = create(HashedParamsSchema, {
      blockMaxBytes: p.block?.maxBytes ?? 0n,
      blockMaxGas: p.block?.maxGas ?? 0n,
    });
    expect(hex(toBinary(HashedParamsSchema, hashed))).toBe("088080c00a" + "10ffffffffffffffffff01");
  });

  it("sfixed64 height/round and a pol_round of -1 in CanonicalProposal", () => {
    const cp = createCanonicalProposal({
      type: SignedMsgType.PROPOSAL,
      height: 12n,
      round: 1n,
      polRound: -1n,
      timestamp: create(TimestampSchema, { seconds: 1n, nanos: 0 }),
      chainId: "c",
    });
    expect(hex(toBinary(CanonicalProposalSchema, cp))).toBe(
      "0820" +
        "110c00000000000000" +
        "190100000000000000" +
        "20ffffffffffffffffff01" +
        "32020801" +
        "3a0163",
    );
  });

  it("length-delimited canonical vote of the spec's example (§1.5)", () => {
    const cv = createCanonicalVote({
      type: SignedMsgType.PRECOMMIT,
      height: 12n,
      round: 0n,
      blockId: {
        hash: bytes("93232036CF95FF1890654092D560742F9305DD85F4FD80B3DFA71A1FF3A9B6D6"),
        partSetHeader: {
          total: 1,
          hash: bytes("08DAFA6B9653A474F6D9C18302B904C15BF1D72FD4B1B72B6390D55AC0CCB3E8"),
        },
      },
      timestamp: create(TimestampSchema, { seconds: 1755524351n, nanos: 924425000 }),
      chainId: "chain-ORcSeX",
    });
    expect(hex(sizeDelimitedEncode(CanonicalVoteSchema, cv))).toBe(
      "710802110c00000000000000" +
        "2248" +
        "0a2093232036cf95ff1890654092d560742f9305dd85f4fd80b3dfa71a1ff3a9b6d6" +
        "1224" +
        "0801" +
        "122008dafa6b9653a474f6d9c18302b904c15bf1d72fd4b1b72b6390d55ac0ccb3e8" +
        "2a0c08ffd98cc50610a8b6e6b803" +
        "320c636861696e2d4f5263536558",
    );
  });

  it("zeroGoTime is 0001-01-01T00:00:00Z", () => {
    expect(zeroGoTime().seconds).toBe(-62135596800n);
    expect(zeroGoTime().nanos).toBe(0);
  });
});
