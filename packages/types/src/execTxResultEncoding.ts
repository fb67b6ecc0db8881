// tendermint.abci.ExecTxResult written by hand (the node encodes one per committed tx, for the
// block results record and the tx index): byte-identical to `toBinary(ExecTxResultSchema, r)`
// of the same fields, without building the message first. Pure.

import {
  closeLengthPrefix,
  putUtf8Field,
  putVarint,
  putVarint64,
  utf8FieldBound,
  wireScratch,
} from "./protoWire.ts";

/** What ExecTxResult encodes of an EventAttribute {1 key, 2 value, 3 index}. */
export interface EventAttributeFields {
  readonly key: string;
  readonly value: string;
  readonly index: boolean;
}

/** What ExecTxResult encodes of an Event {1 type, 2 attributes}. */
export interface EventFields {
  readonly type: string;
  readonly attributes: readonly EventAttributeFields[];
}

/**
 * The fields of ExecTxResult {1 code, 2 data, 3 log, 4 info, 5 gas_wanted, 6 gas_used,
 * 7 events, 8 codespace}: the generated message and the app's plain result both have them.
 * A message's unknown fields (`$unknown`, from a decode) are not written.
 */
export interface ExecTxResultFields {
  readonly code: number;
  readonly data: Uint8Array;
  readonly log: string;
  readonly info: string;
  readonly gasWanted: bigint;
  readonly gasUsed: bigint;
  readonly events: readonly EventFields[];
  readonly codespace: string;
}

/** A negative int64 is written as its 64-bit two's complement (10 bytes), as protobuf does. */
function uint64Of(n: bigint): bigint {
  return n < 0n ? BigInt.asUintN(64, n) : n;
}

/** The most bytes `r` can take (5-byte lengths, 3 bytes a UTF-16 unit). */
function sizeBound(r: ExecTxResultFields): number {
  let bound = 6 + 6 + r.data.length + 11 + 11;
  bound += utf8FieldBound(r.log) + utf8FieldBound(r.info) + utf8FieldBound(r.codespace);
  for (const e of r.events) {
    bound += 6 + utf8FieldBound(e.type);
    for (const a of e.attributes) bound += 6 + utf8FieldBound(a.key) + utf8FieldBound(a.value) + 2;
  }
  return bound;
}

/**
 * `toBinary(ExecTxResultSchema, create(ExecTxResultSchema, r))`, written in one pass: an event
 * gets 2 bytes for its length and an attribute 1 (their usual sizes), moved when they need more
 * or less.
 */
export function encodeExecTxResult(r: ExecTxResultFields): Uint8Array {
  const b = wireScratch(sizeBound(r));
  let p = 0;
  if (r.code !== 0) {
    b[p++] = 1 << 3;
    p = putVarint(b, p, r.code);
  }
  if (r.data.length > 0) {
    b[p++] = (2 << 3) | 2;
    p = putVarint(b, p, r.data.length);
    b.set(r.data, p);
    p += r.data.length;
  }
  if (r.log.length > 0) p = putUtf8Field(b, p, 3, r.log);
  if (r.info.length > 0) p = putUtf8Field(b, p, 4, r.info);
  const gasWanted = uint64Of(r.gasWanted);
  if (gasWanted !== 0n) {
    b[p++] = 5 << 3;
    p = putVarint64(b, p, gasWanted);
  }
  const gasUsed = uint64Of(r.gasUsed);
  if (gasUsed !== 0n) {
    b[p++] = 6 << 3;
    p = putVarint64(b, p, gasUsed);
  }
  for (const e of r.events) {
    b[p++] = (7 << 3) | 2;
    const eventAt = p;
    p += 2;
    if (e.type.length > 0) p = putUtf8Field(b, p, 1, e.type);
    for (const a of e.attributes) {
      b[p++] = (2 << 3) | 2;
      const attributeAt = p;
      p += 1;
      if (a.key.length > 0) p = putUtf8Field(b, p, 1, a.key);
      if (a.value.length > 0) p = putUtf8Field(b, p, 2, a.value);
      if (a.index) {
        b[p++] = 3 << 3;
        b[p++] = 1;
      }
      p = closeLengthPrefix(b, attributeAt, 1, p);
    }
    p = closeLengthPrefix(b, eventAt, 2, p);
  }
  if (r.codespace.length > 0) p = putUtf8Field(b, p, 8, r.codespace);
  return b.slice(0, p);
}
