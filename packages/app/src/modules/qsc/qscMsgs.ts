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

/** The signer of every message its token's issuer sends. */
function issuerSigners(msg: { issuer: string }): Uint8Array[] {
  return [parseAddress(msg.issuer, "issuer")];
}

/** The stateless checks every issuer message starts with. */
function checkIssuerAndDenom(msg: { issuer: string; denom: string }): void {
  parseAddress(msg.issuer, "issuer");
  checkDenomField(msg.denom);
}

type FrozenSchema = typeof qscTx.MsgFreezeSchema | typeof qscTx.MsgUnfreezeSchema;
type FrozenResponseSchema =
  | typeof qscTx.MsgFreezeResponseSchema
  | typeof qscTx.MsgUnfreezeResponseSchema;
type FrozenMsg = qscTx.MsgFreeze | qscTx.MsgUnfreeze;
type PausedSchema = typeof qscTx.MsgPauseSchema | typeof qscTx.MsgUnpauseSchema;
type PausedResponseSchema =
  | typeof qscTx.MsgPauseResponseSchema
  | typeof qscTx.MsgUnpauseResponseSchema;

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
    signers: issuerSigners,
    validateBasic(msg) {
      checkIssuerAndDenom(msg);
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

  /**
   * MsgFreeze and MsgUnfreeze (qsc 4): the token's issuer sets a holder's frozen amount to
   * `next(frozen, amount)`, which throws where the message's rule refuses.
   */
  const setFrozenHandler = (
    schema: FrozenSchema,
    response: FrozenResponseSchema,
    event: typeof QSC_EVENT.frozen | typeof QSC_EVENT.unfrozen,
    next: (
      ctx: TxContext,
      msg: FrozenMsg,
      holder: Uint8Array,
      frozen: bigint,
      amount: bigint,
    ) => bigint,
  ): MsgHandler =>
    handler({
      typeUrl: typeUrl(schema),
      schema,
      signers: issuerSigners,
      validateBasic(msg) {
        checkIssuerAndDenom(msg);
        parseAddress(msg.holder, "holder");
        parsePositiveAmount(msg.amount, "amount");
      },
      handle(ctx, msg) {
        const issuer = parseAddress(msg.issuer, "issuer");
        const holder = parseAddress(msg.holder, "holder");
        const amount = parsePositiveAmount(msg.amount, "amount");
        tokenOfIssuer(keeper, ctx, msg.denom, issuer);
        const frozen = next(ctx, msg, holder, keeper.frozen(ctx, msg.denom, holder), amount);
        keeper.setFrozen(ctx, msg.denom, holder, frozen);
        ctx.emit(
          qscEvent(event, {
            denom: msg.denom,
            owner: addressToBech32(holder),
            value: amount.toString(),
            frozen: frozen.toString(),
          }),
        );
        return toBinary(response, create(response, { frozen: frozen.toString() }));
      },
    });

  const freeze = setFrozenHandler(
    qscTx.MsgFreezeSchema,
    qscTx.MsgFreezeResponseSchema,
    QSC_EVENT.frozen,
    (ctx, msg, holder, frozen, amount) => {
      const balance = bank.balance(ctx, holder, msg.denom);
      if (frozen + amount > balance) {
        throw qscError(
          "freezeExceedsBalance",
          `cannot freeze ${amount}${msg.denom} of ${msg.holder}: it holds ${balance}, of which ${frozen} are frozen`,
        );
      }
      return frozen + amount;
    },
  );

  const unfreeze = setFrozenHandler(
    qscTx.MsgUnfreezeSchema,
    qscTx.MsgUnfreezeResponseSchema,
    QSC_EVENT.unfrozen,
    (_ctx, msg, _holder, frozen, amount) => {
      if (amount > frozen) {
        throw qscError(
          "unfreezeExceedsFrozen",
          `cannot unfreeze ${amount}${msg.denom} of ${msg.holder}: only ${frozen} are frozen`,
        );
      }
      return frozen - amount;
    },
  );

  /** MsgPause and MsgUnpause (qsc 4): the token's issuer sets its paused flag to `paused`. */
  const setPausedHandler = (
    schema: PausedSchema,
    response: PausedResponseSchema,
    paused: boolean,
  ): MsgHandler =>
    handler({
      typeUrl: typeUrl(schema),
      schema,
      signers: issuerSigners,
      validateBasic: checkIssuerAndDenom,
      handle(ctx, msg) {
        const issuer = parseAddress(msg.issuer, "issuer");
        tokenOfIssuer(keeper, ctx, msg.denom, issuer);
        if (keeper.isPaused(ctx, msg.denom) === paused) {
          throw paused
            ? qscError("alreadyPaused", `token ${msg.denom} is already paused`)
            : qscError("notPaused", `token ${msg.denom} is not paused`);
        }
        keeper.setPaused(ctx, msg.denom, paused);
        ctx.emit(
          qscEvent(paused ? QSC_EVENT.paused : QSC_EVENT.unpaused, {
            denom: msg.denom,
            account: addressToBech32(issuer),
          }),
        );
        return toBinary(response, create(response));
      },
    });

  const pause = setPausedHandler(qscTx.MsgPauseSchema, qscTx.MsgPauseResponseSchema, true);
  const unpause = setPausedHandler(qscTx.MsgUnpauseSchema, qscTx.MsgUnpauseResponseSchema, false);

  return [createToken, issue, burn, freeze, unfreeze, pause, unpause];
}
