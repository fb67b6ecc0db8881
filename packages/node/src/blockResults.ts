// A committed block's results in the forms the node stores, indexes and publishes, made once
// per block: tx hashes, ExecTxResult protos and their encodings, and the FinalizeBlockRecord bytes.

import { create, toBinary } from "@bufbuild/protobuf";
import type { FinalizeBlockResponse } from "@qos/app";
import { sha256 } from "@qos/crypto";
import {
  createWireWriter,
  type Event,
  type ExecTxResult,
  encodeExecTxResult,
  FinalizeBlockRecordSchema,
  lenFieldSize,
} from "@qos/types";
import {
  eventToProto,
  execTxResultToProto,
  paramsUpdateToProto,
  validatorUpdateToProto,
} from "./abciConvert.ts";

export interface BlockResults {
  /** sha256 of each tx (CometBFT `Tx.Hash()`), in block order. */
  readonly txHashes: readonly Uint8Array[];
  readonly txResults: readonly ExecTxResult[];
  /** `toBinary(ExecTxResultSchema, txResults[i])`, written by `encodeExecTxResult`. */
  readonly txResultBytes: readonly Uint8Array[];
  /** The block's FinalizeBlock events. */
  readonly events: readonly Event[];
  /** The app hash FinalizeBlock returned. */
  readonly appHash: Uint8Array;
  /** The encoded `FinalizeBlockRecord` (what `block_results` serves). */
  readonly recordBytes: Uint8Array;
}

/**
 * `toBinary(FinalizeBlockRecordSchema, record)` from already encoded tx results: fields are
 * written in field-number order (events 1, tx_results 2, then 3..5), so the record is the
 * encoding of its events, each tx result as a field-2 entry, then the encoding of the rest.
 */
export function encodeFinalizeBlockRecord(
  events: readonly Event[],
  txResultBytes: readonly Uint8Array[],
  rest: Pick<FinalizeBlockResponse, "validatorUpdates" | "consensusParamUpdates" | "appHash">,
): Uint8Array {
  const head = toBinary(
    FinalizeBlockRecordSchema,
    create(FinalizeBlockRecordSchema, { events: [...events] }),
  );
  const tail = toBinary(
    FinalizeBlockRecordSchema,
    create(FinalizeBlockRecordSchema, {
      validatorUpdates: rest.validatorUpdates.map(validatorUpdateToProto),
      ...(rest.consensusParamUpdates !== undefined
        ? { consensusParamUpdates: paramsUpdateToProto(rest.consensusParamUpdates) }
        : {}),
      appHash: rest.appHash,
    }),
  );
  let size = head.length + tail.length;
  for (const b of txResultBytes) size += lenFieldSize(b.length);
  const w = createWireWriter(size);
  w.raw(head);
  for (const b of txResultBytes) w.lenField(2, b);
  w.raw(tail);
  return w.finish();
}

/** The results of `txs` as FinalizeBlock returned them (one conversion and one encode per tx). */
export function blockResultsOf(
  txs: readonly Uint8Array[],
  res: FinalizeBlockResponse,
): BlockResults {
  const txResults = res.txResults.map(execTxResultToProto);
  const txResultBytes = res.txResults.map(encodeExecTxResult);
  const events = res.events.map(eventToProto);
  return {
    txHashes: txs.map((tx) => sha256(tx)),
    txResults,
    txResultBytes,
    events,
    appHash: res.appHash,
    recordBytes: encodeFinalizeBlockRecord(events, txResultBytes, res),
  };
}
