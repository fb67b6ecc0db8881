// The account keeper: BaseAccounts (address, secp256k1 pubkey, account number, sequence) in
// the `auth` store, the global account-number counter and the auth params.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { concatBytes, cosmosAuth, cosmosSecp256k1 } from "@qos/types";
import { addressToBech32 } from "../../runtime/address.ts";
import { packAny } from "../../runtime/anyCodec.ts";
import { memoLastDecoded } from "../../runtime/memoLastDecoded.ts";
import type { ReadContext, TxContext } from "../../runtime/module.ts";
import { SDK_CODE, sdkError } from "../../runtime/sdkErrors.ts";

import { type Account, decodeAccount, encodeAccount } from "./accountCodec.ts";

export {
  type Account,
  decodeAccount,
  encodeAccount,
  SECP256K1_PUBKEY_TYPE_URL,
} from "./accountCodec.ts";

export const AUTH_STORE = "auth";
export const BASE_ACCOUNT_TYPE_URL = "/cosmos.auth.v1beta1.BaseAccount";

const ACCOUNT_PREFIX = 0x01;
const NEXT_NUMBER_KEY = Uint8Array.of(0x02);
const PARAMS_KEY = Uint8Array.of(0x03);

export interface AuthParams {
  readonly maxMemoCharacters: bigint;
  readonly txSigLimit: bigint;
  readonly txSizeCostPerByte: bigint;
  readonly sigVerifyCostEd25519: bigint;
  readonly sigVerifyCostSecp256k1: bigint;
}

/** Cosmos SDK defaults (x/auth/types/params.go). */
export const DEFAULT_AUTH_PARAMS: AuthParams = {
  maxMemoCharacters: 256n,
  txSigLimit: 7n,
  txSizeCostPerByte: 10n,
  sigVerifyCostEd25519: 590n,
  sigVerifyCostSecp256k1: 1000n,
};

export function accountKey(addr: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(ACCOUNT_PREFIX), addr);
}

export function accountToProto(a: Account): cosmosAuth.BaseAccount {
  return create(cosmosAuth.BaseAccountSchema, {
    address: addressToBech32(a.address),
    ...(a.pubKey !== undefined
      ? {
          pubKey: packAny(
            cosmosSecp256k1.PubKeySchema,
            create(cosmosSecp256k1.PubKeySchema, { key: a.pubKey }),
          ),
        }
      : {}),
    accountNumber: a.accountNumber,
    sequence: a.sequence,
  });
}

function u64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

export function paramsToProto(p: AuthParams): cosmosAuth.Params {
  return create(cosmosAuth.ParamsSchema, {
    maxMemoCharacters: p.maxMemoCharacters,
    txSigLimit: p.txSigLimit,
    txSizeCostPerByte: p.txSizeCostPerByte,
    sigVerifyCostEd25519: p.sigVerifyCostEd25519,
    sigVerifyCostSecp256k1: p.sigVerifyCostSecp256k1,
  });
}

export interface AccountKeeper {
  get(ctx: ReadContext, addr: Uint8Array): Account | undefined;
  set(ctx: TxContext, account: Account): void;
  /** The account at `addr`, created with the next account number when missing. */
  ensure(ctx: TxContext, addr: Uint8Array): Account;
  /** Every account in address order. */
  all(ctx: ReadContext): Iterable<Account>;
  nextAccountNumber(ctx: ReadContext): bigint;
  params(ctx: ReadContext): AuthParams;
  setParams(ctx: TxContext, params: AuthParams): void;
}

export function createAccountKeeper(): AccountKeeper {
  // Every tx's ante reads the params: the stored record is decoded once per change.
  const decodeParams = memoLastDecoded((v): AuthParams => {
    const p = fromBinary(cosmosAuth.ParamsSchema, v);
    return {
      maxMemoCharacters: p.maxMemoCharacters,
      txSigLimit: p.txSigLimit,
      txSizeCostPerByte: p.txSizeCostPerByte,
      sigVerifyCostEd25519: p.sigVerifyCostEd25519,
      sigVerifyCostSecp256k1: p.sigVerifyCostSecp256k1,
    };
  });
  function nextAccountNumber(ctx: ReadContext): bigint {
    const v = ctx.store(AUTH_STORE).get(NEXT_NUMBER_KEY);
    return v === undefined ? 0n : new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0);
  }
  const keeper: AccountKeeper = {
    get(ctx, addr) {
      const v = ctx.store(AUTH_STORE).get(accountKey(addr));
      return v === undefined ? undefined : decodeAccount(v, addr);
    },
    set(ctx, account) {
      ctx.store(AUTH_STORE).set(accountKey(account.address), encodeAccount(account));
    },
    ensure(ctx, addr) {
      const existing = keeper.get(ctx, addr);
      if (existing !== undefined) return existing;
      const accountNumber = nextAccountNumber(ctx);
      ctx.store(AUTH_STORE).set(NEXT_NUMBER_KEY, u64(accountNumber + 1n));
      const account: Account = { address: addr, pubKey: undefined, accountNumber, sequence: 0n };
      keeper.set(ctx, account);
      return account;
    },
    *all(ctx) {
      const start = Uint8Array.of(ACCOUNT_PREFIX);
      const end = Uint8Array.of(ACCOUNT_PREFIX + 1);
      for (const e of ctx.store(AUTH_STORE).iterate({ start, end })) yield decodeAccount(e.value);
    },
    nextAccountNumber,
    params(ctx) {
      const v = ctx.store(AUTH_STORE).get(PARAMS_KEY);
      return v === undefined ? DEFAULT_AUTH_PARAMS : decodeParams(v);
    },
    setParams(ctx, params) {
      if (params.txSigLimit < 1n)
        throw sdkError(SDK_CODE.invalidRequest, "auth params: tx_sig_limit must be ≥ 1");
      ctx
        .store(AUTH_STORE)
        .set(PARAMS_KEY, toBinary(cosmosAuth.ParamsSchema, paramsToProto(params)));
    },
  };
  return keeper;
}
