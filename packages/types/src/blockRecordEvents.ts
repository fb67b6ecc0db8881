// The events of an encoded qos.node.v1.FinalizeBlockRecord, read by hand for the tx index: the
// block's events {1} and each tx result's {2} code {1} and events {7}; every other field is
// skipped by its wire type (a known field with another wire type too, as protobuf-go skips it).
// The same answer as the generated decoder for any valid encoding (fields in any order,
// repeated, unknown; a scalar's last value wins), property-tested against it, in a fraction of
// its time: the index worker reads one record per block, thousands of events each. Malformed
// input is a ProtoDecodeError, as decodeWireMessage gives. Pure.

import { err, ok, QosError, type Result } from "./errors.ts";
import type { EventAttributeFields, EventFields } from "./execTxResultEncoding.ts";
import { type ProtoDecodeError, TYPES_ERROR } from "./typesError.ts";

export interface TxResultEvents {
  readonly code: number;
  readonly events: EventFields[];
}

export interface BlockRecordEvents {
  /** The block's FinalizeBlock events. */
  readonly events: EventFields[];
  readonly txResults: TxResultEvents[];
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

class Malformed extends Error {}

// Invalid UTF-8 is an error, as in the generated decoder.
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One pass over the record: `pos` moves forward; each message is read up to its own end. */
class Reader {
  pos = 0;
  readonly b: Uint8Array;
  constructor(b: Uint8Array) {
    this.b = b;
  }

  /** A varint up to 2^53 (bits past that only matter to fields read as 32-bit or skipped). */
  varint(end: number): number {
    const b = this.b;
    let byte = b[this.pos] as number;
    if (this.pos < end && byte < 0x80) {
      this.pos++;
      return byte;
    }
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new Malformed("truncated varint");
      byte = b[this.pos++] as number;
      if (scale < 2 ** 53) n += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) return n;
    }
    throw new Malformed("varint over 10 bytes");
  }

  /** The end of a length-delimited field's bytes, which start at `pos`. */
  lenEnd(end: number): number {
    const len = this.varint(end);
    const e = this.pos + len;
    if (e > end) throw new Malformed("length past the end of the message");
    return e;
  }

  string(end: number): string {
    const e = this.lenEnd(end);
    const start = this.pos;
    this.pos = e;
    if (e === start) return "";
    try {
      return utf8.decode(this.b.subarray(start, e));
    } catch {
      throw new Malformed("invalid UTF-8 in a string");
    }
  }

  skip(wire: number, end: number): void {
    if (wire === WIRE_VARINT) this.varint(end);
    else if (wire === WIRE_I64) this.pos += 8;
    else if (wire === WIRE_LEN) this.pos = this.lenEnd(end);
    else if (wire === WIRE_I32) this.pos += 4;
    else throw new Malformed(`wire type ${wire}`);
    if (this.pos > end) throw new Malformed("field past the end of the message");
  }

  /** The next tag (field number × 8 + wire type); field 0 is malformed. */
  tag(end: number): number {
    const t = this.varint(end);
    if (t < 8) throw new Malformed("field number 0");
    return t;
  }
}

// Tags: field << 3 | wire type.
const TAG_1_LEN = (1 << 3) | WIRE_LEN;
const TAG_2_LEN = (2 << 3) | WIRE_LEN;
const TAG_3_VARINT = (3 << 3) | WIRE_VARINT;
const TAG_1_VARINT = (1 << 3) | WIRE_VARINT;
const TAG_7_LEN = (7 << 3) | WIRE_LEN;

function attribute(r: Reader, end: number): EventAttributeFields {
  let key = "";
  let value = "";
  let index = false;
  while (r.pos < end) {
    const t = r.tag(end);
    if (t === TAG_1_LEN) key = r.string(end);
    else if (t === TAG_2_LEN) value = r.string(end);
    else if (t === TAG_3_VARINT) index = r.varint(end) !== 0;
    else r.skip(t % 8, end);
  }
  return { key, value, index };
}

function event(r: Reader, end: number): EventFields {
  let type = "";
  const attributes: EventAttributeFields[] = [];
  while (r.pos < end) {
    const t = r.tag(end);
    if (t === TAG_1_LEN) type = r.string(end);
    else if (t === TAG_2_LEN) {
      const e = r.lenEnd(end);
      attributes.push(attribute(r, e));
    } else r.skip(t % 8, end);
  }
  return { type, attributes };
}

function txResult(r: Reader, end: number): TxResultEvents {
  let code = 0;
  const events: EventFields[] = [];
  while (r.pos < end) {
    const t = r.tag(end);
    // uint32: the low 32 bits of the varint, as the generated decoder keeps.
    if (t === TAG_1_VARINT) code = r.varint(end) % 2 ** 32;
    else if (t === TAG_7_LEN) {
      const e = r.lenEnd(end);
      events.push(event(r, e));
    } else r.skip(t % 8, end);
  }
  return { code, events };
}

/** The events of a FinalizeBlockRecord's bytes; see the file comment. */
export function decodeBlockRecordEvents(
  bytes: Uint8Array,
): Result<BlockRecordEvents, ProtoDecodeError> {
  try {
    const r = new Reader(bytes);
    const end = bytes.length;
    const events: EventFields[] = [];
    const txResults: TxResultEvents[] = [];
    while (r.pos < end) {
      const t = r.tag(end);
      if (t === TAG_1_LEN) events.push(event(r, r.lenEnd(end)));
      else if (t === TAG_2_LEN) txResults.push(txResult(r, r.lenEnd(end)));
      else r.skip(t % 8, end);
    }
    return ok({ events, txResults });
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    return err(
      new QosError(
        TYPES_ERROR.invalidProto,
        `qos.node.v1.FinalizeBlockRecord: malformed protobuf: ${e.message}`,
      ),
    );
  }
}
