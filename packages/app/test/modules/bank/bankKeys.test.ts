// The bank's store keys: balanceKey, written in one allocation, is the documented layout
// 0x02 | len(addr) | addr | UTF-8 denom, for ASCII denoms and (through the fallback) any other.
import { concatBytes, utf8Bytes } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { balanceKey, balancePrefix } from "../../../src/modules/bank/bankKeeper.ts";

describe("bank keys", () => {
  it("balanceKey is the prefix of the address then the denom's UTF-8", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 32 }),
        fc.oneof(fc.stringMatching(/^[a-z][a-z0-9/:._-]{2,40}$/), fc.string({ unit: "grapheme" })),
        (addr, denom) => {
          const want = concatBytes(Uint8Array.of(0x02, addr.length), addr, utf8Bytes(denom));
          expect(balanceKey(addr, denom)).toEqual(want);
          expect(balanceKey(addr, denom).subarray(0, 2 + addr.length)).toEqual(balancePrefix(addr));
        },
      ),
      { numRuns: 300 },
    );
  });
});
