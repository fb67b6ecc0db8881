// Gas and fee arithmetic of the client flags, exact (decimals as bigint fractions, no floats):
// --gas auto|N, --gas-adjustment, --gas-prices (fee = ceil(gas × price)). Pure.

import { QosError } from "@qos/types";

export const FLAG_ERROR = "cli_usage";

/** A non-negative decimal as numerator / denominator. */
export interface Decimal {
  readonly num: bigint;
  readonly den: bigint;
}

export interface GasPriceFlag {
  readonly denom: string;
  readonly price: Decimal;
}

/** Cosmos's default --gas-adjustment (applied to simulated gas when --gas auto). */
export const DEFAULT_GAS_ADJUSTMENT = "1.5";

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

function usage(message: string): QosError {
  return new QosError(FLAG_ERROR, message);
}

export function parseDecimal(text: string, what: string): Decimal {
  const m = DECIMAL.exec(text.trim());
  if (m === null || text.length > 80)
    throw usage(`${what} must be a non-negative decimal like 1.5, got "${text}"`);
  const frac = m[2] ?? "";
  return { num: BigInt(`${m[1]}${frac}`), den: 10n ** BigInt(frac.length) };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** `--gas`: "auto" or a positive integer. */
export function parseGasFlag(text: string): "auto" | bigint {
  if (text === "auto") return "auto";
  if (!/^[1-9]\d{0,18}$/.test(text))
    throw usage(`--gas must be "auto" or a positive integer, got "${text}"`);
  return BigInt(text);
}

/** ceil(gas × adjustment). */
export function adjustGas(gasUsed: bigint, adjustment: Decimal): bigint {
  return ceilDiv(gasUsed * adjustment.num, adjustment.den);
}

/** `--gas-prices "0.025uqos"` (several comma-separated): each a decimal price then a denom. */
export function parseGasPrices(text: string): GasPriceFlag[] {
  const items = text.split(",").map((s) => s.trim());
  return items.map((item) => {
    const m = /^(\d+(?:\.\d+)?)([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$/.exec(item);
    if (m === null)
      throw usage(`invalid gas price "${item}": expected a decimal then a denom, e.g. 0.025uqos`);
    const price = parseDecimal(m[1] as string, "a gas price");
    if (price.num === 0n) throw usage(`invalid gas price "${item}": zero`);
    return { denom: m[2] as string, price };
  });
}

/** The fee the prices ask for `gasLimit`: ceil(gas × price) per denom (Cosmos rounds up too). */
export function feeFromGasPrices(
  prices: readonly GasPriceFlag[],
  gasLimit: bigint,
): { denom: string; amount: bigint }[] {
  return prices
    .map((p) => ({ denom: p.denom, amount: ceilDiv(gasLimit * p.price.num, p.price.den) }))
    .sort((a, b) => (a.denom < b.denom ? -1 : a.denom > b.denom ? 1 : 0));
}
