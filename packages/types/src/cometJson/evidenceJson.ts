// CometBFT JSON of evidence (types/evidence.go): amino-style `{type,value}` wrappers whose
// abci fields keep Go's field names (TotalVotingPower, Timestamp, ...), plus LightBlock.
import { create } from "@bufbuild/protobuf";
import type { Result } from "../errors.ts";
import {
  type DuplicateVoteEvidence,
  type Evidence,
  EvidenceSchema,
  type LightClientAttackEvidence,
} from "../gen/tendermint/types/evidence_pb.ts";
import { type LightBlock, LightBlockSchema } from "../gen/tendermint/types/types_pb.ts";
import type { JsonDecodeError } from "../typesError.ts";
import {
  createDuplicateVoteEvidence,
  createLightClientAttackEvidence,
} from "../wireConstructors.ts";
import { zeroGoTime } from "../wireMessage.ts";
import { readSignedHeader, type SignedHeaderJson, signedHeaderToJson } from "./commitJson.ts";
import {
  decodeJson,
  failJson,
  readArray,
  readInt64,
  readObject,
  readString,
} from "./jsonReader.ts";
import { readTimestamp, timestampToJson } from "./timeJson.ts";
import {
  readValidator,
  readValidatorSet,
  type ValidatorJson,
  type ValidatorSetJson,
  validatorSetToJson,
  validatorToJson,
} from "./validatorJson.ts";
import { readVote, type VoteJson, voteToJson } from "./voteJson.ts";

export const EVIDENCE_TYPE_DUPLICATE_VOTE = "tendermint/DuplicateVoteEvidence";
export const EVIDENCE_TYPE_LIGHT_CLIENT_ATTACK = "tendermint/LightClientAttackEvidence";

export type DuplicateVoteEvidenceJson = {
  vote_a: VoteJson | null;
  vote_b: VoteJson | null;
  TotalVotingPower: string;
  ValidatorPower: string;
  Timestamp: string;
};

export type LightBlockJson = {
  signed_header: SignedHeaderJson | null;
  validator_set: ValidatorSetJson | null;
};

export type LightClientAttackEvidenceJson = {
  ConflictingBlock: LightBlockJson | null;
  CommonHeight: string;
  ByzantineValidators: ValidatorJson[];
  TotalVotingPower: string;
  Timestamp: string;
};

export type EvidenceJson =
  | { type: typeof EVIDENCE_TYPE_DUPLICATE_VOTE; value: DuplicateVoteEvidenceJson }
  | { type: typeof EVIDENCE_TYPE_LIGHT_CLIENT_ATTACK; value: LightClientAttackEvidenceJson };

export function duplicateVoteEvidenceToJson(e: DuplicateVoteEvidence): DuplicateVoteEvidenceJson {
  return {
    vote_a: e.voteA === undefined ? null : voteToJson(e.voteA),
    vote_b: e.voteB === undefined ? null : voteToJson(e.voteB),
    TotalVotingPower: String(e.totalVotingPower),
    ValidatorPower: String(e.validatorPower),
    Timestamp: timestampToJson(e.timestamp ?? zeroGoTime()),
  };
}

/** Both votes are required: evidence without them proves nothing. */
export function readDuplicateVoteEvidence(value: unknown, path: string): DuplicateVoteEvidence {
  const o = readObject(value, path);
  return createDuplicateVoteEvidence({
    voteA: readVote(o.vote_a, `${path}.vote_a`),
    voteB: readVote(o.vote_b, `${path}.vote_b`),
    totalVotingPower: readInt64(o.TotalVotingPower, `${path}.TotalVotingPower`),
    validatorPower: readInt64(o.ValidatorPower, `${path}.ValidatorPower`),
    timestamp: readTimestamp(o.Timestamp, `${path}.Timestamp`),
  });
}

export function lightBlockToJson(lb: LightBlock): LightBlockJson {
  return {
    signed_header: lb.signedHeader === undefined ? null : signedHeaderToJson(lb.signedHeader),
    validator_set: lb.validatorSet === undefined ? null : validatorSetToJson(lb.validatorSet),
  };
}

export function readLightBlock(value: unknown, path: string): LightBlock {
  const o = readObject(value, path);
  return create(LightBlockSchema, {
    signedHeader: readSignedHeader(o.signed_header, `${path}.signed_header`),
    validatorSet: readValidatorSet(o.validator_set, `${path}.validator_set`),
  });
}

export function lightBlockFromJson(
  json: unknown,
  path = "light_block",
): Result<LightBlock, JsonDecodeError> {
  return decodeJson(() => readLightBlock(json, path));
}

export function lightClientAttackEvidenceToJson(
  e: LightClientAttackEvidence,
): LightClientAttackEvidenceJson {
  return {
    ConflictingBlock:
      e.conflictingBlock === undefined ? null : lightBlockToJson(e.conflictingBlock),
    CommonHeight: String(e.commonHeight),
    ByzantineValidators: e.byzantineValidators.map(validatorToJson),
    TotalVotingPower: String(e.totalVotingPower),
    Timestamp: timestampToJson(e.timestamp ?? zeroGoTime()),
  };
}

export function readLightClientAttackEvidence(
  value: unknown,
  path: string,
): LightClientAttackEvidence {
  const o = readObject(value, path);
  return createLightClientAttackEvidence({
    conflictingBlock: readLightBlock(o.ConflictingBlock, `${path}.ConflictingBlock`),
    commonHeight: readInt64(o.CommonHeight, `${path}.CommonHeight`),
    byzantineValidators: readArray(o.ByzantineValidators, `${path}.ByzantineValidators`, true).map(
      (v, i) => readValidator(v, `${path}.ByzantineValidators[${i}]`),
    ),
    totalVotingPower: readInt64(o.TotalVotingPower, `${path}.TotalVotingPower`),
    timestamp: readTimestamp(o.Timestamp, `${path}.Timestamp`),
  });
}

/** Throws on an Evidence with no case set: CometBFT has no JSON for it (a bug upstream). */
export function evidenceToJson(e: Evidence): EvidenceJson {
  switch (e.sum.case) {
    case "duplicateVoteEvidence":
      return {
        type: EVIDENCE_TYPE_DUPLICATE_VOTE,
        value: duplicateVoteEvidenceToJson(e.sum.value),
      };
    case "lightClientAttackEvidence":
      return {
        type: EVIDENCE_TYPE_LIGHT_CLIENT_ATTACK,
        value: lightClientAttackEvidenceToJson(e.sum.value),
      };
    default:
      throw new RangeError("evidence has no case set; CometBFT cannot encode it");
  }
}

export function readEvidence(value: unknown, path: string): Evidence {
  const o = readObject(value, path);
  const type = readString(o.type, `${path}.type`);
  if (type === EVIDENCE_TYPE_DUPLICATE_VOTE) {
    const ev = readDuplicateVoteEvidence(o.value, `${path}.value`);
    return create(EvidenceSchema, { sum: { case: "duplicateVoteEvidence", value: ev } });
  }
  if (type === EVIDENCE_TYPE_LIGHT_CLIENT_ATTACK) {
    const ev = readLightClientAttackEvidence(o.value, `${path}.value`);
    return create(EvidenceSchema, { sum: { case: "lightClientAttackEvidence", value: ev } });
  }
  return failJson(
    `${path}.type`,
    `"${EVIDENCE_TYPE_DUPLICATE_VOTE}" or "${EVIDENCE_TYPE_LIGHT_CLIENT_ATTACK}"`,
    type,
  );
}

export function evidenceFromJson(
  json: unknown,
  path = "evidence",
): Result<Evidence, JsonDecodeError> {
  return decodeJson(() => readEvidence(json, path));
}
