// Exact CometBFT v0.38 JSON shapes (§4.2, §4.3) and decoder errors that name the bad field.
import { readFileSync } from "node:fs";
import { create, equals } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  BlockIDFlag,
  BlockMetaSchema,
  BlockSchema,
  blockFromJson,
  blockMetaFromJson,
  blockMetaToJson,
  blockToJson,
  ConsensusParamsSchema,
  commitFromJson,
  commitToJson,
  consensusParamsFromJson,
  consensusParamsToJson,
  createBlock,
  createBlockID,
  createBlockMeta,
  createCommit,
  createDuplicateVoteEvidence,
  createHeader,
  createValidatorUpdate,
  createVote,
  defaultConsensusParams,
  EvidenceSchema,
  ExecTxResultSchema,
  evidenceFromJson,
  evidenceToJson,
  execTxResultFromJson,
  execTxResultToJson,
  fromHex,
  headerFromJson,
  headerToJson,
  PublicKeySchema,
  type Result,
  SignedMsgType,
  TxProofSchema,
  txProofFromJson,
  txProofToJson,
  ValidatorUpdateSchema,
  VoteSchema,
  validatorFromJson,
  validatorToJson,
  validatorUpdateFromJson,
  validatorUpdateToJson,
  voteFromJson,
  voteToJson,
  zeroGoTime,
} from "../../src/index.ts";

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/cometbft/commit-12.json", import.meta.url), "utf8"),
) as { signed_header: { commit: Record<string, unknown> } };
const COMMIT = fixture.signed_header.commit;

const H32 = "AB".repeat(32);
const ADDR = "CD".repeat(20);
const b64 = (n: number, fill = 7) => Buffer.from(new Uint8Array(n).fill(fill)).toString("base64");

function value<T>(r: Result<T>): T {
  if (!r.ok) throw r.error;
  return r.value;
}
function errorOf<T>(r: Result<T>): string {
  if (r.ok) throw new Error("expected a decode error");
  expect(r.error.code).toBe("INVALID_JSON");
  return r.error.message;
}

const HEIGHT1_HEADER = {
  version: { block: "11" },
  chain_id: "qos-1",
  height: "1",
  time: "2026-01-01T00:00:00Z",
  last_block_id: { hash: "", parts: { total: 0, hash: "" } },
  last_commit_hash: "",
  data_hash: "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
  validators_hash: H32,
  next_validators_hash: H32,
  consensus_hash: H32,
  app_hash: "",
  last_results_hash: "",
  evidence_hash: "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
  proposer_address: ADDR,
};

describe("Header", () => {
  it("height 1: empty last_block_id and hashes are legal; version.app 0 is omitted", () => {
    const h = value(headerFromJson(HEIGHT1_HEADER));
    expect(h.version?.app).toBe(0n);
    expect(h.lastBlockId?.partSetHeader).toBeDefined();
    expect(headerToJson(h)).toEqual(HEIGHT1_HEADER);
  });

  it("accepts int64 as a JSON number too", () => {
    expect(value(headerFromJson({ ...HEIGHT1_HEADER, height: 7 })).height).toBe(7n);
  });

  it.each([
    [{ height: 12.5 }, "header.height: expected an int64 string, got 12.5"],
    [{ height: "12a" }, 'header.height: expected an int64 string, got "12a"'],
    [{ height: 2 ** 53 }, "header.height: expected an int64 string, got 9007199254740992"],
    [
      { height: "9223372036854775808" },
      'header.height: expected an int64 in range, got "9223372036854775808"',
    ],
    [
      { version: { block: "-1" } },
      'header.version.block: expected a non-negative uint64, got "-1"',
    ],
    [{ chain_id: 5 }, "header.chain_id: expected a string, got 5"],
    [{ time: "yesterday" }, 'header.time: expected an RFC 3339 time, got "yesterday"'],
    [
      { last_commit_hash: "AB".repeat(31) },
      "header.last_commit_hash: expected empty or 32 bytes (got 31 bytes)",
    ],
    [{ data_hash: "XYZ0" }, 'header.data_hash: expected hex bytes, got "XYZ0"'],
    [{ proposer_address: "" }, 'header.proposer_address: expected 20 bytes (got 0 bytes), got ""'],
    [
      { last_block_id: { hash: "AB", parts: { total: 1, hash: "" } } },
      "header.last_block_id.hash: expected empty or 32 bytes (got 1 bytes)",
    ],
    [
      { last_block_id: { hash: "", parts: { total: -1, hash: "" } } },
      "header.last_block_id.parts.total: expected an uint32 in range, got -1",
    ],
    [{ last_block_id: null }, "header.last_block_id: expected an object, got null"],
    [{ version: undefined }, "header.version: expected an object, got nothing"],
  ])("rejects %j", (patch, message) => {
    expect(errorOf(headerFromJson({ ...HEIGHT1_HEADER, ...patch }))).toContain(message);
  });

  it("rejects non-objects", () => {
    expect(errorOf(headerFromJson([]))).toBe("header: expected an object, got []");
    expect(errorOf(headerFromJson("x", "result.header"))).toBe(
      'result.header: expected an object, got "x"',
    );
  });
});

describe("Commit", () => {
  const absent = {
    block_id_flag: 1,
    validator_address: "",
    timestamp: "0001-01-01T00:00:00Z",
    signature: null,
  };

  it("an absent signature round-trips as CometBFT prints it", () => {
    const json = { ...COMMIT, signatures: [absent, ...(COMMIT.signatures as unknown[])] };
    const c = value(commitFromJson(json));
    expect(c.signatures[0]?.blockIdFlag).toBe(BlockIDFlag.BLOCK_ID_FLAG_ABSENT);
    expect(c.signatures[0]?.timestamp).toEqual(zeroGoTime());
    expect(commitToJson(c)).toEqual(json);
  });

  it("the height-0 last commit of a height-1 block", () => {
    const json = {
      height: "0",
      round: 0,
      block_id: { hash: "", parts: { total: 0, hash: "" } },
      signatures: [],
    };
    expect(value(commitFromJson(json)).signatures).toEqual([]);
  });

  it.each([
    [{ round: "x" }, 'commit.round: expected an int32 number, got "x"'],
    [{ round: 2 ** 31 }, "commit.round: expected an int32 in range, got 2147483648"],
    [{ signatures: "no" }, 'commit.signatures: expected an array or null, got "no"'],
    [
      { signatures: [{ ...absent, block_id_flag: 0 }] },
      "commit.signatures[0].block_id_flag: expected a BlockIDFlag 1 (absent), 2 (commit) or 3 (nil), got 0",
    ],
    [
      { signatures: [{ ...absent, validator_address: "AB" }] },
      "commit.signatures[0].validator_address: expected empty or 20 bytes",
    ],
    [
      { signatures: [{ ...absent, signature: "!!!" }] },
      'commit.signatures[0].signature: expected base64 bytes, got "!!!"',
    ],
    [
      { signatures: [{ ...absent, timestamp: undefined }] },
      "commit.signatures[0].timestamp: expected an RFC 3339 time, got nothing",
    ],
  ])("rejects %j", (patch, message) => {
    expect(errorOf(commitFromJson({ ...COMMIT, ...patch }))).toContain(message);
  });
});

describe("Validator", () => {
  const secp = {
    address: ADDR,
    pub_key: { type: "tendermint/PubKeySecp256k1", value: b64(33, 2) },
    voting_power: "10",
    proposer_priority: "-5",
  };

  it("secp256k1 keys and negative priorities round-trip", () => {
    const v = value(validatorFromJson(secp));
    expect(v.pubKey?.sum.case).toBe("secp256k1");
    expect(v.proposerPriority).toBe(-5n);
    expect(validatorToJson(v)).toEqual(secp);
  });

  it("proposer_priority is optional", () => {
    const { proposer_priority: _, ...rest } = secp;
    expect(value(validatorFromJson(rest)).proposerPriority).toBe(0n);
  });

  it.each([
    [
      { pub_key: { type: "tendermint/PubKeySr25519", value: b64(32) } },
      'validator.pub_key.type: expected "tendermint/PubKeyEd25519" or "tendermint/PubKeySecp256k1", got "tendermint/PubKeySr25519"',
    ],
    [
      { pub_key: { type: "tendermint/PubKeyEd25519", value: b64(33) } },
      "validator.pub_key.value: expected 32 bytes (got 33 bytes)",
    ],
    [{ address: "ABC" }, 'validator.address: expected hex bytes, got "ABC"'],
    [{ address: "AB".repeat(32) }, "validator.address: expected 20 bytes (got 32 bytes)"],
    [{ voting_power: undefined }, "validator.voting_power: expected an int64 string, got nothing"],
  ])("rejects %j", (patch, message) => {
    expect(errorOf(validatorFromJson({ ...secp, ...patch }))).toContain(message);
  });

  it("throws (a bug) when asked to encode a validator without a key", () => {
    const v = value(validatorFromJson(secp));
    v.pubKey = create(PublicKeySchema);
    expect(() => validatorToJson(v)).toThrow(RangeError);
  });
});

describe("ValidatorUpdate (block_results)", () => {
  it("prints the gogoproto oneof shape, and omits power 0", () => {
    const key = new Uint8Array(32).fill(9);
    const u = createValidatorUpdate({
      pubKey: { sum: { case: "ed25519", value: key } },
      power: 10n,
    });
    const json = {
      pub_key: {
        Sum: { type: "tendermint.crypto.PublicKey_Ed25519", value: { ed25519: b64(32, 9) } },
      },
      power: "10",
    };
    expect(validatorUpdateToJson(u)).toEqual(json);
    expect(JSON.stringify(validatorUpdateToJson(u))).toBe(JSON.stringify(json));
    expect(equals(ValidatorUpdateSchema, value(validatorUpdateFromJson(json)), u)).toBe(true);
    const removal = validatorUpdateToJson(createValidatorUpdate({ ...u, power: 0n }));
    expect(removal).toEqual({ pub_key: json.pub_key });
    expect(value(validatorUpdateFromJson(removal)).power).toBe(0n);
  });

  it("secp256k1 uses PublicKey_Secp256K1", () => {
    const u = createValidatorUpdate({
      pubKey: { sum: { case: "secp256k1", value: new Uint8Array(33).fill(3) } },
      power: 1n,
    });
    const json = validatorUpdateToJson(u);
    expect(json.pub_key.Sum.type).toBe("tendermint.crypto.PublicKey_Secp256K1");
    expect(equals(ValidatorUpdateSchema, value(validatorUpdateFromJson(json)), u)).toBe(true);
  });

  it("rejects an unknown Sum type", () => {
    const bad = { pub_key: { Sum: { type: "x", value: {} } }, power: "1" };
    expect(errorOf(validatorUpdateFromJson(bad))).toContain("validator_update.pub_key.Sum.type");
  });
});

describe("ConsensusParams (genesis.json shape)", () => {
  const DEFAULT_JSON = {
    block: { max_bytes: "22020096", max_gas: "-1" },
    evidence: {
      max_age_num_blocks: "100000",
      max_age_duration: "172800000000000",
      max_bytes: "1048576",
    },
    validator: { pub_key_types: ["ed25519"] },
    version: { app: "0" },
    abci: { vote_extensions_enable_height: "0" },
  };

  it("prints CometBFT's defaults exactly", () => {
    expect(consensusParamsToJson(defaultConsensusParams())).toEqual(DEFAULT_JSON);
    expect(
      equals(
        ConsensusParamsSchema,
        value(consensusParamsFromJson(DEFAULT_JSON)),
        defaultConsensusParams(),
      ),
    ).toBe(true);
  });

  it("converts the duration in nanoseconds, sub-second and negative", () => {
    const json = {
      ...DEFAULT_JSON,
      evidence: { ...DEFAULT_JSON.evidence, max_age_duration: "-1500000000" },
    };
    const p = value(consensusParamsFromJson(json));
    expect(p.evidence?.maxAgeDuration?.seconds).toBe(-1n);
    expect(p.evidence?.maxAgeDuration?.nanos).toBe(-500_000_000);
    expect(consensusParamsToJson(p)).toEqual(json);
  });

  it("defaults the validator, version and abci sections (older genesis files)", () => {
    const p = value(
      consensusParamsFromJson({ block: DEFAULT_JSON.block, evidence: DEFAULT_JSON.evidence }),
    );
    expect(p.validator?.pubKeyTypes).toEqual([]);
    expect(p.abci?.voteExtensionsEnableHeight).toBe(0n);
  });

  it("names the missing or bad field", () => {
    expect(errorOf(consensusParamsFromJson({ evidence: DEFAULT_JSON.evidence }))).toBe(
      "consensus_params.block: expected an object, got nothing",
    );
    const bad = { ...DEFAULT_JSON, version: { app: "-2" } };
    expect(errorOf(consensusParamsFromJson(bad))).toContain("consensus_params.version.app");
  });
});

describe("ExecTxResult and events (omitempty)", () => {
  it("zero code, empty bytes, zero gas and empty lists disappear", () => {
    expect(execTxResultToJson(create(ExecTxResultSchema))).toEqual({});
    const r = create(ExecTxResultSchema, {
      code: 5,
      data: new Uint8Array([1, 2]),
      log: "out of gas",
      gasWanted: 100n,
      gasUsed: 0n,
      events: [{ type: "transfer", attributes: [{ key: "amount", value: "", index: true }] }],
      codespace: "sdk",
    });
    const json = {
      code: 5,
      data: "AQI=",
      log: "out of gas",
      gas_wanted: "100",
      events: [{ type: "transfer", attributes: [{ key: "amount", index: true }] }],
      codespace: "sdk",
    };
    expect(execTxResultToJson(r)).toEqual(json);
    expect(equals(ExecTxResultSchema, value(execTxResultFromJson(json)), r)).toBe(true);
  });

  it("accepts the fields CometBFT may also print: code 0, data null, events null", () => {
    const r = value(
      execTxResultFromJson({ code: 0, data: null, gas_used: "7", events: null, log: "" }),
    );
    expect(r.gasUsed).toBe(7n);
    expect(execTxResultToJson(r)).toEqual({ gas_used: "7" });
  });

  it("rejects a negative code and bad attribute types", () => {
    expect(errorOf(execTxResultFromJson({ code: -1 }))).toContain("tx_result.code");
    expect(errorOf(execTxResultFromJson({ events: [{ attributes: [{ index: "yes" }] }] }))).toBe(
      'tx_result.events[0].attributes[0].index: expected a boolean, got "yes"',
    );
  });
});

describe("Vote and DuplicateVoteEvidence", () => {
  const blockId = {
    hash: fromHex(H32) as Uint8Array,
    partSetHeader: { total: 1, hash: fromHex(H32) as Uint8Array },
  };
  const voteA = createVote({
    type: SignedMsgType.PRECOMMIT,
    height: 9n,
    round: 1,
    blockId,
    timestamp: { seconds: 1755524351n, nanos: 5 },
    validatorAddress: fromHex(ADDR) as Uint8Array,
    validatorIndex: 3,
    signature: new Uint8Array(64).fill(1),
  });
  const voteB = createVote({ ...voteA, blockId: createBlockID() });

  it("a vote prints numbers for type/round/index and null for absent bytes", () => {
    expect(voteToJson(voteA)).toEqual({
      type: 2,
      height: "9",
      round: 1,
      block_id: { hash: H32, parts: { total: 1, hash: H32 } },
      timestamp: "2025-08-18T13:39:11.000000005Z",
      validator_address: ADDR,
      validator_index: 3,
      signature: b64(64, 1),
      extension: null,
      extension_signature: null,
    });
    expect(equals(VoteSchema, value(voteFromJson(voteToJson(voteA))), voteA)).toBe(true);
    expect(equals(VoteSchema, value(voteFromJson(voteToJson(voteB))), voteB)).toBe(true);
  });

  it("rejects a proposal type in a vote", () => {
    expect(errorOf(voteFromJson({ ...voteToJson(voteA), type: 32 }))).toBe(
      "vote.type: expected a vote type 1 (prevote) or 2 (precommit), got 32",
    );
  });

  it("evidence uses the amino wrapper and Go field names", () => {
    const ev = create(EvidenceSchema, {
      sum: {
        case: "duplicateVoteEvidence",
        value: createDuplicateVoteEvidence({
          voteA,
          voteB,
          totalVotingPower: 40n,
          validatorPower: 10n,
          timestamp: { seconds: 1755524350n, nanos: 0 },
        }),
      },
    });
    const json = evidenceToJson(ev);
    expect(json).toEqual({
      type: "tendermint/DuplicateVoteEvidence",
      value: {
        vote_a: voteToJson(voteA),
        vote_b: voteToJson(voteB),
        TotalVotingPower: "40",
        ValidatorPower: "10",
        Timestamp: "2025-08-18T13:39:10Z",
      },
    });
    expect(equals(EvidenceSchema, value(evidenceFromJson(json)), ev)).toBe(true);
    expect(errorOf(evidenceFromJson({ ...json, value: { ...json.value, vote_b: null } }))).toBe(
      "evidence.value.vote_b: expected an object, got null",
    );
    expect(errorOf(evidenceFromJson({ type: "tendermint/Other", value: {} }))).toContain(
      "evidence.type",
    );
  });
});

describe("Block, BlockMeta, TxProof", () => {
  const header = value(headerFromJson(HEIGHT1_HEADER));

  it("a height-1 block: txs base64, evidence list, empty last commit", () => {
    const block = createBlock({
      header,
      data: { txs: [new Uint8Array([1]), new Uint8Array([2, 3])] },
      lastCommit: createCommit(),
    });
    const json = blockToJson(block);
    expect(json.data).toEqual({ txs: ["AQ==", "AgM="] });
    expect(json.evidence).toEqual({ evidence: [] });
    expect(json.last_commit).toEqual({
      height: "0",
      round: 0,
      block_id: { hash: "", parts: { total: 0, hash: "" } },
      signatures: [],
    });
    expect(equals(BlockSchema, value(blockFromJson(json)), block)).toBe(true);
  });

  it("accepts data.txs null and last_commit null; an empty block prints txs []", () => {
    const json = {
      header: HEIGHT1_HEADER,
      data: { txs: null },
      evidence: { evidence: [] },
      last_commit: null,
    };
    const block = value(blockFromJson(json));
    expect(block.data?.txs).toEqual([]);
    expect(block.lastCommit).toBeUndefined();
    expect(blockToJson(block)).toEqual({ ...json, data: { txs: [] } });
  });

  it("names a bad tx", () => {
    const json = { header: HEIGHT1_HEADER, data: { txs: ["AQ==", 5] }, evidence: { evidence: [] } };
    expect(errorOf(blockFromJson(json))).toBe("block.data.txs[1]: expected a string, got 5");
  });

  it("block meta and tx proof round-trip with int64 strings", () => {
    const meta = createBlockMeta({
      blockId: {
        hash: fromHex(H32) as Uint8Array,
        partSetHeader: { total: 1, hash: fromHex(H32) as Uint8Array },
      },
      blockSize: 1234n,
      header: createHeader(header),
      numTxs: 2n,
    });
    const metaJson = blockMetaToJson(meta);
    expect(metaJson.block_size).toBe("1234");
    expect(metaJson.num_txs).toBe("2");
    expect(equals(BlockMetaSchema, value(blockMetaFromJson(metaJson)), meta)).toBe(true);

    const proof = create(TxProofSchema, {
      rootHash: fromHex(H32) as Uint8Array,
      data: new Uint8Array([1]),
      proof: { total: 2n, index: 1n, leafHash: new Uint8Array(32), aunts: [new Uint8Array(32)] },
    });
    const proofJson = txProofToJson(proof);
    expect(proofJson).toEqual({
      root_hash: H32,
      data: "AQ==",
      proof: { total: "2", index: "1", leaf_hash: b64(32, 0), aunts: [b64(32, 0)] },
    });
    expect(equals(TxProofSchema, value(txProofFromJson(proofJson)), proof)).toBe(true);
  });
});
