// Byte-level checks of the CometBFT hashing rules (§1.2–§1.4): cdcEncode, the empty-header cases,
// CommitSig encoding of absent sigs, Txs/results/evidence hashes and BlockID keys.

import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { merkleRoot, sha256 } from "@qos/crypto";
import {
  BlockIDFlag,
  BlockIDSchema,
  CommitSchema,
  CommitSigSchema,
  createHeader,
  DuplicateVoteEvidenceSchema,
  EvidenceSchema,
  ExecTxResultSchema,
  encodeWireMessage,
  fromHex,
  type Header,
  PartSetHeaderSchema,
  SignedMsgType,
  toHex,
  utf8Encode,
  VoteSchema,
} from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  blockIdEquals,
  blockIdKey,
  cdcEncodeBytes,
  cdcEncodeInt64,
  cdcEncodeString,
  commitHash,
  dataHash,
  encodeBlockId,
  evidenceBytes,
  evidenceHash,
  headerHash,
  headerLeaves,
  isBlockIdComplete,
  isBlockIdZero,
  resultsHash,
  txHash,
} from "../src/index.ts";

const EMPTY_ROOT = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
const hex = (b: Uint8Array | null) => (b === null ? null : toHex(b));

describe("cdcEncode", () => {
  it("wraps strings, int64 and bytes in the protobuf wrapper types, empty for zero values", () => {
    expect(hex(cdcEncodeString("chain-ORcSeX"))).toBe("0A0C636861696E2D4F5263536558");
    expect(hex(cdcEncodeString(""))).toBe("");
    expect(hex(cdcEncodeInt64(12n))).toBe("080C");
    expect(hex(cdcEncodeInt64(300n))).toBe("08AC02");
    expect(hex(cdcEncodeInt64(0n))).toBe("");
    expect(hex(cdcEncodeInt64(-1n))).toBe("08FFFFFFFFFFFFFFFFFF01");
    expect(hex(cdcEncodeBytes(new Uint8Array([1, 2])))).toBe("0A020102");
    expect(hex(cdcEncodeBytes(new Uint8Array()))).toBe("");
  });
});

describe("headerHash", () => {
  function genesisHeader(): Header {
    return createHeader({
      version: { block: 11n, app: 0n },
      chainId: "qos-1",
      height: 1n,
      time: create(TimestampSchema, { seconds: 1_700_000_000n, nanos: 5 }),
      validatorsHash: new Uint8Array(32).fill(1),
      nextValidatorsHash: new Uint8Array(32).fill(1),
      consensusHash: new Uint8Array(32).fill(2),
      dataHash: fromHex(EMPTY_ROOT) as Uint8Array,
      evidenceHash: fromHex(EMPTY_ROOT) as Uint8Array,
      proposerAddress: new Uint8Array(20).fill(3),
    });
  }

  it("is null without a validators hash", () => {
    const h = genesisHeader();
    h.validatorsHash = new Uint8Array();
    expect(headerHash(h)).toBeNull();
  });

  it("encodes the empty last block id of the initial height as 12 00", () => {
    const h = genesisHeader();
    expect(hex(headerLeaves(h)[4] as Uint8Array)).toBe("1200");
    expect(hex(encodeBlockId(undefined))).toBe("1200");
    // A header without last_block_id set at all hashes the same (gogoproto non-nullable).
    const bare = { ...h, lastBlockId: undefined };
    expect(hex(headerHash(bare))).toBe(hex(headerHash(h)));
  });

  it("hashes 14 leaves; empty byte fields are empty leaves", () => {
    const h = genesisHeader();
    const leaves = headerLeaves(h);
    expect(leaves).toHaveLength(14);
    expect(hex(leaves[0] as Uint8Array)).toBe("080B");
    expect(hex(leaves[3] as Uint8Array)).toBe("0880E2CFAA061005");
    expect(hex(leaves[5] as Uint8Array)).toBe(""); // last commit hash empty at height 1
    expect(hex(leaves[11] as Uint8Array)).toBe(""); // last results hash empty at height 1
    expect(hex(headerHash(h))).toBe(hex(merkleRoot(leaves)));
  });

  it("encodes a missing time as Go's zero time", () => {
    const h = genesisHeader();
    const bare = { ...h, time: undefined };
    expect(hex(headerLeaves(bare)[3] as Uint8Array)).toBe("088092B8C398FEFFFFFF01");
  });
});

describe("commitHash", () => {
  it("encodes an absent CommitSig with Go's zero time (§1.4)", () => {
    const absent = create(CommitSigSchema, { blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_ABSENT });
    expect(hex(encodeWireMessage(CommitSigSchema, absent))).toBe("08011A0B088092B8C398FEFFFFFF01");
    const c = create(CommitSchema, { height: 3n, signatures: [absent] });
    expect(hex(commitHash(c))).toBe(
      hex(merkleRoot([fromHex("08011A0B088092B8C398FEFFFFFF01") as Uint8Array])),
    );
  });

  it("is null for no commit and E3B0… for no signatures", () => {
    expect(commitHash(undefined)).toBeNull();
    expect(hex(commitHash(create(CommitSchema, {})))).toBe(EMPTY_ROOT);
  });
});

describe("data, results and evidence hashes", () => {
  it("Txs.Hash leaf-hashes the tx hashes", () => {
    expect(hex(dataHash([]))).toBe(EMPTY_ROOT);
    const txs = [utf8Encode("a"), utf8Encode("bc")];
    expect(hex(dataHash(txs))).toBe(hex(merkleRoot(txs.map((t) => sha256(t)))));
    expect(hex(txHash(txs[0] as Uint8Array))).toBe(hex(sha256(utf8Encode("a"))));
  });

  it("ABCIResults.Hash keeps only code, data, gas_wanted, gas_used", () => {
    expect(hex(resultsHash([]))).toBe(EMPTY_ROOT);
    const full = create(ExecTxResultSchema, {
      code: 5,
      data: new Uint8Array([9]),
      log: "ignored",
      info: "ignored",
      gasWanted: 100n,
      gasUsed: 70n,
      codespace: "ignored",
    });
    // code=1 (08 05), data=2 (12 01 09), gas_wanted=5 (28 64), gas_used=6 (30 46)
    expect(hex(resultsHash([full]))).toBe(
      hex(merkleRoot([fromHex("080512010928643046") as Uint8Array])),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), (log, info) => {
        const noisy = { ...full, log, info };
        expect(hex(resultsHash([noisy]))).toBe(hex(resultsHash([full])));
      }),
      { numRuns: 20 },
    );
  });

  it("EvidenceList.Hash hashes the concrete evidence bytes, E3B0… when empty", () => {
    expect(hex(evidenceHash([]))).toBe(EMPTY_ROOT);
    const dve = create(DuplicateVoteEvidenceSchema, {
      voteA: create(VoteSchema, { type: SignedMsgType.PREVOTE, height: 4n }),
      voteB: create(VoteSchema, { type: SignedMsgType.PREVOTE, height: 4n }),
      totalVotingPower: 10n,
      validatorPower: 1n,
    });
    const ev = create(EvidenceSchema, { sum: { case: "duplicateVoteEvidence", value: dve } });
    const bytes = evidenceBytes(ev);
    expect(hex(bytes)).toBe(hex(encodeWireMessage(DuplicateVoteEvidenceSchema, dve)));
    // The non-nullable timestamp is present even though it was never set.
    expect(hex(bytes)).toContain("2A0B088092B8C398FEFFFFFF01");
    expect(hex(evidenceHash([ev]))).toBe(hex(merkleRoot([bytes])));
  });
});

describe("BlockID helpers", () => {
  const bid = (h: number[], total: number, psh: number[]) =>
    create(BlockIDSchema, {
      hash: new Uint8Array(h),
      partSetHeader: create(PartSetHeaderSchema, { total, hash: new Uint8Array(psh) }),
    });

  it("keys are hash ‖ proto(PartSetHeader) in hex, ordered like Go strings", () => {
    expect(blockIdKey(bid([0xab], 1, [0xcd]))).toBe("AB08011201CD");
    expect(blockIdKey(undefined)).toBe("");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 }), fc.uint8Array({ maxLength: 4 }), (a, b) => {
        const ka = blockIdKey(bid([...a], 0, []));
        const kb = blockIdKey(bid([...b], 0, []));
        const bytesCmp = Buffer.compare(Buffer.from(a), Buffer.from(b));
        expect(Math.sign(ka < kb ? -1 : ka > kb ? 1 : 0)).toBe(Math.sign(bytesCmp));
      }),
    );
  });

  it("zero / complete / equals", () => {
    expect(isBlockIdZero(undefined)).toBe(true);
    expect(isBlockIdZero(create(BlockIDSchema))).toBe(true);
    expect(isBlockIdZero(bid([], 1, []))).toBe(false);
    const full = bid(new Array(32).fill(1), 2, new Array(32).fill(2));
    expect(isBlockIdComplete(full)).toBe(true);
    expect(isBlockIdComplete(bid(new Array(32).fill(1), 0, new Array(32).fill(2)))).toBe(false);
    expect(blockIdEquals(full, bid(new Array(32).fill(1), 2, new Array(32).fill(2)))).toBe(true);
    expect(blockIdEquals(full, bid(new Array(32).fill(1), 3, new Array(32).fill(2)))).toBe(false);
    expect(blockIdEquals(undefined, create(BlockIDSchema))).toBe(true);
    // Keys can collide across field boundaries; Equals compares fields.
    expect(blockIdEquals(bid([0x08, 0x01], 0, []), bid([], 1, []))).toBe(false);
  });
});
