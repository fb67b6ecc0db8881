// The qsc store layout (store "qsc"): params, token records by denom, frozen amounts by
// (denom, holder) and paused flags by denom. Denoms are at most 20 bytes ("qsc/" + 16).

import { concatBytes } from "@qos/types";

export const QSC_STORE = "qsc";

const PARAMS_PREFIX = 0x00;
const TOKEN_PREFIX = 0x01;
const FROZEN_PREFIX = 0x02;
const PAUSED_PREFIX = 0x03;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** 0x00: the module params (qos.qsc.v1.Params). */
export const PARAMS_KEY = new Uint8Array([PARAMS_PREFIX]);

/** 0x01 | denom: the token record (qos.qsc.v1.Token). */
export function tokenKey(denom: string): Uint8Array {
  return concatBytes(new Uint8Array([TOKEN_PREFIX]), utf8.encode(denom));
}

export const TOKEN_KEY_PREFIX = new Uint8Array([TOKEN_PREFIX]);

export function denomFromTokenKey(key: Uint8Array): string {
  return utf8Decoder.decode(key.subarray(1));
}

/** 0x02 | len(denom) | denom: every frozen amount of one token. */
export function frozenDenomPrefix(denom: string): Uint8Array {
  const d = utf8.encode(denom);
  return concatBytes(new Uint8Array([FROZEN_PREFIX, d.length]), d);
}

/** 0x02 | len(denom) | denom | address(20): a holder's frozen amount (decimal ASCII). */
export function frozenKey(denom: string, address: Uint8Array): Uint8Array {
  return concatBytes(frozenDenomPrefix(denom), address);
}

export const FROZEN_KEY_PREFIX = new Uint8Array([FROZEN_PREFIX]);

/** Splits a frozen key into its denom and holder address. */
export function parseFrozenKey(key: Uint8Array): { denom: string; address: Uint8Array } {
  const length = key[1] ?? 0;
  return {
    denom: utf8Decoder.decode(key.subarray(2, 2 + length)),
    address: key.slice(2 + length),
  };
}

/** 0x03 | denom: present (value 0x01) while the token is paused. */
export function pausedKey(denom: string): Uint8Array {
  return concatBytes(new Uint8Array([PAUSED_PREFIX]), utf8.encode(denom));
}

export const PAUSED_KEY_PREFIX = new Uint8Array([PAUSED_PREFIX]);

export function denomFromPausedKey(key: Uint8Array): string {
  return utf8Decoder.decode(key.subarray(1));
}

export function encodeAmount(amount: bigint): Uint8Array {
  return utf8.encode(amount.toString());
}

export function decodeAmount(value: Uint8Array): bigint {
  return BigInt(utf8Decoder.decode(value));
}
