// The hand-read events of a FinalizeBlockRecord against the generated decoder: the same block
// events and tx result codes and events for random records (non-ASCII and empty strings, codes up
// to 2^32 − 1, the fields it skips filled in), for two records' bytes one after the other (a
// valid encoding where repeated fields append and scalars' last values win), and a result or an
// error, never a throw, for truncated or corrupted bytes.

import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBlockRecordEvents } from "../src/blockRecordEvents.ts";
import { FinalizeBlockRecordSchema } from "../src/gen/qos/node/v1/state_pb.ts";
import { ExecTxResultSchema } from "../src/gen/tendermint/abci/types_pb.ts";
import { decodeWireMessage } from "../src/wireMessage.ts";

const text = (maxLength: number) =>
  fc.oneof(fc.constant(""), fc.string({ maxLength }), fc.string({ unit: "grapheme", maxLength }));
const attribute = fc.record({ key: text(12), value: text(60), index: fc.boolean() });
const event = fc.record({ type: text(16), attributes: fc.array(attribute, { maxLength: 4 }) });
const txResult = fc.record({
  code: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 }), fc.constant(2 ** 32 - 1)),
  data: fc.uint8Array({ maxLength: 20 }),
  log: text(20),
  info: text(10),
  gasWanted: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  gasUsed: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  events: fc.array(event, { maxLength: 4 }),
  codespace: text(10),
});
const record = fc.record({
  events: fc.array(event, { maxLength: 3 }),
  txResults: fc.array(txResult, { maxLength: 5 }),
  appHash: fc.uint8Array({ maxLength: 32 }),
});

type RecordFields = typeof record extends fc.Arbitrary<infer T> ? T : never;

function encode(r: RecordFields): Uint8Array {
  return toBinary(
    FinalizeBlockRecordSchema,
    create(FinalizeBlockRecordSchema, {
      events: r.events,
      txResults: r.txResults.map((t) => create(ExecTxResultSchema, t)),
      appHash: r.appHash,
    }),
  );
}

/** What the generated decoder reads, in the hand decoder's shape. */
function generated(bytes: Uint8Array) {
  const d = decodeWireMessage(FinalizeBlockRecordSchema, bytes);
  if (!d.ok) return undefined;
  const events = (
    es: readonly {
      type: string;
      attributes: readonly { key: string; value: string; index: boolean }[];
    }[],
  ) =>
    es.map((e) => ({
      type: e.type,
      attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })),
    }));
  return {
    events: events(d.value.events),
    txResults: d.value.txResults.map((t) => ({ code: t.code, events: events(t.events) })),
  };
}

/** The hand decoder reads `bytes` as the generated decoder does. */
function readsAsGenerated(bytes: Uint8Array): void {
  const got = decodeBlockRecordEvents(bytes);
  expect(got.ok).toBe(true);
  if (got.ok) expect(got.value).toEqual(generated(bytes));
}

describe("decodeBlockRecordEvents", () => {
  it("reads what the generated decoder reads, of one record or two records' bytes in a row", () => {
    fc.assert(
      fc.property(record, (r) => readsAsGenerated(encode(r))),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(record, record, (a, b) =>
        readsAsGenerated(Uint8Array.of(...encode(a), ...encode(b))),
      ),
      { numRuns: 200 },
    );
  });

  it("gives a result or an error, never a throw, for cut or corrupted bytes", () => {
    fc.assert(
      fc.property(record, fc.nat(), fc.nat(255), fc.boolean(), (r, at, byte, cut) => {
        let bytes = encode(r);
        if (bytes.length === 0) return;
        if (cut) bytes = bytes.subarray(0, at % bytes.length);
        else {
          bytes = bytes.slice();
          bytes[at % bytes.length] = byte;
        }
        const got = decodeBlockRecordEvents(bytes);
        if (!got.ok) expect(got.error.message).toMatch(/FinalizeBlockRecord: malformed protobuf/);
      }),
      { numRuns: 1000 },
    );
  });
});
