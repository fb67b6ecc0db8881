// Coins as the state machine sees them: a denom and a bigint amount. Denom and amount rules
// (Cosmos denom regex, 256-bit amounts), canonical sorted coin lists, and the wire conversions.

import { create } from "@bufbuild/protobuf";
import { cosmosCoin } from "@qos/types";
import { SDK_CODE, sdkError } from "./sdkErrors.ts";

export interface Coin {
  readonly denom: string;
  readonly amount: bigint;
}

/** The base denom of QOS: 1 QOS = 10^6 uqos. */
export const BASE_DENOM = "uqos";
export const BASE_DENOM_EXPONENT = 6;

/** Cosmos SDK denom rule (types/coin.go reDnmString). */
export const DENOM_REGEX = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;

/** Amounts are at most 256 bits (Cosmos math.Int's bound); more is sdk 10 invalid coins. */
export const MAX_AMOUNT = (1n << 256n) - 1n;

const AMOUNT_TEXT = /^[0-9]+$/;

export function isValidDenom(denom: string): boolean {
  return DENOM_REGEX.test(denom);
}

/** Throws sdk 10 unless denom matches the Cosmos regex. */
export function checkDenom(denom: string): void {
  if (!isValidDenom(denom)) throw sdkError(SDK_CODE.invalidCoins, `invalid denom: ${denom}`);
}

/** Parses a wire amount (decimal digits, no sign) into a bigint ≤ MAX_AMOUNT; sdk 10 otherwise. */
export function parseAmount(text: string, denom: string): bigint {
  if (!AMOUNT_TEXT.test(text) || text.length > 78) {
    throw sdkError(
      SDK_CODE.invalidCoins,
      `invalid coin amount ${JSON.stringify(text)} of ${denom}`,
    );
  }
  const amount = BigInt(text);
  if (amount > MAX_AMOUNT) {
    throw sdkError(SDK_CODE.invalidCoins, `coin amount of ${denom} overflows 256 bits`);
  }
  return amount;
}

/** A wire Coin (denom + decimal string) to a Coin; checks the denom and the amount. */
export function coinFromProto(c: { readonly denom: string; readonly amount: string }): Coin {
  checkDenom(c.denom);
  return { denom: c.denom, amount: parseAmount(c.amount, c.denom) };
}

export function coinToProto(c: Coin): cosmosCoin.Coin {
  return create(cosmosCoin.CoinSchema, { denom: c.denom, amount: c.amount.toString() });
}

/**
 * Wire coins of a message to Coins, checked as Cosmos `Coins.Validate` does: valid denoms,
 * amounts positive, sorted by denom, no duplicates. An empty list is valid here; callers that
 * need coins say so. Throws sdk 10.
 */
export function coinsFromProto(
  list: readonly { readonly denom: string; readonly amount: string }[],
): Coin[] {
  const out: Coin[] = [];
  for (const c of list) {
    const coin = coinFromProto(c);
    if (coin.amount === 0n)
      throw sdkError(SDK_CODE.invalidCoins, `coin ${coin.denom} amount is not positive`);
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.denom >= coin.denom) {
      throw sdkError(
        SDK_CODE.invalidCoins,
        prev.denom === coin.denom
          ? `duplicate denomination ${coin.denom}`
          : `denomination ${coin.denom} is not sorted`,
      );
    }
    out.push(coin);
  }
  return out;
}

/** Like coinsFromProto, and at least one coin (sdk 10 "must be positive" otherwise). */
export function nonEmptyCoinsFromProto(
  list: readonly { readonly denom: string; readonly amount: string }[],
  what: string,
): Coin[] {
  const coins = coinsFromProto(list);
  if (coins.length === 0) throw sdkError(SDK_CODE.invalidCoins, `${what}: no coins`);
  return coins;
}

/** Cosmos `Coins.String()`: "10uqos,5qsc/abc" (empty for none). */
export function coinsToString(coins: readonly Coin[]): string {
  return coins.map((c) => `${c.amount}${c.denom}`).join(",");
}

/** Sums coin lists per denom, sorted by denom (byte order of the denom string). */
export function addCoins(...lists: (readonly Coin[])[]): Coin[] {
  // One list of one coin (a send's usual amount): the same answer without the Map and sort.
  if (lists.length === 1 && lists[0]?.length === 1) {
    const c = lists[0][0] as Coin;
    return c.amount === 0n ? [] : [{ denom: c.denom, amount: c.amount }];
  }
  const sums = new Map<string, bigint>();
  for (const list of lists) {
    for (const c of list) sums.set(c.denom, (sums.get(c.denom) ?? 0n) + c.amount);
  }
  return [...sums.entries()]
    .filter(([, amount]) => amount !== 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([denom, amount]) => ({ denom, amount }));
}

/** Whether `a` and `b` hold the same amount of every denom. */
export function coinsEqual(a: readonly Coin[], b: readonly Coin[]): boolean {
  const x = addCoins(a);
  const y = addCoins(b);
  return (
    x.length === y.length && x.every((c, i) => c.denom === y[i]?.denom && c.amount === y[i]?.amount)
  );
}

/** The amount of `denom` in `coins` (0 when absent). */
export function amountOf(coins: readonly Coin[], denom: string): bigint {
  let sum = 0n;
  for (const c of coins) if (c.denom === denom) sum += c.amount;
  return sum;
}

/**
 * Parses a coins string as users type it (Cosmos `ParseCoinsNormalized`, integer amounts):
 * "1000uqos,5qsc/star". Amounts must be positive and denoms may not repeat; the result is
 * sorted by denom. Throws sdk 10 naming the offending item.
 */
export function parseCoins(text: string): Coin[] {
  const items = text.split(",").map((s) => s.trim());
  if (text.trim() === "" || items.some((s) => s === ""))
    throw sdkError(
      SDK_CODE.invalidCoins,
      `invalid coins "${text}": expected e.g. "1000uqos,5qsc/star"`,
    );
  const seen = new Set<string>();
  const coins = items.map((item) => {
    const m = /^(\d+)([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$/.exec(item);
    if (m === null)
      throw sdkError(
        SDK_CODE.invalidCoins,
        `invalid coin "${item}": expected an amount then a denom, e.g. "1000uqos"`,
      );
    const denom = m[2] as string;
    const amount = parseAmount(m[1] as string, denom);
    if (amount === 0n)
      throw sdkError(SDK_CODE.invalidCoins, `invalid coin "${item}": the amount is zero`);
    if (seen.has(denom))
      throw sdkError(SDK_CODE.invalidCoins, `invalid coins "${text}": ${denom} appears twice`);
    seen.add(denom);
    return { denom, amount };
  });
  return addCoins(coins);
}
