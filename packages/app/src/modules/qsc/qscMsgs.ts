// The qsc message handlers (qos.qsc.v1.Msg*): create a token, issue, burn, freeze, unfreeze,
// pause, unpause. Each checks everything before its first write. Pure.

import { create, type DescMessage, toBinary } from "@bufbuild/protobuf";
import { equalBytes, qscTx, qscTypes } from "@qos/types";
import { BASE_DENOM, coinFromProto } from "../../runtime/coins.ts";
import type { MsgHandler, TxContext } from "../../runtime/module.ts";
import { verifyQscCertificate } from "./qscCertificate.ts";
import { qscError } from "./qscErrors.ts";
import { QSC_EVENT, qscEvent } from "./qscEvents.ts";
import type { QscKeeper } from "./qscKeeper.ts";
import {
  addressToBech32,
  checkDecimals,
  checkName,
  checkSymbol,
  denomForSymbol,
  MAX_AMOUNT,
  parseAddress,
  parseMaxSupply,
  parsePositiveAmount,
} from "./qscValidation.ts";

function handler<Desc extends DescMessage>(h: MsgHandler<Desc>): MsgHandler {
  return h as unknown as MsgHandler;
}

function typeUrl(schema: DescMessage): string {
  return `/${schema.typeName}`;
}

function checkDenomField(denom: string): void {
  if (denom === "") throw qscError("invalidRequest", "denom is empty");
}

/** The token, after checking that `issuer` is its issuer (qsc 2, qsc 4). */
function tokenOfIssuer(
  keeper: QscKeeper,
  ctx: TxContext,
  denom: string,
  issuer: Uint8Array,
): qscTypes.Token {
  const token = keeper.mustToken(ctx, denom);
  if (!equalBytes(parseAddress(token.issuer, "issuer"), issuer)) {
    throw qscError(
      "notIssuer",
      `${addressToBech32(issuer)} is not the issuer of ${denom} (the issuer is ${token.issuer})`,
    );
  }
  return token;
}

function refuseIfPaused(keeper: QscKeeper, ctx: TxContext, denom: string): void {
  if (keeper.isPaused(ctx, denom)) {
    throw qscError("paused", `token ${denom} is paused: it cannot move until unpaused`);
  }
}

/** The cap on a token's supply: max_supply, or 2^256 − 1 when it has none. */
function supplyCap(token: qscTypes.Token): bigint {
  const max = parseMaxSupply(token.maxSupply);
  return max === 0n ? MAX_AMOUNT : max;
}

interface ParsedCreate {
  creator: Uint8Array;
  issuer: Uint8Array;
  maxSupply: bigint;
  holders: { address: Uint8Array; amount: bigint }[];
  total: bigint;
}

function parseCreate(msg: qscTx.MsgCreateToken): ParsedCreate {
  const creator = parseAddress(msg.creator, "creator");
  checkSymbol(msg.symbol);
  checkName(msg.name);
  checkDecimals(msg.decimals);
  const issuer = msg.issuer === "" ? creator : parseAddress(msg.issuer, "issuer");
  const maxSupply = parseMaxSupply(msg.maxSupply);
  const seen = new Set<string>();
  const holders: ParsedCreate["holders"] = [];
  let total = 0n;
  for (const h of msg.initialHolders) {
    const address = parseAddress(h.address, "initial holder");
    const key = addressToBech32(address);
    if (seen.has(key)) throw qscError("invalidRequest", `initial holder ${key} is listed twice`);
    seen.add(key);
    const amount = parsePositiveAmount(h.amount, `amount of initial holder ${key}`);
    holders.push({ address, amount });
    total += amount;
  }
  const cap = maxSupply === 0n ? MAX_AMOUNT : maxSupply;
  if (total > cap) {
    throw qscError(
      "overMaxSupply",
      `initial holders get ${total}, above the max supply ${maxSupply === 0n ? "2^256 - 1" : maxSupply}`,
    );
  }
  return { creator, issuer, maxSupply, holders, total };
}

export function createQscMsgHandlers(keeper: QscKeeper): MsgHandler[] {
  const { bank } = keeper;

  const createToken = handler({
    typeUrl: typeUrl(qscTx.MsgCreateTokenSchema),
    schema: qscTx.MsgCreateTokenSchema,
    signers: (msg) => [parseAddress(msg.creator, "creator")],
    validateBasic: (msg) => {
      parseCreate(msg);
    },
    handle(ctx, msg) {
      const p = parseCreate(msg);
      const denom = denomForSymbol(msg.symbol);
      const existing = keeper.token(ctx, denom);
      if (existing !== undefined) {
        throw qscError(
          "duplicateSymbol",
          `symbol ${msg.symbol} is taken: token ${denom} (${existing.symbol}) exists`,
        );
      }
      const inUse = bank.supply(ctx, denom);
      if (inUse > 0n) {
        throw qscError(
          "duplicateSymbol",
          `symbol ${msg.symbol} is taken: denom ${denom} already has a supply of ${inUse}`,
        );
      }
      const params = keeper.params(ctx);
      if (params.creationMode === qscTypes.CreationMode.CERTIFICATE) {
        verifyQscCertificate(params.rootCa, msg.certificate, {
          chainId: ctx.chainId,
          symbol: msg.symbol,
          banker: p.issuer,
          height: ctx.height,
        });
      }
      const fee = coinFromProto(params.creationFee ?? { denom: BASE_DENOM, amount: "0" });
      if (fee.amount > 0n) {
        const spendable = bank.spendable(ctx, p.creator, fee.denom);
        if (spendable < fee.amount) {
          throw qscError(
            "creationFeeUnpaid",
            `creation fee unpaid: creating a token costs ${fee.amount}${fee.denom}, ${msg.creator} can spend ${spendable}${fee.denom}`,
          );
        }
      }
      // Every check is done: write.
      if (fee.amount > 0n) bank.burn(ctx, p.creator, [fee]);
      const token = create(qscTypes.TokenSchema, {
        denom,
        symbol: msg.symbol,
        name: msg.name,
        decimals: msg.decimals,
        issuer: addressToBech32(p.issuer),
        maxSupply: p.maxSupply.toString(),
      });
      keeper.setToken(ctx, token);
      ctx.emit(
        qscEvent(QSC_EVENT.tokenCreated, {
          denom,
          symbol: token.symbol,
          name: token.name,
          decimals: String(token.decimals),
          issuer: token.issuer,
          max_supply: token.maxSupply,
          creator: addressToBech32(p.creator),
        }),
      );
      for (const h of p.holders) bank.mint(ctx, h.address, [{ denom, amount: h.amount }]);
      return toBinary(
        qscTx.MsgCreateTokenResponseSchema,
        create(qscTx.MsgCreateTokenResponseSchema, { denom }),
      );
    },
  });

  const issue = handler({
    typeUrl: typeUrl(qscTx.MsgIssueSchema),
    schema: qscTx.MsgIssueSchema,
    signers: (msg) => [parseAddress(msg.issuer, "issuer")],
    validateBasic(msg) {
      parseAddress(msg.issuer, "issuer");
      checkDenomField(msg.denom);
      parsePositiveAmount(msg.amount, "amount");
      if (msg.to !== "") parseAddress(msg.to, "recipient");
    },
    handle(ctx, msg) {
      const issuer = parseAddress(msg.issuer, "issuer");
      const amount = parsePositiveAmount(msg.amount, "amount");
      const to = msg.to === "" ? issuer : parseAddress(msg.to, "recipient");
      const token = tokenOfIssuer(keeper, ctx, msg.denom, issuer);
      refuseIfPaused(keeper, ctx, msg.denom);
      const supply = bank.supply(ctx, msg.denom);
      const cap = supplyCap(token);
      if (supply + amount > cap) {
        throw qscError(
          "overMaxSupply",
          `issuing ${amount} would raise the supply of ${msg.denom} to ${supply + amount}, above its max supply ${cap}`,
        );
      }
      bank.mint(ctx, to, [{ denom: msg.denom, amount }]);
      ctx.emit(
        qscEvent(QSC_EVENT.issued, {
          denom: msg.denom,
          issuer: token.issuer,
          to: addressToBech32(to),
          value: amount.toString(),
        }),
      );
      return toBinary(
        qscTx.MsgIssueResponseSchema,
        create(qscTx.MsgIssueResponseSchema, { totalSupply: (supply + amount).toString() }),
      );
    },
  });

  const burn = handler({
    typeUrl: typeUrl(qscTx.MsgBurnSchema),
    schema: qscTx.MsgBurnSchema,
    signers: (msg) => [parseAddress(msg.owner, "owner")],
    validateBasic(msg) {
      parseAddress(msg.owner, "owner");
      checkDenomField(msg.denom);
      parsePositiveAmount(msg.amount, "amount");
    },
    handle(ctx, msg) {
      const owner = parseAddress(msg.owner, "owner");
      const amount = parsePositiveAmount(msg.amount, "amount");
      keeper.mustToken(ctx, msg.denom);
      refuseIfPaused(keeper, ctx, msg.denom);
      keeper.checkUnfrozen(ctx, msg.denom, owner, amount);
      // bank refuses (sdk 5) what the balance does not cover.
      bank.burn(ctx, owner, [{ denom: msg.denom, amount }]);
      ctx.emit(
        qscEvent(QSC_EVENT.burned, {
          denom: msg.denom,
          from: addressToBech32(owner),
          value: amount.toString(),
        }),
      );
      return toBinary(
        qscTx.MsgBurnResponseSchema,
        create(qscTx.MsgBurnResponseSchema, {
          totalSupply: bank.supply(ctx, msg.denom).toString(),
        }),
      );
    },
  });

  const freeze = handler({
    typeUrl: typeUrl(qscTx.MsgFreezeSchema),
    schema: qscTx.MsgFreezeSchema,
    signers: (msg) => [parseAddress(msg.issuer, "issuer")],
    validateBasic(msg) {
      parseAddress(msg.issuer, "issuer");
      checkDenomField(msg.denom);
      parseAddress(msg.holder, "holder");
      parsePositiveAmount(msg.amount, "amount");
    },
    handle(ctx, msg) {
      const issuer = parseAddress(msg.issuer, "issuer");
      const holder = parseAddress(msg.holder, "holder");
      const amount = parsePositiveAmount(msg.amount, "amount");
      tokenOfIssuer(keeper, ctx, msg.denom, issuer);
      const frozen = keeper.frozen(ctx, msg.denom, holder);
      const balance = bank.balance(ctx, holder, msg.denom);
      if (frozen + amount > balance) {
        throw qscError(
          "freezeExceedsBalance",
          `cannot freeze ${amount}${msg.denom} of ${msg.holder}: it holds ${balance}, of which ${frozen} are frozen`,
        );
      }
      keeper.setFrozen(ctx, msg.denom, holder, frozen + amount);
      ctx.emit(
        qscEvent(QSC_EVENT.frozen, {
          denom: msg.denom,
          owner: addressToBech32(holder),
          value: amount.toString(),
          frozen: (frozen + amount).toString(),
        }),
      );
      return toBinary(
        qscTx.MsgFreezeResponseSchema,
        create(qscTx.MsgFreezeResponseSchema, { frozen: (frozen + amount).toString() }),
      );
    },
  });

  const unfreeze = handler({
    typeUrl: typeUrl(qscTx.MsgUnfreezeSchema),
    schema: qscTx.MsgUnfreezeSchema,
    signers: (msg) => [parseAddress(msg.issuer, "issuer")],
    validateBasic(msg) {
      parseAddress(msg.issuer, "issuer");
      checkDenomField(msg.denom);
      parseAddress(msg.holder, "holder");
      parsePositiveAmount(msg.amount, "amount");
    },
    handle(ctx, msg) {
      const issuer = parseAddress(msg.issuer, "issuer");
      const holder = parseAddress(msg.holder, "holder");
      const amount = parsePositiveAmount(msg.amount, "amount");
      tokenOfIssuer(keeper, ctx, msg.denom, issuer);
      const frozen = keeper.frozen(ctx, msg.denom, holder);
      if (amount > frozen) {
        throw qscError(
          "unfreezeExceedsFrozen",
          `cannot unfreeze ${amount}${msg.denom} of ${msg.holder}: only ${frozen} are frozen`,
        );
      }
      keeper.setFrozen(ctx, msg.denom, holder, frozen - amount);
      ctx.emit(
        qscEvent(QSC_EVENT.unfrozen, {
          denom: msg.denom,
          owner: addressToBech32(holder),
          value: amount.toString(),
          frozen: (frozen - amount).toString(),
        }),
      );
      return toBinary(
        qscTx.MsgUnfreezeResponseSchema,
        create(qscTx.MsgUnfreezeResponseSchema, { frozen: (frozen - amount).toString() }),
      );
    },
  });

  const pause = handler({
    typeUrl: typeUrl(qscTx.MsgPauseSchema),
    schema: qscTx.MsgPauseSchema,
    signers: (msg) => [parseAddress(msg.issuer, "issuer")],
    validateBasic(msg) {
      parseAddress(msg.issuer, "issuer");
      checkDenomField(msg.denom);
    },
    handle(ctx, msg) {
      const issuer = parseAddress(msg.issuer, "issuer");
      tokenOfIssuer(keeper, ctx, msg.denom, issuer);
      if (keeper.isPaused(ctx, msg.denom)) {
        throw qscError("alreadyPaused", `token ${msg.denom} is already paused`);
      }
      keeper.setPaused(ctx, msg.denom, true);
      ctx.emit(qscEvent(QSC_EVENT.paused, { denom: msg.denom, account: addressToBech32(issuer) }));
      return toBinary(qscTx.MsgPauseResponseSchema, create(qscTx.MsgPauseResponseSchema));
    },
  });

  const unpause = handler({
    typeUrl: typeUrl(qscTx.MsgUnpauseSchema),
    schema: qscTx.MsgUnpauseSchema,
    signers: (msg) => [parseAddress(msg.issuer, "issuer")],
    validateBasic(msg) {
      parseAddress(msg.issuer, "issuer");
      checkDenomField(msg.denom);
    },
    handle(ctx, msg) {
      const issuer = parseAddress(msg.issuer, "issuer");
      tokenOfIssuer(keeper, ctx, msg.denom, issuer);
      if (!keeper.isPaused(ctx, msg.denom)) {
        throw qscError("notPaused", `token ${msg.denom} is not paused`);
      }
      keeper.setPaused(ctx, msg.denom, false);
      ctx.emit(
        qscEvent(QSC_EVENT.unpaused, { denom: msg.denom, account: addressToBech32(issuer) }),
      );
      return toBinary(qscTx.MsgUnpauseResponseSchema, create(qscTx.MsgUnpauseResponseSchema));
    },
  });

  return [createToken, issue, burn, freeze, unfreeze, pause, unpause];
}
