// The bank keeper: balances per (address, denom), supply per denom, sends with restriction
// hooks and locked amounts, mint and burn. Other modules (qsc, staking, fees) move coins only here.

import type { Coin } from "../../runtime/coins.ts";
import type { ReadContext, TxContext } from "../../runtime/module.ts";

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
