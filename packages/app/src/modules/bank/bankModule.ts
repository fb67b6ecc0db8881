// The bank module: its messages, queries (cosmos.bank.v1beta1 Balance/AllBalances/TotalSupply/
// SupplyOf, qos.bank.v1 Allowance/Allowances/Params), genesis and invariants.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { cosmosBankQuery, qosBankQuery } from "@qos/types";
import { addressToBech32, bech32ToAddress } from "../../runtime/address.ts";
import {
  addCoins,
  type Coin,
  checkDenom,
  coinFromProto,
  coinToProto,
} from "../../runtime/coins.ts";
import {
  asArray,
  asObject,
  asString,
  asUint,
  atPath,
  genesisError,
} from "../../runtime/genesisJson.ts";
import type { AppModule, QueryHandler } from "../../runtime/module.ts";
import { paginate } from "../../runtime/pagination.ts";
import { SDK_CODE, sdkError } from "../../runtime/sdkErrors.ts";
import type { AccountKeeper } from "../auth/accountKeeper.ts";
import {
  allowanceKey,
  BANK_STORE,
  type BankKeeperInternal,
  DEFAULT_BANK_PARAMS,
} from "./bankKeeper.ts";
import { createBankMsgs } from "./bankMsgs.ts";

const enc = new TextEncoder();

function decodeRequest<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw sdkError(SDK_CODE.txDecode, `invalid request: ${(e as Error).message}`);
  }
}

function denomOf(denom: string): string {
  if (denom === "") throw sdkError(SDK_CODE.invalidCoins, "invalid denom: empty");
  checkDenom(denom);
  return denom;
}

export function createBankQueries(bank: BankKeeperInternal): QueryHandler[] {
  return [
    {
      path: "/cosmos.bank.v1beta1.Query/Balance",
      handle(ctx, request) {
        const req = decodeRequest(() =>
          fromBinary(cosmosBankQuery.QueryBalanceRequestSchema, request),
        );
        const addr = bech32ToAddress(req.address);
        const denom = denomOf(req.denom);
        return toBinary(
          cosmosBankQuery.QueryBalanceResponseSchema,
          create(cosmosBankQuery.QueryBalanceResponseSchema, {
            balance: coinToProto({ denom, amount: bank.balance(ctx, addr, denom) }),
          }),
        );
      },
    },
    {
      path: "/cosmos.bank.v1beta1.Query/AllBalances",
      handle(ctx, request) {
        const req = decodeRequest(() =>
          fromBinary(cosmosBankQuery.QueryAllBalancesRequestSchema, request),
        );
        const addr = bech32ToAddress(req.address);
        const page = paginate(
          bank.balances(ctx, addr).map((c) => ({ key: enc.encode(c.denom), item: c })),
          req.pagination,
        );
        return toBinary(
          cosmosBankQuery.QueryAllBalancesResponseSchema,
          create(cosmosBankQuery.QueryAllBalancesResponseSchema, {
            balances: page.items.map(coinToProto),
            pagination: page.pagination,
          }),
        );
      },
    },
    {
      path: "/cosmos.bank.v1beta1.Query/TotalSupply",
      handle(ctx, request) {
        const req = decodeRequest(() =>
          fromBinary(cosmosBankQuery.QueryTotalSupplyRequestSchema, request),
        );
        const page = paginate(
          [...bank.supplies(ctx)].map((c) => ({ key: enc.encode(c.denom), item: c })),
          req.pagination,
        );
        return toBinary(
          cosmosBankQuery.QueryTotalSupplyResponseSchema,
          create(cosmosBankQuery.QueryTotalSupplyResponseSchema, {
            supply: page.items.map(coinToProto),
            pagination: page.pagination,
          }),
        );
      },
    },
    {
      path: "/cosmos.bank.v1beta1.Query/SupplyOf",
      handle(ctx, request) {
        const req = decodeRequest(() =>
          fromBinary(cosmosBankQuery.QuerySupplyOfRequestSchema, request),
        );
        const denom = denomOf(req.denom);
        return toBinary(
          cosmosBankQuery.QuerySupplyOfResponseSchema,
          create(cosmosBankQuery.QuerySupplyOfResponseSchema, {
            amount: coinToProto({ denom, amount: bank.supply(ctx, denom) }),
          }),
        );
      },
    },
    {
      path: "/qos.bank.v1.Query/Allowance",
      handle(ctx, request) {
        const req = decodeRequest(() =>
          fromBinary(qosBankQuery.QueryAllowanceRequestSchema, request),
        );
        const owner = bech32ToAddress(req.owner, "owner address");
        const spender = bech32ToAddress(req.spender, "spender address");
        const denom = denomOf(req.denom);
        return toBinary(
          qosBankQuery.QueryAllowanceResponseSchema,
          create(qosBankQuery.QueryAllowanceResponseSchema, {
            allowance: coinToProto({ denom, amount: bank.allowance(ctx, owner, spender, denom) }),
          }),
        );
      },
    },
    {
      path: "/qos.bank.v1.Query/Allowances",
      handle(ctx, request) {
        const req = decodeRequest(() =>
          fromBinary(qosBankQuery.QueryAllowancesRequestSchema, request),
        );
        const owner = bech32ToAddress(req.owner, "owner address");
        const page = paginate(
          [...bank.allowances(ctx, owner)].map((a) => ({
            key: allowanceKey(a.owner, a.spender, a.denom),
            item: a,
          })),
          req.pagination,
        );
        return toBinary(
          qosBankQuery.QueryAllowancesResponseSchema,
          create(qosBankQuery.QueryAllowancesResponseSchema, {
            allowances: page.items.map((a) =>
              create(qosBankQuery.AllowanceSchema, {
                owner: addressToBech32(a.owner),
                spender: addressToBech32(a.spender),
                amount: coinToProto({ denom: a.denom, amount: a.amount }),
              }),
            ),
            pagination: page.pagination,
          }),
        );
      },
    },
    {
      path: "/qos.bank.v1.Query/Params",
      handle(ctx) {
        return toBinary(
          qosBankQuery.QueryParamsResponseSchema,
          create(qosBankQuery.QueryParamsResponseSchema, {
            params: create(qosBankQuery.ParamsSchema, {
              maxTransferItems: bank.params(ctx).maxTransferItems,
            }),
          }),
        );
      },
    },
  ];
}

function parseCoinJson(v: unknown, path: string): Coin {
  const c = asObject(v, path, ["denom", "amount"]);
  return atPath(path, () =>
    coinFromProto({
      denom: asString(c.denom, `${path}.denom`),
      amount: asString(c.amount, `${path}.amount`),
    }),
  );
}

export function createBankModule(deps: {
  readonly bank: BankKeeperInternal;
  readonly accounts: AccountKeeper;
}): AppModule {
  const { bank, accounts } = deps;
  return {
    name: "bank",
    storeNames: [BANK_STORE],
    msgs: createBankMsgs(bank),
    queries: createBankQueries(bank),
    invariants: [
      {
        name: "bank/total-supply",
        check(ctx) {
          const sums = new Map<string, bigint>();
          const broken: string[] = [];
          for (const { address, coin } of bank.allBalances(ctx)) {
            if (coin.amount <= 0n)
              broken.push(
                `balance of ${coin.denom} at ${addressToBech32(address)} is ${coin.amount}`,
              );
            sums.set(coin.denom, (sums.get(coin.denom) ?? 0n) + coin.amount);
          }
          for (const s of bank.supplies(ctx)) {
            const sum = sums.get(s.denom) ?? 0n;
            if (sum !== s.amount)
              broken.push(`supply of ${s.denom} is ${s.amount} but balances sum to ${sum}`);
            sums.delete(s.denom);
          }
          for (const [denom, sum] of sums)
            broken.push(`balances of ${denom} sum to ${sum} with no supply recorded`);
          return broken;
        },
      },
      {
        name: "bank/allowances-positive",
        check(ctx) {
          return [...bank.allowances(ctx)]
            .filter((a) => a.amount <= 0n)
            .map((a) => `allowance of ${a.denom} from ${addressToBech32(a.owner)} is ${a.amount}`);
        },
      },
    ],
    initGenesis(ctx, genesis) {
      const g = asObject(genesis ?? {}, "app_state.bank", [
        "params",
        "balances",
        "supply",
        "allowances",
      ]);
      if (g.params !== undefined) {
        const p = asObject(g.params, "app_state.bank.params", ["max_transfer_items"]);
        const max =
          p.max_transfer_items === undefined
            ? DEFAULT_BANK_PARAMS.maxTransferItems
            : Number(asUint(p.max_transfer_items, "app_state.bank.params.max_transfer_items"));
        atPath("app_state.bank.params", () => bank.setParams(ctx, { maxTransferItems: max }));
      } else {
        bank.setParams(ctx, DEFAULT_BANK_PARAMS);
      }
      const totals: Coin[] = [];
      const holders = new Set<string>();
      asArray(g.balances, "app_state.bank.balances").forEach((item, i) => {
        const path = `app_state.bank.balances[${i}]`;
        const b = asObject(item, path, ["address", "coins"]);
        const text = asString(b.address, `${path}.address`);
        const addr = atPath(`${path}.address`, () => bech32ToAddress(text));
        if (holders.has(text))
          throw genesisError(`${path}.address`, "duplicate address (one entry per address)");
        holders.add(text);
        const coins = asArray(b.coins, `${path}.coins`).map((c, j) =>
          parseCoinJson(c, `${path}.coins[${j}]`),
        );
        if (addCoins(coins).length !== coins.length)
          throw genesisError(`${path}.coins`, "duplicate denom");
        accounts.ensure(ctx, addr);
        for (const c of coins) bank.setBalance(ctx, addr, c.denom, c.amount);
        totals.push(...coins);
      });
      const sums = addCoins(totals);
      for (const s of sums) {
        if (s.amount > (1n << 256n) - 1n)
          throw genesisError("app_state.bank.balances", `total of ${s.denom} overflows 256 bits`);
      }
      if (g.supply !== undefined) {
        const declared = asArray(g.supply, "app_state.bank.supply").map((c, j) =>
          parseCoinJson(c, `app_state.bank.supply[${j}]`),
        );
        const want = addCoins(declared);
        const same =
          want.length === sums.length &&
          want.every((c, k) => c.denom === sums[k]?.denom && c.amount === sums[k]?.amount);
        if (!same)
          throw genesisError(
            "app_state.bank.supply",
            "does not equal the sum of the balances (leave it out to compute it)",
          );
      }
      for (const s of sums) bank.setSupply(ctx, s.denom, s.amount);
      asArray(g.allowances, "app_state.bank.allowances").forEach((item, i) => {
        const path = `app_state.bank.allowances[${i}]`;
        const a = asObject(item, path, ["owner", "spender", "denom", "amount"]);
        const owner = atPath(`${path}.owner`, () =>
          bech32ToAddress(asString(a.owner, `${path}.owner`)),
        );
        const spender = atPath(`${path}.spender`, () =>
          bech32ToAddress(asString(a.spender, `${path}.spender`)),
        );
        const coin = parseCoinJson({ denom: a.denom, amount: a.amount }, path);
        if (a.owner === a.spender) throw genesisError(path, "owner and spender must differ");
        if (coin.amount === 0n) throw genesisError(`${path}.amount`, "must be positive");
        bank.setAllowance(ctx, owner, spender, coin.denom, coin.amount);
      });
    },
    exportGenesis(ctx) {
      return {
        params: { max_transfer_items: bank.params(ctx).maxTransferItems },
        balances: (() => {
          const by = new Map<string, { denom: string; amount: string }[]>();
          for (const { address, coin } of bank.allBalances(ctx)) {
            const k = addressToBech32(address);
            const list = by.get(k) ?? [];
            list.push({ denom: coin.denom, amount: coin.amount.toString() });
            by.set(k, list);
          }
          return [...by.entries()].map(([address, coins]) => ({ address, coins }));
        })(),
        supply: [...bank.supplies(ctx)].map((c) => ({
          denom: c.denom,
          amount: c.amount.toString(),
        })),
        allowances: [...bank.allowances(ctx)].map((a) => ({
          owner: addressToBech32(a.owner),
          spender: addressToBech32(a.spender),
          denom: a.denom,
          amount: a.amount.toString(),
        })),
      };
    },
  };
}
