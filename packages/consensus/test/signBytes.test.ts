// Sign-bytes layout (§1.5): sfixed64 height/round, nil votes without block_id, timestamp always,
// proposal pol_round as a varint, vote extensions, and the length prefix.

import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  BlockIDSchema,
  PartSetHeaderSchema,
  ProposalSchema,
  SignedMsgType,
  toHex,
  VoteSchema,
} from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeUvarint,
  proposalSignBytes,
  voteExtensionSignBytes,
  voteSignBytes,
} from "../src/index.ts";

const blockId = create(BlockIDSchema, {
  hash: new Uint8Array(32).fill(0xaa),
  partSetHeader: create(PartSetHeaderSchema, { total: 2, hash: new Uint8Array(32).fill(0xbb) }),
});
const ts = create(TimestampSchema, { seconds: 1n, nanos: 2 });

describe("voteSignBytes", () => {
  it("omits block_id for a nil vote and round 0, keeps the timestamp", () => {
    const v = create(VoteSchema, {
      type: SignedMsgType.PREVOTE,
      height: 5n,
      round: 0,
      timestamp: ts,
    });
    // len 22 | 08 01 | 11 <5 as 8 bytes LE> | 2A 04 08 01 10 02 | 32 03 "abc"
    expect(toHex(voteSignBytes("abc", v))).toBe(
      ["16", "0801", "110500000000000000", "2A0408011002", "3203616263"].join(""),
    );
  });

  it("writes the round as sfixed64 and the block id when present", () => {
    const v = create(VoteSchema, {
      type: SignedMsgType.PRECOMMIT,
      height: 0x0102n,
      round: 3,
      blockId,
      timestamp: ts,
      validatorAddress: new Uint8Array(20).fill(1),
      validatorIndex: 7,
      signature: new Uint8Array(64),
      extension: new Uint8Array([1]),
    });
    const sb = toHex(voteSignBytes("c", v));
    expect(sb).toBe(
      [
        "67",
        "0802",
        "110201000000000000",
        "190300000000000000",
        `2248 0A20${"AA".repeat(32)} 1224 0802 1220${"BB".repeat(32)}`,
        "2A0408011002",
        "320163",
      ]
        .join("")
        .replaceAll(" ", ""),
    );
    // Address, index, signature and extension are not signed.
    const stripped = create(VoteSchema, {
      type: v.type,
      height: v.height,
      round: 3,
      blockId,
      timestamp: ts,
    });
    expect(toHex(voteSignBytes("c", stripped))).toBe(sb);
  });

  it("a missing timestamp is signed as Go's zero time", () => {
    const v = create(VoteSchema, { type: SignedMsgType.PREVOTE, height: 1n });
    expect(toHex(voteSignBytes("", v))).toBe(
      ["18", "0801", "110100000000000000", "2A0B088092B8C398FEFFFFFF01"].join(""),
    );
  });
});

describe("proposalSignBytes", () => {
  it("type is always 32 and pol_round -1 is a 10-byte varint", () => {
    const p = create(ProposalSchema, {
      type: SignedMsgType.PROPOSAL,
      height: 2n,
      round: 1,
      polRound: -1,
      blockId,
      timestamp: ts,
    });
    expect(toHex(proposalSignBytes("x", p))).toBe(
      [
        "72",
        "0820",
        "110200000000000000",
        "190100000000000000",
        "20FFFFFFFFFFFFFFFFFF01",
        `2A48 0A20${"AA".repeat(32)} 1224 0802 1220${"BB".repeat(32)}`,
        "3204 0801 1002",
        "3A0178",
      ]
        .join("")
        .replaceAll(" ", ""),
    );
  });
});

describe("voteExtensionSignBytes", () => {
  it("is CanonicalVoteExtension{extension, sfixed64 height, sfixed64 round, chain_id}", () => {
    const v = create(VoteSchema, {
      type: SignedMsgType.PRECOMMIT,
      height: 9n,
      round: 0,
      extension: new Uint8Array([0xde, 0xad]),
    });
    expect(toHex(voteExtensionSignBytes("q", v))).toBe(
      ["10", "0A02DEAD", "110900000000000000", "220171"].join(""),
    );
  });
});

describe("encodeUvarint", () => {
  it("is LEB128", () => {
    expect(toHex(encodeUvarint(0))).toBe("00");
    expect(toHex(encodeUvarint(127))).toBe("7F");
    expect(toHex(encodeUvarint(128))).toBe("8001");
    expect(toHex(encodeUvarint(300))).toBe("AC02");
    fc.assert(
      fc.property(fc.nat(), (n) => {
        const b = encodeUvarint(n);
        let v = 0;
        let mul = 1;
        for (const byte of b) {
          v += (byte & 0x7f) * mul;
          mul *= 128;
        }
        expect(v).toBe(n);
      }),
    );
  });
});
