// A committed block's results in the forms the node stores, indexes and publishes, made once
// per block: tx hashes, ExecTxResult protos and their encodings, and the FinalizeBlockRecord bytes.

import { create, toBinary } from "@bufbuild/protobuf";
import type { FinalizeBlockResponse } from "@qos/app";
import { sha256 } from "@qos/crypto";
import {
  type Event,
  type ExecTxResult,
  ExecTxResultSchema,
  FinalizeBlockRecordSchema,
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
  /** `toBinary(ExecTxResultSchema, txResults[i])`. */
  readonly txResultBytes: readonly Uint8Array[];
  /** The block's FinalizeBlock events. */
  readonly events: readonly Event[];
  /** The app hash FinalizeBlock returned. */
  readonly appHash: Uint8Array;
  /** The encoded `FinalizeBlockRecord` (what `block_results` serves). */
  readonly recordBytes: Uint8Array;
}

/** Field 2 (`tx_results`) of FinalizeBlockRecord, wire type 2 (length-delimited). */
const TX_RESULTS_TAG = (2 << 3) | 2;

function varintLength(n: number): number {
  let len = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 128)) len++;
  return len;
}

function writeVarint(out: Uint8Array, offset: number, n: number): number {
  let o = offset;
  let v = n;
  while (v >= 0x80) {
    out[o++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[o++] = v;
  return o;
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
  for (const b of txResultBytes) size += 1 + varintLength(b.length) + b.length;
  const out = new Uint8Array(size);
  out.set(head, 0);
  let o = head.length;
  for (const b of txResultBytes) {
    out[o++] = TX_RESULTS_TAG;
    o = writeVarint(out, o, b.length);
    out.set(b, o);
    o += b.length;
  }
  out.set(tail, o);
  return out;
}

/** The results of `txs` as FinalizeBlock returned them (one conversion and one encode per tx). */
export function blockResultsOf(
  txs: readonly Uint8Array[],
  res: FinalizeBlockResponse,
): BlockResults {
  const txResults = res.txResults.map(execTxResultToProto);
  const txResultBytes = txResults.map((r) => toBinary(ExecTxResultSchema, r));
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
