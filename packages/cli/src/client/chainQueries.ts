// The application's gRPC-style queries over abci_query (protobuf request and response): auth
// accounts, bank balances and allowances, qsc tokens and frozen amounts, tx Simulate. With
// `prove`, the answer is re-encoded the way the store holds it and its ICS-23 proof is checked
// against a verified header, so a node that lies about the answer fails the proof.

import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  AUTH_STORE,
  accountKey,
  allowanceKey,
  BANK_STORE,
  balanceKey,
  bech32ToAddress,
  encodeAmount,
  frozenKey,
  QSC_STORE,
  tokenKey,
} from "@qos/app";
import {
  cosmosAuth,
  cosmosAuthQuery,
  cosmosBankQuery,
  type cosmosCoin,
  cosmosPagination,
  cosmosSecp256k1,
  cosmosTxService,
  QosError,
  qosBankQuery,
  qscQuery,
  qscTypes,
} from "@qos/types";
import type { AbciQueryResult, NodeRpc } from "./nodeRpc.ts";
import { type CheckedProof, checkStoreProof } from "./storeProof.ts";

export const QUERY_ERROR = {
  failed: "query_failed",
  accountNotFound: "account_not_found",
  notProvable: "query_not_provable",
} as const;

export interface QueryOptions {
  /** State version to read (0 or undefined: latest). */
  readonly height?: bigint;
  readonly prove?: boolean;
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
): Promise<{ response: MessageShape<Res>; raw: AbciQueryResult }> {
  const raw = await rpc.abciQuery(path, toBinary(reqSchema, req), {
    height: o.height ?? 0n,
    prove: o.prove ?? false,
  });
  if (raw.code !== 0)
    throw new QosError(
      QUERY_ERROR.failed,
      `query ${path} failed (codespace ${raw.codespace || "-"}, code ${raw.code}): ${raw.log}`,
      { code: raw.code, codespace: raw.codespace },
    );
  try {
    return { response: fromBinary(resSchema, raw.value), raw };
  } catch (e) {
    throw new QosError(QUERY_ERROR.failed, `query ${path}: bad reply: ${(e as Error).message}`);
  }
}

async function answer<T>(
  rpc: NodeRpc,
  o: QueryOptions,
  r: { response: T; raw: AbciQueryResult },
  proven: () => { storeName: string; key: Uint8Array; value: Uint8Array | undefined },
): Promise<QueryAnswer<T>> {
  if (o.prove !== true) return { response: r.response, height: r.raw.height };
  const p = proven();
  const proof = await checkStoreProof(rpc, {
    ...p,
    proofOps: r.raw.proofOps,
    height: r.raw.height,
  });
  return { response: r.response, height: r.raw.height, proof };
}

/** An amount as the bank and qsc stores hold it: decimal ASCII, absent when zero. */
function storedAmount(amount: string): Uint8Array | undefined {
  const n = BigInt(amount || "0");
  return n === 0n ? undefined : encodeAmount(n);
}

export async function queryAccount(
  rpc: NodeRpc,
  address: string,
  o: QueryOptions = {},
): Promise<QueryAnswer<cosmosAuthQuery.QueryAccountResponse>> {
  const addr = bech32ToAddress(address);
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
        `account ${address} does not exist on chain: send it tokens first`,
      );
    throw e;
  });
  return answer(rpc, o, r, () => ({
    storeName: AUTH_STORE,
    key: accountKey(addr),
    value: r.response.account?.value,
  }));
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
  const addr = bech32ToAddress(address);
  const r = await grpc(
    rpc,
    "/cosmos.bank.v1beta1.Query/Balance",
    cosmosBankQuery.QueryBalanceRequestSchema,
    create(cosmosBankQuery.QueryBalanceRequestSchema, { address, denom }),
    cosmosBankQuery.QueryBalanceResponseSchema,
    o,
  );
  return answer(rpc, o, r, () => ({
    storeName: BANK_STORE,
    key: balanceKey(addr, denom),
    value: storedAmount(r.response.balance?.amount ?? "0"),
  }));
}

/** Follows next_key until the last page (100 per page), every page at the first one's height. */
async function allPages<T>(
  fetchPage: (
    page: cosmosPagination.PageRequest,
    height: bigint | undefined,
  ) => Promise<{ items: readonly T[]; next: Uint8Array | undefined; height: bigint }>,
  height: bigint | undefined,
): Promise<{ items: T[]; height: bigint }> {
  const items: T[] = [];
  let key: Uint8Array = new Uint8Array();
  let at = height;
  for (;;) {
    const page = await fetchPage(
      create(cosmosPagination.PageRequestSchema, { key, limit: 100n }),
      at,
    );
    items.push(...page.items);
    at = page.height;
    if (page.next === undefined || page.next.length === 0) return { items, height: at };
    key = page.next;
  }
}

export async function queryAllBalances(
  rpc: NodeRpc,
  address: string,
  o: QueryOptions = {},
): Promise<QueryAnswer<cosmosBankQuery.QueryAllBalancesResponse>> {
  if (o.prove === true)
    throw new QosError(QUERY_ERROR.notProvable, "--prove needs --denom (one balance key)");
  const { items, height: at } = await allPages<cosmosCoin.Coin>(async (pagination, height) => {
    const r = await grpc(
      rpc,
      "/cosmos.bank.v1beta1.Query/AllBalances",
      cosmosBankQuery.QueryAllBalancesRequestSchema,
      create(cosmosBankQuery.QueryAllBalancesRequestSchema, { address, pagination }),
      cosmosBankQuery.QueryAllBalancesResponseSchema,
      height !== undefined ? { height } : {},
    );
    return {
      items: r.response.balances,
      next: r.response.pagination?.nextKey,
      height: r.raw.height,
    };
  }, o.height);
  return {
    response: create(cosmosBankQuery.QueryAllBalancesResponseSchema, { balances: items }),
    height: at,
  };
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
  return answer(rpc, o, r, () => ({
    storeName: BANK_STORE,
    key: allowanceKey(bech32ToAddress(owner), bech32ToAddress(spender), denom),
    value: storedAmount(r.response.allowance?.amount ?? "0"),
  }));
}

/** Every allowance `owner` gave, optionally only those to `spender`. */
export async function queryAllowances(
  rpc: NodeRpc,
  owner: string,
  spender: string | undefined,
  o: QueryOptions = {},
): Promise<QueryAnswer<qosBankQuery.QueryAllowancesResponse>> {
  if (o.prove === true)
    throw new QosError(QUERY_ERROR.notProvable, "--prove needs a DENOM (one allowance key)");
  const { items, height: at } = await allPages<qosBankQuery.Allowance>(
    async (pagination, height) => {
      const r = await grpc(
        rpc,
        "/qos.bank.v1.Query/Allowances",
        qosBankQuery.QueryAllowancesRequestSchema,
        create(qosBankQuery.QueryAllowancesRequestSchema, { owner, pagination }),
        qosBankQuery.QueryAllowancesResponseSchema,
        height !== undefined ? { height } : {},
      );
      return {
        items: r.response.allowances,
        next: r.response.pagination?.nextKey,
        height: r.raw.height,
      };
    },
    o.height,
  );
  return {
    response: create(qosBankQuery.QueryAllowancesResponseSchema, {
      allowances: items.filter((a) => spender === undefined || a.spender === spender),
    }),
    height: at,
  };
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
  return answer(rpc, o, r, () => {
    const token = r.response.token?.token;
    const denom = qscDenomOf(denomOrSymbol);
    if (token === undefined || token.denom !== denom)
      throw new QosError(
        QUERY_ERROR.failed,
        `the node answered token ${token?.denom ?? "(none)"} for ${denomOrSymbol}`,
      );
    return {
      storeName: QSC_STORE,
      key: tokenKey(denom),
      value: toBinary(qscTypes.TokenSchema, token),
    };
  });
}

export async function queryTokens(
  rpc: NodeRpc,
  o: QueryOptions = {},
): Promise<QueryAnswer<qscQuery.QueryTokensResponse>> {
  if (o.prove === true)
    throw new QosError(QUERY_ERROR.notProvable, "--prove is for one token: qos query qsc token");
  const { items, height: at } = await allPages<qscQuery.TokenInfo>(async (pagination, height) => {
    const r = await grpc(
      rpc,
      "/qos.qsc.v1.Query/Tokens",
      qscQuery.QueryTokensRequestSchema,
      create(qscQuery.QueryTokensRequestSchema, { pagination }),
      qscQuery.QueryTokensResponseSchema,
      height !== undefined ? { height } : {},
    );
    return { items: r.response.tokens, next: r.response.pagination?.nextKey, height: r.raw.height };
  }, o.height);
  return {
    response: create(qscQuery.QueryTokensResponseSchema, { tokens: items }),
    height: at,
  };
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
  return answer(rpc, o, r, () => ({
    storeName: QSC_STORE,
    key: frozenKey(denom, bech32ToAddress(address)),
    value: storedAmount(r.response.amount),
  }));
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
    { ...o, prove: false },
  );
  return { response: r.response, height: r.raw.height };
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
