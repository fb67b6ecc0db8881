// The stored BaseAccount record, encoded and decoded by hand on the hot path: cosmos.auth.v1beta1
// BaseAccount {1 address (bech32), 2 pub_key Any{"/cosmos.crypto.secp256k1.PubKey", PubKey{1 key}},
// 3 account_number, 4 sequence}, byte-identical to the generated codec (tests compare them).
// A record not in the canonical shape is decoded by @bufbuild/protobuf, as before. Pure.

import { fromBinary } from "@bufbuild/protobuf";
import {
  cosmosAuth,
  cosmosSecp256k1,
  createWireWriter,
  lenFieldSize,
  utf8Bytes,
  varint64Size,
} from "@qos/types";
import { addressToBech32, bech32ToAddress } from "../../runtime/address.ts";
import { unpackAny } from "../../runtime/anyCodec.ts";

export interface Account {
  readonly address: Uint8Array;
  /** 33-byte compressed secp256k1 key, set on the account's first signed tx. */
  readonly pubKey: Uint8Array | undefined;
  readonly accountNumber: bigint;
  readonly sequence: bigint;
}

export const SECP256K1_PUBKEY_TYPE_URL = "/cosmos.crypto.secp256k1.PubKey";
const TYPE_URL_BYTES = utf8Bytes(SECP256K1_PUBKEY_TYPE_URL);

/** `toBinary(BaseAccountSchema, accountToProto(a))`, written directly. */
export function encodeAccount(a: Account): Uint8Array {
  const address = utf8Bytes(addressToBech32(a.address));
  let anySize = 0;
  let pubKeySize = 0;
  if (a.pubKey !== undefined) {
    // PubKey {1 key}: empty when the key is; Any {1 type_url, 2 value} omits an empty value.
    pubKeySize = a.pubKey.length > 0 ? lenFieldSize(a.pubKey.length) : 0;
    anySize = lenFieldSize(TYPE_URL_BYTES.length) + (pubKeySize > 0 ? lenFieldSize(pubKeySize) : 0);
  }
  let size = address.length > 0 ? lenFieldSize(address.length) : 0;
  if (a.pubKey !== undefined) size += lenFieldSize(anySize);
  if (a.accountNumber !== 0n) size += 1 + varint64Size(a.accountNumber);
  if (a.sequence !== 0n) size += 1 + varint64Size(a.sequence);
  const w = createWireWriter(size);
  if (address.length > 0) w.lenField(1, address);
  if (a.pubKey !== undefined) {
    w.varint((2 << 3) | 2);
    w.varint(anySize);
    w.lenField(1, TYPE_URL_BYTES);
    if (pubKeySize > 0) {
      w.varint((2 << 3) | 2);
      w.varint(pubKeySize);
      w.lenField(1, a.pubKey);
    }
  }
  if (a.accountNumber !== 0n) {
    w.varint(3 << 3);
    w.varint64(a.accountNumber);
  }
  if (a.sequence !== 0n) {
    w.varint(4 << 3);
    w.varint64(a.sequence);
  }
  return w.finish();
}

/** The generated decoder's reading (any field order, unknown fields, non-canonical varints). */
function decodeAccountGeneric(bytes: Uint8Array): Account {
  const p = fromBinary(cosmosAuth.BaseAccountSchema, bytes);
  const pk = p.pubKey === undefined ? undefined : unpackAny(p.pubKey, cosmosSecp256k1.PubKeySchema);
  return {
    address: bech32ToAddress(p.address),
    pubKey: pk?.key,
    accountNumber: p.accountNumber,
    sequence: p.sequence,
  };
}

/**
 * The canonical record (what encodeAccount writes, with a secp256k1 key of < 128 bytes, numbers
 * below 2^49 and an ASCII address) read directly; undefined for anything else. With `known`
 * (the address the record is stored under), the account's address is `known` and the stored
 * text is not decoded: the keeper writes a record under its own address's key and nowhere else,
 * as Cosmos's account keeper does, so the text says the same.
 */
function decodeAccountCanonical(b: Uint8Array, known?: Uint8Array): Account | undefined {
  const end = b.length;
  let pos = 0;
  // 1: address, ASCII, < 128 bytes.
  if (b[pos] !== 0x0a) return undefined;
  const addrLen = b[pos + 1];
  if (addrLen === undefined || addrLen === 0 || addrLen >= 0x80 || pos + 2 + addrLen > end)
    return undefined;
  pos += 2;
  // Without `known`, the text is decoded once the whole record is known to be canonical.
  let text = "";
  for (let i = 0; i < addrLen; i++) {
    const c = b[pos + i] as number;
    if (c >= 0x80) return undefined;
    if (known === undefined) text += String.fromCharCode(c);
  }
  pos += addrLen;
  // 2: Any{type_url, value = PubKey{key}} with a non-empty key.
  let pubKey: Uint8Array | undefined;
  if (pos < end && b[pos] === 0x12) {
    const anyLen = b[pos + 1];
    const t = TYPE_URL_BYTES.length;
    if (anyLen === undefined || anyLen >= 0x80 || pos + 2 + anyLen > end) return undefined;
    const anyEnd = pos + 2 + anyLen;
    pos += 2;
    if (b[pos] !== 0x0a || b[pos + 1] !== t) return undefined;
    for (let i = 0; i < t; i++) if (b[pos + 2 + i] !== TYPE_URL_BYTES[i]) return undefined;
    pos += 2 + t;
    const valueLen = b[pos + 1];
    const keyLen = b[pos + 3];
    if (
      b[pos] !== 0x12 ||
      valueLen === undefined ||
      b[pos + 2] !== 0x0a ||
      keyLen === undefined ||
      keyLen === 0 ||
      keyLen >= 0x80 ||
      valueLen !== keyLen + 2 ||
      pos + 2 + valueLen !== anyEnd
    )
      return undefined;
    pubKey = b.slice(pos + 4, anyEnd);
    pos = anyEnd;
  }
  // 3, 4: account number and sequence, each a varint of at most 7 bytes.
  const nums = [0, 0];
  for (let field = 3; field <= 4; field++) {
    if (pos >= end || b[pos] !== field << 3) continue;
    pos++;
    let n = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (i === 7 || pos >= end) return undefined;
      const byte = b[pos++] as number;
      n += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) {
        // A trailing zero byte is a non-canonical varint: leave it to the generic decoder.
        if (byte === 0 && i > 0) return undefined;
        break;
      }
    }
    nums[field - 3] = n;
  }
  if (pos !== end) return undefined;
  return {
    address: known ?? bech32ToAddress(text),
    pubKey,
    accountNumber: BigInt(nums[0] as number),
    sequence: BigInt(nums[1] as number),
  };
}

/**
 * A stored BaseAccount; throws like the generated decoder on malformed bytes. `known`: the
 * address it is stored under, when the caller read it by that (saves decoding the stored bech32).
 */
export function decodeAccount(bytes: Uint8Array, known?: Uint8Array): Account {
  return decodeAccountCanonical(bytes, known) ?? decodeAccountGeneric(bytes);
}

/** Both decoders, for tests. */
export const accountDecoders = {
  canonical: decodeAccountCanonical,
  generic: decodeAccountGeneric,
};
