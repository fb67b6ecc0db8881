// The hot converters build ExecTxResult and Event messages as literals: the same objects the
// generated `create` makes from the same fields, equal for the codec and for `toStrictEqual`.

import { create, equals, isMessage, toBinary } from "@bufbuild/protobuf";
import type { ExecTxResult } from "@qos/app";
import { EventSchema, ExecTxResultSchema } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventToProto, execTxResultToProto } from "../src/abciConvert.ts";

const event = fc.record({
  type: fc.string({ maxLength: 12 }),
  attributes: fc.array(
    fc.record({ key: fc.string({ maxLength: 10 }), value: fc.string(), index: fc.boolean() }),
    { maxLength: 4 },
  ),
});

const txResult: fc.Arbitrary<ExecTxResult> = fc.record({
  code: fc.nat(),
  data: fc.uint8Array({ maxLength: 40 }),
  log: fc.string(),
  info: fc.string({ maxLength: 20 }),
  gasWanted: fc.bigInt(0n, 2n ** 63n - 1n),
  gasUsed: fc.bigInt(0n, 2n ** 63n - 1n),
  events: fc.array(event, { maxLength: 4 }),
  codespace: fc.string({ maxLength: 10 }),
});

describe("abciConvert", () => {
  it("execTxResultToProto and eventToProto equal create() of the same fields", () => {
    fc.assert(
      fc.property(txResult, (r) => {
        const want = create(ExecTxResultSchema, {
          ...r,
          events: r.events.map((e) => create(EventSchema, { ...e, attributes: [...e.attributes] })),
        });
        const got = execTxResultToProto(r);
        expect(got).toStrictEqual(want);
        expect(isMessage(got, ExecTxResultSchema)).toBe(true);
        expect(equals(ExecTxResultSchema, got, want)).toBe(true);
        expect(toBinary(ExecTxResultSchema, got)).toEqual(toBinary(ExecTxResultSchema, want));
        for (const e of r.events) {
          expect(eventToProto(e)).toStrictEqual(
            create(EventSchema, { ...e, attributes: [...e.attributes] }),
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});
