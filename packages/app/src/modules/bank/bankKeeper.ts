// The bank keeper: balances per (address, denom), supply per denom, sends with restriction
// hooks and locked amounts, mint and burn. Other modules (qsc, staking, fees) move coins only here.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { prefixRange } from "@qos/store";
import { concatBytes, qosBankQuery, utf8Bytes } from "@qos/types";
import { addressToBech32 } from "../../runtime/address.ts";
import { addCoins, type Coin, checkDenom, coinsToString, MAX_AMOUNT } from "../../runtime/coins.ts";
import { makeEvent } from "../../runtime/events.ts";
import type { AppError, ReadContext, TxContext } from "../../runtime/module.ts";
import { SDK_CODE, sdkError } from "../../runtime/sdkErrors.ts";
import type { AccountKeeper } from "../auth/accountKeeper.ts";

export type { Coin } from "../../runtime/coins.ts";

/**
 * Runs before every send of coins (keeper.send, MsgSend, MsgTransfer, MsgTransferFrom and the
 * fee payment); throws AppError to refuse the whole movement. Not run for mint or burn.
 */
export type SendRestriction = (
  ctx: TxContext,
  from: Uint8Array,
  to: Uint8Array,
  coins: readonly Coin[],
) => void;

/** How much of `addr`'s balance of `denom` may not move (e.g. qsc frozen amounts); ≥ 0. */
export type LockedAmount = (ctx: ReadContext, addr: Uint8Array, denom: string) => bigint;

/**
 * Addresses are raw 20-byte account addresses. Amounts are bigint. Every failure is an AppError
 * (sdk 5 insufficient funds, sdk 10 invalid coins, or what a restriction throws); a tx that
 * fails is reverted by the runtime, so a keeper call never needs to undo its own writes.
 */
export interface BankKeeper {
  balance(ctx: ReadContext, addr: Uint8Array, denom: string): bigint;
  /** Every positive balance of `addr`, sorted by denom. */
  balances(ctx: ReadContext, addr: Uint8Array): Coin[];
  /** balance − Σ locked amounts, never below 0. */
  spendable(ctx: ReadContext, addr: Uint8Array, denom: string): bigint;
  /**
   * Moves coins: runs the restrictions, checks spendable per denom (sdk 5), creates the
   * receiving account when new, emits coin_spent, coin_received, transfer and Transfer events.
   */
  send(ctx: TxContext, from: Uint8Array, to: Uint8Array, coins: readonly Coin[]): void;
  /** Creates coins in `to` and raises supply (sdk 10 past 256 bits); events coinbase, coin_received, Transfer. */
  mint(ctx: TxContext, to: Uint8Array, coins: readonly Coin[]): void;
  /** Destroys `from`'s spendable coins and lowers supply; events burn, coin_spent, Transfer. */
  burn(ctx: TxContext, from: Uint8Array, coins: readonly Coin[]): void;
  supply(ctx: ReadContext, denom: string): bigint;
  /** What `spender` may still move out of `owner`'s `denom` balance. */
  allowance(ctx: ReadContext, owner: Uint8Array, spender: Uint8Array, denom: string): bigint;
  addSendRestriction(r: SendRestriction): void;
  addLockedAmount(fn: LockedAmount): void;
}

export const BANK_STORE = "bank";
const SUPPLY_PREFIX = 0x00;
const BALANCE_PREFIX = 0x02;
const ALLOWANCE_PREFIX = 0x03;
const PARAMS_KEY = Uint8Array.of(0x05);

export interface BankParams {
  /** Most senders + receivers in one MsgTransfer (QOS MaxTransLen). */
  readonly maxTransferItems: number;
}

export const DEFAULT_BANK_PARAMS: BankParams = { maxTransferItems: 500 };

const dec = new TextDecoder();

export function supplyKey(denom: string): Uint8Array {
  return concatBytes(Uint8Array.of(SUPPLY_PREFIX), utf8Bytes(denom));
}

export function balancePrefix(addr: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(BALANCE_PREFIX, addr.length), addr);
}

/** 0x02, len(addr), addr, denom: written in one allocation (every send reads and writes a few). */
export function balanceKey(addr: Uint8Array, denom: string): Uint8Array {
  const head = 2 + addr.length;
  const key = new Uint8Array(head + denom.length);
  key[0] = BALANCE_PREFIX;
  key[1] = addr.length;
  key.set(addr, 2);
  for (let i = 0; i < denom.length; i++) {
    const c = denom.charCodeAt(i);
    // Denoms are ASCII (checkDenom); anything else goes through UTF-8.
    if (c > 0x7f) return concatBytes(balancePrefix(addr), utf8Bytes(denom));
    key[head + i] = c;
  }
  return key;
}

export function allowancePrefix(owner: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(ALLOWANCE_PREFIX, owner.length), owner);
}

export function allowanceKey(owner: Uint8Array, spender: Uint8Array, denom: string): Uint8Array {
  return concatBytes(
    allowancePrefix(owner),
    Uint8Array.of(spender.length),
    spender,
    utf8Bytes(denom),
  );
}

export function encodeAmount(n: bigint): Uint8Array {
  return utf8Bytes(n.toString());
}

export function decodeAmount(v: Uint8Array | undefined): bigint {
  return v === undefined ? 0n : BigInt(dec.decode(v));
}

export interface AllowanceEntry {
  readonly owner: Uint8Array;
  readonly spender: Uint8Array;
  readonly denom: string;
  readonly amount: bigint;
}

/** The keeper plus what only the bank module itself uses (allowance writes, params, iteration). */
export interface BankKeeperInternal extends BankKeeper {
  setAllowance(
    ctx: TxContext,
    owner: Uint8Array,
    spender: Uint8Array,
    denom: string,
    amount: bigint,
  ): void;
  /** An owner's allowances in (spender, denom) order; every allowance when owner is undefined. */
  allowances(ctx: ReadContext, owner?: Uint8Array): Iterable<AllowanceEntry>;
  /** Every (denom, supply) in denom order. */
  supplies(ctx: ReadContext): Iterable<Coin>;
  /** Every (address, balance) pair in key order. */
  allBalances(ctx: ReadContext): Iterable<{ readonly address: Uint8Array; readonly coin: Coin }>;
  params(ctx: ReadContext): BankParams;
  setParams(ctx: TxContext, params: BankParams): void;
  /** Sets a balance directly (genesis only): no events, no supply change. */
  setBalance(ctx: TxContext, addr: Uint8Array, denom: string, amount: bigint): void;
  setSupply(ctx: TxContext, denom: string, amount: bigint): void;
}

export interface BankKeeperDeps {
  readonly accounts: AccountKeeper;
}

function insufficientFunds(have: bigint, want: bigint, denom: string): AppError {
  return sdkError(
    SDK_CODE.insufficientFunds,
    `spendable balance ${have}${denom} is smaller than ${want}${denom}: insufficient funds`,
  );
}

function checkCoins(coins: readonly Coin[]): void {
  for (const c of coins) {
    checkDenom(c.denom);
    if (c.amount < 0n || c.amount > MAX_AMOUNT) {
      throw sdkError(SDK_CODE.invalidCoins, `invalid amount ${c.amount}${c.denom}`);
    }
  }
}

/** The bank keeper over the `bank` store; accounts are created through `deps.accounts`. */
export function createBankKeeper(deps: BankKeeperDeps): BankKeeperInternal {
  const restrictions: SendRestriction[] = [];
  const locks: LockedAmount[] = [];

  const balance = (ctx: ReadContext, addr: Uint8Array, denom: string): bigint =>
    decodeAmount(ctx.store(BANK_STORE).get(balanceKey(addr, denom)));

  function setBalance(ctx: TxContext, addr: Uint8Array, denom: string, amount: bigint): void {
    const key = balanceKey(addr, denom);
    if (amount === 0n) ctx.store(BANK_STORE).delete(key);
    else ctx.store(BANK_STORE).set(key, encodeAmount(amount));
  }

  const supply = (ctx: ReadContext, denom: string): bigint =>
    decodeAmount(ctx.store(BANK_STORE).get(supplyKey(denom)));

  function setSupply(ctx: TxContext, denom: string, amount: bigint): void {
    if (amount === 0n) ctx.store(BANK_STORE).delete(supplyKey(denom));
    else ctx.store(BANK_STORE).set(supplyKey(denom), encodeAmount(amount));
  }

  function spendable(ctx: ReadContext, addr: Uint8Array, denom: string): bigint {
    return spendableOf(ctx, addr, denom, balance(ctx, addr, denom));
  }

  function spendableOf(ctx: ReadContext, addr: Uint8Array, denom: string, held: bigint): bigint {
    let free = held;
    for (const lock of locks) free -= lock(ctx, addr, denom);
    return free < 0n ? 0n : free;
  }

  // One read of each balance (Cosmos subUnlockedCoins); a failure part-way needs no undo, the
  // runtime reverts the tx.
  function subtract(ctx: TxContext, addr: Uint8Array, coins: readonly Coin[]): void {
    for (const c of coins) {
      const held = balance(ctx, addr, c.denom);
      const free = spendableOf(ctx, addr, c.denom, held);
      if (free < c.amount) throw insufficientFunds(free, c.amount, c.denom);
      setBalance(ctx, addr, c.denom, held - c.amount);
    }
  }

  function add(ctx: TxContext, addr: Uint8Array, coins: readonly Coin[]): void {
    deps.accounts.ensure(ctx, addr);
    for (const c of coins) setBalance(ctx, addr, c.denom, balance(ctx, addr, c.denom) + c.amount);
  }

  const positive = (coins: readonly Coin[]): Coin[] => addCoins(coins);

  const keeper: BankKeeperInternal = {
    balance,
    balances(ctx, addr) {
      const prefix = balancePrefix(addr);
      const out: Coin[] = [];
      for (const e of ctx.store(BANK_STORE).iterate(prefixRange(prefix))) {
        out.push({
          denom: dec.decode(e.key.subarray(prefix.length)),
          amount: decodeAmount(e.value),
        });
      }
      return out;
    },
    spendable,
    send(ctx, from, to, coins) {
      checkCoins(coins);
      const moved = positive(coins);
      if (moved.length === 0) return;
      for (const r of restrictions) r(ctx, from, to, moved);
      subtract(ctx, from, moved);
      add(ctx, to, moved);
      const amount = coinsToString(moved);
      const fromText = addressToBech32(from);
      const toText = addressToBech32(to);
      ctx.emit(
        makeEvent("coin_spent", [
          ["spender", fromText],
          ["amount", amount],
        ]),
      );
      ctx.emit(
        makeEvent("coin_received", [
          ["receiver", toText],
          ["amount", amount],
        ]),
      );
      ctx.emit(
        makeEvent("transfer", [
          ["recipient", toText],
          ["sender", fromText],
          ["amount", amount],
        ]),
      );
      for (const c of moved) {
        ctx.emit(
          makeEvent("Transfer", [
            ["from", fromText],
            ["to", toText],
            ["value", c.amount.toString()],
            ["denom", c.denom],
          ]),
        );
      }
    },
    mint(ctx, to, coins) {
      checkCoins(coins);
      const minted = positive(coins);
      if (minted.length === 0) return;
      for (const c of minted) {
        const next = supply(ctx, c.denom) + c.amount;
        if (next > MAX_AMOUNT) {
          throw sdkError(
            SDK_CODE.invalidCoins,
            `minting ${c.amount}${c.denom} overflows the 256-bit supply`,
          );
        }
        setSupply(ctx, c.denom, next);
      }
      add(ctx, to, minted);
      const amount = coinsToString(minted);
      const toText = addressToBech32(to);
      ctx.emit(
        makeEvent("coinbase", [
          ["minter", toText],
          ["amount", amount],
        ]),
      );
      ctx.emit(
        makeEvent("coin_received", [
          ["receiver", toText],
          ["amount", amount],
        ]),
      );
      for (const c of minted) {
        ctx.emit(
          makeEvent("Transfer", [
            ["from", ""],
            ["to", toText],
            ["value", c.amount.toString()],
            ["denom", c.denom],
          ]),
        );
      }
    },
    burn(ctx, from, coins) {
      checkCoins(coins);
      const burnt = positive(coins);
      if (burnt.length === 0) return;
      subtract(ctx, from, burnt);
      for (const c of burnt) setSupply(ctx, c.denom, supply(ctx, c.denom) - c.amount);
      const amount = coinsToString(burnt);
      const fromText = addressToBech32(from);
      ctx.emit(
        makeEvent("burn", [
          ["burner", fromText],
          ["amount", amount],
        ]),
      );
      ctx.emit(
        makeEvent("coin_spent", [
          ["spender", fromText],
          ["amount", amount],
        ]),
      );
      for (const c of burnt) {
        ctx.emit(
          makeEvent("Transfer", [
            ["from", fromText],
            ["to", ""],
            ["value", c.amount.toString()],
            ["denom", c.denom],
          ]),
        );
      }
    },
    supply,
    allowance(ctx, owner, spender, denom) {
      return decodeAmount(ctx.store(BANK_STORE).get(allowanceKey(owner, spender, denom)));
    },
    addSendRestriction(r) {
      restrictions.push(r);
    },
    addLockedAmount(fn) {
      locks.push(fn);
    },
    setAllowance(ctx, owner, spender, denom, amount) {
      const key = allowanceKey(owner, spender, denom);
      if (amount === 0n) ctx.store(BANK_STORE).delete(key);
      else ctx.store(BANK_STORE).set(key, encodeAmount(amount));
    },
    *allowances(ctx, owner) {
      const range =
        owner === undefined
          ? prefixRange(Uint8Array.of(ALLOWANCE_PREFIX))
          : prefixRange(allowancePrefix(owner));
      for (const e of ctx.store(BANK_STORE).iterate(range)) {
        const k = e.key;
        const ol = k[1] as number;
        const o = k.slice(2, 2 + ol);
        const sl = k[2 + ol] as number;
        const s = k.slice(3 + ol, 3 + ol + sl);
        yield {
          owner: o,
          spender: s,
          denom: dec.decode(k.subarray(3 + ol + sl)),
          amount: decodeAmount(e.value),
        };
      }
    },
    *supplies(ctx) {
      for (const e of ctx.store(BANK_STORE).iterate(prefixRange(Uint8Array.of(SUPPLY_PREFIX)))) {
        yield { denom: dec.decode(e.key.subarray(1)), amount: decodeAmount(e.value) };
      }
    },
    *allBalances(ctx) {
      for (const e of ctx.store(BANK_STORE).iterate(prefixRange(Uint8Array.of(BALANCE_PREFIX)))) {
        const al = e.key[1] as number;
        yield {
          address: e.key.slice(2, 2 + al),
          coin: { denom: dec.decode(e.key.subarray(2 + al)), amount: decodeAmount(e.value) },
        };
      }
    },
    params(ctx) {
      const v = ctx.store(BANK_STORE).get(PARAMS_KEY);
      if (v === undefined) return DEFAULT_BANK_PARAMS;
      return { maxTransferItems: fromBinary(qosBankQuery.ParamsSchema, v).maxTransferItems };
    },
    setParams(ctx, params) {
      if (!Number.isInteger(params.maxTransferItems) || params.maxTransferItems < 2) {
        throw sdkError(
          SDK_CODE.invalidRequest,
          "bank params: max_transfer_items must be an integer ≥ 2",
        );
      }
      ctx
        .store(BANK_STORE)
        .set(
          PARAMS_KEY,
          toBinary(
            qosBankQuery.ParamsSchema,
            create(qosBankQuery.ParamsSchema, { maxTransferItems: params.maxTransferItems }),
          ),
        );
    },
    setBalance,
    setSupply,
  };
  return keeper;
}
