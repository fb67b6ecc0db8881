// A small bank for the qsc module tests: balances and supply in store "bank", sends that run
// the registered restrictions then check spendable (sdk 5), mint, burn, locked amounts.

import { concatBytes } from "@qos/types";
import type { LockedAmount, SendRestriction } from "../../../src/modules/bank/bankKeeper.ts";
import type { QscBank } from "../../../src/modules/qsc/qscKeeper.ts";
import type { Coin } from "../../../src/runtime/coins.ts";
import type { ReadContext, TxContext } from "../../../src/runtime/module.ts";
import { SDK_CODE, sdkError } from "../../../src/runtime/sdkErrors.ts";

const utf8 = new TextEncoder();
const balanceKey = (addr: Uint8Array, denom: string) =>
  concatBytes(new Uint8Array([1]), addr, utf8.encode(denom));
const supplyKey = (denom: string) => concatBytes(new Uint8Array([2]), utf8.encode(denom));

function read(ctx: ReadContext, key: Uint8Array): bigint {
  const raw = ctx.store("bank").get(key);
  return raw === undefined ? 0n : BigInt(new TextDecoder().decode(raw));
}

function write(ctx: TxContext, key: Uint8Array, v: bigint): void {
  if (v === 0n) ctx.store("bank").delete(key);
  else ctx.store("bank").set(key, utf8.encode(v.toString()));
}

export interface TestBank extends QscBank {
  send(ctx: TxContext, from: Uint8Array, to: Uint8Array, coins: readonly Coin[]): void;
}

export function createTestBank(): TestBank {
  const restrictions: SendRestriction[] = [];
  const locks: LockedAmount[] = [];
  const bank: TestBank = {
    balance: (ctx, addr, denom) => read(ctx, balanceKey(addr, denom)),
    spendable(ctx, addr, denom) {
      let locked = 0n;
      for (const l of locks) locked += l(ctx, addr, denom);
      const free = bank.balance(ctx, addr, denom) - locked;
      return free > 0n ? free : 0n;
    },
    send(ctx, from, to, coins) {
      for (const r of restrictions) r(ctx, from, to, coins);
      for (const c of coins) {
        const spendable = bank.spendable(ctx, from, c.denom);
        if (spendable < c.amount) {
          throw sdkError(
            SDK_CODE.insufficientFunds,
            `spendable balance ${spendable}${c.denom} is smaller than ${c.amount}${c.denom}`,
          );
        }
      }
      for (const c of coins) {
        write(ctx, balanceKey(from, c.denom), bank.balance(ctx, from, c.denom) - c.amount);
        write(ctx, balanceKey(to, c.denom), bank.balance(ctx, to, c.denom) + c.amount);
      }
    },
    mint(ctx, to, coins) {
      for (const c of coins) {
        write(ctx, balanceKey(to, c.denom), bank.balance(ctx, to, c.denom) + c.amount);
        write(ctx, supplyKey(c.denom), bank.supply(ctx, c.denom) + c.amount);
      }
    },
    burn(ctx, from, coins) {
      for (const c of coins) {
        const spendable = bank.spendable(ctx, from, c.denom);
        if (spendable < c.amount) {
          throw sdkError(
            SDK_CODE.insufficientFunds,
            `spendable balance ${spendable}${c.denom} is smaller than ${c.amount}${c.denom}`,
          );
        }
      }
      for (const c of coins) {
        write(ctx, balanceKey(from, c.denom), bank.balance(ctx, from, c.denom) - c.amount);
        write(ctx, supplyKey(c.denom), bank.supply(ctx, c.denom) - c.amount);
      }
    },
    supply: (ctx, denom) => read(ctx, supplyKey(denom)),
    addSendRestriction: (r) => {
      restrictions.push(r);
    },
    addLockedAmount: (fn) => {
      locks.push(fn);
    },
  };
  return bank;
}
