// The hand-written BaseAccount codec against the generated one: the same bytes for every
// account, and the canonical decoder either declines or agrees with the generic one, also on
// corrupted, reordered and non-canonical records.

import { create, toBinary } from "@bufbuild/protobuf";
import { cosmosAuth } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Account,
  accountDecoders,
  decodeAccount,
  encodeAccount,
} from "../../../src/modules/auth/accountCodec.ts";
import { accountToProto } from "../../../src/modules/auth/accountKeeper.ts";

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const num = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 300n }), u64);
const accountArb: fc.Arbitrary<Account> = fc.record({
  address: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  pubKey: fc.option(fc.uint8Array({ maxLength: 140 }), { nil: undefined }),
  accountNumber: num,
  sequence: num,
});

function tryDecode(f: (b: Uint8Array) => Account | undefined, b: Uint8Array) {
  try {
    return { ok: f(b) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe("account codec", () => {
  it("encodes like toBinary(BaseAccountSchema) and decodes back", () => {
    fc.assert(
      fc.property(accountArb, (a) => {
        const bytes = encodeAccount(a);
        expect(bytes).toEqual(toBinary(cosmosAuth.BaseAccountSchema, accountToProto(a)));
        const back = decodeAccount(bytes);
        expect(back).toEqual(accountDecoders.generic(bytes));
        expect(back.address).toEqual(a.address);
        expect(back.accountNumber).toBe(a.accountNumber);
        expect(back.sequence).toBe(a.sequence);
        expect(back.pubKey === undefined ? undefined : [...back.pubKey]).toEqual(
          a.pubKey === undefined ? undefined : [...a.pubKey],
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("takes the canonical path for a usual account", () => {
    const a: Account = {
      address: new Uint8Array(20).fill(7),
      pubKey: new Uint8Array(33).fill(2),
      accountNumber: 12n,
      sequence: 99_999n,
    };
    expect(accountDecoders.canonical(encodeAccount(a))).toEqual(a);
  });

  it("the canonical decoder declines or agrees with the generic one on altered records", () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.nat(255) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("append" as const),
        extra: fc.uint8Array({ minLength: 1, maxLength: 12 }),
      }),
    );
    fc.assert(
      fc.property(accountArb, fc.array(edit, { maxLength: 3 }), (a, edits) => {
        let b = encodeAccount(a);
        for (const e of edits) {
          if (e.kind === "set" && b.length > 0) {
            b = b.slice();
            b[e.at % b.length] = e.byte;
          } else if (e.kind === "cut") b = b.slice(0, e.at % (b.length + 1));
          else if (e.kind === "append") b = Uint8Array.of(...b, ...e.extra);
        }
        const generic = tryDecode(accountDecoders.generic, b);
        const fast = tryDecode(accountDecoders.canonical, b);
        if (fast.ok !== undefined || fast.error !== undefined) expect(fast).toEqual(generic);
        // Read by the address it is stored under: declined exactly when the plain reading is
        // (the record's shape), else the same fields with that address (the text not decoded).
        const known = tryDecode((x) => accountDecoders.canonical(x, a.address), b);
        const declined = (r: ReturnType<typeof tryDecode>) =>
          r.ok === undefined && r.error === undefined;
        expect(declined(known)).toBe(declined(fast));
        if (fast.ok !== undefined) expect(known.ok).toEqual({ ...fast.ok, address: a.address });
      }),
      { numRuns: 3000 },
    );
  });

  it("reads fields in another order or repeated through the generic decoder", () => {
    const a: Account = {
      address: new Uint8Array(20).fill(1),
      pubKey: undefined,
      accountNumber: 5n,
      sequence: 6n,
    };
    const bytes = encodeAccount(a);
    // sequence first, then the rest; and a second sequence field (the last one wins).
    const reordered = Uint8Array.of(0x20, 0x06, ...bytes.subarray(0, bytes.length - 2));
    expect(decodeAccount(reordered)).toEqual(a);
    const repeated = Uint8Array.of(...bytes, 0x20, 0x09);
    expect(decodeAccount(repeated).sequence).toBe(9n);
    expect(
      toBinary(cosmosAuth.BaseAccountSchema, create(cosmosAuth.BaseAccountSchema, {})),
    ).toEqual(new Uint8Array());
  });
});
