// The qsc queries (abci_query "/qos.qsc.v1.Query/{Token,Tokens,Frozen,Params}"): protobuf
// request in, protobuf response out, with the store keys `prove=true` proves. Pure.

import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { prefixRange } from "@qos/store";
import { concatBytes, cosmosPagination, qscQuery, qscTypes } from "@qos/types";
import type { QueryContext, QueryHandler } from "../../runtime/module.ts";
import { qscError } from "./qscErrors.ts";
import type { QscKeeper } from "./qscKeeper.ts";
import { denomFromTokenKey, QSC_STORE, TOKEN_KEY_PREFIX } from "./qscKeys.ts";
import { checkSymbol, denomForSymbol, isQscDenom, parseAddress } from "./qscValidation.ts";

/** Page size when the request gives none, and the most one page returns. */
export const DEFAULT_PAGE_LIMIT = 100n;
export const MAX_PAGE_LIMIT = 1000n;

function decodeRequest<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
): MessageShape<Desc> {
  try {
    return fromBinary(schema, bytes);
  } catch (e) {
    throw qscError("invalidRequest", `cannot decode ${schema.typeName}: ${(e as Error).message}`);
  }
}

/** A denom ("qsc/star") as is, or a symbol ("STAR", any case) as its denom. */
export function resolveDenom(denomOrSymbol: string): string {
  if (denomOrSymbol === "") throw qscError("invalidRequest", "denom is empty");
  if (isQscDenom(denomOrSymbol)) return denomOrSymbol;
  checkSymbol(denomOrSymbol);
  return denomForSymbol(denomOrSymbol);
}

function tokenInfo(
  keeper: QscKeeper,
  ctx: QueryContext,
  token: qscTypes.Token,
): qscQuery.TokenInfo {
  return create(qscQuery.TokenInfoSchema, {
    token,
    paused: keeper.isPaused(ctx, token.denom),
    supply: keeper.bank.supply(ctx, token.denom).toString(),
  });
}

export function createQscQueryHandlers(keeper: QscKeeper): QueryHandler[] {
  const token: QueryHandler = {
    path: "/qos.qsc.v1.Query/Token",
    handle(ctx, request) {
      const req = decodeRequest(qscQuery.QueryTokenRequestSchema, request);
      const t = keeper.mustToken(ctx, resolveDenom(req.denom));
      return toBinary(
        qscQuery.QueryTokenResponseSchema,
        create(qscQuery.QueryTokenResponseSchema, { token: tokenInfo(keeper, ctx, t) }),
      );
    },
  };

  const tokens: QueryHandler = {
    path: "/qos.qsc.v1.Query/Tokens",
    handle(ctx, request) {
      const req = decodeRequest(qscQuery.QueryTokensRequestSchema, request);
      const page = req.pagination ?? create(cosmosPagination.PageRequestSchema);
      if (page.key.length > 0 && page.offset > 0n) {
        throw qscError("invalidRequest", "pagination: give either a key or an offset, not both");
      }
      const limit = page.limit === 0n ? DEFAULT_PAGE_LIMIT : page.limit;
      if (limit > MAX_PAGE_LIMIT) {
        throw qscError("invalidRequest", `pagination: limit ${limit} is above ${MAX_PAGE_LIMIT}`);
      }
      const range = prefixRange(TOKEN_KEY_PREFIX, page.reverse);
      const startKey = page.key.length > 0 ? concatBytes(TOKEN_KEY_PREFIX, page.key) : undefined;
      const bounded =
        startKey === undefined
          ? range
          : page.reverse
            ? { ...range, end: concatBytes(startKey, new Uint8Array([0])) }
            : { ...range, start: startKey };
      const out: qscQuery.TokenInfo[] = [];
      let skipped = 0n;
      let total = 0n;
      let nextKey = new Uint8Array();
      for (const { key, value } of ctx.store(QSC_STORE).iterate(bounded)) {
        total++;
        if (skipped < page.offset) {
          skipped++;
          continue;
        }
        if (BigInt(out.length) === limit) {
          if (nextKey.length === 0) nextKey = key.slice(TOKEN_KEY_PREFIX.length);
          if (!page.countTotal) break;
          continue;
        }
        const t = fromBinary(qscTypes.TokenSchema, value);
        if (t.denom !== denomFromTokenKey(key))
          throw new Error(`qsc store: misplaced token ${t.denom}`);
        out.push(tokenInfo(keeper, ctx, t));
      }
      return toBinary(
        qscQuery.QueryTokensResponseSchema,
        create(qscQuery.QueryTokensResponseSchema, {
          tokens: out,
          pagination: {
            nextKey,
            total: page.countTotal && page.key.length === 0 ? total : 0n,
          },
        }),
      );
    },
  };

  const frozen: QueryHandler = {
    path: "/qos.qsc.v1.Query/Frozen",
    handle(ctx, request) {
      const req = decodeRequest(qscQuery.QueryFrozenRequestSchema, request);
      const denom = resolveDenom(req.denom);
      const address = parseAddress(req.address, "holder");
      keeper.mustToken(ctx, denom);
      return toBinary(
        qscQuery.QueryFrozenResponseSchema,
        create(qscQuery.QueryFrozenResponseSchema, {
          amount: keeper.frozen(ctx, denom, address).toString(),
        }),
      );
    },
  };

  const params: QueryHandler = {
    path: "/qos.qsc.v1.Query/Params",
    handle(ctx, request) {
      decodeRequest(qscQuery.QueryParamsRequestSchema, request);
      return toBinary(
        qscQuery.QueryParamsResponseSchema,
        create(qscQuery.QueryParamsResponseSchema, { params: keeper.params(ctx) }),
      );
    },
  };

  return [token, tokens, frozen, params];
}
