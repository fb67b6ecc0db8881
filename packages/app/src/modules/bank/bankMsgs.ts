// The bank messages: cosmos MsgSend, qos MsgTransfer (many senders to many receivers, all senders
// sign), and ERC20-style allowances for any denom (approve, increase, decrease, revoke, transferFrom).

import { create, type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { cosmosBankTx, qosBankTx } from "@qos/types";
import { addressToBech32, bech32ToAddress } from "../../runtime/address.ts";
import {
  addCoins,
  type Coin,
  coinsEqual,
  coinsToString,
  nonEmptyCoinsFromProto,
} from "../../runtime/coins.ts";
import { makeEvent } from "../../runtime/events.ts";
import { AppError, type MsgHandler, type TxContext } from "../../runtime/module.ts";
import { SDK_CODE, sdkError } from "../../runtime/sdkErrors.ts";
import type { BankKeeperInternal } from "./bankKeeper.ts";

export const BANK_CODESPACE = "bank";

/** Codes of the `bank` codespace (2–4 as Cosmos x/bank; 101+ QOS allowances and transfers). */
export const BANK_CODE = {
  noInputs: 2,
  noOutputs: 3,
  inputOutputMismatch: 4,
  duplicateEntry: 8,
  allowanceNotFound: 101,
  insufficientAllowance: 102,
  selfAllowance: 103,
  tooManyTransferItems: 104,
} as const;

export function bankError(
  code: (typeof BANK_CODE)[keyof typeof BANK_CODE],
  message: string,
): AppError {
  return new AppError(BANK_CODESPACE, code, message);
}

function handler<Desc extends DescMessage>(
  schema: Desc,
  h: Omit<MsgHandler<Desc>, "typeUrl" | "schema">,
): MsgHandler {
  return { typeUrl: `/${schema.typeName}`, schema, ...h } as unknown as MsgHandler;
}

function empty<Desc extends DescMessage>(schema: Desc): Uint8Array {
  return toBinary(schema, create(schema) as MessageShape<Desc>);
}

function approvalEvent(
  owner: Uint8Array,
  spender: Uint8Array,
  denom: string,
  value: bigint,
): ReturnType<typeof makeEvent> {
  return makeEvent("Approval", [
    ["owner", addressToBech32(owner)],
    ["spender", addressToBech32(spender)],
    ["value", value.toString()],
    ["denom", denom],
  ]);
}

function ownerSpender(msg: { owner: string; spender: string }): [Uint8Array, Uint8Array] {
  const owner = bech32ToAddress(msg.owner, "owner address");
  const spender = bech32ToAddress(msg.spender, "spender address");
  if (msg.owner === msg.spender)
    throw bankError(BANK_CODE.selfAllowance, "owner and spender must differ");
  return [owner, spender];
}

interface Flow {
  readonly from: Uint8Array;
  readonly to: Uint8Array;
  readonly coin: Coin;
}

/**
 * Splits a balanced many-to-many transfer into pairwise flows, per denom in order: senders and
 * receivers are matched greedily in list order. Each flow is one keeper.send, so restrictions and
 * events see a real (from, to) pair.
 */
export function transferFlows(
  senders: readonly { readonly address: Uint8Array; readonly coins: readonly Coin[] }[],
  receivers: readonly { readonly address: Uint8Array; readonly coins: readonly Coin[] }[],
): Flow[] {
  const flows: Flow[] = [];
  const denoms = addCoins(...senders.map((s) => s.coins)).map((c) => c.denom);
  for (const denom of denoms) {
    const give = senders.map((s) => ({
      a: s.address,
      n: s.coins.find((c) => c.denom === denom)?.amount ?? 0n,
    }));
    const take = receivers.map((r) => ({
      a: r.address,
      n: r.coins.find((c) => c.denom === denom)?.amount ?? 0n,
    }));
    let i = 0;
    let j = 0;
    while (i < give.length && j < take.length) {
      const g = give[i] as { a: Uint8Array; n: bigint };
      const t = take[j] as { a: Uint8Array; n: bigint };
      if (g.n === 0n) {
        i++;
        continue;
      }
      if (t.n === 0n) {
        j++;
        continue;
      }
      // bigint: Math.min does not apply.
      let n = g.n;
      if (t.n < n) n = t.n;
      flows.push({ from: g.a, to: t.a, coin: { denom, amount: n } });
      g.n -= n;
      t.n -= n;
    }
  }
  return flows;
}

function parseTransfer(msg: qosBankTx.MsgTransfer) {
  if (msg.senders.length === 0) throw bankError(BANK_CODE.noInputs, "no senders");
  if (msg.receivers.length === 0) throw bankError(BANK_CODE.noOutputs, "no receivers");
  const side = (items: qosBankTx.TransferItem[], what: string) => {
    const seen = new Set<string>();
    return items.map((it, i) => {
      const address = bech32ToAddress(it.address, `${what}[${i}] address`);
      if (seen.has(it.address))
        throw bankError(BANK_CODE.duplicateEntry, `duplicate ${what} address ${it.address}`);
      seen.add(it.address);
      return { address, coins: nonEmptyCoinsFromProto(it.coins, `${what}[${i}] coins`) };
    });
  };
  const senders = side(msg.senders, "sender");
  const receivers = side(msg.receivers, "receiver");
  const given = addCoins(...senders.map((s) => s.coins));
  const got = addCoins(...receivers.map((r) => r.coins));
  if (!coinsEqual(given, got)) {
    throw bankError(
      BANK_CODE.inputOutputMismatch,
      `sum inputs != sum outputs: senders give ${coinsToString(given)}, receivers get ${coinsToString(got)}`,
    );
  }
  return { senders, receivers };
}

/** What is left of allowance `have` after spending `c` from it (refused when it does not cover). */
function spendAllowance(have: bigint, c: Coin): bigint {
  if (have < c.amount) {
    throw bankError(
      BANK_CODE.insufficientAllowance,
      `allowance ${have}${c.denom} is smaller than ${c.amount}${c.denom}: insufficient allowance`,
    );
  }
  return have - c.amount;
}

type AllowanceSchema =
  | typeof qosBankTx.MsgApproveSchema
  | typeof qosBankTx.MsgIncreaseAllowanceSchema
  | typeof qosBankTx.MsgDecreaseAllowanceSchema;
type AllowanceResponseSchema =
  | typeof qosBankTx.MsgApproveResponseSchema
  | typeof qosBankTx.MsgIncreaseAllowanceResponseSchema
  | typeof qosBankTx.MsgDecreaseAllowanceResponseSchema;
type AllowanceMsg = MessageShape<AllowanceSchema>;

/**
 * MsgApprove, MsgIncreaseAllowance, MsgDecreaseAllowance: for each coin in order, the owner sets
 * the spender's allowance of its denom to `next(have, coin)`, which throws where the message's
 * rule refuses, with an Approval event. `have()` reads the current allowance (MsgApprove never
 * calls it: a set does not read).
 */
function allowanceHandler(
  bank: BankKeeperInternal,
  schema: AllowanceSchema,
  response: AllowanceResponseSchema,
  next: (have: () => bigint, c: Coin, m: AllowanceMsg) => bigint,
): MsgHandler {
  return handler(schema, {
    signers: (m) => [bech32ToAddress(m.owner, "owner address")],
    validateBasic(m) {
      ownerSpender(m);
      nonEmptyCoinsFromProto(m.coins, "coins");
    },
    handle(ctx, m) {
      const [owner, spender] = ownerSpender(m);
      for (const c of nonEmptyCoinsFromProto(m.coins, "coins")) {
        const value = next(() => bank.allowance(ctx, owner, spender, c.denom), c, m);
        bank.setAllowance(ctx, owner, spender, c.denom, value);
        ctx.emit(approvalEvent(owner, spender, c.denom, value));
      }
      return empty(response);
    },
  });
}

function emitMessageSender(ctx: TxContext, sender: Uint8Array): void {
  ctx.emit(makeEvent("message", [["sender", addressToBech32(sender)]]));
}

export function createBankMsgs(bank: BankKeeperInternal): MsgHandler[] {
  return [
    handler(cosmosBankTx.MsgSendSchema, {
      signers: (m) => [bech32ToAddress(m.fromAddress, "from address")],
      validateBasic(m) {
        bech32ToAddress(m.fromAddress, "from address");
        bech32ToAddress(m.toAddress, "to address");
        nonEmptyCoinsFromProto(m.amount, "amount");
      },
      handle(ctx, m) {
        const from = bech32ToAddress(m.fromAddress);
        bank.send(
          ctx,
          from,
          bech32ToAddress(m.toAddress),
          nonEmptyCoinsFromProto(m.amount, "amount"),
        );
        emitMessageSender(ctx, from);
        return empty(cosmosBankTx.MsgSendResponseSchema);
      },
    }),
    handler(qosBankTx.MsgTransferSchema, {
      signers: (m) => m.senders.map((s, i) => bech32ToAddress(s.address, `sender[${i}] address`)),
      validateBasic(m) {
        parseTransfer(m);
      },
      handle(ctx, m) {
        const { senders, receivers } = parseTransfer(m);
        const max = bank.params(ctx).maxTransferItems;
        if (senders.length + receivers.length > max) {
          throw bankError(
            BANK_CODE.tooManyTransferItems,
            `${senders.length + receivers.length} senders and receivers, at most ${max}`,
          );
        }
        for (const f of transferFlows(senders, receivers)) bank.send(ctx, f.from, f.to, [f.coin]);
        emitMessageSender(ctx, (senders[0] as { address: Uint8Array }).address);
        return empty(qosBankTx.MsgTransferResponseSchema);
      },
    }),
    allowanceHandler(
      bank,
      qosBankTx.MsgApproveSchema,
      qosBankTx.MsgApproveResponseSchema,
      (_have, c) => c.amount,
    ),
    allowanceHandler(
      bank,
      qosBankTx.MsgIncreaseAllowanceSchema,
      qosBankTx.MsgIncreaseAllowanceResponseSchema,
      (have, c) => {
        const next = have() + c.amount;
        if (next >= 1n << 256n)
          throw sdkError(SDK_CODE.invalidCoins, `allowance of ${c.denom} overflows 256 bits`);
        return next;
      },
    ),
    allowanceHandler(
      bank,
      qosBankTx.MsgDecreaseAllowanceSchema,
      qosBankTx.MsgDecreaseAllowanceResponseSchema,
      (have, c, m) => {
        const allowance = have();
        if (allowance === 0n)
          throw bankError(
            BANK_CODE.allowanceNotFound,
            `no allowance of ${c.denom} for ${m.spender}`,
          );
        return spendAllowance(allowance, c);
      },
    ),
    handler(qosBankTx.MsgRevokeAllowanceSchema, {
      signers: (m) => [bech32ToAddress(m.owner, "owner address")],
      validateBasic(m) {
        ownerSpender(m);
      },
      handle(ctx, m) {
        const [owner, spender] = ownerSpender(m);
        const denoms =
          m.denoms.length > 0
            ? m.denoms
            : [...bank.allowances(ctx, owner)]
                .filter((a) => addressToBech32(a.spender) === m.spender)
                .map((a) => a.denom);
        if (denoms.length === 0)
          throw bankError(BANK_CODE.allowanceNotFound, `no allowance for ${m.spender}`);
        for (const denom of denoms) {
          if (bank.allowance(ctx, owner, spender, denom) === 0n) {
            throw bankError(
              BANK_CODE.allowanceNotFound,
              `no allowance of ${denom} for ${m.spender}`,
            );
          }
          bank.setAllowance(ctx, owner, spender, denom, 0n);
          ctx.emit(approvalEvent(owner, spender, denom, 0n));
        }
        return empty(qosBankTx.MsgRevokeAllowanceResponseSchema);
      },
    }),
    handler(qosBankTx.MsgTransferFromSchema, {
      signers: (m) => [bech32ToAddress(m.spender, "spender address")],
      validateBasic(m) {
        ownerSpender(m);
        bech32ToAddress(m.to, "to address");
        nonEmptyCoinsFromProto(m.coins, "coins");
      },
      handle(ctx, m) {
        const [owner, spender] = ownerSpender(m);
        const to = bech32ToAddress(m.to, "to address");
        const coins = nonEmptyCoinsFromProto(m.coins, "coins");
        for (const c of coins) {
          const next = spendAllowance(bank.allowance(ctx, owner, spender, c.denom), c);
          bank.setAllowance(ctx, owner, spender, c.denom, next);
          ctx.emit(approvalEvent(owner, spender, c.denom, next));
        }
        bank.send(ctx, owner, to, coins);
        emitMessageSender(ctx, spender);
        return empty(qosBankTx.MsgTransferFromResponseSchema);
      },
    }),
  ];
}
