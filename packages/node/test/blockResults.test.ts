// blockResultsOf: the FinalizeBlockRecord bytes assembled from per-tx encodings equal the
// generated encoder's, and each tx result's bytes and hash are those the node used before.

import { create, toBinary } from "@bufbuild/protobuf";
import type { ExecTxResult, FinalizeBlockResponse } from "@qos/app";
import { sha256 } from "@qos/crypto";
import { ExecTxResultSchema, FinalizeBlockRecordSchema } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  eventToProto,
  execTxResultToProto,
  paramsUpdateToProto,
  validatorUpdateToProto,
} from "../src/abciConvert.ts";
import { blockResultsOf } from "../src/blockResults.ts";
import { eventArb, txResultArb } from "./abciArbitraries.ts";

function generated(res: FinalizeBlockResponse): Uint8Array {
  return toBinary(
    FinalizeBlockRecordSchema,
    create(FinalizeBlockRecordSchema, {
      events: res.events.map(eventToProto),
      txResults: res.txResults.map(execTxResultToProto),
      validatorUpdates: res.validatorUpdates.map(validatorUpdateToProto),
      ...(res.consensusParamUpdates !== undefined
        ? { consensusParamUpdates: paramsUpdateToProto(res.consensusParamUpdates) }
        : {}),
      appHash: res.appHash,
    }),
  );
}

describe("blockResultsOf", () => {
  it("assembles the same FinalizeBlockRecord bytes as the generated encoder", () => {
    fc.assert(
      fc.property(
        fc.array(txResultArb, { maxLength: 8 }),
        fc.array(eventArb, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 32 }),
        fc.boolean(),
        (txResults, events, appHash, withParams) => {
          const res: FinalizeBlockResponse = {
            events,
            txResults,
            validatorUpdates: withParams
              ? [{ pubKey: { type: "ed25519", key: new Uint8Array(32).fill(7) }, power: 10n }]
              : [],
            ...(withParams
              ? { consensusParamUpdates: { block: { maxBytes: 1000n, maxGas: -1n } } }
              : {}),
            appHash,
          };
          const txs = txResults.map((_, i) => new Uint8Array([i, 1, 2]));
          const out = blockResultsOf(txs, res);
          expect(out.recordBytes).toEqual(generated(res));
          out.txResultBytes.forEach((b, i) => {
            expect(b).toEqual(
              toBinary(ExecTxResultSchema, execTxResultToProto(txResults[i] as ExecTxResult)),
            );
          });
          out.txHashes.forEach((h, i) => {
            expect(h).toEqual(sha256(txs[i] as Uint8Array));
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
