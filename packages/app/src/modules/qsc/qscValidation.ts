// Stateless checks of qsc input: symbol, name, decimals, amounts, addresses, and the token
// denom derived from a symbol ("qsc/" + lower-case symbol, a valid Cosmos denom).

import { bech32Decode } from "@qos/crypto";
import { ACCOUNT_PREFIX, ADDRESS_BYTES } from "../../runtime/address.ts";
import { MAX_AMOUNT } from "../../runtime/coins.ts";
import { qscError } from "./qscErrors.ts";

export { addressToBech32 } from "../../runtime/address.ts";
export { MAX_AMOUNT } from "../../runtime/coins.ts";

export const QSC_DENOM_PREFIX = "qsc/";
export const MAX_DECIMALS = 18;
export const MAX_NAME_LENGTH = 64;

const SYMBOL_RE = /^[A-Za-z][A-Za-z0-9]{1,15}$/;
const RESERVED_SYMBOLS = new Set(["qos", "uqos"]);
const DECIMAL_RE = /^(0|[1-9][0-9]*)$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: names must not contain control characters
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

/** Throws invalid symbol unless `symbol` is 2..16 of [A-Za-z][A-Za-z0-9]* and not reserved. */
export function checkSymbol(symbol: string): void {
  if (!SYMBOL_RE.test(symbol)) {
    throw qscError(
      "invalidSymbol",
      `invalid symbol "${symbol}": want 2 to 16 letters and digits starting with a letter`,
    );
  }
  if (RESERVED_SYMBOLS.has(symbol.toLowerCase())) {
    throw qscError("invalidSymbol", `invalid symbol "${symbol}": reserved for the native coin`);
  }
}

/** The bank denom of the token with `symbol`: "qsc/" + lower-case symbol. */
export function denomForSymbol(symbol: string): string {
  return QSC_DENOM_PREFIX + symbol.toLowerCase();
}

export function isQscDenom(denom: string): boolean {
  return denom.startsWith(QSC_DENOM_PREFIX);
}

export function checkName(name: string): void {
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_LENGTH || CONTROL_RE.test(name) || name.trim() !== name) {
    throw qscError(
      "invalidName",
      `invalid name: want 1 to ${MAX_NAME_LENGTH} characters, no control characters and no leading or trailing space`,
    );
  }
}

export function checkDecimals(decimals: number): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) {
    throw qscError("invalidDecimals", `invalid decimals ${decimals}: want 0 to ${MAX_DECIMALS}`);
  }
}

/** Parses a non-negative decimal integer of at most 256 bits (no sign, no leading zeros). */
export function parseAmount(text: string, what: string): bigint {
  if (!DECIMAL_RE.test(text) || text.length > 78) {
    throw qscError("invalidAmount", `invalid ${what} "${text}": want a decimal integer`);
  }
  const value = BigInt(text);
  if (value > MAX_AMOUNT) throw qscError("invalidAmount", `invalid ${what}: exceeds 2^256 - 1`);
  return value;
}

/** Parses a strictly positive amount. */
export function parsePositiveAmount(text: string, what: string): bigint {
  const value = parseAmount(text, what);
  if (value === 0n) throw qscError("invalidAmount", `invalid ${what}: must be positive`);
  return value;
}

/** Parses a max supply: "" or "0" is no cap. */
export function parseMaxSupply(text: string): bigint {
  return text === "" ? 0n : parseAmount(text, "max supply");
}

/** Decodes a bech32 "qosacc" account address into its 20 bytes; qsc 9 (not sdk 7) otherwise. */
export function parseAddress(text: string, what: string): Uint8Array {
  const decoded = bech32Decode(text);
  if (
    !decoded.ok ||
    decoded.value.prefix !== ACCOUNT_PREFIX ||
    decoded.value.data.length !== ADDRESS_BYTES
  ) {
    throw qscError(
      "invalidAddress",
      `invalid ${what} address "${text}": want bech32 ${ACCOUNT_PREFIX}1… of 20 bytes`,
    );
  }
  return decoded.value.data;
}
