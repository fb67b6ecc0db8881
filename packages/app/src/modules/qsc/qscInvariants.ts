// The qsc invariants: frozen ≤ balance for every holder, supply ≤ max supply for every token,
// and a well-formed store (frozen and paused entries belong to existing tokens). Pure.
// (Supply = Σ balances for every denom is bank's invariant.)

import type { Invariant } from "../../runtime/module.ts";
import type { QscKeeper } from "./qscKeeper.ts";
import { addressToBech32, parseMaxSupply } from "./qscValidation.ts";

export function createQscInvariants(keeper: QscKeeper): Invariant[] {
  return [
    {
      name: "qsc/frozen-within-balance",
      check(ctx) {
        const broken: string[] = [];
        for (const f of keeper.frozenEntries(ctx)) {
          const balance = keeper.bank.balance(ctx, f.address, f.denom);
          if (f.amount <= 0n || f.amount > balance) {
            broken.push(
              `${addressToBech32(f.address)} has ${f.amount}${f.denom} frozen of a balance of ${balance}`,
            );
          }
        }
        return broken;
      },
    },
    {
      name: "qsc/supply-within-max",
      check(ctx) {
        const broken: string[] = [];
        for (const t of keeper.tokens(ctx)) {
          const max = parseMaxSupply(t.maxSupply);
          const supply = keeper.bank.supply(ctx, t.denom);
          if (max !== 0n && supply > max) {
            broken.push(`${t.denom} has supply ${supply} above its max supply ${max}`);
          }
        }
        return broken;
      },
    },
    {
      name: "qsc/entries-of-known-tokens",
      check(ctx) {
        const broken: string[] = [];
        for (const f of keeper.frozenEntries(ctx)) {
          if (keeper.token(ctx, f.denom) === undefined) {
            broken.push(
              `frozen entry of ${addressToBech32(f.address)} for unknown token ${f.denom}`,
            );
          }
        }
        for (const denom of keeper.pausedDenoms(ctx)) {
          if (keeper.token(ctx, denom) === undefined)
            broken.push(`paused flag of unknown token ${denom}`);
        }
        return broken;
      },
    },
  ];
}
