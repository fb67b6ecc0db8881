// Conversions between the application boundary's plain ABCI data (@qos/app) and the
// wire types the node hashes, stores and serves (@qos/types protobuf messages).

import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema, type Timestamp } from "@bufbuild/protobuf/wkt";
import type * as abci from "@qos/app";
import type { ValidatorUpdate as ConsensusValidatorUpdate, PubKey } from "@qos/consensus";
import {
  type ConsensusParams,
  createConsensusParams,
  durationToNanos,
  type Event,
  type ExecTxResult,
  PublicKeySchema,
  type ValidatorUpdate,
  ValidatorUpdateSchema,
} from "@qos/types";

// The two converters below run for every event of every committed tx: they build the messages
// as literals, the objects `create(EventSchema / ExecTxResultSchema, …)` returns (same fields,
// tests compare them), without its per-field initialisation.

export function eventToProto(e: abci.Event): Event {
  return {
    $typeName: "tendermint.abci.Event",
    type: e.type,
    attributes: e.attributes.map((a) => ({
      $typeName: "tendermint.abci.EventAttribute",
      key: a.key,
      value: a.value,
      index: a.index,
    })),
  };
}

export function eventFromProto(e: Event): abci.Event {
  return {
    type: e.type,
    attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })),
  };
}

export function execTxResultToProto(r: abci.ExecTxResult | abci.CheckTxResponse): ExecTxResult {
  return {
    $typeName: "tendermint.abci.ExecTxResult",
    code: r.code,
    data: r.data,
    log: r.log,
    info: r.info,
    gasWanted: r.gasWanted,
    gasUsed: r.gasUsed,
    events: r.events.map(eventToProto),
    codespace: r.codespace,
  };
}

export function pubKeyFromAbci(pk: abci.PubKey): PubKey {
  return { type: pk.type, key: pk.key };
}

export function validatorUpdateFromAbci(u: abci.ValidatorUpdate): ConsensusValidatorUpdate {
  return { pubKey: pubKeyFromAbci(u.pubKey), votingPower: u.power };
}

export function validatorUpdateToAbci(u: ConsensusValidatorUpdate): abci.ValidatorUpdate {
  return { pubKey: { type: u.pubKey.type, key: u.pubKey.key }, power: u.votingPower };
}

export function validatorUpdateToProto(u: abci.ValidatorUpdate): ValidatorUpdate {
  return create(ValidatorUpdateSchema, {
    pubKey: create(PublicKeySchema, { sum: { case: u.pubKey.type, value: u.pubKey.key } }),
    power: u.power,
  });
}

export function validatorUpdateFromProto(u: ValidatorUpdate): abci.ValidatorUpdate | null {
  const sum = u.pubKey?.sum;
  if (sum === undefined || sum.case === undefined) return null;
  return { pubKey: { type: sum.case, key: sum.value }, power: u.power };
}

function durationFromNanos(ns: bigint): Duration {
  return create(DurationSchema, {
    seconds: ns / 1_000_000_000n,
    nanos: Number(ns % 1_000_000_000n),
  });
}

/** The app's partial update as a ConsensusParams message with only the updated sections set. */
export function paramsUpdateToProto(u: abci.ConsensusParamsUpdate): ConsensusParams {
  return {
    ...createConsensusParams(),
    block:
      u.block === undefined ? undefined : { $typeName: "tendermint.types.BlockParams", ...u.block },
    evidence:
      u.evidence === undefined
        ? undefined
        : {
            $typeName: "tendermint.types.EvidenceParams",
            maxAgeNumBlocks: u.evidence.maxAgeNumBlocks,
            maxAgeDuration: durationFromNanos(u.evidence.maxAgeDuration),
            maxBytes: u.evidence.maxBytes,
          },
    validator:
      u.validator === undefined
        ? undefined
        : {
            $typeName: "tendermint.types.ValidatorParams",
            pubKeyTypes: [...u.validator.pubKeyTypes],
          },
    version: undefined,
    abci:
      u.abci === undefined ? undefined : { $typeName: "tendermint.types.ABCIParams", ...u.abci },
  };
}

export function paramsToAbci(p: ConsensusParams): abci.ConsensusParamsUpdate {
  const maxAge = p.evidence?.maxAgeDuration;
  return {
    block: { maxBytes: p.block?.maxBytes ?? 0n, maxGas: p.block?.maxGas ?? 0n },
    evidence: {
      maxAgeNumBlocks: p.evidence?.maxAgeNumBlocks ?? 0n,
      maxAgeDuration: maxAge === undefined ? 0n : durationToNanos(maxAge),
      maxBytes: p.evidence?.maxBytes ?? 0n,
    },
    validator: { pubKeyTypes: [...(p.validator?.pubKeyTypes ?? [])] },
    abci: { voteExtensionsEnableHeight: p.abci?.voteExtensionsEnableHeight ?? 0n },
  };
}

export function timestampToAbci(t: Timestamp): abci.Timestamp {
  return { seconds: t.seconds, nanos: t.nanos };
}
