// The qsc keeper: reads and writes token records, params, paused flags and frozen amounts,
// and the two hooks it gives bank (the send restriction and the locked amount). Pure.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { prefixRange } from "@qos/store";
import { qscTypes } from "@qos/types";
import type { Coin } from "../../runtime/coins.ts";
import { BASE_DENOM } from "../../runtime/coins.ts";
import type { ReadContext, TxContext } from "../../runtime/module.ts";
import type { BankKeeper } from "../bank/bankKeeper.ts";
import { qscError } from "./qscErrors.ts";
import {
  decodeAmount,
  denomFromPausedKey,
  denomFromTokenKey,
  encodeAmount,
  FROZEN_KEY_PREFIX,
  frozenDenomPrefix,
  frozenKey,
  PARAMS_KEY,
  PAUSED_KEY_PREFIX,
  parseFrozenKey,
  pausedKey,
  QSC_STORE,
  TOKEN_KEY_PREFIX,
  tokenKey,
} from "./qscKeys.ts";
import { isQscDenom } from "./qscValidation.ts";

/** What qsc needs of bank (BankKeeper satisfies it). */
export type QscBank = Pick<
  BankKeeper,
  "balance" | "spendable" | "mint" | "burn" | "supply" | "addSendRestriction" | "addLockedAmount"
>;

/** 100 QOS, burned per token created, anyone may create. */
export function defaultQscParams(): qscTypes.Params {
  return create(qscTypes.ParamsSchema, {
    creationMode: qscTypes.CreationMode.OPEN,
    creationFee: { denom: BASE_DENOM, amount: "100000000" },
  });
}

export interface FrozenEntry {
  readonly denom: string;
  readonly address: Uint8Array;
  readonly amount: bigint;
}

export interface QscKeeper {
  readonly bank: QscBank;
  params(ctx: ReadContext): qscTypes.Params;
  setParams(ctx: TxContext, params: qscTypes.Params): void;
  token(ctx: ReadContext, denom: string): qscTypes.Token | undefined;
  /** The token or qsc "token not found". */
  mustToken(ctx: ReadContext, denom: string): qscTypes.Token;
  setToken(ctx: TxContext, token: qscTypes.Token): void;
  /** Every token in denom order. */
  tokens(ctx: ReadContext): Iterable<qscTypes.Token>;
  isPaused(ctx: ReadContext, denom: string): boolean;
  setPaused(ctx: TxContext, denom: string, paused: boolean): void;
  /** Denoms of the paused tokens, in order. */
  pausedDenoms(ctx: ReadContext): string[];
  frozen(ctx: ReadContext, denom: string, address: Uint8Array): bigint;
  /** Sets a holder's frozen amount (0 deletes the entry). */
  setFrozen(ctx: TxContext, denom: string, address: Uint8Array, amount: bigint): void;
  /** Every frozen entry, of one token or of all, in key order. */
  frozenEntries(ctx: ReadContext, denom?: string): Iterable<FrozenEntry>;
  /**
   * Refuses a movement of `amount` of `denom` out of `from` that would dip into frozen tokens
   * (qsc 7, "cannot move N: M of B are frozen"). Amounts above the balance are left to bank.
   */
  checkUnfrozen(ctx: ReadContext, denom: string, from: Uint8Array, amount: bigint): void;
}

export function createQscKeeper(bank: QscBank): QscKeeper {
  const keeper: QscKeeper = {
    bank,
    params(ctx) {
      const raw = ctx.store(QSC_STORE).get(PARAMS_KEY);
      return raw === undefined ? defaultQscParams() : fromBinary(qscTypes.ParamsSchema, raw);
    },
    setParams(ctx, params) {
      ctx.store(QSC_STORE).set(PARAMS_KEY, toBinary(qscTypes.ParamsSchema, params));
    },
    token(ctx, denom) {
      const raw = ctx.store(QSC_STORE).get(tokenKey(denom));
      return raw === undefined ? undefined : fromBinary(qscTypes.TokenSchema, raw);
    },
    mustToken(ctx, denom) {
      const token = keeper.token(ctx, denom);
      if (token === undefined) throw qscError("tokenNotFound", `token ${denom} not found`);
      return token;
    },
    setToken(ctx, token) {
      ctx.store(QSC_STORE).set(tokenKey(token.denom), toBinary(qscTypes.TokenSchema, token));
    },
    *tokens(ctx) {
      for (const { key, value } of ctx.store(QSC_STORE).iterate(prefixRange(TOKEN_KEY_PREFIX))) {
        const token = fromBinary(qscTypes.TokenSchema, value);
        if (token.denom !== denomFromTokenKey(key)) {
          throw new Error(
            `qsc store: token record ${token.denom} under key ${denomFromTokenKey(key)}`,
          );
        }
        yield token;
      }
    },
    isPaused(ctx, denom) {
      return ctx.store(QSC_STORE).has(pausedKey(denom));
    },
    setPaused(ctx, denom, paused) {
      const store = ctx.store(QSC_STORE);
      if (paused) store.set(pausedKey(denom), new Uint8Array([1]));
      else store.delete(pausedKey(denom));
    },
    pausedDenoms(ctx) {
      const out: string[] = [];
      for (const { key } of ctx.store(QSC_STORE).iterate(prefixRange(PAUSED_KEY_PREFIX))) {
        out.push(denomFromPausedKey(key));
      }
      return out;
    },
    frozen(ctx, denom, address) {
      const raw = ctx.store(QSC_STORE).get(frozenKey(denom, address));
      return raw === undefined ? 0n : decodeAmount(raw);
    },
    setFrozen(ctx, denom, address, amount) {
      const store = ctx.store(QSC_STORE);
      if (amount === 0n) store.delete(frozenKey(denom, address));
      else store.set(frozenKey(denom, address), encodeAmount(amount));
    },
    *frozenEntries(ctx, denom) {
      const prefix = denom === undefined ? FROZEN_KEY_PREFIX : frozenDenomPrefix(denom);
      for (const { key, value } of ctx.store(QSC_STORE).iterate(prefixRange(prefix))) {
        yield { ...parseFrozenKey(key), amount: decodeAmount(value) };
      }
    },
    checkUnfrozen(ctx, denom, from, amount) {
      const frozen = keeper.frozen(ctx, denom, from);
      if (frozen === 0n) return;
      const balance = bank.balance(ctx, from, denom);
      if (amount <= balance && amount > balance - frozen) {
        throw qscError(
          "frozenFunds",
          `cannot move ${amount}${denom}: ${frozen} of ${balance} are frozen`,
        );
      }
    },
  };
  return keeper;
}

/**
 * The send restriction qsc registers with bank: a paused token does not move at all (qsc 6),
 * and frozen tokens stay where they are (qsc 7). Other denoms pass untouched.
 */
export function qscSendRestriction(keeper: QscKeeper) {
  return (ctx: TxContext, from: Uint8Array, _to: Uint8Array, coins: readonly Coin[]): void => {
    for (const coin of coins) {
      if (!isQscDenom(coin.denom)) continue;
      if (keeper.isPaused(ctx, coin.denom)) {
        throw qscError("paused", `token ${coin.denom} is paused: it cannot move until unpaused`);
      }
      keeper.checkUnfrozen(ctx, coin.denom, from, coin.amount);
    }
  };
}

/** The locked-amount function qsc registers with bank: a holder's frozen amount of a qsc token. */
export function qscLockedAmount(keeper: QscKeeper) {
  return (ctx: ReadContext, address: Uint8Array, denom: string): bigint =>
    isQscDenom(denom) ? keeper.frozen(ctx, denom, address) : 0n;
}
