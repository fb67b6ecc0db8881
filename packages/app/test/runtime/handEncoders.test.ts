// The app's hand-written encoders (SignDoc, TxMsgData) against @bufbuild/protobuf's generated
// codec: byte-identical for random inputs, including empty fields, large account numbers and
// non-ASCII. (The wire helpers they use are tested in @qos/types.)

import { create, toBinary } from "@bufbuild/protobuf";
import { cosmosAbci, cosmosTx, utf8Bytes } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signDocBytes, signDocBytesTransient } from "../../src/runtime/signDoc.ts";
import { txMsgDataBytes } from "../../src/runtime/txMsgData.ts";

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const bytes = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 5000 }));

describe("signDocBytes", () => {
  it("equals toBinary(SignDocSchema)", () => {
    fc.assert(
      fc.property(
        bytes,
        bytes,
        fc.oneof(fc.constant(""), fc.string({ unit: "grapheme" })),
        fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1000n }), u64),
        (bodyBytes, authInfoBytes, chainId, accountNumber) => {
          const want = toBinary(
            cosmosTx.SignDocSchema,
            create(cosmosTx.SignDocSchema, { bodyBytes, authInfoBytes, chainId, accountNumber }),
          );
          const chain = utf8Bytes(chainId);
          expect(signDocBytes(bodyBytes, authInfoBytes, chain, accountNumber)).toEqual(want);
          // The reused buffer holds the same bytes, and grows for bodies past its 4 KiB.
          expect(signDocBytesTransient(bodyBytes, authInfoBytes, chain, accountNumber)).toEqual(
            want,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("txMsgDataBytes", () => {
  it("equals toBinary(TxMsgDataSchema)", () => {
    const any = fc.record({
      typeUrl: fc.oneof(fc.constant(""), fc.string({ unit: "grapheme" })),
      value: fc.uint8Array({ maxLength: 200 }),
    });
    fc.assert(
      fc.property(fc.array(any, { maxLength: 5 }), (list) => {
        const responses = list.map((a) => ({ $typeName: "google.protobuf.Any" as const, ...a }));
        const want = toBinary(
          cosmosAbci.TxMsgDataSchema,
          create(cosmosAbci.TxMsgDataSchema, { msgResponses: responses }),
        );
        expect(txMsgDataBytes(responses)).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});
