// The qsc queries: Token (by denom or symbol), Tokens (key and offset pagination, both ways),
// Frozen, Params; their errors and the keys prove=true proves.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { qscQuery, qscTx, qscTypes } from "@qos/types";
import { describe, expect, it } from "vitest";
import { QSC_ERROR } from "../../../src/modules/qsc/qscErrors.ts";
import type { QueryContext, QueryHandler } from "../../../src/runtime/module.ts";
import { account, createHarness, type Harness } from "./qscHarness.ts";

const alice = account(1);
const bob = account(2);

function query(h: Harness, path: string): QueryHandler {
  const q = h.module.queries.find((x) => x.path === path);
  if (q === undefined) throw new Error(`no query ${path}`);
  return q;
}

function qctx(h: Harness): QueryContext {
  const c = h.ctx();
  return { chainId: c.chainId, height: c.height, store: (n) => c.store(n) };
}

function withTokens(symbols: string[]): Harness {
  const h = createHarness();
  for (const symbol of symbols) {
    h.run(qscTx.MsgCreateTokenSchema, {
      creator: alice.bech32,
      symbol,
      name: `${symbol} token`,
      decimals: 2,
      initialHolders: [{ address: alice.bech32, amount: "10" }],
    });
  }
  return h;
}

describe("Query/Token", () => {
  it("finds a token by denom or by symbol in any case, with its paused flag and bank supply", () => {
    const h = withTokens(["STAR"]);
    h.run(qscTx.MsgPauseSchema, { issuer: alice.bech32, denom: "qsc/star" });
    const q = query(h, "/qos.qsc.v1.Query/Token");
    for (const denom of ["qsc/star", "STAR", "star"]) {
      const req = toBinary(
        qscQuery.QueryTokenRequestSchema,
        create(qscQuery.QueryTokenRequestSchema, { denom }),
      );
      const res = fromBinary(qscQuery.QueryTokenResponseSchema, q.handle(qctx(h), req));
      expect(res.token?.token?.symbol).toBe("STAR");
      expect(res.token?.paused).toBe(true);
      expect(res.token?.supply).toBe("10");
    }
  });

  it("unknown token is qsc 2; an empty denom or bad request bytes are qsc 19; a bad symbol is qsc 10", () => {
    const h = withTokens([]);
    const q = query(h, "/qos.qsc.v1.Query/Token");
    const ask = (denom: string) =>
      q.handle(
        qctx(h),
        toBinary(
          qscQuery.QueryTokenRequestSchema,
          create(qscQuery.QueryTokenRequestSchema, { denom }),
        ),
      );
    expect(() => ask("qsc/none")).toThrow(
      expect.objectContaining({ codespace: "qsc", code: QSC_ERROR.tokenNotFound }),
    );
    expect(() => ask("")).toThrow(expect.objectContaining({ code: QSC_ERROR.invalidRequest }));
    expect(() => ask("a-b")).toThrow(expect.objectContaining({ code: QSC_ERROR.invalidSymbol }));
    expect(() => q.handle(qctx(h), new Uint8Array([0x0a, 0x05]))).toThrow(
      expect.objectContaining({ code: QSC_ERROR.invalidRequest }),
    );
  });
});

describe("Query/Tokens", () => {
  const symbols = ["EE", "AA", "DD", "BB", "CC"];

  function page(h: Harness, pagination: object) {
    const q = query(h, "/qos.qsc.v1.Query/Tokens");
    const req = create(qscQuery.QueryTokensRequestSchema, { pagination });
    const res = fromBinary(
      qscQuery.QueryTokensResponseSchema,
      q.handle(qctx(h), toBinary(qscQuery.QueryTokensRequestSchema, req)),
    );
    return {
      denoms: res.tokens.map((t) => t.token?.denom),
      next: res.pagination?.nextKey,
      total: res.pagination?.total,
    };
  }

  it("lists every token in denom order by default", () => {
    const h = withTokens(symbols);
    expect(page(h, {}).denoms).toEqual(["qsc/aa", "qsc/bb", "qsc/cc", "qsc/dd", "qsc/ee"]);
  });

  it("walks pages by next_key forward and in reverse, and by offset with count_total", () => {
    const h = withTokens(symbols);
    const p1 = page(h, { limit: 2n });
    expect(p1.denoms).toEqual(["qsc/aa", "qsc/bb"]);
    const p2 = page(h, { limit: 2n, key: p1.next });
    expect(p2.denoms).toEqual(["qsc/cc", "qsc/dd"]);
    const p3 = page(h, { limit: 2n, key: p2.next });
    expect(p3.denoms).toEqual(["qsc/ee"]);
    expect(p3.next).toEqual(new Uint8Array());
    const r1 = page(h, { limit: 2n, reverse: true });
    expect(r1.denoms).toEqual(["qsc/ee", "qsc/dd"]);
    const r2 = page(h, { limit: 2n, reverse: true, key: r1.next });
    expect(r2.denoms).toEqual(["qsc/cc", "qsc/bb"]);
    const o = page(h, { limit: 2n, offset: 3n, countTotal: true });
    expect(o).toMatchObject({ denoms: ["qsc/dd", "qsc/ee"], total: 5n });
  });

  it("refuses key and offset together, and a limit above 1000 (qsc 19)", () => {
    const h = withTokens(symbols);
    expect(() => page(h, { key: new Uint8Array([1]), offset: 1n })).toThrow(
      /either a key or an offset/,
    );
    expect(() => page(h, { limit: 1001n })).toThrow(
      expect.objectContaining({ code: QSC_ERROR.invalidRequest }),
    );
  });
});

describe("Query/Frozen and Query/Params", () => {
  it("returns a holder's frozen amount and proves its key", () => {
    const h = withTokens(["STAR"]);
    h.run(qscTx.MsgFreezeSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      holder: alice.bech32,
      amount: "7",
    });
    const q = query(h, "/qos.qsc.v1.Query/Frozen");
    const ask = (address: string, denom = "qsc/star") => {
      const req = toBinary(
        qscQuery.QueryFrozenRequestSchema,
        create(qscQuery.QueryFrozenRequestSchema, { denom, address }),
      );
      return {
        amount: fromBinary(qscQuery.QueryFrozenResponseSchema, q.handle(qctx(h), req)).amount,
        req,
      };
    };
    expect(ask(alice.bech32).amount).toBe("7");
    expect(ask(bob.bech32).amount).toBe("0");
    expect(() => ask("nope")).toThrow(expect.objectContaining({ code: QSC_ERROR.invalidAddress }));
    expect(() => ask(bob.bech32, "qsc/none")).toThrow(
      expect.objectContaining({ code: QSC_ERROR.tokenNotFound }),
    );
  });

  it("returns the params", () => {
    const h = withTokens([]);
    const q = query(h, "/qos.qsc.v1.Query/Params");
    const res = fromBinary(qscQuery.QueryParamsResponseSchema, q.handle(qctx(h), new Uint8Array()));
    expect(res.params?.creationMode).toBe(qscTypes.CreationMode.OPEN);
    expect(res.params?.creationFee).toMatchObject({ denom: "uqos", amount: "0" });
  });
});
