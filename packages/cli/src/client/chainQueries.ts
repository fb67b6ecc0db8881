// The application's gRPC-style queries over abci_query (protobuf request and response): auth
// accounts, bank balances and allowances, qsc tokens and frozen amounts, tx Simulate. With
// `prove`, every answer (a failure too, such as "no such account") comes with ICS-23 proofs of
// everything the app read for it; the app's own query handler re-runs here over the proven reads
// against a verified header, so a node that lies or leaves something out fails the check.

import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  cosmosAuth,
  cosmosAuthQuery,
  cosmosBankQuery,
  cosmosPagination,
  cosmosSecp256k1,
  cosmosTxService,
  QosError,
  qosBankQuery,
  qscQuery,
} from "@qos/types";
import type { AbciQueryResult, NodeRpc } from "./nodeRpc.ts";
import { type CheckedProof, checkQueryProof } from "./storeProof.ts";

export const QUERY_ERROR = {
  failed: "query_failed",
  accountNotFound: "account_not_found",
} as const;

export interface QueryOptions {
  /** State version to read (0 or undefined: latest). */
  readonly height?: bigint;
  readonly prove?: boolean;
  /** List queries: this one page (Cosmos PageRequest) instead of every page. */
  readonly page?: cosmosPagination.PageRequest;
}

export interface QueryAnswer<T> {
  readonly response: T;
  readonly height: bigint;
  /** Set when proven. */
  readonly proof?: CheckedProof;
}

/** sdk 22 "key not found": what auth answers for an address with no account. */
const SDK_KEY_NOT_FOUND = 22;

async function grpc<Req extends DescMessage, Res extends DescMessage>(
  rpc: NodeRpc,
  path: string,
  reqSchema: Req,
  req: MessageShape<Req>,
  resSchema: Res,
  o: QueryOptions = {},
): Promise<{ response: MessageShape<Res>; raw: AbciQueryResult; proof?: CheckedProof }> {
  const request = toBinary(reqSchema, req);
  const raw = await rpc.abciQuery(path, request, {
    height: o.height ?? 0n,
    prove: o.prove ?? false,
  });
  // Checked before the code: a proven failure ("no such account") is as good as an answer.
  const proof = o.prove === true ? await checkQueryProof(rpc, path, request, raw) : undefined;
  if (raw.code !== 0)
    throw new QosError(
      QUERY_ERROR.failed,
      `query ${path} failed (codespace ${raw.codespace || "-"}, code ${raw.code}): ${raw.log}`,
      { code: raw.code, codespace: raw.codespace, proven: proof !== undefined },
    );
  try {
    return { response: fromBinary(resSchema, raw.value), raw, ...(proof ? { proof } : {}) };
  } catch (e) {
    throw new QosError(QUERY_ERROR.failed, `query ${path}: bad reply: ${(e as Error).message}`);
  }
}

function answer<T>(r: { response: T; raw: AbciQueryResult; proof?: CheckedProof }): QueryAnswer<T> {
  return { response: r.response, ...proofOf(r) };
}

export async function queryAccount(
  rpc: NodeRpc,
  address: string,
  o: QueryOptions = {},
): Promise<QueryAnswer<cosmosAuthQuery.QueryAccountResponse>> {
  const r = await grpc(
    rpc,
    "/cosmos.auth.v1beta1.Query/Account",
    cosmosAuthQuery.QueryAccountRequestSchema,
    create(cosmosAuthQuery.QueryAccountRequestSchema, { address }),
    cosmosAuthQuery.QueryAccountResponseSchema,
    o,
  ).catch((e: unknown) => {
    if (e instanceof QosError && e.details?.code === SDK_KEY_NOT_FOUND)
      throw new QosError(
        QUERY_ERROR.accountNotFound,
        `account ${address} does not exist on chain${e.details?.proven === true ? " (proven)" : ""}: send it tokens first`,
      );
    throw e;
  });
  return answer(r);
}

/** What signing needs from an account: its number, sequence and public key (if on chain). */
export async function accountSigningInfo(
  rpc: NodeRpc,
  address: string,
): Promise<{ accountNumber: bigint; sequence: bigint; pubKey: Uint8Array | undefined }> {
  const { response } = await queryAccount(rpc, address);
  const any = response.account;
  if (any === undefined || any.typeUrl !== `/${cosmosAuth.BaseAccountSchema.typeName}`)
    throw new QosError(QUERY_ERROR.failed, `account ${address}: unexpected ${any?.typeUrl}`);
  const acc = fromBinary(cosmosAuth.BaseAccountSchema, any.value);
  const pk =
    acc.pubKey !== undefined
      ? fromBinary(cosmosSecp256k1.PubKeySchema, acc.pubKey.value)
      : undefined;
  return { accountNumber: acc.accountNumber, sequence: acc.sequence, pubKey: pk?.key };
}

export async function queryBalance(
  rpc: NodeRpc,
  address: string,
  denom: string,
  o: QueryOptions = {},
): Promise<QueryAnswer<cosmosBankQuery.QueryBalanceResponse>> {
  const r = await grpc(
    rpc,
    "/cosmos.bank.v1beta1.Query/Balance",
    cosmosBankQuery.QueryBalanceRequestSchema,
    create(cosmosBankQuery.QueryBalanceRequestSchema, { address, denom }),
    cosmosBankQuery.QueryBalanceResponseSchema,
    o,
  );
  return answer(r);
}

/**
 * A list query: one page when `o.page` is given (its pagination answered as the node gave it),
 * else every page, following next_key (100 per page) at the first page's height. With `prove`,
 * every page is proven (the answer carries the last page's proof).
 */
/** The height a page was answered at, and its proof (a list's response is built from its pages). */
function proofOf(r: { raw: AbciQueryResult; proof?: CheckedProof }): {
  height: bigint;
  proof?: CheckedProof;
} {
  return { height: r.raw.height, ...(r.proof !== undefined ? { proof: r.proof } : {}) };
}

async function listQuery<Req extends DescMessage, Res extends DescMessage, T>(
  rpc: NodeRpc,
  path: string,
  reqSchema: Req,
  request: (pagination: cosmosPagination.PageRequest) => MessageShape<Req>,
  resSchema: Res,
  itemsOf: (res: MessageShape<Res>) => readonly T[],
  o: QueryOptions,
): Promise<{
  items: T[];
  pagination: cosmosPagination.PageResponse | undefined;
  height: bigint;
  proof?: CheckedProof;
}> {
  const paginationOf = (res: MessageShape<Res>) =>
    (res as { pagination?: cosmosPagination.PageResponse }).pagination;
  if (o.page !== undefined) {
    const r = await grpc(rpc, path, reqSchema, request(o.page), resSchema, o);
    return { items: [...itemsOf(r.response)], pagination: paginationOf(r.response), ...proofOf(r) };
  }
  const items: T[] = [];
  let key: Uint8Array = new Uint8Array();
  let at = o.height;
  for (;;) {
    const page = create(cosmosPagination.PageRequestSchema, { key, limit: 100n });
    const r = await grpc(rpc, path, reqSchema, request(page), resSchema, {
      ...o,
      ...(at !== undefined ? { height: at } : {}),
    });
    items.push(...itemsOf(r.response));
    at = r.raw.height;
    const next = paginationOf(r.response)?.nextKey;
    if (next === undefined || next.length === 0)
      return { items, pagination: undefined, ...proofOf(r) };
    key = next;
  }
}

/**
 * The pagination of a list answer: the node's for one page; for every page, no next key and the
 * total of the `count` items answered (what `--count-total` would give).
 */
function withPagination<T extends object>(
  response: T,
  pagination: cosmosPagination.PageResponse | undefined,
  count: number,
): T {
  return {
    ...response,
    pagination: pagination ?? create(cosmosPagination.PageResponseSchema, { total: BigInt(count) }),
  };
}

export async function queryAllBalances(
  rpc: NodeRpc,
  address: string,
  o: QueryOptions = {},
): Promise<QueryAnswer<cosmosBankQuery.QueryAllBalancesResponse>> {
  const { items, pagination, ...rest } = await listQuery(
    rpc,
    "/cosmos.bank.v1beta1.Query/AllBalances",
    cosmosBankQuery.QueryAllBalancesRequestSchema,
    (p) => create(cosmosBankQuery.QueryAllBalancesRequestSchema, { address, pagination: p }),
    cosmosBankQuery.QueryAllBalancesResponseSchema,
    (res) => res.balances,
    o,
  );
  const response = create(cosmosBankQuery.QueryAllBalancesResponseSchema, { balances: items });
  return { response: withPagination(response, pagination, items.length), ...rest };
}

export async function queryAllowance(
  rpc: NodeRpc,
  owner: string,
  spender: string,
  denom: string,
  o: QueryOptions = {},
): Promise<QueryAnswer<qosBankQuery.QueryAllowanceResponse>> {
  const r = await grpc(
    rpc,
    "/qos.bank.v1.Query/Allowance",
    qosBankQuery.QueryAllowanceRequestSchema,
    create(qosBankQuery.QueryAllowanceRequestSchema, { owner, spender, denom }),
    qosBankQuery.QueryAllowanceResponseSchema,
    o,
  );
  return answer(r);
}

/** Every allowance `owner` gave, optionally only those to `spender`. */
export async function queryAllowances(
  rpc: NodeRpc,
  owner: string,
  spender: string | undefined,
  o: QueryOptions = {},
): Promise<QueryAnswer<qosBankQuery.QueryAllowancesResponse>> {
  const { items, pagination, ...rest } = await listQuery(
    rpc,
    "/qos.bank.v1.Query/Allowances",
    qosBankQuery.QueryAllowancesRequestSchema,
    (p) => create(qosBankQuery.QueryAllowancesRequestSchema, { owner, pagination: p }),
    qosBankQuery.QueryAllowancesResponseSchema,
    (res) => res.allowances,
    o,
  );
  const allowances = items.filter((a) => spender === undefined || a.spender === spender);
  const response = create(qosBankQuery.QueryAllowancesResponseSchema, { allowances });
  return { response: withPagination(response, pagination, allowances.length), ...rest };
}

/** A QSC denom from what a user types: "qsc/star" as is, a symbol "STAR" → "qsc/star". */
export function qscDenomOf(text: string): string {
  return text.includes("/") ? text : `qsc/${text.toLowerCase()}`;
}

export async function queryToken(
  rpc: NodeRpc,
  denomOrSymbol: string,
  o: QueryOptions = {},
): Promise<QueryAnswer<qscQuery.QueryTokenResponse>> {
  const r = await grpc(
    rpc,
    "/qos.qsc.v1.Query/Token",
    qscQuery.QueryTokenRequestSchema,
    create(qscQuery.QueryTokenRequestSchema, { denom: denomOrSymbol }),
    qscQuery.QueryTokenResponseSchema,
    o,
  );
  return answer(r);
}

export async function queryTokens(
  rpc: NodeRpc,
  o: QueryOptions = {},
): Promise<QueryAnswer<qscQuery.QueryTokensResponse>> {
  const { items, pagination, ...rest } = await listQuery(
    rpc,
    "/qos.qsc.v1.Query/Tokens",
    qscQuery.QueryTokensRequestSchema,
    (p) => create(qscQuery.QueryTokensRequestSchema, { pagination: p }),
    qscQuery.QueryTokensResponseSchema,
    (res) => res.tokens,
    o,
  );
  const response = create(qscQuery.QueryTokensResponseSchema, { tokens: items });
  return { response: withPagination(response, pagination, items.length), ...rest };
}

export async function queryFrozen(
  rpc: NodeRpc,
  denomOrSymbol: string,
  address: string,
  o: QueryOptions = {},
): Promise<QueryAnswer<qscQuery.QueryFrozenResponse>> {
  const denom = qscDenomOf(denomOrSymbol);
  const r = await grpc(
    rpc,
    "/qos.qsc.v1.Query/Frozen",
    qscQuery.QueryFrozenRequestSchema,
    create(qscQuery.QueryFrozenRequestSchema, { denom, address }),
    qscQuery.QueryFrozenResponseSchema,
    o,
  );
  return answer(r);
}

export async function queryQscParams(
  rpc: NodeRpc,
  o: QueryOptions = {},
): Promise<QueryAnswer<qscQuery.QueryParamsResponse>> {
  const r = await grpc(
    rpc,
    "/qos.qsc.v1.Query/Params",
    qscQuery.QueryParamsRequestSchema,
    create(qscQuery.QueryParamsRequestSchema, {}),
    qscQuery.QueryParamsResponseSchema,
    o,
  );
  return answer(r);
}

/** Runs the tx (TxRaw bytes, signatures may be empty) through the app's Simulate. */
export async function simulateTx(
  rpc: NodeRpc,
  txBytes: Uint8Array,
): Promise<{ gasUsed: bigint; gasWanted: bigint }> {
  const { response } = await grpc(
    rpc,
    "/cosmos.tx.v1beta1.Service/Simulate",
    cosmosTxService.SimulateRequestSchema,
    create(cosmosTxService.SimulateRequestSchema, { txBytes }),
    cosmosTxService.SimulateResponseSchema,
  );
  return {
    gasUsed: response.gasInfo?.gasUsed ?? 0n,
    gasWanted: response.gasInfo?.gasWanted ?? 0n,
  };
}
