// encodeExecTxResult against @bufbuild/protobuf's generated codec: byte-identical for random
// results (zero and large codes and gas, negative int64, empty and non-ASCII strings, events
// with 0..n attributes, index true and false), and for the generated message itself.

import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { equalBytes } from "../src/bytes.ts";
import { type ExecTxResultFields, encodeExecTxResult } from "../src/execTxResultEncoding.ts";
import { ExecTxResultSchema } from "../src/gen/tendermint/abci/types_pb.ts";

/** Any UTF-16 string, lone surrogates included. */
const utf16 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 })
  .map((units) => String.fromCharCode(...units));
const text = (maxLength: number) =>
  fc.oneof(
    fc.constant(""),
    fc.string({ maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
    fc.string({ unit: "binary", maxLength }),
    utf16,
  );
const int64 = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: 1000n }),
  fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  fc.constant(2n ** 63n - 1n),
  fc.bigInt({ min: -(2n ** 63n), max: -1n }),
);
const code = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 200 }),
  fc.nat(),
  fc.constant(2 ** 32 - 1),
);

const attribute = fc.record({ key: text(12), value: text(300), index: fc.boolean() });
const event = fc.record({ type: text(16), attributes: fc.array(attribute, { maxLength: 5 }) });
const result: fc.Arbitrary<ExecTxResultFields> = fc.record({
  code,
  data: fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ maxLength: 300 })),
  log: text(400),
  info: text(20),
  gasWanted: int64,
  gasUsed: int64,
  events: fc.array(event, { maxLength: 8 }),
  codespace: text(10),
});

function generated(r: ExecTxResultFields): Uint8Array {
  return toBinary(
    ExecTxResultSchema,
    create(ExecTxResultSchema, {
      ...r,
      events: r.events.map((e) => ({
        type: e.type,
        attributes: e.attributes.map((a) => ({ ...a })),
      })),
    }),
  );
}

describe("encodeExecTxResult", () => {
  it("equals toBinary(ExecTxResultSchema) of the same fields", () => {
    fc.assert(
      fc.property(result, (r) => {
        expect(encodeExecTxResult(r)).toEqual(generated(r));
      }),
      { numRuns: 1000 },
    );
  });

  it("encodes a generated message as toBinary does", () => {
    fc.assert(
      fc.property(result, (r) => {
        const msg = create(ExecTxResultSchema, {
          ...r,
          events: r.events.map((e) => ({ ...e, attributes: [...e.attributes] })),
        });
        expect(encodeExecTxResult(msg)).toEqual(toBinary(ExecTxResultSchema, msg));
      }),
      { numRuns: 200 },
    );
  });

  it("writes nothing for an empty result and every field for a full one", () => {
    const empty: ExecTxResultFields = {
      code: 0,
      data: new Uint8Array(),
      log: "",
      info: "",
      gasWanted: 0n,
      gasUsed: 0n,
      events: [],
      codespace: "",
    };
    expect(encodeExecTxResult(empty)).toEqual(new Uint8Array());
    const full: ExecTxResultFields = {
      code: 5,
      data: new Uint8Array([1, 2]),
      log: "insufficient funds: é",
      info: "i",
      gasWanted: 200_000n,
      gasUsed: -1n,
      events: [
        { type: "", attributes: [] },
        {
          type: "transfer",
          attributes: [
            { key: "", value: "", index: false },
            { key: "amount", value: "1uqos", index: true },
          ],
        },
      ],
      codespace: "sdk",
    };
    expect(encodeExecTxResult(full)).toEqual(generated(full));
  });

  it("fits events and attributes of any length (1- to 3-byte length prefixes)", () => {
    const earlier: [Uint8Array, Uint8Array][] = [];
    for (const n of [0, 1, 100, 120, 127, 128, 200, 16_370, 16_384]) {
      const r: ExecTxResultFields = {
        code: 1,
        data: new Uint8Array(),
        log: "x".repeat(n),
        info: "",
        gasWanted: 1n,
        gasUsed: 1n,
        events: [
          { type: "t", attributes: [{ key: "k", value: "v".repeat(n), index: true }] },
          {
            type: "é".repeat(n),
            attributes: [{ key: "\u{1f600}".repeat(n), value: "", index: false }],
          },
        ],
        codespace: "",
      };
      const want = generated(r);
      const got = encodeExecTxResult(r);
      expect(equalBytes(got, want)).toBe(true);
      earlier.push([got, want]);
    }
    // Each result is its own copy, not a view of the encoder's scratch buffer.
    for (const [got, want] of earlier) expect(equalBytes(got, want)).toBe(true);
  });
});
