// CometBFT JSON of ConsensusParams as genesis.json and /consensus_params print it
// (types/params.go): int64 strings, max_age_duration in nanoseconds.
import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";
import type { Result } from "../errors.ts";
import type { ConsensusParams } from "../gen/tendermint/types/params_pb.ts";
import type { JsonDecodeError } from "../typesError.ts";
import { createConsensusParams } from "../wireConstructors.ts";
import {
  decodeJson,
  readArray,
  readInt64,
  readObject,
  readString,
  readUint64,
} from "./jsonReader.ts";

export type ConsensusParamsJson = {
  block: { max_bytes: string; max_gas: string };
  evidence: { max_age_num_blocks: string; max_age_duration: string; max_bytes: string };
  validator: { pub_key_types: string[] };
  version: { app: string };
  abci: { vote_extensions_enable_height: string };
};

const NANOS_PER_SECOND = 1_000_000_000n;

/** Go `time.Duration` (int64 nanoseconds) from a protobuf Duration. */
export function durationToNanos(d: Duration): bigint {
  return d.seconds * NANOS_PER_SECOND + BigInt(d.nanos);
}

/** Seconds and nanos share the sign, as protobuf's Duration requires. */
export function nanosToDuration(ns: bigint): Duration {
  return create(DurationSchema, {
    seconds: ns / NANOS_PER_SECOND,
    nanos: Number(ns % NANOS_PER_SECOND),
  });
}

export function consensusParamsToJson(params: ConsensusParams): ConsensusParamsJson {
  const p = createConsensusParams(params);
  const maxAge = p.evidence?.maxAgeDuration;
  return {
    block: { max_bytes: String(p.block?.maxBytes ?? 0n), max_gas: String(p.block?.maxGas ?? 0n) },
    evidence: {
      max_age_num_blocks: String(p.evidence?.maxAgeNumBlocks ?? 0n),
      max_age_duration: String(maxAge === undefined ? 0n : durationToNanos(maxAge)),
      max_bytes: String(p.evidence?.maxBytes ?? 0n),
    },
    validator: { pub_key_types: [...(p.validator?.pubKeyTypes ?? [])] },
    version: { app: String(p.version?.app ?? 0n) },
    abci: { vote_extensions_enable_height: String(p.abci?.voteExtensionsEnableHeight ?? 0n) },
  };
}

function optional<T>(value: unknown, zero: T, read: (v: unknown) => T): T {
  return value === undefined ? zero : read(value);
}

/**
 * block and evidence (with their four limits) are required, as cosmjs requires them;
 * evidence.max_bytes and the validator, version and abci sections default to zero values.
 */
export function readConsensusParams(value: unknown, path: string): ConsensusParams {
  const o = readObject(value, path);
  const block = readObject(o.block, `${path}.block`);
  const evidence = readObject(o.evidence, `${path}.evidence`);
  const validator = optional(o.validator, {}, (v) => readObject(v, `${path}.validator`));
  const version = optional(o.version, {}, (v) => readObject(v, `${path}.version`));
  const abci = optional(o.abci, {}, (v) => readObject(v, `${path}.abci`));
  return createConsensusParams({
    block: {
      maxBytes: readInt64(block.max_bytes, `${path}.block.max_bytes`),
      maxGas: readInt64(block.max_gas, `${path}.block.max_gas`),
    },
    evidence: {
      maxAgeNumBlocks: readInt64(
        evidence.max_age_num_blocks,
        `${path}.evidence.max_age_num_blocks`,
      ),
      maxAgeDuration: nanosToDuration(
        readInt64(evidence.max_age_duration, `${path}.evidence.max_age_duration`),
      ),
      maxBytes: optional(evidence.max_bytes, 0n, (v) => readInt64(v, `${path}.evidence.max_bytes`)),
    },
    validator: {
      pubKeyTypes: readArray(validator.pub_key_types, `${path}.validator.pub_key_types`, true).map(
        (t, i) => readString(t, `${path}.validator.pub_key_types[${i}]`),
      ),
    },
    version: { app: optional(version.app, 0n, (v) => readUint64(v, `${path}.version.app`)) },
    abci: {
      voteExtensionsEnableHeight: optional(abci.vote_extensions_enable_height, 0n, (v) =>
        readInt64(v, `${path}.abci.vote_extensions_enable_height`),
      ),
    },
  });
}

export function consensusParamsFromJson(
  json: unknown,
  path = "consensus_params",
): Result<ConsensusParams, JsonDecodeError> {
  return decodeJson(() => readConsensusParams(json, path));
}
