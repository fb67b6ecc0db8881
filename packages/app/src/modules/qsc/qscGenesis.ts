// The qsc section of genesis app_state (proto JSON of qos.qsc.v1.GenesisState, snake_case):
// parse and validate (qsc 20 with the reason), load into the store, export it back. Runs after
// bank's genesis: frozen amounts and max supplies are checked against bank balances and supply.

import { create, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { qscTypes } from "@qos/types";
import { coinFromProto } from "../../runtime/coins.ts";
import type { ReadContext, TxContext } from "../../runtime/module.ts";
import { isAppError } from "../../runtime/module.ts";
import { ROOT_CA_KEY_TYPES } from "./qscCertificate.ts";
import { qscError } from "./qscErrors.ts";
import { defaultQscParams, type QscKeeper } from "./qscKeeper.ts";
import {
  addressToBech32,
  checkDecimals,
  checkName,
  checkSymbol,
  denomForSymbol,
  parseAddress,
  parseMaxSupply,
  parsePositiveAmount,
} from "./qscValidation.ts";

function invalid(message: string): never {
  throw qscError("invalidGenesis", `invalid qsc genesis: ${message}`);
}

/** Re-throws a qsc or sdk check failure as qsc 20 naming where it happened. */
function within<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isAppError(e)) invalid(`${where}: ${e.message}`);
    throw e;
  }
}

/** Params checks shared by genesis (and any future params change). */
export function validateQscParams(params: qscTypes.Params): void {
  if (
    params.creationMode !== qscTypes.CreationMode.OPEN &&
    params.creationMode !== qscTypes.CreationMode.CERTIFICATE
  ) {
    invalid("params.creation_mode must be CREATION_MODE_OPEN or CREATION_MODE_CERTIFICATE");
  }
  if (params.creationFee !== undefined) {
    const fee = params.creationFee;
    within("params.creation_fee", () => coinFromProto(fee));
  }
  const ca = params.rootCa;
  if (ca !== undefined) {
    const length = ROOT_CA_KEY_TYPES[ca.keyType as keyof typeof ROOT_CA_KEY_TYPES];
    if (length === undefined)
      invalid(`params.root_ca.key_type "${ca.keyType}": want ed25519 or secp256k1`);
    if (ca.pubKey.length !== length) {
      invalid(
        `params.root_ca.pub_key: a ${ca.keyType} key has ${length} bytes, got ${ca.pubKey.length}`,
      );
    }
  }
  if (params.creationMode === qscTypes.CreationMode.CERTIFICATE && ca === undefined) {
    invalid("params.root_ca is required when creation_mode is CREATION_MODE_CERTIFICATE");
  }
}

/** Parses app_state.qsc (undefined or null: default params, no tokens). */
export function parseQscGenesis(json: unknown): qscTypes.GenesisState {
  if (json === undefined || json === null) {
    return create(qscTypes.GenesisStateSchema, { params: defaultQscParams() });
  }
  let state: qscTypes.GenesisState;
  try {
    state = fromJson(qscTypes.GenesisStateSchema, json as JsonValue);
  } catch (e) {
    invalid((e as Error).message);
  }
  if (state.params === undefined) state.params = defaultQscParams();
  return state;
}

/**
 * Checks a genesis state against itself and bank's loaded state: valid params; tokens with a
 * valid symbol, name, decimals, issuer, denom = "qsc/" + lower-case symbol, unique; bank supply
 * ≤ max supply; frozen entries of known tokens, positive, unique, ≤ the holder's balance;
 * paused denoms of known tokens, unique.
 */
export function validateQscGenesis(
  keeper: QscKeeper,
  ctx: ReadContext,
  state: qscTypes.GenesisState,
): void {
  validateQscParams(state.params ?? defaultQscParams());
  const tokens = new Set<string>();
  for (const [i, t] of state.tokens.entries()) {
    const where = `tokens[${i}] (${t.symbol})`;
    within(where, () => {
      checkSymbol(t.symbol);
      checkName(t.name);
      checkDecimals(t.decimals);
      const issuer = parseAddress(t.issuer, "issuer");
      if (addressToBech32(issuer) !== t.issuer)
        invalid(`${where}: issuer must be lower-case bech32`);
    });
    if (t.denom !== denomForSymbol(t.symbol)) {
      invalid(`${where}: denom must be "${denomForSymbol(t.symbol)}", got "${t.denom}"`);
    }
    if (tokens.has(t.denom)) invalid(`${where}: duplicate symbol (denom ${t.denom})`);
    tokens.add(t.denom);
    const max = within(where, () => parseMaxSupply(t.maxSupply));
    if (t.maxSupply !== max.toString())
      invalid(`${where}: max_supply must be a decimal integer ("0": no cap)`);
    const supply = keeper.bank.supply(ctx, t.denom);
    if (max !== 0n && supply > max) {
      invalid(`${where}: bank supply ${supply} is above max_supply ${max}`);
    }
  }
  const frozen = new Set<string>();
  for (const [i, f] of state.frozen.entries()) {
    const where = `frozen[${i}]`;
    if (!tokens.has(f.denom)) invalid(`${where}: unknown token ${f.denom}`);
    const address = within(where, () => parseAddress(f.address, "holder"));
    const amount = within(where, () => parsePositiveAmount(f.amount, "amount"));
    const key = `${f.denom} ${addressToBech32(address)}`;
    if (frozen.has(key)) invalid(`${where}: ${f.address} is listed twice for ${f.denom}`);
    frozen.add(key);
    const balance = keeper.bank.balance(ctx, address, f.denom);
    if (amount > balance) {
      invalid(
        `${where}: ${amount} frozen of ${f.address}'s ${f.denom} is above its balance ${balance}`,
      );
    }
  }
  const paused = new Set<string>();
  for (const denom of state.paused) {
    if (!tokens.has(denom)) invalid(`paused: unknown token ${denom}`);
    if (paused.has(denom)) invalid(`paused: ${denom} is listed twice`);
    paused.add(denom);
  }
}

export function initQscGenesis(keeper: QscKeeper, ctx: TxContext, json: unknown): void {
  const state = parseQscGenesis(json);
  validateQscGenesis(keeper, ctx, state);
  keeper.setParams(ctx, state.params ?? defaultQscParams());
  for (const t of state.tokens) keeper.setToken(ctx, t);
  for (const f of state.frozen) {
    keeper.setFrozen(ctx, f.denom, parseAddress(f.address, "holder"), BigInt(f.amount));
  }
  for (const denom of state.paused) keeper.setPaused(ctx, denom, true);
}

export function exportQscGenesis(keeper: QscKeeper, ctx: ReadContext): JsonValue {
  const state = create(qscTypes.GenesisStateSchema, {
    params: keeper.params(ctx),
    tokens: [...keeper.tokens(ctx)],
    frozen: [...keeper.frozenEntries(ctx)].map((f) => ({
      denom: f.denom,
      address: addressToBech32(f.address),
      amount: f.amount.toString(),
    })),
    paused: keeper.pausedDenoms(ctx),
  });
  return toJson(qscTypes.GenesisStateSchema, state, {
    useProtoFieldName: true,
    alwaysEmitImplicit: true,
  });
}
