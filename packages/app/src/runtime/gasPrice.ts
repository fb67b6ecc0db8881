// Gas prices as exact fractions ("0.025uqos" → 25/1000 uqos per gas): the node-local minimum
// gas prices CheckTx enforces, and the required fee ceil(price × gas limit). Pure.

import { checkDenom } from "./coins.ts";
import { SDK_CODE, sdkError } from "./sdkErrors.ts";

export interface GasPrice {
  readonly denom: string;
  /** price = num / den, den a power of ten. */
  readonly num: bigint;
  readonly den: bigint;
}

const PRICE = /^([0-9]+)(?:\.([0-9]{1,18}))?([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$/;

/** Parses Cosmos `minimum-gas-prices` text: comma-separated decimal amounts with denoms; "" is none. */
export function parseGasPrices(text: string): GasPrice[] {
  if (text.trim() === "") return [];
  return text.split(",").map((part) => {
    const m = PRICE.exec(part.trim());
    if (m === null)
      throw sdkError(SDK_CODE.invalidCoins, `invalid gas price ${JSON.stringify(part)}`);
    const frac = m[2] ?? "";
    const denom = m[3] as string;
    checkDenom(denom);
    return { denom, num: BigInt(`${m[1]}${frac}`), den: 10n ** BigInt(frac.length) };
  });
}

/** ceil(price × gas). */
export function requiredFee(price: GasPrice, gas: bigint): bigint {
  return (price.num * gas + price.den - 1n) / price.den;
}
