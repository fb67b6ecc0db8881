// The hot converters build ExecTxResult and Event messages as literals: the same objects the
// generated `create` makes from the same fields, equal for the codec and for `toStrictEqual`.

import { create, equals, isMessage, toBinary } from "@bufbuild/protobuf";
import { EventSchema, ExecTxResultSchema } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventToProto, execTxResultToProto } from "../src/abciConvert.ts";
import { txResultArb } from "./abciArbitraries.ts";

describe("abciConvert", () => {
  it("execTxResultToProto and eventToProto equal create() of the same fields", () => {
    fc.assert(
      fc.property(txResultArb, (r) => {
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
