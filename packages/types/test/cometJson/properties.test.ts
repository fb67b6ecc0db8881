// Property tests: random wire values survive CometBFT JSON (through JSON text) and protobuf.
import { create, type DescMessage, equals, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BlockSchema,
  blockFromJson,
  blockToJson,
  CommitSchema,
  commitFromJson,
  commitToJson,
  createBlock,
  createCommit,
  createCommitSig,
  createHeader,
  createValidator,
  createVote,
  decodeWireMessage,
  EvidenceSchema,
  ExecTxResultSchema,
  execTxResultFromJson,
  execTxResultToJson,
  HeaderSchema,
  headerFromJson,
  headerToJson,
  type Result,
  ValidatorSchema,
  VoteSchema,
  validatorFromJson,
  validatorToJson,
  voteFromJson,
  voteToJson,
} from "../../src/index.ts";

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const hash = fc.oneof(bytes(0), bytes(32));
const int64 = fc.bigInt(INT64);
const timestamp = fc
  .record({
    seconds: fc.bigInt({ min: -62_167_219_200n, max: 253_402_300_799n }),
    nanos: fc.integer({ min: 0, max: 999_999_999 }),
  })
  .map((t) => create(TimestampSchema, t));
const blockId = fc.record({
  hash,
  partSetHeader: fc.record({ total: fc.integer({ min: 0, max: 2 ** 32 - 1 }), hash }),
});

const header = fc
  .record({
    version: fc.record({
      block: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      app: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    }),
    chainId: fc.string({ maxLength: 50 }),
    height: int64,
    time: timestamp,
    lastBlockId: blockId,
    lastCommitHash: hash,
    dataHash: hash,
    validatorsHash: hash,
    nextValidatorsHash: hash,
    consensusHash: hash,
    appHash: fc.uint8Array({ maxLength: 40 }),
    lastResultsHash: hash,
    evidenceHash: hash,
    proposerAddress: bytes(20),
  })
  .map((h) => createHeader(h));

const commitSig = fc
  .record({
    blockIdFlag: fc.constantFrom(1, 2, 3),
    validatorAddress: fc.oneof(bytes(0), bytes(20)),
    timestamp,
    signature: fc.uint8Array({ maxLength: 64 }),
  })
  .map((s) => createCommitSig(s));

const commit = fc
  .record({
    height: int64,
    round: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    blockId,
    signatures: fc.array(commitSig, { maxLength: 8 }),
  })
  .map((c) => createCommit(c));

const pubKey = fc.oneof(
  bytes(32).map((value) => ({ sum: { case: "ed25519" as const, value } })),
  bytes(33).map((value) => ({ sum: { case: "secp256k1" as const, value } })),
);
const validator = fc
  .record({ address: bytes(20), pubKey, votingPower: int64, proposerPriority: int64 })
  .map((v) => createValidator(v));

const vote = fc
  .record({
    type: fc.constantFrom(1, 2),
    height: int64,
    round: fc.integer({ min: 0, max: 1000 }),
    blockId,
    timestamp,
    validatorAddress: bytes(20),
    validatorIndex: fc.integer({ min: 0, max: 10_000 }),
    signature: fc.uint8Array({ maxLength: 64 }),
    extension: fc.uint8Array({ maxLength: 16 }),
    extensionSignature: fc.uint8Array({ maxLength: 64 }),
  })
  .map((v) => createVote(v));

const execTxResult = fc
  .record({
    code: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    data: fc.uint8Array({ maxLength: 16 }),
    log: fc.string({ maxLength: 20 }),
    info: fc.string({ maxLength: 20 }),
    gasWanted: int64,
    gasUsed: int64,
    events: fc.array(
      fc.record({
        type: fc.string({ maxLength: 10 }),
        attributes: fc.array(
          fc.record({ key: fc.string({ maxLength: 8 }), value: fc.string(), index: fc.boolean() }),
          { maxLength: 3 },
        ),
      }),
      { maxLength: 3 },
    ),
    codespace: fc.string({ maxLength: 8 }),
  })
  .map((r) => create(ExecTxResultSchema, r));

const block = fc
  .record({
    header,
    txs: fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 4 }),
    evidence: fc.array(
      fc.record({ voteA: vote, voteB: vote, total: int64, power: int64, time: timestamp }),
      { maxLength: 2 },
    ),
    lastCommit: fc.option(commit, { nil: undefined }),
  })
  .map((b) =>
    createBlock({
      header: b.header,
      data: { txs: b.txs },
      evidence: {
        evidence: b.evidence.map((e) =>
          create(EvidenceSchema, {
            sum: {
              case: "duplicateVoteEvidence",
              value: {
                voteA: e.voteA,
                voteB: e.voteB,
                totalVotingPower: e.total,
                validatorPower: e.power,
                timestamp: e.time,
              },
            },
          }),
        ),
      },
      ...(b.lastCommit === undefined ? {} : { lastCommit: b.lastCommit }),
    }),
  );

/** JSON value → text → value → decode, so nothing survives that JSON text would lose. */
function viaJsonText<T>(json: unknown, decode: (j: unknown) => Result<T>): T {
  const r = decode(JSON.parse(JSON.stringify(json)));
  if (!r.ok) throw r.error;
  return r.value;
}

function jsonRoundTrip<D extends DescMessage>(
  schema: D,
  arb: fc.Arbitrary<MessageShape<D>>,
  toJson: (m: MessageShape<D>) => unknown,
  fromJson: (j: unknown) => Result<MessageShape<D>>,
) {
  fc.assert(
    fc.property(arb, (m) => {
      const back = viaJsonText(toJson(m), fromJson);
      expect(equals(schema, back, m)).toBe(true);
      expect(toJson(back)).toEqual(toJson(m));
    }),
    { numRuns: 200 },
  );
}

function binaryRoundTrip<D extends DescMessage>(schema: D, arb: fc.Arbitrary<MessageShape<D>>) {
  fc.assert(
    fc.property(arb, (m) => {
      const r = decodeWireMessage(schema, toBinary(schema, m));
      if (!r.ok) throw r.error;
      expect(equals(schema, r.value, m)).toBe(true);
    }),
    { numRuns: 200 },
  );
}

describe("CometBFT JSON round trip (random values)", () => {
  it("Header", () => jsonRoundTrip(HeaderSchema, header, headerToJson, headerFromJson));
  it("Commit", () => jsonRoundTrip(CommitSchema, commit, commitToJson, commitFromJson));
  it("Validator", () =>
    jsonRoundTrip(ValidatorSchema, validator, validatorToJson, validatorFromJson));
  it("Vote", () => jsonRoundTrip(VoteSchema, vote, voteToJson, voteFromJson));
  it("ExecTxResult", () =>
    jsonRoundTrip(ExecTxResultSchema, execTxResult, execTxResultToJson, execTxResultFromJson));
  it("Block with evidence", () => jsonRoundTrip(BlockSchema, block, blockToJson, blockFromJson));
});

describe("protobuf binary round trip (random values)", () => {
  it("Header", () => binaryRoundTrip(HeaderSchema, header));
  it("Commit", () => binaryRoundTrip(CommitSchema, commit));
  it("Validator", () => binaryRoundTrip(ValidatorSchema, validator));
  it("Vote", () => binaryRoundTrip(VoteSchema, vote));
  it("Block", () => binaryRoundTrip(BlockSchema, block));
});
