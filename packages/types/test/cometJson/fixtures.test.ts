// Real CometBFT v0.38 RPC output (commit and validators at height 12) through our codecs,
// with node:crypto as an independent oracle for the bytes we derive from it.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { sizeDelimitedEncode } from "@bufbuild/protobuf/wire";
import {
  BytesValueSchema,
  Int64ValueSchema,
  StringValueSchema,
  TimestampSchema,
} from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  BlockIDFlag,
  BlockIDSchema,
  CanonicalVoteSchema,
  ConsensusSchema,
  createCanonicalVote,
  type Header,
  SignedMsgType,
  SimpleValidatorSchema,
  signedHeaderFromJson,
  signedHeaderToJson,
  toHex,
  type Validator,
  validatorFromJson,
  validatorToJson,
} from "../../src/index.ts";

const load = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/cometbft/${name}`, import.meta.url), "utf8"));

type CommitFixture = { signed_header: unknown; canonical: boolean };
type ValidatorsFixture = { block_height: string; validators: unknown[] };
const commitFixture = load("commit-12.json") as CommitFixture;
const validatorsFixture = load("validators-12.json") as ValidatorsFixture;

// Test oracle only (hashing lives in @qos/consensus): RFC 6962 merkle as CometBFT builds it.
const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
function merkleRoot(items: Uint8Array[]): Uint8Array {
  if (items.length === 0) return sha256();
  if (items.length === 1) return sha256(new Uint8Array([0]), items[0] as Uint8Array);
  let k = 1;
  while (k * 2 < items.length) k *= 2;
  return sha256(new Uint8Array([1]), merkleRoot(items.slice(0, k)), merkleRoot(items.slice(k)));
}
const enc = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) =>
  toBinary(schema, create(schema, init));
const cdcBytes = (b: Uint8Array) => enc(BytesValueSchema, { value: b });

function headerHash(h: Header): Uint8Array {
  return merkleRoot([
    toBinary(ConsensusSchema, h.version as never),
    enc(StringValueSchema, { value: h.chainId }),
    enc(Int64ValueSchema, { value: h.height }),
    toBinary(TimestampSchema, h.time as never),
    toBinary(BlockIDSchema, h.lastBlockId as never),
    cdcBytes(h.lastCommitHash),
    cdcBytes(h.dataHash),
    cdcBytes(h.validatorsHash),
    cdcBytes(h.nextValidatorsHash),
    cdcBytes(h.consensusHash),
    cdcBytes(h.appHash),
    cdcBytes(h.lastResultsHash),
    cdcBytes(h.evidenceHash),
    cdcBytes(h.proposerAddress),
  ]);
}

function decodeValidators(): Validator[] {
  return validatorsFixture.validators.map((v, i) => {
    const r = validatorFromJson(v, `validators[${i}]`);
    if (!r.ok) throw r.error;
    return r.value;
  });
}

describe("CometBFT fixtures (height 12)", () => {
  it("commit: decode then encode gives the fixture back", () => {
    const r = signedHeaderFromJson(commitFixture.signed_header);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(signedHeaderToJson(r.value)).toEqual(commitFixture.signed_header);
  });

  it("validators: decode then encode gives the fixture back", () => {
    const vals = decodeValidators();
    expect(vals).toHaveLength(4);
    expect({
      block_height: validatorsFixture.block_height,
      validators: vals.map(validatorToJson),
    }).toEqual(validatorsFixture);
  });

  it("the decoded header hashes to the commit's block id (golden 9323…B6D6)", () => {
    const r = signedHeaderFromJson(commitFixture.signed_header);
    if (!r.ok) throw r.error;
    const { header, commit } = r.value;
    expect(toHex(headerHash(header as Header))).toBe(
      toHex(commit?.blockId?.hash ?? new Uint8Array()),
    );
    expect(toHex(headerHash(header as Header))).toBe(
      "93232036CF95FF1890654092D560742F9305DD85F4FD80B3DFA71A1FF3A9B6D6",
    );
  });

  it("the decoded validators hash to the header's validators_hash (golden 3340…EE94)", () => {
    const leaves = decodeValidators().map((v) =>
      enc(SimpleValidatorSchema, { pubKey: v.pubKey, votingPower: v.votingPower }),
    );
    expect(toHex(merkleRoot(leaves))).toBe(
      "3340D40CE35BC4A025795BBE753A1A1E0026D0904326DD20438ED0BE7A73EE94",
    );
  });

  it("every precommit signature verifies over our canonical vote bytes", () => {
    const r = signedHeaderFromJson(commitFixture.signed_header);
    if (!r.ok) throw r.error;
    const commit = r.value.commit;
    const header = r.value.header;
    if (commit === undefined || header === undefined) throw new Error("fixture lacks commit");
    const vals = decodeValidators();
    expect(commit.signatures).toHaveLength(4);
    for (const sig of commit.signatures) {
      expect(sig.blockIdFlag).toBe(BlockIDFlag.BLOCK_ID_FLAG_COMMIT);
      const val = vals.find((v) => toHex(v.address) === toHex(sig.validatorAddress));
      if (val?.pubKey?.sum.case !== "ed25519") throw new Error("validator not found");
      const signBytes = sizeDelimitedEncode(
        CanonicalVoteSchema,
        createCanonicalVote({
          type: SignedMsgType.PRECOMMIT,
          height: commit.height,
          round: BigInt(commit.round),
          blockId: {
            hash: commit.blockId?.hash ?? new Uint8Array(),
            partSetHeader: {
              total: commit.blockId?.partSetHeader?.total ?? 0,
              hash: commit.blockId?.partSetHeader?.hash ?? new Uint8Array(),
            },
          },
          ...(sig.timestamp === undefined ? {} : { timestamp: sig.timestamp }),
          chainId: header.chainId,
        }),
      );
      const key = createPublicKey({
        key: {
          kty: "OKP",
          crv: "Ed25519",
          x: Buffer.from(val.pubKey.sum.value).toString("base64url"),
        },
        format: "jwk",
      });
      expect(verify(null, signBytes, key, sig.signature)).toBe(true);
    }
  });
});
