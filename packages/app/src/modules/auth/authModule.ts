// The auth module: accounts and their queries (/cosmos.auth.v1beta1.Query/Account, Accounts,
// Params), genesis (params, accounts) and invariants. No messages of its own.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { cosmosAuth, cosmosAuthQuery, fromBase64, toBase64 } from "@qos/types";
import { bech32ToAddress } from "../../runtime/address.ts";
import { packAny } from "../../runtime/anyCodec.ts";
import {
  asArray,
  asObject,
  asString,
  asUint,
  atPath,
  genesisError,
} from "../../runtime/genesisJson.ts";
import type { AppModule, QueryHandler } from "../../runtime/module.ts";
import { SDK_CODE, sdkError } from "../../runtime/sdkErrors.ts";
import {
  type AccountKeeper,
  AUTH_STORE,
  type AuthParams,
  accountToProto,
  DEFAULT_AUTH_PARAMS,
  paramsToProto,
} from "./accountKeeper.ts";

function decodeRequest<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw sdkError(SDK_CODE.txDecode, `invalid request: ${(e as Error).message}`);
  }
}

function parseParams(v: unknown): AuthParams {
  if (v === undefined) return DEFAULT_AUTH_PARAMS;
  const p = asObject(v, "app_state.auth.params", [
    "max_memo_characters",
    "tx_sig_limit",
    "tx_size_cost_per_byte",
    "sig_verify_cost_ed25519",
    "sig_verify_cost_secp256k1",
  ]);
  const get = (k: string, d: bigint): bigint =>
    p[k] === undefined ? d : asUint(p[k], `app_state.auth.params.${k}`);
  return {
    maxMemoCharacters: get("max_memo_characters", DEFAULT_AUTH_PARAMS.maxMemoCharacters),
    txSigLimit: get("tx_sig_limit", DEFAULT_AUTH_PARAMS.txSigLimit),
    txSizeCostPerByte: get("tx_size_cost_per_byte", DEFAULT_AUTH_PARAMS.txSizeCostPerByte),
    sigVerifyCostEd25519: get("sig_verify_cost_ed25519", DEFAULT_AUTH_PARAMS.sigVerifyCostEd25519),
    sigVerifyCostSecp256k1: get(
      "sig_verify_cost_secp256k1",
      DEFAULT_AUTH_PARAMS.sigVerifyCostSecp256k1,
    ),
  };
}

export function createAuthModule(deps: { readonly accounts: AccountKeeper }): AppModule {
  const { accounts } = deps;

  const accountQuery: QueryHandler = {
    path: "/cosmos.auth.v1beta1.Query/Account",
    handle(ctx, request) {
      const req = decodeRequest(() =>
        fromBinary(cosmosAuthQuery.QueryAccountRequestSchema, request),
      );
      const addr = bech32ToAddress(req.address);
      const acc = accounts.get(ctx, addr);
      // The SDK's message and code (x/auth keeper grpc_query.go: codes.NotFound → sdk 22 key not found).
      if (acc === undefined)
        throw sdkError(SDK_CODE.keyNotFound, `account ${req.address} not found`);
      return toBinary(
        cosmosAuthQuery.QueryAccountResponseSchema,
        create(cosmosAuthQuery.QueryAccountResponseSchema, {
          account: packAny(cosmosAuth.BaseAccountSchema, accountToProto(acc)),
        }),
      );
    },
  };

  const paramsQuery: QueryHandler = {
    path: "/cosmos.auth.v1beta1.Query/Params",
    handle(ctx) {
      return toBinary(
        cosmosAuthQuery.QueryParamsResponseSchema,
        create(cosmosAuthQuery.QueryParamsResponseSchema, {
          params: paramsToProto(accounts.params(ctx)),
        }),
      );
    },
  };

  return {
    name: "auth",
    storeNames: [AUTH_STORE],
    msgs: [],
    queries: [accountQuery, paramsQuery],
    invariants: [
      {
        name: "auth/account-numbers",
        check(ctx) {
          const broken: string[] = [];
          const next = accounts.nextAccountNumber(ctx);
          const seen = new Set<bigint>();
          for (const a of accounts.all(ctx)) {
            if (a.accountNumber >= next)
              broken.push(`account number ${a.accountNumber} ≥ next number ${next}`);
            if (seen.has(a.accountNumber))
              broken.push(`account number ${a.accountNumber} used twice`);
            seen.add(a.accountNumber);
          }
          return broken;
        },
      },
    ],
    initGenesis(ctx, genesis) {
      const g = asObject(genesis ?? {}, "app_state.auth", ["params", "accounts"]);
      accounts.setParams(ctx, parseParams(g.params));
      asArray(g.accounts, "app_state.auth.accounts").forEach((item, i) => {
        const path = `app_state.auth.accounts[${i}]`;
        const a = asObject(item, path, ["address", "pub_key", "account_number", "sequence"]);
        const address = atPath(`${path}.address`, () =>
          bech32ToAddress(asString(a.address, `${path}.address`)),
        );
        if (accounts.get(ctx, address) !== undefined)
          throw genesisError(`${path}.address`, "duplicate account");
        const created = accounts.ensure(ctx, address);
        if (
          a.account_number !== undefined &&
          asUint(a.account_number, `${path}.account_number`) !== created.accountNumber
        ) {
          throw genesisError(
            `${path}.account_number`,
            `accounts are numbered in list order: want ${created.accountNumber}`,
          );
        }
        let pubKey: Uint8Array | undefined;
        if (a.pub_key !== undefined) {
          const pk = fromBase64(asString(a.pub_key, `${path}.pub_key`));
          if (pk === null || pk.length !== 33)
            throw genesisError(`${path}.pub_key`, "must be a base64 33-byte secp256k1 key");
          pubKey = pk;
        }
        const sequence = a.sequence === undefined ? 0n : asUint(a.sequence, `${path}.sequence`);
        accounts.set(ctx, { ...created, pubKey, sequence });
      });
    },
    exportGenesis(ctx) {
      const p = accounts.params(ctx);
      return {
        params: {
          max_memo_characters: p.maxMemoCharacters.toString(),
          tx_sig_limit: p.txSigLimit.toString(),
          tx_size_cost_per_byte: p.txSizeCostPerByte.toString(),
          sig_verify_cost_ed25519: p.sigVerifyCostEd25519.toString(),
          sig_verify_cost_secp256k1: p.sigVerifyCostSecp256k1.toString(),
        },
        accounts: [...accounts.all(ctx)].map((a) => {
          const proto = accountToProto(a);
          return {
            address: proto.address,
            account_number: a.accountNumber.toString(),
            sequence: a.sequence.toString(),
            ...(a.pubKey !== undefined ? { pub_key: toBase64(a.pubKey) } : {}),
          };
        }),
      };
    },
  };
}
